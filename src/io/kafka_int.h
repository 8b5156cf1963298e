/*
 * Internal: what the Kafka source (source_kafka.c) and sink (sink_kafka.c) share: the kafka:// URI, librdkafka
 * configuration with streamml's defaults and the user's kafka.* properties, and librdkafka's log routed to the
 * engine's log callback (on the thread that polls: log.queue, never from librdkafka's own threads).
 */
#ifndef SML_KAFKA_INT_H
#define SML_KAFKA_INT_H
#include <librdkafka/rdkafka.h>

#include "io/io_int.h"

/* kafka://host:port[,host:port]/topic?group=G&offset=earliest|latest, without the scheme. */
typedef struct sml_kafka_uri {
    char *brokers, *topic, *group;
    int latest; /* offset=latest */
} sml_kafka_uri;

/* source: group and offset parameters allowed; sink: none. */
int sml_kafka_uri_parse(const char *location, int source, sml_kafka_uri *u, sml_error *err);
void sml_kafka_uri_release(sml_kafka_uri *u);

/* Must be the first member of the struct given to librdkafka as its opaque. */
typedef struct sml_kafka_log {
    sml_log_fn log;
    void *log_opaque;
    const char *where; /* "kafka://topic" in messages */
} sml_kafka_log;

void sml_kafka_logf(const sml_kafka_log *l, int level, const char *fmt, ...) SML_PRINTF(3, 4);

/* Sets one property; errors name it. */
int sml_kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value, sml_error *err);
/* Sets the user's kafka.* properties for role "consumer" or "producer": "consumer.KEY" only for the consumer,
 * "producer.KEY" only for the producer, any other KEY for both. Also routes logs through opaque (an
 * sml_kafka_log) and sets it as the handle's opaque. */
int sml_kafka_conf_user(rd_kafka_conf_t *conf, const char *role, const char *const *kv, size_t n, void *opaque,
                        sml_error *err);
#endif
