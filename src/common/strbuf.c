/* Growable byte buffer and small file helpers (see strbuf.h). */
#include "common/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "streamml/num.h"

void sml_strbuf_release(sml_strbuf *sb)
{
    free(sb->buf);
    sb->buf = NULL;
    sb->len = sb->cap = 0;
}

int sml_strbuf_grow(sml_strbuf *sb, size_t extra)
{
    if (sb->len + extra + 1 <= sb->cap)
        return 0;
    size_t cap = sb->cap ? sb->cap : 64;
    while (cap < sb->len + extra + 1)
        cap *= 2;
    char *p = realloc(sb->buf, cap);
    if (!p)
        return SML_ENOMEM;
    sb->buf = p;
    sb->cap = cap;
    return 0;
}

int sml_strbuf_add(sml_strbuf *sb, const void *data, size_t len)
{
    if (sml_strbuf_grow(sb, len))
        return SML_ENOMEM;
    if (len)
        memcpy(sb->buf + sb->len, data, len);
    sb->len += len;
    sb->buf[sb->len] = 0;
    return 0;
}

int sml_strbuf_adds(sml_strbuf *sb, const char *s) { return sml_strbuf_add(sb, s, strlen(s)); }

int sml_strbuf_addf(sml_strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    char small[256];
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return SML_EINVAL;
    if ((size_t)n < sizeof small)
        return sml_strbuf_add(sb, small, (size_t)n);
    if (sml_strbuf_grow(sb, (size_t)n))
        return SML_ENOMEM;
    va_start(ap, fmt);
    vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
    return 0;
}

int sml_strbuf_add_double(sml_strbuf *sb, double v)
{
    char tmp[SML_DOUBLE_BUFSZ];
    size_t n = sml_format_double(v, tmp);
    return sml_strbuf_add(sb, tmp, n);
}

int sml_strbuf_add_json_double(sml_strbuf *sb, double v)
{
    return isfinite(v) ? sml_strbuf_add_double(sb, v) : sml_strbuf_adds(sb, "null");
}

int sml_strbuf_add_json_str(sml_strbuf *sb, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    if (sml_strbuf_grow(sb, len + 2))
        return SML_ENOMEM;
    sb->buf[sb->len++] = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[6];
        size_t n = 0;
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            n = 2;
        } else if (c < 0x20) {
            esc[0] = '\\';
            switch (c) {
            case '\n': esc[1] = 'n'; n = 2; break;
            case '\r': esc[1] = 'r'; n = 2; break;
            case '\t': esc[1] = 't'; n = 2; break;
            default:
                memcpy(esc, "\\u00", 4); /* NOLINT(bugprone-not-null-terminated-result): a length-counted escape */
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 15];
                n = 6;
            }
        }
        if (n) {
            if (sml_strbuf_add(sb, esc, n))
                return SML_ENOMEM;
        } else {
            if (sml_strbuf_grow(sb, 1))
                return SML_ENOMEM;
            sb->buf[sb->len++] = (char)c;
        }
    }
    if (sml_strbuf_grow(sb, 1))
        return SML_ENOMEM;
    sb->buf[sb->len++] = '"';
    sb->buf[sb->len] = 0;
    return 0;
}

int sml_strbuf_read_file(sml_strbuf *sb, const char *path, size_t max, sml_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int rc = 0;
    if (fd < 0)
        return sml_fail(err, errno == ENOENT ? SML_ENOTFOUND : SML_EIO, "%s: cannot open: %s", path,
                        strerror(errno));
    /* room for the whole file at once (plus one byte to see the end): a large model is read without a chain of
     * reallocations, each copying what was read so far */
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && (size_t)st.st_size <= max &&
        sml_strbuf_grow(sb, (size_t)st.st_size + 1)) {
        close(fd);
        return sml_fail(err, SML_ENOMEM, "%s: out of memory", path);
    }
    for (;;) {
        if (sb->cap - sb->len < 2 && sml_strbuf_grow(sb, 65536)) {
            rc = sml_fail(err, SML_ENOMEM, "%s: out of memory", path);
            break;
        }
        ssize_t n = read(fd, sb->buf + sb->len, sb->cap - sb->len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = sml_fail(err, SML_EIO, "%s: read error: %s", path, strerror(errno));
            break;
        }
        if (n == 0)
            break;
        sb->len += (size_t)n;
        sb->buf[sb->len] = 0;
        if (sb->len > max) {
            rc = sml_fail(err, SML_ERANGE, "%s: larger than %zu bytes", path, max);
            break;
        }
    }
    close(fd);
    return rc;
}

int sml_write_file_atomic(const char *path, const void *data, size_t len, sml_error *err)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 32);
    int rc = 0, fd = -1;
    if (!tmp)
        return sml_fail(err, SML_ENOMEM, "out of memory");
    snprintf(tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = sml_fail(err, SML_EIO, "%s: cannot create: %s", tmp, strerror(errno));
        goto out;
    }
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = sml_fail(err, SML_EIO, "%s: write failed: %s", tmp, strerror(errno));
            goto out;
        }
        p += n;
        len -= (size_t)n;
    }
    if (fsync(fd) != 0) {
        rc = sml_fail(err, SML_EIO, "%s: fsync failed: %s", tmp, strerror(errno));
        goto out;
    }
    if (close(fd) != 0) {
        fd = -1;
        rc = sml_fail(err, SML_EIO, "%s: close failed: %s", tmp, strerror(errno));
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) != 0)
        rc = sml_fail(err, SML_EIO, "%s: rename failed: %s", path, strerror(errno));
out:
    if (fd >= 0)
        close(fd);
    if (rc)
        unlink(tmp);
    free(tmp);
    return rc;
}

int sml_mkdir_p(const char *path)
{
    char tmp[4200];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(tmp, path, n + 1);
    for (size_t i = 1; i <= n; i++)
        if (tmp[i] == '/' || tmp[i] == 0) {
            char c = tmp[i];
            tmp[i] = 0;
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                return -1;
            tmp[i] = c;
        }
    return 0;
}
