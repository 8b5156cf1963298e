/*
 * streamml: sources and sinks. For now the simple blocking file input used by batch commands (schema, fit,
 * predict, eval): a path or "-" for stdin, read in chunks into an sml_reader, pulled as batches.
 */
#ifndef STREAMML_IO_H
#define STREAMML_IO_H

#include "streamml/error.h"
#include "streamml/parse.h"
#include "streamml/record.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The format a path's extension names (.csv, .jsonl, .ndjson, .json, optionally followed by .gz or .zst);
 * SML_FORMAT_AUTO when it names none. A "file:" prefix is ignored. */
SML_API sml_format sml_format_from_path(const char *path);

typedef struct sml_input sml_input;

/* Opens path ("-" = stdin, "file:PATH" or a plain path). opts->source_name defaults to the path ("<stdin>");
 * an AUTO format is taken from the extension, else sniffed by the reader. */
SML_API int sml_input_open(const char *path, const sml_reader_opts *opts, sml_input **out, sml_error *err);
/* The reader inside (to ask for columns, set column types, format bad rows). Owned by the input. */
SML_API sml_reader *sml_input_reader(sml_input *in);
/* Reads until a batch is available or the input ends. Returns rows + bad rows taken, 0 at the end of input,
 * or a negative code (read error, decompression failure). */
SML_API int sml_input_next(sml_input *in, sml_batch *b, sml_error *err);
/* Reads input until the column names are known (CSV header) or the input ends. */
SML_API int sml_input_columns(sml_input *in, const char *const **names, size_t *n, sml_error *err);
SML_API void sml_input_close(sml_input *in);

#ifdef __cplusplus
}
#endif
#endif
