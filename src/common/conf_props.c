/*
 * The property table: every option of every command, in one place. CLI flags, `--set`, config files,
 * `streamml help config` and docs/CONFIG.md all come from here. Keep it sorted by topic, then name.
 */
#include "common/conf_int.h"

#define NO_RANGE 1, 0

const sml_prop sml_conf_table[] = {
    /* ---- input ---- */
    {"format", SML_PROP_ENUM, "auto", NO_RANGE, "auto|csv|jsonl", "gen schema fit predict eval run replay",
      "Data format; auto: from the extension (.csv, .jsonl, .gz, .zst) or the first byte"},
    {"delimiter", SML_PROP_STRING, ",", NO_RANGE, NULL, "schema fit predict eval run replay",
      "CSV field delimiter (one character; \\t for tab)"},
    {"header", SML_PROP_BOOL, "true", NO_RANGE, NULL, "schema fit predict eval run replay",
      "CSV input starts with a header row naming the columns"},
    {"max_record_bytes", SML_PROP_INT, "1048576", 64, 1073741824.0, NULL, "schema fit predict eval run replay",
      "A longer record is rejected as a bad row"},
    {"batch_size", SML_PROP_INT, "4096", 1, 16777216.0, NULL, "schema fit predict eval run",
      "Records per batch"},
    {"errors", SML_PROP_STRING, NULL, NO_RANGE, NULL, "schema fit predict eval run replay",
      "Write rejected records (reason, place, raw text) to this file"},
    {"max_errors", SML_PROP_INT, "-1", -1, 9.2e18, NULL, "schema fit predict eval run replay",
      "Stop with an error once more than this many records were rejected (-1: no limit)"},
    /* ---- schema ---- */
    {"schema", SML_PROP_STRING, NULL, NO_RANGE, NULL, "schema fit run",
      "Schema file (as printed by `streamml schema --json`) overriding inference"},
    {"sample_rows", SML_PROP_INT, "10000", 1, 1e9, NULL, "schema fit run",
      "Records read to infer the schema"},
    {"categorical", SML_PROP_LIST, NULL, NO_RANGE, NULL, "schema fit run",
      "Columns to treat as categorical whatever their values"},
    {"numeric", SML_PROP_LIST, NULL, NO_RANGE, NULL, "schema fit run",
      "Columns to treat as numeric (a non-number there is a bad record)"},
    {"ignore", SML_PROP_LIST, NULL, NO_RANGE, NULL, "schema fit run",
      "Columns to leave out"},
    {"json", SML_PROP_BOOL, "false", NO_RANGE, NULL, "schema inspect eval",
      "Print JSON instead of a table"},
    /* ---- task ---- */
    {"label", SML_PROP_STRING, NULL, NO_RANGE, NULL, "schema fit eval run",
      "Label (target) column"},
    {"task", SML_PROP_ENUM, "auto", NO_RANGE, "auto|regression|classification", "fit run",
      "auto: a label with exactly two distinct values is classification, else regression"},
    /* ---- gen ---- */
    {"rows", SML_PROP_INT, "10000", 0, 9.2e18, NULL, "gen", "Rows to generate"},
    {"seed", SML_PROP_INT, "1", 0, 9.2e18, NULL, "gen fit run", "Random seed (same seed, same output)"},
    {"drift_at", SML_PROP_INT, "0", 0, 9.2e18, NULL, "gen",
      "Row at which the true coefficients change (0: no drift)"},
    {"truth", SML_PROP_STRING, NULL, NO_RANGE, NULL, "gen", "Write the true coefficients to this file (JSON)"},
    /* ---- output ---- */
    {"output", SML_PROP_STRING, "-", NO_RANGE, NULL, "gen predict report",
      "Output file (- for stdout); also -o"},
    {"progress", SML_PROP_ENUM, "auto", NO_RANGE, "auto|always|never", "*",
      "Progress line on stderr: auto shows it when stderr is a terminal"},
    {"log_level", SML_PROP_ENUM, "info", NO_RANGE, "error|warn|info|debug", "*", "Log verbosity on stderr"},
};

const size_t sml_conf_table_len = sizeof sml_conf_table / sizeof sml_conf_table[0];
