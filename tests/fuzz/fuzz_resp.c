/* Fuzz target: reading a model version's bytes from a Redis connection (store_redis.c's fetch: pipelined GETRANGE
 * replies parsed straight from the socket, each payload read into its place). The input's first three bytes choose
 * the size asked for (1-2048 bytes) and the piece size (1-256); the rest is what the "server" sends, through a
 * socketpair whose other end is then shut. Whatever arrives, the fetch returns an error with a message or exactly
 * the bytes asked for. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "store/store_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    size_t total = 1 + ((size_t)data[0] | (size_t)data[1] << 8) % 2048, piece = 1 + (size_t)data[2];
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        return 0;
    /* the replies fit in the socket's buffer (at most 64 KB), as do the commands the fetch writes */
    for (size_t off = 3; off < size;) {
        ssize_t n = write(sv[1], data + off, size - off);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    shutdown(sv[1], SHUT_WR);
    sml_strbuf sb = SML_STRBUF_INIT;
    sml_error err = SML_ERROR_INIT;
    int rc = sml_redis_fetch_fd(sv[0], total, piece, &sb, &err);
    if (rc == 0 && sb.len != total)
        abort();
    if (rc != 0 && !err.msg[0])
        abort();
    sml_strbuf_release(&sb);
    close(sv[1]);
    return 0;
}
