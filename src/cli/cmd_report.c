/* streamml report: the metrics files of `streamml run --metrics` drawn as an SVG or HTML report (src/io/report.c). */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/strbuf.h"
#include "streamml/report.h"

/* Metrics files are small (one line per batch); this bounds a mistaken argument. */
#define MAX_METRICS_BYTES ((size_t)1 << 30)

int cmd_report(int argc, char **argv)
{
    cli_args a;
    int code = 0;
    sml_error err = SML_ERROR_INIT;
    sml_report *report = NULL;
    sml_strbuf text = SML_STRBUF_INIT;
    char *out = NULL;
    size_t out_len = 0;
    if (cli_parse(cli_find_command("report"), argc, argv, &a, &code))
        goto out;
    if (a.npositional == 0) {
        cli_error("report", "no metrics files: give METRICS.jsonl... (written by `streamml run --metrics FILE`)");
        code = EXIT_USAGE;
        goto out;
    }
    if (!(report = sml_report_new(&err))) {
        code = cli_fail("report", &err);
        goto out;
    }
    for (int i = 0; i < a.npositional; i++) {
        const char *path = a.positional[i];
        int stdin_ = strcmp(path, "-") == 0;
        text.len = 0;
        if (sml_strbuf_read_file(&text, stdin_ ? "/dev/stdin" : path, MAX_METRICS_BYTES, &err) != 0 ||
            sml_report_add_run(report, NULL, text.buf, text.len, stdin_ ? "(stdin)" : path, &err) < 0) {
            code = cli_fail("report", &err);
            goto out;
        }
    }
    sml_report_options o = SML_REPORT_OPTIONS_INIT;
    o.metric = sml_conf_str(a.conf, "metric");
    o.x = strcmp(sml_conf_str(a.conf, "x_axis"), "time") == 0 ? SML_REPORT_X_TIME : SML_REPORT_X_RECORDS;
    o.top = (int)sml_conf_int(a.conf, "top");
    o.title = sml_conf_str(a.conf, "title");
    o.log_y = sml_conf_bool(a.conf, "log_y");
    /* the shared "output" setting defaults to stdout; a report goes to report.svg unless -o says otherwise */
    const char *path = sml_conf_is_set(a.conf, "output") ? sml_conf_str(a.conf, "output") : "report.svg";
    int to_stdout = strcmp(path, "-") == 0;
    sml_report_format format = to_stdout ? SML_REPORT_SVG : sml_report_format_for_path(path);
    if (sml_report_render(report, format, &o, &out, &out_len, &err) != 0) {
        code = cli_fail("report", &err);
        goto out;
    }
    if (to_stdout) {
        if (fwrite(out, 1, out_len, stdout) != out_len || fflush(stdout) != 0) {
            cli_error("report", "writing to stdout failed");
            code = EXIT_RUNTIME;
        }
    } else if (sml_write_file_atomic(path, out, out_len, &err) != 0) {
        code = cli_fail("report", &err);
    }
out:
    free(out);
    sml_strbuf_release(&text);
    sml_report_free(report);
    cli_args_release(&a);
    return code;
}
