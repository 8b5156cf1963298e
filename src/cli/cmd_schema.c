/* streamml schema FILE: infer and print a file's schema (a table, or --json for a schema file). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/schema_util.h"

static void print_table(const sml_schema *s, FILE *out)
{
    fprintf(out, "%-24s %-12s %8s %9s %12s %12s %12s  %s\n", "column", "type", "missing", "distinct", "min", "max",
            "mean", "top values");
    for (size_t i = 0; i < s->ncols; i++) {
        const sml_schema_col *c = &s->cols[i];
        uint64_t total = c->count + c->missing;
        char type[32], dist[32];
        snprintf(type, sizeof type, "%s%s", c->type == SML_TYPE_NUM ? "numeric" : "categorical",
                 c->role == SML_ROLE_LABEL ? "*" : c->role == SML_ROLE_IGNORE ? "-" : c->role == SML_ROLE_WEIGHT ? "w" : "");
        snprintf(dist, sizeof dist, "%s%llu", c->distinct_capped ? ">=" : "", (unsigned long long)c->distinct);
        fprintf(out, "%-24s %-12s %7.1f%% %9s", c->name, type, total ? 100.0 * (double)c->missing / (double)total : 0.0,
                dist);
        if (c->type == SML_TYPE_NUM && !isnan(c->min))
            fprintf(out, " %12.6g %12.6g %12.6g ", c->min, c->max, c->mean);
        else
            fprintf(out, " %12s %12s %12s ", "", "", "");
        for (size_t k = 0; k < c->ntop && k < 4; k++)
            fprintf(out, "%s%s (%.1f%%)", k ? ", " : " ", c->top[k], c->count ? 100.0 * (double)c->top_count[k] / (double)c->count : 0.0);
        if (c->ntop > 4)
            fprintf(out, ", ...");
        fputc('\n', out);
    }
    fprintf(out, "\n%llu records sampled", (unsigned long long)s->rows);
    if (s->bad_rows)
        fprintf(out, ", %llu rejected", (unsigned long long)s->bad_rows);
    fputc('\n', out);
    if (s->label >= 0) {
        fprintf(out, "label (*): %s, %s", s->cols[s->label].name,
                s->task == SML_TASK_CLASSIFICATION ? "classification" : "regression");
        if (s->positive)
            fprintf(out, " (positive class: %s, negative: %s)", s->positive, s->negative);
        fputc('\n', out);
    }
}

int cmd_schema(int argc, char **argv)
{
    cli_args a;
    int code;
    sml_schema *s = NULL;
    if (cli_parse(cli_find_command("schema"), argc, argv, &a, &code))
        goto out;
    if (a.npositional > 1) {
        cli_error("schema", "expected one input file, got %d (see `streamml schema --help`)", a.npositional);
        code = EXIT_USAGE;
        goto out;
    }
    const char *path = a.npositional ? a.positional[0] : "-";
    if ((code = cli_infer_schema("schema", path, a.conf, &s)) != 0)
        goto out;
    if (sml_conf_bool(a.conf, "json")) {
        char *json;
        sml_error err = SML_ERROR_INIT;
        if (sml_schema_write_json(s, &json, NULL, &err) != 0) {
            code = cli_fail("schema", &err);
            goto out;
        }
        fputs(json, stdout);
        free(json);
    } else {
        print_table(s, stdout);
    }
    if (fflush(stdout) != 0) {
        cli_error("schema", "writing the output failed");
        code = EXIT_RUNTIME;
    }
out:
    sml_schema_free(s);
    cli_args_release(&a);
    return code;
}
