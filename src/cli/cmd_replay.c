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

static sml_replay *running; /* the signal handler's only way to the replay (set while it runs) */

static void on_signal(int sig)
{
    (void)sig;
    if (running)
        sml_replay_stop(running);
}

static void on_progress(void *opaque, const sml_replay_stats *st)
{
    cli_ui *ui = opaque;
    if (!cli_ui_progress_begin(ui))
        return;
    fprintf(stderr, "replay: %llu records, %.0f rec/s, %llu client%s, %llu dropped", (unsigned long long)st->records,
            st->records_per_s, (unsigned long long)st->clients, st->clients == 1 ? "" : "s",
            (unsigned long long)(st->dropped + st->clients_dropped));
    cli_ui_progress_end(ui);
}

int cmd_replay(int argc, char **argv)
{
    cli_args a;
    int code;
    sml_error err = SML_ERROR_INIT;
    sml_replay *r = NULL;
    cli_ui ui;
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
    cli_ui_init(&ui, "replay", a.conf);
    if (sml_replay_new(a.conf, &r, &err) != 0) {
        code = cli_fail("replay", &err);
        goto out;
    }
    sml_replay_set_log(r, cli_ui_log, &ui);
    sml_replay_set_progress(r, on_progress, &ui);
    running = r;
    cli_on_stop(on_signal);
    int rc = sml_replay_run(r, &err);
    running = NULL;
    cli_ui_finish(&ui);
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
