/*
 * streamml replay: a dataset played as a live stream (include/streamml/replay.h). Logs go to stderr, a progress
 * line is drawn on a terminal, the achieved rate is printed at the end; SIGINT/SIGTERM stop cleanly (a second
 * one skips handing queued records to slow clients).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "streamml/engine.h"
#include "streamml/replay.h"

typedef struct replay_ui {
    int level;
    int progress;
    int line_drawn;
} replay_ui;

static sml_replay *running; /* the signal handler's only way to the replay (set while it runs) */

static void on_signal(int sig)
{
    (void)sig;
    if (running)
        sml_replay_stop(running);
}

static void on_log(void *opaque, int level, const char *msg)
{
    replay_ui *ui = opaque;
    static const char *names[] = {"error", "warning", "info", "debug"};
    if (level > ui->level)
        return;
    if (ui->line_drawn) {
        fputs("\r\033[K", stderr);
        ui->line_drawn = 0;
    }
    fprintf(stderr, "streamml replay: %s: %s\n", names[level < 0 ? 0 : level > 3 ? 3 : level], msg);
}

static void on_progress(void *opaque, const sml_replay_stats *st)
{
    replay_ui *ui = opaque;
    if (!ui->progress)
        return;
    fprintf(stderr, "\r\033[Kreplay: %llu records, %.0f rec/s, %llu client%s, %llu dropped", (unsigned long long)st->records,
            st->records_per_s, (unsigned long long)st->clients, st->clients == 1 ? "" : "s",
            (unsigned long long)(st->dropped + st->clients_dropped));
    ui->line_drawn = 1;
}

int cmd_replay(int argc, char **argv)
{
    cli_args a;
    int code;
    sml_error err = SML_ERROR_INIT;
    sml_replay *r = NULL;
    replay_ui ui = {2, 0, 0};
    if (cli_parse(cli_find_command("replay"), argc, argv, &a, &code))
        goto out;
    if (a.npositional > 1 || (a.npositional == 1 && sml_conf_is_set(a.conf, "data"))) {
        cli_error("replay", "unexpected argument \"%s\"", a.positional[a.npositional - 1]);
        code = EXIT_USAGE;
        goto out;
    }
    if (a.npositional == 1 && sml_conf_set(a.conf, "data", a.positional[0], &err) != 0) {
        code = cli_fail("replay", &err);
        goto out;
    }
    const char *lvl = sml_conf_str(a.conf, "log_level");
    ui.level = !strcmp(lvl, "error") ? 0 : !strcmp(lvl, "warn") ? 1 : !strcmp(lvl, "debug") ? 3 : 2;
    ui.progress = cli_progress_enabled(a.conf);
    if (sml_replay_new(a.conf, &r, &err) != 0) {
        code = cli_fail("replay", &err);
        goto out;
    }
    sml_replay_set_log(r, on_log, &ui);
    sml_replay_set_progress(r, on_progress, &ui);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    running = r;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    int rc = sml_replay_run(r, &err);
    running = NULL;
    if (ui.line_drawn)
        fputs("\n", stderr);
    sml_replay_stats st;
    sml_replay_get_stats(r, &st);
    if (ui.level >= 2) {
        double asked = sml_conf_double(a.conf, "rate");
        char asked_text[64] = "";
        if (asked > 0)
            snprintf(asked_text, sizeof asked_text, " (asked %.15g)", asked);
        fprintf(stderr,
                "streamml replay: %llu records in %.3f s: %.1f records/s%s; largest gap %.2f ms, latest send %.2f ms "
                "after due; %llu skipped, %llu dropped, %llu clients dropped\n",
                (unsigned long long)st.records, st.elapsed_s, st.records_per_s, asked_text, st.max_gap_s * 1e3,
                st.max_late_s * 1e3, (unsigned long long)st.skipped, (unsigned long long)st.dropped,
                (unsigned long long)st.clients_dropped);
    }
    code = rc ? cli_fail("replay", &err) : EXIT_OK;
out:
    sml_replay_free(r);
    cli_args_release(&a);
    return code;
}
