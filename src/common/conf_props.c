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
      "Records read to infer the schema (run from scratch: at most 1000 by default)"},
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
    {"data", SML_PROP_STRING, NULL, NO_RANGE, NULL, "fit predict eval replay",
      "Input data file (- for stdin; replay: CSV or JSONL, plain, .gz or .zst); also the first argument"},
    {"store", SML_PROP_STRING, NULL, NO_RANGE, NULL, "fit run store",
      "Model store to publish to: a directory, dir:PATH or redis://host:port/prefix"},
    {"model", SML_PROP_STRING, NULL, NO_RANGE, NULL, "predict eval inspect run serve",
      "Model: a store (its current version) or a model file"},
    {"base", SML_PROP_STRING, NULL, NO_RANGE, NULL, "fit run", "Base model for --l2-to-base (a store or a model file)"},
    {"weight", SML_PROP_STRING, NULL, NO_RANGE, NULL, "fit eval run", "Sample-weight column"},
    {"keep", SML_PROP_LIST, NULL, NO_RANGE, NULL, "predict run", "Input columns copied to the output before the prediction"},
    {"keep_versions", SML_PROP_INT, "10", 0, 1e9, NULL, "store", "store gc: how many of the newest versions to keep"},
    /* ---- objective and solver ---- */
    {"l2", SML_PROP_DOUBLE, "0.0001", 0, 1e12, NULL, "fit run", "L2 penalty (l2/2)||w||^2 (not on the intercept)"},
    {"l1", SML_PROP_DOUBLE, "0", 0, 1e12, NULL, "fit run", "L1 penalty l1||w||_1 (not on the intercept)"},
    {"l2_to_base", SML_PROP_DOUBLE, "0", 0, 1e12, NULL, "fit run",
      "Penalty (l2_to_base/2)||theta - theta_base||^2 toward --base, intercept included"},
    {"intercept", SML_PROP_BOOL, "true", NO_RANGE, NULL, "fit run", "Fit an unpenalised intercept"},
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
    {"metric", SML_PROP_ENUM, "auto", NO_RANGE, "auto|auc|logloss|accuracy|f1|rmse|mae|r2", "fit eval report run",
      "Metric that chooses the best setting (auto: auc for classification, rmse for regression); report: the metric "
      "drawn (auto: logloss for classification, rmse for regression); run: the metric of the promotion gate"},
    {"gate", SML_PROP_BOOL, "false", NO_RANGE, NULL, "fit run",
      "Promotion gate: publish only if, on the held-out rows, the candidate's --metric is not worse than the current "
      "model's by more than --gate-tolerance (fit: needs --holdout, --cv or --gate-data; run: gates --publish-every "
      "and needs --gate-data)"},
    {"gate_data", SML_PROP_STRING, NULL, NO_RANGE, NULL, "fit run",
      "Fixed validation file for the promotion gate: candidate and current model are both scored on it"},
    {"gate_tolerance", SML_PROP_DOUBLE, "0", 0, 1e9, NULL, "fit run", "How much worse than the current model a candidate may be"},
    {"every", SML_PROP_DURATION, NULL, 1, 8.64e9, NULL, "fit",
      "Refit periodically (instead of cron): re-read the data, train, gate, publish; until SIGINT/SIGTERM"},
    {"window_rows", SML_PROP_INT, "0", 0, 9.2e18, NULL, "fit", "Train on the newest N rows of the data only (0: all)"},
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
    {"hash_bits", SML_PROP_INT, "18", 1, 28, NULL, "fit run", "Hashing block of 2^bits features"},
    {"hash_seed", SML_PROP_INT, "0", 0, 4294967295.0, NULL, "fit run", "Seed of the murmur3 feature hash"},
    {"interactions", SML_PROP_LIST, NULL, NO_RANGE, NULL, "fit", "Column pairs A:B whose product is a (hashed) feature"},
    /* ---- report ---- */
    {"x_axis", SML_PROP_ENUM, "records", NO_RANGE, "records|time", "report",
      "X axis of the report's charts: records read, or elapsed seconds"},
    {"top", SML_PROP_INT, "8", 0, 1000, NULL, "report",
      "Weights chart: the K features with the largest final |weight| (0: no weights chart)"},
    {"title", SML_PROP_STRING, NULL, NO_RANGE, NULL, "report", "Title of the report (default: streamml report)"},
    {"log_y", SML_PROP_BOOL, "false", NO_RANGE, NULL, "report", "Log scale on the metric chart's y axis"},
    /* ---- stream engine ---- */
    {"from", SML_PROP_STRING, NULL, NO_RANGE, NULL, "run",
      "Source: a file, - (stdin), dir:PATH (new complete files), tcp://host:port, tcp-listen://host:port, "
      "kafka://host:port[,host:port]/topic?group=G&offset=earliest|latest (defaults: group streamml, earliest)"},
    {"to", SML_PROP_STRING, "-", NO_RANGE, NULL, "run replay",
      "Sink for predictions (run) or records (replay): a file (.csv/.jsonl), - (stdout), null:; run also "
      "kafka://host:port[,host:port]/topic (one message per row, JSON lines unless --output-format csv); replay also kafka://host:port/topic (one message per record), "
      "tcp-listen://host:port (every client gets every record from when it connects) and tcp://host:port "
      "(reconnecting); run also postgres://[user@]host[:port]/db?table=T (libpq URI; &create=1 creates the table "
      "from the output columns, &writer=W names the positions row (default: the table), &positions_table=P "
      "(default streamml_positions)): rows and source positions commit in one transaction per batch, exactly-once"},
    {"dead_letter", SML_PROP_STRING, NULL, NO_RANGE, NULL, "run",
      "Write rejected records (with _error: place and reason) to this file as JSON lines"},
    {"learn", SML_PROP_BOOL, "false", NO_RANGE, NULL, "run", "Keep learning from labelled records (prequential)"},
    {"learner", SML_PROP_ENUM, "normalized", NO_RANGE, "normalized|sgd|adagrad|ftrl|rls|spark", "run",
      "Online learner: normalized adaptive (VW's default), sgd, adagrad, ftrl (FTRL-Proximal), rls, spark "
      "(StreamingLinear/LogisticRegressionWithSGD per micro-batch)"},
    {"learning_rate", SML_PROP_DOUBLE, "0.5", 0, 1e9, NULL, "run", "Step size of the online learner"},
    {"power_t", SML_PROP_DOUBLE, "0.5", 0, 10, NULL, "run", "sgd: step decay exponent (0: constant); normalized: adaptive exponent"},
    {"initial_t", SML_PROP_DOUBLE, "0", 0, 1e15, NULL, "run", "sgd: step = learning_rate / (k + initial_t)^power_t"},
    {"warm_records", SML_PROP_DOUBLE, "-1", -1, 1e15, NULL, "run",
      "Seed the learner's state as if it had seen this many records (-1: the starting model's training rows)"},
    {"ftrl_alpha", SML_PROP_DOUBLE, "0.1", 1e-12, 1e9, NULL, "run", "FTRL-Proximal alpha"},
    {"ftrl_beta", SML_PROP_DOUBLE, "1", 0, 1e9, NULL, "run", "FTRL-Proximal beta"},
    {"rls_forgetting", SML_PROP_DOUBLE, "1", 1e-6, 1, NULL, "run", "RLS forgetting factor in (0, 1]"},
    {"rls_delta", SML_PROP_DOUBLE, "1", 1e-12, 1e12, NULL, "run", "RLS prior precision"},
    {"rls_max_features", SML_PROP_INT, "4096", 1, 1e6, NULL, "run", "RLS refuses more features (cost grows with their square)"},
    {"spark_iterations", SML_PROP_INT, "50", 1, 1e6, NULL, "run", "spark: gradient steps per micro-batch (numIterations)"},
    {"spark_mini_batch_fraction", SML_PROP_DOUBLE, "1", 1e-9, 1, NULL, "run", "spark: miniBatchFraction"},
    {"spark_reg_param", SML_PROP_DOUBLE, "0", 0, 1e9, NULL, "run", "spark: regParam (logistic only, as Spark)"},
    {"spark_convergence_tol", SML_PROP_DOUBLE, "0.001", 0, 1, NULL, "run", "spark: convergenceTol"},
    {"batch_interval", SML_PROP_DURATION, "1s", 1, 8.64e7, NULL, "run",
      "A batch closes after this long even if it is not full (idle input is flushed)"},
    {"on_new_model", SML_PROP_ENUM, "auto", NO_RANGE, "auto|swap|ignore|replace|base", "run",
      "When --model STORE publishes a new current version: scoring swaps it in (auto, swap); learning ignores it "
      "(auto), or lets it replace the online state (replace) or become the base for --l2-to-base (base)"},
    {"reload_check_interval", SML_PROP_DURATION, "1s", 10, 8.64e7, NULL, "run serve",
      "How often the store's current version is re-read when no change notification came"},
    {"metrics", SML_PROP_STRING, NULL, NO_RANGE, NULL, "run", "Append per-batch metrics as JSON lines (docs/METRICS.md)"},
    {"run_name", SML_PROP_STRING, NULL, NO_RANGE, NULL, "run", "Name of the run in the metrics (default: the metrics file name)"},
    {"trace_weights", SML_PROP_BOOL, "false", NO_RANGE, NULL, "run", "Add the weights after each batch to the metrics"},
    {"metrics_listen", SML_PROP_STRING, NULL, NO_RANGE, NULL, "run",
      "Serve live metrics over HTTP at this address (host:port, or a port on 127.0.0.1): GET /metrics in the "
      "Prometheus text format, /healthz"},
    {"state", SML_PROP_STRING, NULL, NO_RANGE, NULL, "run",
      "Run state directory: checkpoints (learner, pipeline, metrics, source positions); a restart resumes from it"},
    {"checkpoint_interval", SML_PROP_DURATION, "10s", 1, 8.64e7, NULL, "run", "Checkpoint at most this often (with --state)"},
    {"checkpoint_records", SML_PROP_INT, "0", 0, 9.2e18, NULL, "run", "Also checkpoint every this many records (0: by time only)"},
    {"publish_every", SML_PROP_DURATION, NULL, 1, 8.64e7, NULL, "run",
      "Publish the online model to --store as a new version this often"},
    /* ---- serve ---- */
    {"listen", SML_PROP_STRING, "127.0.0.1:8080", NO_RANGE, NULL, "serve", "Address to listen on (host:port; port 0 picks one)"},
    {"threads", SML_PROP_INT, "0", 0, 1024, NULL, "serve", "Worker threads (0: one per core the process may run on, see taskset)"},
    {"max_body_bytes", SML_PROP_INT, "16777216", 1024, 1e10, NULL, "serve", "Larger request bodies are refused (413)"},
    {"max_connections", SML_PROP_INT, "1024", 1, 1e6, NULL, "serve", "Concurrent connections at most"},
    {"request_timeout", SML_PROP_DURATION, "30s", 1000, 8.64e7, NULL, "serve", "Idle connections are closed after this long"},
    {"csv_columns", SML_PROP_LIST, NULL, NO_RANGE, NULL, "run",
      "Kafka source: the fields of CSV messages, which carry no header (without it messages are JSON lines)"},
    {"key_column", SML_PROP_STRING, NULL, NO_RANGE, NULL, "run replay",
      "Kafka sink: the message key is this output column's value (run: a --keep column, the label or prediction; "
      "replay: an input column)"},
    /* ---- kafka-dev ---- */
    {"brokers", SML_PROP_INT, "1", 1, 16, NULL, "kafka-dev", "Brokers of the mock cluster"},
    {"partitions", SML_PROP_INT, "4", 1, 1000, NULL, "kafka-dev", "Partitions of each topic created"},
    {"topics", SML_PROP_LIST, NULL, NO_RANGE, NULL, "kafka-dev",
      "Topics to create (others are created on first use with --partitions partitions)"},
    {"bootstrap_file", SML_PROP_STRING, NULL, NO_RANGE, NULL, "kafka-dev",
      "Also write the bootstrap address (host:port,...) to this file, once the cluster is up"},
    /* ---- replay ---- */
    {"rate", SML_PROP_DOUBLE, "0", 0, 1e9, NULL, "replay",
      "Records per second, evenly spaced: record i is sent at start + i/rate (0: as fast as possible, or by "
      "--time-column)"},
    {"time_column", SML_PROP_STRING, NULL, NO_RANGE, NULL, "replay",
      "Pace by event time: the record with time t is sent at start + (t - t_first)/speedup. Seconds or "
      "milliseconds since the epoch (--time-unit) or ISO-8601 text (no offset: UTC)"},
    {"speedup", SML_PROP_DOUBLE, "1", 1e-6, 1e9, NULL, "replay", "With --time-column: play event time this many times faster"},
    {"time_unit", SML_PROP_ENUM, "auto", NO_RANGE, "auto|s|ms", "replay",
      "Unit of a numeric --time-column; auto: ms when the first value is at least 1e11 in magnitude, else s"},
    {"loop", SML_PROP_BOOL, "false", NO_RANGE, NULL, "replay",
      "Start over at the end of the data (event time keeps increasing across passes)"},
    {"limit", SML_PROP_INT, "0", 0, 9.2e18, NULL, "replay", "Stop after this many records in total (0: no limit)"},
    {"wait_clients", SML_PROP_INT, "0", 0, 256, NULL, "replay",
      "tcp-listen:// (tcp://: 1): start the clock only once this many clients are connected"},
    {"client_buffer", SML_PROP_INT, "16777216", 1048576, 1e12, NULL, "replay",
      "Bytes queued per TCP client before it is dropped as too slow (tcp://: queued while disconnected, then "
      "records are dropped and counted)"},
    /* ---- output ---- */
    {"output", SML_PROP_STRING, "-", NO_RANGE, NULL, "gen predict report fit",
      "Output file (- for stdout); also -o. fit: also save the model to this file; report: report.svg unless given"},
    {"output_format", SML_PROP_ENUM, "auto", NO_RANGE, "auto|csv|jsonl", "predict run",
      "Output format; auto: from -o's extension, else the input's format"},
    {"progress", SML_PROP_ENUM, "auto", NO_RANGE, "auto|always|never", "*",
      "Progress line on stderr: auto shows it when stderr is a terminal"},
    {"log_level", SML_PROP_ENUM, "info", NO_RANGE, "error|warn|info|debug", "*", "Log verbosity on stderr"},
};

const size_t sml_conf_table_len = sizeof sml_conf_table / sizeof sml_conf_table[0];
