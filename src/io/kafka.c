/*
 * Kafka pieces shared by the source and the sink (kafka_int.h): the URI, configuration, logs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/kafka_int.h"

void sml_kafka_uri_release(sml_kafka_uri *u)
{
    free(u->brokers);
    free(u->topic);
    free(u->group);
    memset(u, 0, sizeof *u);
}

int sml_kafka_uri_parse(const char *location, int source, sml_kafka_uri *u, sml_error *err)
{
    memset(u, 0, sizeof *u);
    const char *slash = strchr(location, '/');
    if (!slash || slash == location || !slash[1] || slash[1] == '?')
        return sml_fail(err, SML_EINVAL, "kafka://%s: expected kafka://host:port[,host:port]/topic", location);
    const char *q = strchr(slash, '?');
    size_t tlen = q ? (size_t)(q - slash - 1) : strlen(slash + 1);
    u->brokers = strndup(location, (size_t)(slash - location));
    u->topic = strndup(slash + 1, tlen);
    u->group = strdup("streamml");
    if (!u->brokers || !u->topic || !u->group)
        goto nomem;
    if (strchr(u->topic, '/') || strchr(u->topic, ','))
        goto bad;
    for (const char *p = q ? q + 1 : NULL; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (source && len > 6 && !strncmp(p, "group=", 6)) {
            free(u->group);
            if (!(u->group = strndup(p + 6, len - 6)))
                goto nomem;
        } else if (source && len == 15 && !strncmp(p, "offset=earliest", 15)) {
            u->latest = 0;
        } else if (source && len == 13 && !strncmp(p, "offset=latest", 13)) {
            u->latest = 1;
        } else {
            sml_kafka_uri_release(u);
            return sml_fail(err, SML_EINVAL, "kafka://%s: unknown parameter \"%.*s\" (%s)", location, (int)len, p,
                            source ? "group=G, offset=earliest|latest" : "a sink takes none");
        }
        p = amp ? amp + 1 : NULL;
    }
    return 0;
bad:
    sml_kafka_uri_release(u);
    return sml_fail(err, SML_EINVAL, "kafka://%s: one topic expected after the brokers", location);
nomem:
    sml_kafka_uri_release(u);
    return sml_fail(err, SML_ENOMEM, "out of memory");
}

void sml_kafka_logf(const sml_kafka_log *l, int level, const char *fmt, ...)
{
    if (!l->log)
        return;
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    l->log(l->log_opaque, level, msg);
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    const sml_kafka_log *l = rd_kafka_opaque(rk);
    if (!l)
        return;
    int lv = level <= 3 ? SML_LOG_ERROR : level == 4 ? SML_LOG_WARN : level <= 6 ? SML_LOG_INFO : SML_LOG_DEBUG;
    sml_kafka_logf(l, lv, "%s: librdkafka %s: %s", l->where, fac, buf);
}

int sml_kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value, sml_error *err)
{
    char errstr[512];
    if (rd_kafka_conf_set(conf, key, value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK)
        return sml_fail(err, SML_EINVAL, "kafka.%s=%s: %s", key, value, errstr);
    return 0;
}

int sml_kafka_conf_user(rd_kafka_conf_t *conf, const char *role, const char *const *kv, size_t n, void *opaque,
                        sml_error *err)
{
    int rc;
    const char *other = !strcmp(role, "consumer") ? "producer." : "consumer.";
    size_t rl = strlen(role);
    for (size_t i = 0; i + 1 < 2 * n; i += 2) {
        const char *k = kv[i];
        if (!strncmp(k, other, strlen(other)))
            continue;
        if (!strncmp(k, role, rl) && k[rl] == '.')
            k += rl + 1;
        if ((rc = sml_kafka_conf_set(conf, k, kv[i + 1], err)) != 0)
            return rc;
    }
    if ((rc = sml_kafka_conf_set(conf, "log.queue", "true", err)) != 0)
        return rc;
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_conf_set_opaque(conf, opaque);
    return 0;
}
