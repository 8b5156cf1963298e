/*
 * Input for batch commands: opens a file with the reader settings from the config, and handles rejected
 * records the same way everywhere: written to --errors FILE (JSON lines), the first few shown on stderr,
 * counted, and the job stopped once --max-errors is exceeded.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli_input.h"
#include "common/strbuf.h"

#define SHOWN_ON_STDERR 5

int cli_input_open(cli_input *ci, const char *cmd, const char *path, const sml_conf *conf)
{
    sml_error err = SML_ERROR_INIT;
    sml_reader_opts o = SML_READER_OPTS_INIT;
    memset(ci, 0, sizeof *ci);
    ci->cmd = cmd;
    ci->max_errors = sml_conf_int(conf, "max_errors");
    const char *fmt = sml_conf_str(conf, "format");
    o.format = strcmp(fmt, "csv") == 0 ? SML_FORMAT_CSV : strcmp(fmt, "jsonl") == 0 ? SML_FORMAT_JSONL : SML_FORMAT_AUTO;
    const char *delim = sml_conf_str(conf, "delimiter");
    if (strcmp(delim, "\\t") == 0 || strcmp(delim, "tab") == 0)
        o.delimiter = '\t';
    else if (strlen(delim) == 1)
        o.delimiter = delim[0];
    else {
        cli_error(cmd, "--delimiter must be one character (or \\t), got \"%s\"", delim);
        return EXIT_USAGE;
    }
    o.header = sml_conf_bool(conf, "header");
    o.max_record_bytes = (size_t)sml_conf_int(conf, "max_record_bytes");
    const char *errors = sml_conf_str(conf, "errors");
    if (errors) {
        ci->errors = strcmp(errors, "-") == 0 ? stdout : fopen(errors, "w");
        if (!ci->errors) {
            cli_error(cmd, "%s: cannot open the errors file: %s", errors, strerror(errno));
            return EXIT_RUNTIME;
        }
    }
    if (sml_input_open(path, &o, &ci->in, &err) != 0)
        return cli_fail(cmd, &err);
    return 0;
}

/* Reports the bad rows of a batch; returns 0, or an exit code when --max-errors is exceeded. */
static int report_bad(cli_input *ci, const sml_batch *b)
{
    sml_reader *r = sml_input_reader(ci->in);
    for (size_t i = 0; i < b->nbad; i++) {
        char place[512];
        const sml_bad_row *bad = &b->bad[i];
        sml_bad_row_format(r, b, i, place, sizeof place);
        ci->nbad++;
        if (ci->errors) {
            sml_strbuf sb = SML_STRBUF_INIT;
            sml_strbuf_adds(&sb, "{\"_error\": ");
            sml_strbuf_add_json_str(&sb, place, strlen(place));
            sml_strbuf_addf(&sb, ", \"_line\": %llu, \"_column\": %llu, \"_offset\": %llu, \"_raw\": ",
                            (unsigned long long)bad->line, (unsigned long long)bad->column,
                            (unsigned long long)bad->offset);
            sml_strbuf_add_json_str(&sb, b->strings + bad->raw_off, bad->raw_len);
            sml_strbuf_adds(&sb, "}\n");
            if (sb.buf)
                fwrite(sb.buf, 1, sb.len, ci->errors);
            sml_strbuf_release(&sb);
        } else if (ci->nbad <= SHOWN_ON_STDERR) {
            fprintf(stderr, "streamml %s: warning: skipped a bad record: %s\n", ci->cmd, place);
        }
        if (ci->max_errors >= 0 && ci->nbad > (uint64_t)ci->max_errors) {
            cli_error(ci->cmd, "stopping: %llu bad records, more than --max-errors %lld (last: %s)",
                      (unsigned long long)ci->nbad, (long long)ci->max_errors, place);
            return EXIT_RUNTIME;
        }
    }
    return 0;
}

int cli_input_next(cli_input *ci, sml_batch *b, int *exit_code)
{
    sml_error err = SML_ERROR_INIT;
    int n = sml_input_next(ci->in, b, &err);
    if (n < 0) {
        *exit_code = cli_fail(ci->cmd, &err);
        return -1;
    }
    if (b->nbad && (*exit_code = report_bad(ci, b)) != 0)
        return -1;
    return n;
}

void cli_input_close(cli_input *ci)
{
    if (ci->nbad && !ci->errors)
        fprintf(stderr, "streamml %s: warning: %llu bad records skipped (use --errors FILE to keep them)\n", ci->cmd,
                (unsigned long long)ci->nbad);
    if (ci->errors && ci->errors != stdout)
        fclose(ci->errors);
    sml_input_close(ci->in);
    memset(ci, 0, sizeof *ci);
}

char **cli_split_list(const char *list) { return sml_split_list(list); }

void cli_free_list(char **list) { sml_list_free(list); }
