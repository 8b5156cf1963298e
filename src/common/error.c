/* Error reporting: the one convention every stage uses (see include/streamml/error.h). */
#include "streamml/error.h"

#include <stdio.h>
#include <string.h>

int sml_failv(sml_error *err, int code, const char *fmt, va_list ap)
{
    if (err) {
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    }
    return code;
}

int(sml_fail)(sml_error *err, int code, const char *fmt, ...) /* (name): not the analyzer's macro */
{
    va_list ap;
    va_start(ap, fmt);
    sml_failv(err, code, fmt, ap);
    va_end(ap);
    return code;
}

int sml_error_prefix(sml_error *err, const char *fmt, ...)
{
    char prefix[128], old[sizeof err->msg];
    va_list ap;
    if (!err)
        return SML_EINVAL;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    /* keep the end of the old message if the two do not fit */
    size_t pl = strlen(prefix), ol = strlen(old);
    if (pl + 2 + ol >= sizeof err->msg)
        ol = sizeof err->msg - 1 - (pl + 2);
    memcpy(err->msg, prefix, pl);
    memcpy(err->msg + pl, ": ", 2);
    memcpy(err->msg + pl + 2, old, ol);
    err->msg[pl + 2 + ol] = 0;
    return err->code;
}

const char *sml_strerror(int code)
{
    switch (code) {
    case SML_OK: return "success";
    case SML_EINVAL: return "invalid argument";
    case SML_ENOMEM: return "out of memory";
    case SML_EIO: return "I/O error";
    case SML_EPARSE: return "parse error";
    case SML_ERANGE: return "value out of range";
    case SML_EFORMAT: return "bad file format";
    case SML_ENOTFOUND: return "not found";
    case SML_EAGAIN: return "more input needed";
    case SML_ELIMIT: return "limit exceeded";
    case SML_EEXIST: return "already exists";
    case SML_ESTATE: return "invalid state";
    case SML_ENUMERIC: return "numerical failure";
    case SML_EUNSUPPORTED: return "not supported";
    default: return "unknown error";
    }
}
