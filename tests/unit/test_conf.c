/* Configuration table: validation, units, namespaces, files. */
#include <stdlib.h>

#include "streamml/streamml.h"
#include "unit.h"

static void test_defaults_and_types(void)
{
    sml_conf *c = sml_conf_new(NULL);
    CHECK_INT(sml_conf_int(c, "batch_size"), 4096);
    CHECK(sml_conf_bool(c, "header") == 1);
    CHECK_STR(sml_conf_str(c, "format"), "auto");
    CHECK(!sml_conf_is_set(c, "batch_size"));
    CHECK_INT(sml_conf_set(c, "batch_size", "7", NULL), 0);
    CHECK_INT(sml_conf_int(c, "batch_size"), 7);
    CHECK(sml_conf_is_set(c, "batch_size"));
    sml_conf_free(c);
}

static void test_rejects_bad_values(void)
{
    sml_conf *c = sml_conf_new(NULL);
    sml_error err = SML_ERROR_INIT;
    CHECK_INT(sml_conf_set(c, "batch_size", "ten", &err), SML_EINVAL);
    CHECK(strstr(err.msg, "batch_size") != NULL);
    CHECK_INT(sml_conf_set(c, "batch_size", "0", &err), SML_ERANGE);
    CHECK_INT(sml_conf_set(c, "format", "xml", &err), SML_EINVAL);
    CHECK(strstr(err.msg, "auto|csv|jsonl") != NULL);
    CHECK_INT(sml_conf_set(c, "no_such_key", "1", &err), SML_ENOTFOUND);
    CHECK_INT(sml_conf_set(c, "header", "maybe", &err), SML_EINVAL);
    CHECK_INT(sml_conf_set(c, "header", "no", &err), 0);
    CHECK(sml_conf_bool(c, "header") == 0);
    sml_conf_free(c);
}

static void test_durations_need_units(void)
{
    int64_t ms = -1;
    sml_error err = SML_ERROR_INIT;
    CHECK_INT(sml_parse_duration_ms("250ms", &ms, NULL), 0);
    CHECK_INT(ms, 250);
    CHECK_INT(sml_parse_duration_ms("10s", &ms, NULL), 0);
    CHECK_INT(ms, 10000);
    CHECK_INT(sml_parse_duration_ms("1.5m", &ms, NULL), 0);
    CHECK_INT(ms, 90000);
    CHECK_INT(sml_parse_duration_ms("2h", &ms, NULL), 0);
    CHECK_INT(ms, 7200000);
    CHECK_INT(sml_parse_duration_ms("10", &ms, &err), SML_EINVAL);
    CHECK(strstr(err.msg, "unit") != NULL);
    CHECK_INT(sml_parse_duration_ms("10 days", &ms, &err), SML_EINVAL);
    CHECK_INT(sml_parse_duration_ms("s", &ms, &err), SML_EINVAL);
}

static int collect(const char *k, const char *v, void *opaque)
{
    char *buf = opaque;
    strcat(buf, k);
    strcat(buf, "=");
    strcat(buf, v);
    strcat(buf, ";");
    return 0;
}

static void test_namespaces_pass_through(void)
{
    sml_conf *c = sml_conf_new(NULL);
    char buf[256] = "";
    CHECK_INT(sml_conf_set(c, "kafka.fetch.max.bytes", "1000", NULL), 0);
    CHECK_INT(sml_conf_set(c, "kafka.client.id", "a", NULL), 0);
    CHECK_INT(sml_conf_set(c, "kafka.client.id", "b", NULL), 0);
    CHECK_INT(sml_conf_set(c, "other.x", "1", NULL), 0);
    sml_conf_each_ns(c, "kafka", collect, buf);
    CHECK_STR(buf, "fetch.max.bytes=1000;client.id=b;");
    sml_conf_free(c);
}

static void test_config_file_names_line(void)
{
    char path[] = "/tmp/sml-conf-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs("# comment\n\nbatch-size = 12\nformat=csv\nbatch_size = x\n", f);
    fclose(f);
    sml_conf *c = sml_conf_new(NULL);
    sml_error err = SML_ERROR_INIT;
    CHECK_INT(sml_conf_load_file(c, path, &err), SML_EINVAL);
    CHECK_INT(sml_conf_int(c, "batch_size"), 12);
    CHECK_STR(sml_conf_str(c, "format"), "csv");
    char want[64];
    snprintf(want, sizeof want, "%s:5:", path);
    CHECK_MSG(strncmp(err.msg, want, strlen(want)) == 0, "%s", err.msg);
    remove(path);
    sml_conf_free(c);
}

static void test_every_prop_default_is_valid(void)
{
    size_t n;
    const sml_prop *p = sml_conf_props(&n);
    sml_conf *c = sml_conf_new(NULL);
    for (size_t i = 0; i < n; i++) {
        sml_error err = SML_ERROR_INIT;
        CHECK_MSG(p[i].doc && p[i].commands, "%s", p[i].name);
        if (p[i].def)
            CHECK_MSG(sml_conf_set(c, p[i].name, p[i].def, &err) == 0, "%s: %s", p[i].name, err.msg);
    }
    sml_conf_free(c);
}

int main(void)
{
    RUN(test_defaults_and_types);
    RUN(test_rejects_bad_values);
    RUN(test_durations_need_units);
    RUN(test_namespaces_pass_through);
    RUN(test_config_file_names_line);
    RUN(test_every_prop_default_is_valid);
    return UNIT_DONE();
}
