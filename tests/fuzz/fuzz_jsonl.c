/* libFuzzer target: the JSON lines push parser (sml_reader) on arbitrary bytes; see reader_fuzz.h. */
#include "reader_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_one(SML_FORMAT_JSONL, data, size);
}
