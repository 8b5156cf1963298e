/*
 * streamml: the run report, where the metrics JSON lines of `streamml run --metrics FILE` (docs/METRICS.md)
 * become pictures.
 *
 * An sml_report collects runs from the text of metrics files and renders, with no external tool,
 *   1. the prequential metric over records (or elapsed seconds): per run a thick line for the cumulative value and
 *      a thin, lighter one for the per-batch value, with axes, round ticks, axis titles, a title and a legend;
 *   2. for each run that traced its weights, the top-K features by final |weight| over records, one line each;
 *   3. (HTML only) a table of the final cumulative metrics, records and records/s of each run.
 * as one self-contained SVG document (the charts stacked) or an HTML page (inline SVG and the table). The output is
 * well-formed XML in both cases; every text from the input is escaped.
 *
 * Missing or null values, and values that cannot be drawn (NaN, infinities, non-positive values on a log scale),
 * leave a gap in their line. A line of more than max_points points is downsampled (per bucket of indices: the
 * first, smallest, largest and last point, so peaks survive) to at most max_points points.
 *
 * Errors follow include/streamml/error.h. An sml_report is used by one thread at a time; different reports are
 * independent. Rendering does not modify the report.
 */
#ifndef STREAMML_REPORT_H
#define STREAMML_REPORT_H

#include <stddef.h>

#include "streamml/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sml_report sml_report;

typedef enum sml_report_format {
    SML_REPORT_SVG = 0, /* one SVG document */
    SML_REPORT_HTML = 1 /* an HTML page (also well-formed XML): inline SVG charts and a summary table */
} sml_report_format;

typedef enum sml_report_x {
    SML_REPORT_X_RECORDS = 0, /* the "records" field */
    SML_REPORT_X_TIME = 1     /* the "elapsed_s" field (else "time" minus the run's first "time") */
} sml_report_x;

typedef struct sml_report_options {
    const char *metric;   /* metric to plot; NULL or "auto": per run, logloss for classification, else rmse */
    sml_report_x x;       /* x axis */
    int top;              /* weights charts: the top K features by final |weight| (intercept excluded); 0: none */
    const char *title;    /* document title; NULL: "streamml report" */
    int log_y;            /* log scale on the metric chart's y axis */
    size_t max_points;    /* per line; 0: 2000. Smaller values (at least 8) are for tests */
} sml_report_options;

#define SML_REPORT_OPTIONS_INIT {NULL, SML_REPORT_X_RECORDS, 8, NULL, 0, 0}

/* A new, empty report. NULL (with err filled) when out of memory. */
SML_API sml_report *sml_report_new(sml_error *err);
/* Frees the report; NULL is a no-op. */
SML_API void sml_report_free(sml_report *r);

/* Reads the metrics JSON lines in text[0..len) (borrowed: copied as needed). source names them in error messages
 * ("a.jsonl:3:12: ..."). Blank lines are skipped; every other line must be a JSON object with the fields of
 * docs/METRICS.md; unknown fields are ignored, missing ones leave gaps.
 * A file may hold several runs one after the other (appended runs): a new run starts where the "run" field changes
 * or the "batch" number does not increase. A run is named, in order: name (when not NULL; with " (2)", " (3)"...
 * for later runs of the same text), its "run" field, the base name of source without its extension. Names
 * already in the report get the same numbered suffix.
 * Returns the number of runs added (at least 1), or SML_EPARSE (malformed JSON, a line that is not an object, a
 * field of the wrong type; the message names source:line), SML_EFORMAT (no metrics line at all), SML_ENOMEM.
 * On failure nothing is added. */
SML_API int sml_report_add_run(sml_report *r, const char *name, const char *text, size_t len, const char *source,
                               sml_error *err);

/* Number of runs added so far. */
SML_API size_t sml_report_run_count(const sml_report *r);

/* Renders the report. options may be NULL (SML_REPORT_OPTIONS_INIT). On success *out is a NUL-terminated buffer the
 * caller frees with free(), *out_len (optional) its length. Returns 0, or SML_ESTATE (no runs), SML_EINVAL (a bad
 * option), SML_ENOTFOUND (no run has the metric asked for: the message lists the metrics there are), SML_ENOMEM;
 * then *out is NULL. */
SML_API int sml_report_render(const sml_report *r, sml_report_format format, const sml_report_options *options,
                              char **out, size_t *out_len, sml_error *err);

/* The format an output file name asks for: SML_REPORT_HTML for a name ending in ".html" or ".htm" (any case),
 * else SML_REPORT_SVG. */
SML_API sml_report_format sml_report_format_for_path(const char *path);

#ifdef __cplusplus
}
#endif
#endif
