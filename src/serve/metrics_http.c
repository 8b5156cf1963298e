/*
 * A small HTTP exporter for `run --metrics-listen`: GET /metrics answers whatever text the owner's callback
 * formats (the engine's sml_engine_metrics_text: Prometheus), GET /healthz "ok". libmicrohttpd runs it in one
 * internal thread; the callback is called from that thread only, never from the owner's.
 */
#include "streamml/serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "common/prom.h"
#include "io/io_int.h"

struct sml_metrics_server {
    struct MHD_Daemon *daemon;
    sml_metrics_fn fn;
    void *opaque;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type, char *body, size_t len,
                             enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
    if (!r) {
        if (mode == MHD_RESPMEM_MUST_FREE)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    sml_metrics_server *s = cls;
    (void)version;
    (void)upload;
    (void)con_cls;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        *upload_size = 0;
        return reply(c, 405, "text/plain", "method not allowed (GET /metrics, /healthz)\n", 45, MHD_RESPMEM_PERSISTENT);
    }
    if (!strcmp(url, "/healthz"))
        return reply(c, 200, "text/plain", "ok\n", 3, MHD_RESPMEM_PERSISTENT);
    if (!strcmp(url, "/metrics")) {
        char *text = NULL;
        size_t len = 0;
        if (s->fn(s->opaque, &text, &len) != 0 || !text)
            return reply(c, 500, "text/plain", "cannot format the metrics\n", 26, MHD_RESPMEM_PERSISTENT);
        return reply(c, 200, SML_PROM_CONTENT_TYPE, text, len, MHD_RESPMEM_MUST_FREE);
    }
    return reply(c, 404, "text/plain", "no such endpoint (GET /metrics, /healthz)\n", 42, MHD_RESPMEM_PERSISTENT);
}

int sml_metrics_server_new(const char *listen, sml_metrics_fn fn, void *opaque, sml_metrics_server **out,
                           sml_error *err)
{
    char addr_text[160];
    struct sockaddr_storage addr;
    unsigned addrlen;
    int rc;
    *out = NULL;
    /* a bare port is a port on the loopback interface: metrics stay local unless an address is given */
    if (listen && *listen && strspn(listen, "0123456789") == strlen(listen))
        snprintf(addr_text, sizeof addr_text, "127.0.0.1:%s", listen);
    else
        snprintf(addr_text, sizeof addr_text, "%s", listen ? listen : "");
    if ((rc = sml_parse_hostport(addr_text, &addr, &addrlen, err)) != 0)
        return rc;
    sml_metrics_server *s = calloc(1, sizeof *s);
    if (!s)
        return sml_fail(err, SML_ENOMEM, "out of memory");
    s->fn = fn;
    s->opaque = opaque;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
    if (addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                 MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
                                 MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32 * 1024,
                                 MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, MHD_OPTION_END);
    if (!s->daemon) {
        free(s);
        return sml_fail(err, SML_EIO, "metrics: cannot listen on %s (in use, or not a local address?)", addr_text);
    }
    *out = s;
    return 0;
}

uint16_t sml_metrics_server_port(const sml_metrics_server *s)
{
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    return i ? i->port : 0;
}

void sml_metrics_server_free(sml_metrics_server *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->daemon);
    free(s);
}
