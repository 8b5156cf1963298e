/* Fuzz target: schema files (JSON) and config values (`--set key=value`, config file lines). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "streamml/conf.h"
#include "streamml/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sml_schema *s = NULL;
    sml_error err;
    if (sml_schema_read_json((const char *)data, size, "fuzz", &s, &err) == 0) {
        char *json = NULL;
        if (sml_schema_write_json(s, &json, NULL, &err) != 0)
            abort();
        free(json);
        sml_schema_free(s);
    }
    /* the same bytes as "key=value" for the config table */
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    char *eq = strchr(text, '=');
    sml_conf *c = sml_conf_new(NULL);
    if (c && eq) {
        *eq = 0;
        sml_conf_set(c, text, eq + 1, &err);
        int64_t ms;
        sml_parse_duration_ms(eq + 1, &ms, &err);
    }
    sml_conf_free(c);
    free(text);
    return 0;
}
