/* Fuzz target: the URI parsers of sources, sinks and model stores: kafka://brokers/topic?group=&offset= (as a
 * source and as a sink), redis://host:port/prefix, the store kind dispatch (dir:, redis://, plain paths), the
 * host:port of tcp:// and tcp-listen:// (only numeric hosts and ports, so no name lookups), and the format taken
 * from a path's extension. The input is one URI (a NUL ends it early). */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "io/io_int.h"
#include "io/kafka_int.h"
#include "store/store_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int numeric_hostport(const char *text)
{
    const char *colon = strrchr(text, ':');
    if (!colon || !colon[1] || strlen(colon + 1) > 5)
        return 0;
    for (const char *p = colon + 1; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    char host[256];
    size_t hl = (size_t)(colon - text);
    if (hl >= sizeof host)
        return 0;
    memcpy(host, text, hl);
    host[hl] = 0;
    char *h = host;
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h[hl - 1] = 0;
        h++;
    }
    unsigned char a[16];
    return inet_pton(AF_INET, h, a) == 1 || inet_pton(AF_INET6, h, a) == 1 || !strcmp(h, "localhost");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *uri = malloc(size + 1);
    if (!uri)
        return 0;
    memcpy(uri, data, size);
    uri[size] = 0;
    sml_error err = SML_ERROR_INIT;

    const char *loc = strncmp(uri, "kafka://", 8) == 0 ? uri + 8 : uri;
    for (int source = 0; source < 2; source++) {
        sml_kafka_uri ku;
        if (sml_kafka_uri_parse(loc, source, &ku, &err) == 0) {
            if (!ku.brokers || !ku.topic || !ku.group || !ku.topic[0] || strchr(ku.topic, '/'))
                abort();
            sml_kafka_uri_release(&ku);
        } else if (!err.msg[0]) {
            abort();
        }
    }

    const char *where = NULL;
    const sml_store_kind *kind = sml_store_kind_of(uri, &where);
    if (kind && (where < uri || where > uri + strlen(uri)))
        abort();
    if (kind == &sml_store_redis) {
        char host[256];
        int port = 0;
        const char *prefix = NULL;
        if (sml_redis_uri_parse(where, host, sizeof host, &port, &prefix, &err) == 0 &&
            (port <= 0 || port > 65535 || !prefix || strlen(host) >= sizeof host))
            abort();
    }
    (void)sml_is_store_uri(uri);
    (void)sml_format_from_path(uri);

    const char *hp = strncmp(uri, "tcp-listen://", 13) == 0 ? uri + 13 : strncmp(uri, "tcp://", 6) == 0 ? uri + 6 : uri;
    if (numeric_hostport(hp)) {
        struct sockaddr_storage addr;
        unsigned addrlen = 0;
        if (sml_parse_hostport(hp, &addr, &addrlen, &err) == 0 && (addrlen == 0 || addrlen > sizeof addr))
            abort();
    }
    free(uri);
    return 0;
}
