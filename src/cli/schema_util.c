/* Schema inference from a file with the settings every command shares (--sample-rows, --schema, --categorical,
 * --numeric, --ignore, --label, --task). */
#include <stdlib.h>
#include <string.h>

#include "cli/cli_input.h"
#include "cli/schema_util.h"
#include "common/strbuf.h"

int cli_infer_schema(const char *cmd, const char *path, const sml_conf *conf, sml_schema **out)
{
    sml_error err = SML_ERROR_INIT;
    cli_input ci;
    sml_batch b = SML_BATCH_INIT;
    sml_schema_infer *inf = NULL;
    sml_schema *base = NULL;
    char **cat = NULL, **num = NULL, **ign = NULL;
    int code = 0, n;
    *out = NULL;
    const char *schema_file = sml_conf_is_set(conf, "schema") ? sml_conf_str(conf, "schema") : NULL;
    if (schema_file) {
        sml_strbuf sb = SML_STRBUF_INIT;
        if (sml_strbuf_read_file(&sb, schema_file, 64u << 20, &err) != 0 ||
            sml_schema_read_json(sb.buf ? sb.buf : "", sb.len, schema_file, &base, &err) != 0) {
            sml_strbuf_release(&sb);
            return cli_fail(cmd, &err);
        }
        sml_strbuf_release(&sb);
    }
    if ((code = cli_input_open(&ci, cmd, path, conf)) != 0) {
        sml_schema_free(base);
        return code;
    }
    uint64_t want = (uint64_t)sml_conf_int(conf, "sample_rows"), seen = 0;
    size_t cap = (size_t)sml_conf_int(conf, "batch_size");
    if (cap > want)
        cap = (size_t)want;
    if (sml_batch_setup(&b, NULL, NULL, 0, cap, &err) != 0 || !(inf = sml_schema_infer_new(&err))) {
        code = cli_fail(cmd, &err);
        goto out;
    }
    while (seen < want && (n = cli_input_next(&ci, &b, &code)) != 0) {
        if (n < 0)
            goto out;
        if (sml_schema_infer_add(inf, &b, &err) != 0) {
            code = cli_fail(cmd, &err);
            goto out;
        }
        seen += b.nrows;
    }
    cat = cli_split_list(sml_conf_str(conf, "categorical"));
    num = cli_split_list(sml_conf_str(conf, "numeric"));
    ign = cli_split_list(sml_conf_str(conf, "ignore"));
    sml_schema_overrides ov = {(const char *const *)cat, (const char *const *)num, (const char *const *)ign,
                               sml_conf_str(conf, "label"), NULL, SML_TASK_AUTO};
    if (sml_prop_for_command(sml_conf_find_prop("weight"), cmd))
        ov.weight = sml_conf_str(conf, "weight");
    const char *task = sml_prop_for_command(sml_conf_find_prop("task"), cmd) ? sml_conf_str(conf, "task") : NULL;
    if (task && strcmp(task, "regression") == 0)
        ov.task = SML_TASK_REGRESSION;
    else if (task && strcmp(task, "classification") == 0)
        ov.task = SML_TASK_CLASSIFICATION;
    if (seen == 0) {
        cli_error(cmd, "%s: no records to infer a schema from (empty input)", path);
        code = EXIT_RUNTIME;
        goto out;
    }
    if (sml_schema_infer_finish(inf, base, &ov, out, &err) != 0)
        code = cli_fail(cmd, &err);
out:
    cli_free_list(cat);
    cli_free_list(num);
    cli_free_list(ign);
    sml_schema_infer_free(inf);
    sml_schema_free(base);
    sml_batch_release(&b);
    cli_input_close(&ci);
    return code;
}
