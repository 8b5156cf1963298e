/* Fuzz target: HTTP request bodies of `streamml serve` (POST /predict), through the same function the server calls
 * (sml_serve_predict_body): one JSON object, a JSON array through the streaming reader, or a CSV body. The first
 * byte picks the body kind (bit 0: CSV) and the model (bit 1: the regression golden model, else the classifier);
 * the rest is the body. A 200 must be one well-formed JSON document. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "serve/serve_int.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sml_model *models[2];

/* The golden models next to the binary's tree (build-fuzz/../tests/golden), or $SML_FUZZ_GOLDEN. */
static sml_model *load_golden(const char *name)
{
    char dir[PATH_MAX], path[PATH_MAX + 64];
    const char *env = getenv("SML_FUZZ_GOLDEN");
    if (env)
        snprintf(dir, sizeof dir, "%s", env);
    else {
        ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
        if (n <= 0)
            abort();
        dir[n] = 0;
        char *slash = strrchr(dir, '/');
        if (!slash)
            abort();
        snprintf(slash, sizeof dir - (size_t)(slash - dir), "/../tests/golden");
    }
    snprintf(path, sizeof path, "%s/%s", dir, name);
    sml_model *m = NULL;
    sml_error err = SML_ERROR_INIT;
    if (sml_model_load_file(path, &m, &err) != 0) {
        fprintf(stderr, "fuzz_body: %s\n", err.msg);
        abort();
    }
    return m;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    models[0] = load_golden("loans-1.0.smlm");
    models[1] = load_golden("feed-1.0.smlm");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int csv = data[0] & 1;
    sml_model *m = models[(data[0] >> 1) & 1];
    sml_strbuf body = SML_STRBUF_INIT, out = SML_STRBUF_INIT;
    if (size > 1 && sml_strbuf_add(&body, data + 1, size - 1) != 0)
        abort();
    char msg[400];
    size_t n = 0;
    unsigned status = sml_serve_predict_body(m, &body, csv, NULL, &out, &n, msg, sizeof msg);
    if (status == 200) {
        cJSON *j = cJSON_ParseWithLength(out.buf, out.len);
        if (!j)
            abort(); /* the response must be valid JSON */
        cJSON_Delete(j);
    } else if (status != 400 && status != 500) {
        abort();
    } else if (!msg[0]) {
        abort(); /* an error always says why */
    }
    sml_strbuf_release(&body);
    sml_strbuf_release(&out);
    return 0;
}
