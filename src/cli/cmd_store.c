/* streamml store list|rollback|pin|unpin|gc: look after a model store. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "streamml/store.h"

static int parse_version(const char *s, uint64_t *v)
{
    int64_t x;
    if (sml_parse_int64(s, strlen(s), &x) != 0 || x <= 0)
        return -1;
    *v = (uint64_t)x;
    return 0;
}

static int list(sml_store *st, const char *uri)
{
    sml_error err = SML_ERROR_INIT;
    uint64_t *v = NULL, *pins = NULL, cur = 0;
    size_t n = 0, np = 0;
    if (sml_store_list(st, &v, &n, &err) != 0 || sml_store_pins(st, &pins, &np, &err) != 0)
        return cli_fail("store", &err);
    int have_cur = sml_store_current(st, &cur, NULL) == 0;
    printf("%-9s %-8s %-22s %-10s %s\n", "version", "", "created", "rows", "validation");
    for (size_t i = 0; i < n; i++) {
        sml_model *m = NULL;
        char created[32] = "?", rows[32] = "?", val[128] = "";
        if (sml_store_load(st, v[i], &m, &err) == 0) {
            cJSON *s = cJSON_Parse(sml_model_get_json(m, SML_MODEL_SUMMARY) ? sml_model_get_json(m, SML_MODEL_SUMMARY) : "{}");
            cJSON *mt = cJSON_Parse(sml_model_get_json(m, SML_MODEL_METRICS) ? sml_model_get_json(m, SML_MODEL_METRICS) : "{}");
            const cJSON *c = cJSON_GetObjectItemCaseSensitive(s, "created"), *r = cJSON_GetObjectItemCaseSensitive(s, "rows");
            const cJSON *va = cJSON_GetObjectItemCaseSensitive(mt, "validation");
            const cJSON *metric = cJSON_GetObjectItemCaseSensitive(va, "metric");
            if (cJSON_IsString(c))
                snprintf(created, sizeof created, "%s", c->valuestring);
            if (cJSON_IsNumber(r))
                snprintf(rows, sizeof rows, "%.0f", r->valuedouble);
            if (cJSON_IsString(metric)) {
                const cJSON *x = cJSON_GetObjectItemCaseSensitive(va, metric->valuestring);
                if (cJSON_IsNumber(x))
                    snprintf(val, sizeof val, "%s %.6f", metric->valuestring, x->valuedouble);
            }
            cJSON_Delete(s);
            cJSON_Delete(mt);
            sml_model_free(m);
        } else {
            snprintf(val, sizeof val, "unreadable: %.100s", err.msg);
        }
        int pinned = 0;
        for (size_t j = 0; j < np; j++)
            pinned |= pins[j] == v[i];
        char mark[16];
        snprintf(mark, sizeof mark, "%s%s", have_cur && v[i] == cur ? "current" : "", pinned ? (have_cur && v[i] == cur ? ",pin" : "pinned") : "");
        printf("%-9llu %-8s %-22s %-10s %s\n", (unsigned long long)v[i], mark, created, rows, val);
    }
    if (!n)
        printf("(%s holds no versions)\n", uri);
    free(v);
    free(pins);
    return EXIT_OK;
}

int cmd_store(int argc, char **argv)
{
    cli_args a;
    int code;
    sml_error err = SML_ERROR_INIT;
    sml_store *st = NULL;
    if (cli_parse(cli_find_command("store"), argc, argv, &a, &code))
        goto out;
    if (a.npositional < 1) {
        cli_error("store", "expected an action: list, rollback VERSION, pin VERSION, unpin VERSION or gc --keep N");
        code = EXIT_USAGE;
        goto out;
    }
    const char *action = a.positional[0];
    int next = 1;
    const char *uri = sml_conf_str(a.conf, "store");
    if (!uri && a.npositional > next && (!strcmp(action, "list") || !strcmp(action, "gc") || a.npositional > next + 1))
        uri = a.positional[next++];
    if (!uri) {
        cli_error("store", "which store? give --store DIR");
        code = EXIT_USAGE;
        goto out;
    }
    if (sml_store_open(uri, 0, &st, &err) != 0) {
        code = cli_fail("store", &err);
        goto out;
    }
    if (!strcmp(action, "list")) {
        code = list(st, uri);
    } else if (!strcmp(action, "rollback") || !strcmp(action, "pin") || !strcmp(action, "unpin")) {
        uint64_t v;
        if (a.npositional <= next || parse_version(a.positional[next], &v) != 0) {
            cli_error("store", "%s needs a version number", action);
            code = EXIT_USAGE;
            goto out;
        }
        int rc;
        if (!strcmp(action, "rollback")) {
            sml_model *m = NULL;
            /* never make an unreadable version current */
            if ((rc = sml_store_load(st, v, &m, &err)) == 0)
                rc = sml_store_set_current(st, v, &err);
            sml_model_free(m);
        } else {
            rc = sml_store_pin(st, v, !strcmp(action, "pin"), &err);
        }
        if (rc) {
            code = cli_fail("store", &err);
            goto out;
        }
        printf("%s: version %llu %s\n", uri, (unsigned long long)v,
               !strcmp(action, "rollback") ? "is current" : !strcmp(action, "pin") ? "pinned" : "unpinned");
        code = EXIT_OK;
    } else if (!strcmp(action, "gc")) {
        size_t removed;
        if (sml_store_gc(st, (size_t)sml_conf_int(a.conf, "keep_versions"), &removed, &err) != 0) {
            code = cli_fail("store", &err);
            goto out;
        }
        printf("%s: removed %zu old versions (kept the newest %lld, current, its predecessor and pinned ones)\n", uri,
               removed, (long long)sml_conf_int(a.conf, "keep_versions"));
        code = EXIT_OK;
    } else {
        cli_error("store", "unknown action \"%s\" (list, rollback, pin, unpin, gc)", action);
        code = EXIT_USAGE;
    }
out:
    sml_store_close(st);
    cli_args_release(&a);
    return code;
}
