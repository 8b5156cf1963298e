/*
 * Command-line arguments onto the property table: `--a-b V`, `--a-b=V`, bare `--flag` for booleans,
 * `--no-flag`, `-o FILE`, `--set key=value`, `--config FILE`, `--help`. Options are checked against the
 * command: a setting the command does not take is a usage error.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

void cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "streamml %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_fail(const char *cmd, const sml_error *err)
{
    cli_error(cmd, "%s", err->msg[0] ? err->msg : sml_strerror(err->code));
    return err->code == SML_EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
}

int cli_progress_enabled(const sml_conf *conf)
{
    const char *p = sml_conf_str(conf, "progress");
    if (p && strcmp(p, "always") == 0)
        return 1;
    if (p && strcmp(p, "never") == 0)
        return 0;
    return isatty(2);
}

void cli_print_command_help(const cli_command *cmd, FILE *out)
{
    size_t n;
    const sml_prop *p = sml_conf_props(&n);
    fprintf(out, "usage: streamml %s\n\n%s\n", cmd->usage, cmd->summary);
    if (cmd->help)
        fprintf(out, "\n%s\n", cmd->help);
    fprintf(out, "\nOptions:\n");
    for (size_t i = 0; i < n; i++) {
        if (!sml_prop_for_command(&p[i], cmd->name))
            continue;
        char flag[64];
        size_t k;
        for (k = 0; k < sizeof flag - 1 && p[i].name[k]; k++)
            flag[k] = p[i].name[k] == '_' ? '-' : p[i].name[k];
        flag[k] = 0;
        fprintf(out, "  --%-20s %s", flag, p[i].doc);
        if (p[i].choices)
            fprintf(out, " (%s)", p[i].choices);
        if (p[i].def)
            fprintf(out, " [default: %s]", p[i].def);
        fputc('\n', out);
    }
    fprintf(out, "  --%-20s %s\n  --%-20s %s\n  --%-20s %s\n", "set KEY=VALUE", "Any setting by its config key",
            "config FILE", "Read settings from a file of `key = value` lines", "help", "This help");
}

void cli_args_release(cli_args *args)
{
    sml_conf_free(args->conf);
    free(args->positional);
    memset(args, 0, sizeof *args);
}

static int set_checked(cli_args *a, const char *key, const char *value, int *exit_code)
{
    sml_error err = SML_ERROR_INIT;
    const sml_prop *p = sml_conf_find_prop(key);
    if (p && !sml_prop_for_command(p, a->cmd->name)) {
        cli_error(a->cmd->name, "setting \"%s\" does not apply to this command (see `streamml %s --help`)", key,
                  a->cmd->name);
        *exit_code = EXIT_USAGE;
        return 1;
    }
    if (sml_conf_set(a->conf, key, value, &err) != 0) {
        cli_error(a->cmd->name, "%s", err.msg);
        *exit_code = EXIT_USAGE;
        return 1;
    }
    return 0;
}

int cli_parse(const cli_command *cmd, int argc, char **argv, cli_args *a, int *exit_code)
{
    sml_error err = SML_ERROR_INIT;
    memset(a, 0, sizeof *a);
    a->cmd = cmd;
    *exit_code = EXIT_USAGE;
    a->conf = sml_conf_new(&err);
    a->positional = calloc((size_t)argc + 1, sizeof *a->positional);
    if (!a->conf || !a->positional) {
        cli_error(cmd->name, "out of memory");
        *exit_code = EXIT_RUNTIME;
        return 1;
    }
    int only_positional = 0;
    for (int i = 1; i < argc; i++) {
        char *arg = argv[i]; /* never NULL below argc (the analyzer does not know) */
        /* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
        if (only_positional || arg[0] != '-' || strcmp(arg, "-") == 0) {
            a->positional[a->npositional++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_positional = 1;
            continue;
        }
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            cli_print_command_help(cmd, stdout);
            *exit_code = EXIT_OK;
            return 1;
        }
        char key[128];
        const char *value = NULL;
        if (strcmp(arg, "-o") == 0) {
            snprintf(key, sizeof key, "output");
        } else if (arg[1] == '-') {
            const char *name = arg + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            if (len == 0 || len >= sizeof key) {
                cli_error(cmd->name, "bad option \"%s\"", arg);
                return 1;
            }
            for (size_t k = 0; k < len; k++)
                key[k] = name[k] == '-' ? '_' : name[k];
            key[len] = 0;
            if (eq)
                value = eq + 1;
        } else {
            cli_error(cmd->name, "unknown option \"%s\" (see `streamml %s --help`)", arg, cmd->name);
            return 1;
        }
        if (strcmp(key, "set") == 0 || strcmp(key, "config") == 0) {
            if (!value) {
                if (i + 1 >= argc) {
                    cli_error(cmd->name, "--%s needs a value", key);
                    return 1;
                }
                value = argv[++i];
            }
            if (strcmp(key, "config") == 0) {
                if (sml_conf_load_file(a->conf, value, &err) != 0) {
                    cli_error(cmd->name, "%s", err.msg);
                    return 1;
                }
                continue;
            }
            const char *eq = strchr(value, '=');
            if (!eq || eq == value) {
                cli_error(cmd->name, "--set expects KEY=VALUE, got \"%s\"", value);
                return 1;
            }
            char skey[128];
            size_t len = (size_t)(eq - value);
            if (len >= sizeof skey) {
                cli_error(cmd->name, "--set: key too long");
                return 1;
            }
            memcpy(skey, value, len);
            skey[len] = 0;
            if (set_checked(a, skey, eq + 1, exit_code))
                return 1;
            continue;
        }
        const sml_prop *p = sml_conf_find_prop(key);
        if (!p && strncmp(key, "no_", 3) == 0 && (p = sml_conf_find_prop(key + 3)) && p->type == SML_PROP_BOOL &&
            !value) {
            if (set_checked(a, key + 3, "false", exit_code))
                return 1;
            continue;
        }
        if (!p || !sml_prop_for_command(p, cmd->name)) {
            cli_error(cmd->name, "unknown option \"%s\" (see `streamml %s --help`)", arg, cmd->name);
            return 1;
        }
        if (!value) {
            if (p->type == SML_PROP_BOOL) {
                /* a bare flag is true, unless an explicit boolean follows */
                int b;
                const char *next = i + 1 < argc ? argv[i + 1] : NULL;
                b = next && (!strcmp(next, "true") || !strcmp(next, "false"));
                value = b ? argv[++i] : "true";
            } else {
                if (i + 1 >= argc) {
                    cli_error(cmd->name, "option \"%s\" needs a value", arg);
                    return 1;
                }
                value = argv[++i];
            }
        }
        if (set_checked(a, key, value, exit_code))
            return 1;
    }
    *exit_code = EXIT_OK;
    return 0;
}

