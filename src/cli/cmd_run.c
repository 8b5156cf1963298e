/*
 * streamml run: the stream engine from the command line. Logs go to stderr (one line each, --log-level), a live
 * progress line is drawn on a terminal, SIGINT/SIGTERM finish the batch in flight, flush and checkpoint.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "streamml/engine.h"
#include "streamml/serve.h"

static sml_engine *running;               /* the signal handler's only way to the engine (set while run() runs) */
static volatile sig_atomic_t stop_early; /* a signal came before the engine ran (while it opened its source) */

static void on_signal(int sig)
{
    (void)sig;
    stop_early = 1;
    if (running)
        sml_engine_stop(running);
}

static void on_progress(void *opaque, const sml_engine_stats *st)
{
    cli_ui *ui = opaque;
    if (!cli_ui_progress_begin(ui))
        return;
    fprintf(stderr, "run: %llu records (%llu learned, %llu dead), %.0f rec/s, %s %.6g (batch %.6g), model v%llu",
            (unsigned long long)st->records, (unsigned long long)st->learned, (unsigned long long)st->dead_letters,
            st->records_per_s, st->metric, st->cumulative, st->last_batch, (unsigned long long)st->model_version);
    cli_ui_progress_end(ui);
}

/* The exporter's thread asks the engine for its metrics text (the engine's snapshot is thread-safe). */
static int metrics_text(void *opaque, char **text, size_t *len) { return sml_engine_metrics_text(opaque, text, len, NULL); }

int cmd_run(int argc, char **argv)
{
    cli_args a;
    int code;
    sml_error err = SML_ERROR_INIT;
    sml_engine *e = NULL;
    sml_metrics_server *ms = NULL;
    cli_ui ui;
    if (cli_parse(cli_find_command("run"), argc, argv, &a, &code))
        goto out;
    if (a.npositional) {
        cli_error("run", "unexpected argument \"%s\" (the source is --from URI)", a.positional[0]);
        code = EXIT_USAGE;
        goto out;
    }
    cli_ui_init(&ui, "run", a.conf);
    /* SIGINT/SIGTERM from the start: one that comes while the engine opens its source and sink (a Kafka group join
     * takes seconds) still ends the run cleanly, after it started, with nothing read */
    cli_on_stop(on_signal);
    if (sml_engine_new(a.conf, &e, &err) != 0) {
        code = cli_fail("run", &err);
        goto out;
    }
    sml_engine_set_log(e, cli_ui_log, &ui);
    sml_engine_set_progress(e, on_progress, &ui);
    const char *mlisten = sml_conf_str(a.conf, "metrics_listen");
    if (mlisten) {
        if (sml_metrics_server_new(mlisten, metrics_text, e, &ms, &err) != 0) {
            code = cli_fail("run", &err);
            goto out;
        }
        if (ui.level >= 2)
            fprintf(stderr, "streamml run: metrics on %s (port %u): GET /metrics, /healthz\n", mlisten,
                    (unsigned)sml_metrics_server_port(ms));
    }
    running = e;
    if (stop_early)
        sml_engine_stop(e);
    int rc = sml_engine_run(e, &err);
    running = NULL;
    cli_ui_finish(&ui);
    if (rc != 0) {
        code = cli_fail("run", &err);
        goto out;
    }
    sml_engine_stats st;
    sml_engine_get_stats(e, &st);
    if (ui.level >= 2)
        fprintf(stderr, "streamml run: done: %llu records in %.3f s, %llu learned, %llu dead letters, prequential %s %.6g\n",
                (unsigned long long)st.records, st.elapsed_s, (unsigned long long)st.learned,
                (unsigned long long)st.dead_letters, st.metric, st.cumulative);
    code = EXIT_OK;
out:
    sml_metrics_server_free(ms); /* before the engine whose metrics it serves */
    sml_engine_free(e);
    cli_args_release(&a);
    return code;
}
