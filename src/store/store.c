/* The model store front: picks the kind of store from the URI and encodes/decodes models (see store.h). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/store_int.h"

struct sml_store {
    const sml_store_kind *kind;
    void *state;
};

static const sml_store_kind *const kinds[] = {&sml_store_dir};

int sml_store_open(const char *uri, int create, sml_store **out, sml_error *err)
{
    const sml_store_kind *kind = &sml_store_dir;
    const char *loc = uri;
    const char *colon = strstr(uri, "://") ? strchr(uri, ':') : (strncmp(uri, "dir:", 4) == 0 ? uri + 3 : NULL);
    *out = NULL;
    if (colon) {
        kind = NULL;
        for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
            if (strlen(kinds[i]->scheme) == (size_t)(colon - uri) && memcmp(uri, kinds[i]->scheme, (size_t)(colon - uri)) == 0)
                kind = kinds[i];
        if (!kind)
            return sml_fail(err, SML_EUNSUPPORTED, "%s: unknown kind of model store (use a directory or dir:PATH)", uri);
        loc = colon + 1;
    }
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
    void *data;
    size_t len;
    char source[512];
    int rc;
    *out = NULL;
    if (version == 0 && (rc = sml_store_current(s, &version, err)) != 0)
        return rc;
    if ((rc = s->kind->fetch(s->state, version, &data, &len, source, sizeof source, err)) != 0)
        return rc;
    rc = sml_model_decode(data, len, source, out, err);
    free(data);
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