void cli_ui_init(cli_ui *ui, const char *cmd, const sml_conf *conf)
{
    const char *lvl = sml_conf_str(conf, "log_level");
    ui->cmd = cmd;
    ui->level = !strcmp(lvl, "error") ? 0 : !strcmp(lvl, "warn") ? 1 : !strcmp(lvl, "debug") ? 3 : 2;
    ui->progress = cli_progress_enabled(conf);
    ui->line_drawn = 0;
}

void cli_ui_log(void *opaque, int level, const char *msg)
{
    cli_ui *ui = opaque;
    static const char *names[] = {"error", "warning", "info", "debug"};
    if (level > ui->level)
        return;
    if (ui->line_drawn) {
        fputs("\r\033[K", stderr);
        ui->line_drawn = 0;
    }
    fprintf(stderr, "streamml %s: %s: %s\n", ui->cmd, names[level < 0 ? 0 : level > 3 ? 3 : level], msg);
}

int cli_ui_progress_begin(cli_ui *ui)
{
    if (!ui->progress)
        return 0;
    fputs("\r\033[K", stderr);
    return 1;
}

void cli_ui_progress_end(cli_ui *ui) { ui->line_drawn = 1; }

void cli_ui_finish(cli_ui *ui)
{
    if (ui->line_drawn)
        fputc('\n', stderr);
    ui->line_drawn = 0;
}

void cli_on_stop(void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}
