/* The model store front: picks the kind of store from the URI and encodes/decodes models (see store.h). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/store_int.h"

struct sml_store {
    const sml_store_kind *kind;
    void *state;
    sml_strbuf fetched; /* the bytes of the last version loaded, kept as the next load's buffer */
};

static const sml_store_kind *const kinds[] = {&sml_store_dir, &sml_store_redis};

const sml_store_kind *sml_store_kind_of(const char *uri, const char **location)
{
    const char *colon = strstr(uri, "://") ? strchr(uri, ':') : (strncmp(uri, "dir:", 4) == 0 ? uri + 3 : NULL);
    *location = uri;
    if (!colon)
        return &sml_store_dir;
    *location = colon + 1;
    if (strncmp(*location, "//", 2) == 0)
        *location += 2;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strlen(kinds[i]->scheme) == (size_t)(colon - uri) && memcmp(uri, kinds[i]->scheme, (size_t)(colon - uri)) == 0)
            return kinds[i];
    return NULL;
}

int sml_store_open(const char *uri, int create, sml_store **out, sml_error *err)
{
    const char *loc;
    const sml_store_kind *kind = sml_store_kind_of(uri, &loc);
    *out = NULL;
    if (!kind)
        return sml_fail(err, SML_EUNSUPPORTED, "%s: unknown kind of model store (a directory, dir:PATH or "
                                               "redis://host:port/prefix)", uri);
    sml_store *s = calloc(1, sizeof *s);
    if (!s)
        return sml_fail(err, SML_ENOMEM, "out of memory");
    s->kind = kind;
    int rc = kind->open(loc, create, &s->state, err);
    if (rc) {
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void sml_store_close(sml_store *s)
{
    if (!s)
        return;
    s->kind->close(s->state);
    sml_strbuf_release(&s->fetched);
    free(s);
}

int sml_store_publish(sml_store *s, const sml_model *m, int make_current, uint64_t *version, sml_error *err)
{
    void *data;
    size_t len;
    int rc = sml_model_encode(m, &data, &len, err);
    if (rc)
        return rc;
    rc = s->kind->publish(s->state, data, len, make_current, version, err);
    free(data);
    return rc;
}

int sml_store_current(sml_store *s, uint64_t *version, sml_error *err) { return s->kind->current(s->state, version, err); }

int sml_store_set_current(sml_store *s, uint64_t version, sml_error *err)
{
    return s->kind->set_current(s->state, version, err);
}

int sml_store_list(sml_store *s, uint64_t **versions, size_t *n, sml_error *err)
{
    return s->kind->list(s->state, versions, n, err);
}

int sml_store_load(sml_store *s, uint64_t version, sml_model **out, sml_error *err)
{
    char source[512];
    int rc;
    *out = NULL;
    if (version == 0 && (rc = sml_store_current(s, &version, err)) != 0)
        return rc;
    s->fetched.len = 0;
    if ((rc = s->kind->fetch(s->state, version, &s->fetched, source, sizeof source, err)) != 0)
        return rc;
    rc = sml_model_decode(s->fetched.buf ? s->fetched.buf : "", s->fetched.len, source, out, err);
    if (rc == 0)
        sml_model_set_version(*out, version);
    return rc;
}

int sml_model_load(const char *uri, sml_model **out, sml_error *err)
{
    struct stat st;
    const char *path = strncmp(uri, "file:", 5) == 0 ? uri + 5 : uri;
    if (strncmp(uri, "file:", 5) != 0 && (strstr(uri, "://") || strncmp(uri, "dir:", 4) == 0 ||
                                          (stat(uri, &st) == 0 && S_ISDIR(st.st_mode)))) {
        sml_store *s;
        int rc = sml_store_open(uri, 0, &s, err);
        if (rc)
            return rc;
        rc = sml_store_load(s, 0, out, err);
        sml_store_close(s);
        return rc;
    }
    return sml_model_load_file(path, out, err);
}

int sml_store_remove(sml_store *s, uint64_t version, sml_error *err)
{
    uint64_t cur;
    if (sml_store_current(s, &cur, NULL) == 0 && cur == version)
        return sml_fail(err, SML_ESTATE, "version %llu is current: roll back first", (unsigned long long)version);
    return s->kind->remove(s->state, version, err);
}

int sml_store_pins(sml_store *s, uint64_t **versions, size_t *n, sml_error *err)
{
    return s->kind->pins(s->state, versions, n, err);
}

int sml_store_pin(sml_store *s, uint64_t version, int pinned, sml_error *err)
{
    uint64_t *v = NULL, *all = NULL;
    size_t n = 0, m = 0;
    int rc;
    if ((rc = sml_store_list(s, &all, &m, err)) != 0)
        return rc;
    int exists = 0;
    for (size_t i = 0; i < m; i++)
        exists |= all[i] == version;
    free(all);
    if (!exists)
        return sml_fail(err, SML_ENOTFOUND, "the store has no version %llu", (unsigned long long)version);
    if ((rc = sml_store_pins(s, &v, &n, err)) != 0)
        return rc;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i] != version)
            v[k++] = v[i];
    if (pinned) {
        uint64_t *nv = realloc(v, (k + 1) * sizeof *nv);
        if (!nv) {
            free(v);
            return sml_fail(err, SML_ENOMEM, "out of memory");
        }
        v = nv;
        v[k++] = version;
    }
    rc = s->kind->set_pins(s->state, v, k, err);
    free(v);
    return rc;
}

int sml_store_gc(sml_store *s, size_t keep, size_t *removed, sml_error *err)
{
    uint64_t *all = NULL, *pins = NULL, cur = 0;
    size_t n = 0, np = 0, gone = 0;
    int rc;
    if ((rc = sml_store_list(s, &all, &n, err)) != 0)
        return rc;
    if ((rc = sml_store_pins(s, &pins, &np, err)) != 0) {
        free(all);
        return rc;
    }
    int have_cur = sml_store_current(s, &cur, NULL) == 0;
    uint64_t rollback = 0; /* the newest version below current */
    for (size_t i = 0; i < n; i++)
        if (have_cur && all[i] < cur && all[i] > rollback)
            rollback = all[i];
    for (size_t i = 0; i + keep < n && rc == 0; i++) { /* all[] ascending: the oldest first */
        uint64_t v = all[i];
        int keep_it = (have_cur && v >= cur) || v == rollback; /* newer than current: candidates, kept */
        for (size_t j = 0; j < np; j++)
            keep_it |= pins[j] == v;
        if (keep_it)
            continue;
        if ((rc = s->kind->remove(s->state, v, err)) == 0)
            gone++;
    }
    free(all);
    free(pins);
    if (removed)
        *removed = gone;
    return rc;
}
