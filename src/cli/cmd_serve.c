/* streamml serve: the HTTP prediction service until SIGINT/SIGTERM. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "streamml/serve.h"

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

int cmd_serve(int argc, char **argv)
{
    cli_args a;
    int code;
    sml_error err = SML_ERROR_INIT;
    sml_server *s = NULL;
    cli_ui ui;
    if (cli_parse(cli_find_command("serve"), argc, argv, &a, &code))
        goto out;
    cli_ui_init(&ui, "serve", a.conf);
    cli_on_stop(on_signal);
    if (sml_server_new(a.conf, &s, &err) != 0) {
        code = cli_fail("serve", &err);
        goto out;
    }
    sml_server_set_log(s, cli_ui_log, &ui);
    fprintf(stderr, "streamml serve: listening on %s (port %u), model %s\n", sml_conf_str(a.conf, "listen"),
            (unsigned)sml_server_port(s), sml_conf_str(a.conf, "model"));
    while (!stop)
        pause();
    code = EXIT_OK;
out:
    sml_server_free(s);
    cli_args_release(&a);
    return code;
}
