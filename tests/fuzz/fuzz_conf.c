/* Fuzz target: config files (`--config FILE`: "key = value" lines, comments, dashes in keys) through
 * sml_conf_load_file, read from an in-memory file; then every property is read back through its typed getter. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "streamml/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fd = -1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    if (fd < 0 && (fd = memfd_create("fuzz_conf", 0)) < 0)
        abort();
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    sml_error err = SML_ERROR_INIT;
    sml_conf *c = sml_conf_new(&err);
    if (!c)
        return 0;
    if (sml_conf_load_file(c, path, &err) == 0) {
        size_t n;
        const sml_prop *props = sml_conf_props(&n);
        for (size_t i = 0; i < n; i++) {
            switch (props[i].type) {
            case SML_PROP_INT: (void)sml_conf_int(c, props[i].name); break;
            case SML_PROP_DOUBLE: (void)sml_conf_double(c, props[i].name); break;
            case SML_PROP_BOOL: (void)sml_conf_bool(c, props[i].name); break;
            case SML_PROP_DURATION: (void)sml_conf_duration_ms(c, props[i].name); break;
            default: (void)sml_conf_str(c, props[i].name); break;
            }
        }
    } else if (!err.msg[0]) {
        abort();
    }
    sml_conf_free(c);
    return 0;
}
