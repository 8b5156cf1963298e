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
    {"label", SML_PROP_STRING, NULL, NO_RANGE, NULL, "schema fit run",
      "Label (target) column"},
    {"task", SML_PROP_ENUM, "auto", NO_RANGE, "auto|regression|classification", "fit run",
      "auto: a label with exactly two distinct values is classification, else regression"},
    /* ---- gen ---- */
    {"rows", SML_PROP_INT, "10000", 0, 9.2e18, NULL, "gen", "Rows to generate"},
    {"seed", SML_PROP_INT, "1", 0, 9.2e18, NULL, "gen fit run", "Random seed (same seed, same output)"},
    {"drift_at", SML_PROP_INT, "0", 0, 9.2e18, NULL, "gen",
      "Row at which the true coefficients change (0: no drift)"},
    {"truth", SML_PROP_STRING, NULL, NO_RANGE, NULL, "gen", "Write the true coefficients to this file (JSON)"},
    /* ---- models and stores ---- */
    {"data", SML_PROP_STRING, NULL, NO_RANGE, NULL, "fit predict eval", "Input data file (- for stdin); also the first argument"},
    {"store", SML_PROP_STRING, NULL, NO_RANGE, NULL, "fit", "Model store to publish to (a directory or dir:PATH)"},
    {"model", SML_PROP_STRING, NULL, NO_RANGE, NULL, "predict eval inspect",
      "Model: a store (its current version) or a model file"},
    {"base", SML_PROP_STRING, NULL, NO_RANGE, NULL, "fit", "Base model for --l2-to-base (a store or a model file)"},
    {"weight", SML_PROP_STRING, NULL, NO_RANGE, NULL, "fit eval", "Sample-weight column"},
    {"keep", SML_PROP_LIST, NULL, NO_RANGE, NULL, "predict", "Input columns copied to the output before the prediction"},
    /* ---- objective and solver ---- */
    {"l2", SML_PROP_DOUBLE, "0.0001", 0, 1e12, NULL, "fit", "L2 penalty (l2/2)||w||^2 (not on the intercept)"},
    {"l1", SML_PROP_DOUBLE, "0", 0, 1e12, NULL, "fit", "L1 penalty l1||w||_1 (not on the intercept)"},
    {"l2_to_base", SML_PROP_DOUBLE, "0", 0, 1e12, NULL, "fit",
      "Penalty (l2_to_base/2)||theta - theta_base||^2 toward --base, intercept included"},
    {"intercept", SML_PROP_BOOL, "true", NO_RANGE, NULL, "fit", "Fit an unpenalised intercept"},
    {"solver", SML_PROP_ENUM, "auto", NO_RANGE, "auto|newton|lbfgs", "fit",
      "Batch solver: trust-region Newton (L2), L-BFGS/OWL-QN (needed for L1); auto picks"},
    {"max_iter", SML_PROP_INT, "1000", 1, 1e7, NULL, "fit", "Solver iteration limit"},
    {"tol", SML_PROP_DOUBLE, "1e-6", 1e-16, 1, NULL, "fit",
      "Stop when the gradient's largest entry falls to tol times its size at the start (at least tol)"},
    /* ---- validation ---- */
    {"cv", SML_PROP_INT, "0", 0, 1000, NULL, "fit", "K-fold cross-validation (stratified for classification); 0: none"},
    {"holdout", SML_PROP_DOUBLE, "0", 0, 0.9, NULL, "fit", "Fraction of rows held out for validation (with --cv 0)"},
    {"grid", SML_PROP_STRING, NULL, NO_RANGE, NULL, "fit",
      "Hyper-parameter grid, e.g. \"l2=0.001,0.01,0.1 l1=0,0.001\"; the best setting is refitted on all the data"},
    {"metric", SML_PROP_ENUM, "auto", NO_RANGE, "auto|auc|logloss|accuracy|f1|rmse|mae|r2", "fit eval report",
      "Metric that chooses the best setting (auto: auc for classification, rmse for regression); report: the metric "
      "drawn (auto: logloss for classification, rmse for regression)"},
    /* ---- feature pipeline ---- */
    {"scaling", SML_PROP_ENUM, "standard", NO_RANGE, "standard|minmax|none", "fit", "Numeric scaling"},
    {"impute", SML_PROP_ENUM, "mean", NO_RANGE, "mean|median|constant", "fit", "Numeric imputation of missing values"},
    {"impute_constant", SML_PROP_DOUBLE, "0", -1e308, 1e308, NULL, "fit", "Value for --impute constant"},
    {"missing_indicator", SML_PROP_ENUM, "auto", NO_RANGE, "auto|always|never", "fit",
      "Add an is-missing feature per column (auto: for columns with missing values in training)"},
    {"min_count", SML_PROP_INT, "1", 1, 9.2e18, NULL, "fit", "One-hot: rarer values go to the unknown slot"},
    {"top_k", SML_PROP_INT, "0", 0, 1e9, NULL, "fit", "One-hot: keep at most K most frequent values (0: all)"},
    {"max_onehot", SML_PROP_INT, "1000", 1, 1e9, NULL, "fit", "Categoricals with more distinct values are hashed"},
    {"hash_columns", SML_PROP_LIST, NULL, NO_RANGE, NULL, "fit", "Categorical columns to hash whatever their cardinality"},
    {"hash_bits", SML_PROP_INT, "18", 1, 28, NULL, "fit", "Hashing block of 2^bits features"},
    {"hash_seed", SML_PROP_INT, "0", 0, 4294967295.0, NULL, "fit", "Seed of the murmur3 feature hash"},
    {"interactions", SML_PROP_LIST, NULL, NO_RANGE, NULL, "fit", "Column pairs A:B whose product is a (hashed) feature"},
    /* ---- report ---- */
    {"x_axis", SML_PROP_ENUM, "records", NO_RANGE, "records|time", "report",
      "X axis of the report's charts: records read, or elapsed seconds"},
    {"top", SML_PROP_INT, "8", 0, 1000, NULL, "report",
      "Weights chart: the K features with the largest final |weight| (0: no weights chart)"},
    {"title", SML_PROP_STRING, NULL, NO_RANGE, NULL, "report", "Title of the report (default: streamml report)"},
    {"log_y", SML_PROP_BOOL, "false", NO_RANGE, NULL, "report", "Log scale on the metric chart's y axis"},
    /* ---- output ---- */
    {"output", SML_PROP_STRING, "-", NO_RANGE, NULL, "gen predict report fit",
      "Output file (- for stdout); also -o. fit: also save the model to this file; report: report.svg unless given"},
    {"output_format", SML_PROP_ENUM, "auto", NO_RANGE, "auto|csv|jsonl", "predict",
      "Output format; auto: from -o's extension, else the input's format"},
    {"progress", SML_PROP_ENUM, "auto", NO_RANGE, "auto|always|never", "*",
      "Progress line on stderr: auto shows it when stderr is a terminal"},
    {"log_level", SML_PROP_ENUM, "info", NO_RANGE, "error|warn|info|debug", "*", "Log verbosity on stderr"},
};

const size_t sml_conf_table_len = sizeof sml_conf_table / sizeof sml_conf_table[0];
