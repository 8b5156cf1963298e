/*
 * streamml: the command. A git-style dispatch table; each subcommand lives in cmd_<name>.c.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const cli_command commands[] = {
    {"gen", cmd_gen, "Generate a deterministic synthetic dataset (loans, feed)",
     "gen loans|feed [--rows N] [--seed S] [--format csv|jsonl] [--drift-at ROW] [--truth FILE] [-o FILE]",
     "Writes a synthetic dataset. `loans` has the 14 columns of the LendingClub loan data with a not.fully.paid\n"
     "label drawn from a logistic model; `feed` has the seed-000 feed columns with metadata_numPhotos drawn from a\n"
     "linear model plus noise. The same seed gives the same bytes. --drift-at changes the true coefficients at that\n"
     "row; --truth writes the coefficients used (JSON)."},
    {"schema", cmd_schema, "Infer and print the schema of a CSV or JSONL file",
     "schema FILE|- [--json] [--sample-rows N] [--categorical COLS] [--numeric COLS] [--label COL]",
     "Reads the head of the input (--sample-rows records), decides for each column whether it is numeric or\n"
     "categorical, and prints its missing rate, cardinality and range. The JSON form (--json) can be edited and\n"
     "given back with --schema FILE to override inference."},
    {"fit", cmd_fit, "Train a model in batch (with cross-validation) and publish it to a model store",
     "fit --data FILE|- --label COL [--store DIR] [-o MODEL] [--cv K | --holdout F] [--grid \"l2=... l1=...\"] ...",
     "Infers the schema, fits the feature pipeline (imputation, scaling, one-hot or hashing) and a linear model\n"
     "(regression) or logistic model (a two-valued label), minimising\n"
     "    (1/W) sum_i w_i loss_i + (l2/2)||w||^2 + l1||w||_1 + (l2_to_base/2)||theta - theta_base||^2\n"
     "with W the sum of the sample weights (1 each by default), squared loss (1/2)(y - yhat)^2 or log loss\n"
     "log(1 + exp(-y z)) with y in {-1, +1}; l2 and l1 never touch the intercept, l2_to_base does. So l2 = alpha/n\n"
     "of scikit-learn's Ridge and 1/(C n) of its LogisticRegression. With --cv or --holdout every --grid setting is\n"
     "validated (the pipeline is refitted on each training fold), the table of mean +- sd is printed, and the best\n"
     "setting by --metric is refitted on all the data. The model (pipeline included) is published as a new version\n"
     "of --store and/or saved to -o FILE."},
    {"predict", cmd_predict, "Score a file with a model; write predictions as CSV or JSON lines",
     "predict --model STORE|FILE --data FILE|- [-o FILE] [--keep COLS] [--format csv|jsonl]",
     "Applies the model's own fitted pipeline to every record and writes the --keep columns (and the label when\n"
     "present), then prediction (the value, or the class), probability (classification) and model_version.\n"
     "The output format follows -o's extension, else --format, else the input's."},
    {"eval", cmd_eval, "Evaluate a model on labelled data", "eval --model STORE|FILE --data FILE|- [--json]",
     "Scores labelled data with the model and prints AUC, log loss, accuracy and F1 (classification) or RMSE, MAE,\n"
     "R2 and MSE (regression)."},
    {"inspect", cmd_inspect, "Print a model readably", "inspect --model STORE|FILE [--json]",
     "Prints the model's format version, task, label, pipeline, training summary, metrics and its weights by\n"
     "feature name, largest first, with hash collisions among the training data's features."},
    {"report", cmd_report, "Draw run metrics files as an SVG or HTML report",
     "report METRICS.jsonl... [-o report.svg|report.html] [--metric NAME] [--x-axis records|time] [--top K] ...",
     "Reads the metrics files of `streamml run --metrics FILE` (docs/METRICS.md) and draws, with no external tool,\n"
     "the prequential metric over records (thick: cumulative, thin: per batch), one line per run, and for runs with\n"
     "--trace-weights the K largest weights over records. -o's extension chooses the format: .svg (one SVG file,\n"
     "the default report.svg) or .html (the SVG inline and a table of each run's final metrics and records/s).\n"
     "A file holding several appended runs gives one line per run; missing values leave gaps in the lines."},
    {"run", cmd_run, "Run a stream: score records with a model and/or keep learning from them",
     "run --from URI [--model STORE|FILE] [--learn [--label COL]] [--to URI] [--batch-size N] [--batch-interval D]\n"
     "       [--learner normalized|sgd|adagrad|ftrl|rls|spark] [--base M --l2-to-base L] [--state DIR] [--metrics F]",
     "The stream engine: source -> parser -> the pipeline -> predict -> (learn) -> sink. Sources: a file, - (stdin),\n"
     "dir:PATH (complete new files, never the run's own output), tcp://host:port (reconnecting),\n"
     "tcp-listen://host:port (any number of producers), kafka://host:port[,...]/topic?group=G&offset=earliest|latest\n"
     "(a consumer group member; JSON-lines messages, or CSV with --csv-columns). Sinks: a file (.csv/.jsonl),\n"
     "- (stdout), null:, kafka://host:port/topic (one message per row, idempotent producer, --key-column C).\n"
     "Kafka offsets are committed only after the sink took the batch (at-least-once; see README).\n"
     "Batches close on --batch-size records or --batch-interval, whichever comes first. With --learn every labelled\n"
     "record is scored first, then learned from (prequential), so the weights do not depend on the batch size.\n"
     "Start from a published model (--model; its pipeline comes with it), or from scratch with --learn --label COL:\n"
     "the schema comes from the head of the stream and categoricals are hashed. --l2-to-base keeps the weights\n"
     "near a base model: the per-record objective is loss + (l2/2)||w||^2 + l1||w||_1 + (l2_to_base/2)||theta -\n"
     "theta_base||^2, the same as fit's. Bad records go to --dead-letter with the reason; NaN/Inf features are never\n"
     "learned from. --metrics writes prequential metrics per batch (docs/METRICS.md), --state checkpoints and resumes,\n"
     "--publish-every publishes the online model to --store. SIGINT/SIGTERM finish the batch, flush and checkpoint."},
    {"serve", cmd_serve, "HTTP prediction service over the current model, reloaded live",
     "serve --model STORE|FILE [--listen 127.0.0.1:8080] [--threads N] [--max-body-bytes N]",
     "POST /predict with one JSON object ({\"fico\": 700, ...}) answers {\"prediction\": ..., \"probability\": ...,\n"
     "\"model_version\": N}; a JSON array of objects, or a CSV body (Content-Type: text/csv), answers\n"
     "{\"model_version\": N, \"predictions\": [...]}. Features that are absent are missing (imputed as in training);\n"
     "unknown fields are ignored; a malformed body is a 400 that names the problem. GET /model, /healthz, /metrics\n"
     "(Prometheus). A store's new current version is swapped in live. Binds to localhost unless --listen says otherwise."},
    {"store", cmd_store, "List a model store's versions, roll back, pin, garbage-collect",
     "store list|gc [--keep-versions N] --store DIR\n       streamml store rollback|pin|unpin VERSION --store DIR",
     "list: every version with its creation time, rows and validation metric, marking current and pinned ones.\n"
     "rollback VERSION: make an older (readable) version current again. pin/unpin VERSION: protect a version\n"
     "(e.g. the base of a running --l2-to-base stream) from gc. gc: remove old versions, keeping the newest\n"
     "--keep-versions, the current one, the one before it (the rollback target) and pinned ones."},
    {"replay", cmd_replay, "Play a CSV/JSONL dataset as a live stream (paced, looped) to a file, stdout, TCP or Kafka",
     "replay --data FILE|- --to URI [--rate N | --time-column COL [--speedup X] [--time-unit s|ms]] [--loop]\n"
     "       [--limit N] [--wait-clients N] [--client-buffer BYTES]",
     "Sends the records of a CSV or JSON-lines file (plain, .gz or .zst) as their original bytes: the CSV header\n"
     "first to each new file or connection, then one record after another (blank lines and records the reader\n"
     "rejects are skipped). --rate N sends record i at start + i/N, evenly (groups of what is due, at most every\n"
     "millisecond); --time-column COL sends by event time, (t - t_first)/--speedup after the start (seconds or\n"
     "milliseconds since the epoch, or ISO-8601 text); otherwise as fast as the sink takes them. --loop starts over\n"
     "at the end (event time keeps increasing), --limit stops after N records.\n"
     "Sinks: - (stdout), a file, null:, tcp-listen://host:port (a server: every client gets every record from when\n"
     "it connects; a client whose queue exceeds --client-buffer is dropped, the others go on; --wait-clients N\n"
     "holds the start until N are connected), tcp://host:port (connects, reconnects with backoff; records made\n"
     "while disconnected wait in a --client-buffer queue, beyond that they are dropped and counted).\n"
     "At the end one line gives the achieved rate (records / elapsed), the largest gap between sends and the\n"
     "drops. SIGINT/SIGTERM stop cleanly."},
    {"kafka-dev", cmd_kafka_dev, "A local Kafka-protocol cluster (librdkafka's mock) for development and tests",
     "kafka-dev [--brokers N] [--partitions N] [--topics t1,t2] [--bootstrap-file F]",
     "Starts librdkafka's in-process mock cluster, creates --topics with --partitions partitions each (other topics\n"
     "are created on first use), prints the bootstrap address (host:port,...) on stdout and stays up until\n"
     "SIGINT/SIGTERM. SIGUSR1 takes every broker down, SIGUSR2 brings them back. Point `run --from/--to\n"
     "kafka://ADDRESS/topic` and kcat at it. A mock: it keeps only a few MB per partition, transactions are not real,\n"
     "a group join takes about 3 s; for production use a real cluster."},
    {"help", cmd_help, "Show help for a command, or `help config` for every setting", "help [COMMAND|config]",
     NULL},
};

static const size_t ncommands = sizeof commands / sizeof commands[0];

const cli_command *cli_find_command(const char *name)
{
    for (size_t i = 0; i < ncommands; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: streamml <command> [options]\n\n"
                 "streamml trains, applies and keeps updating machine-learning models on live data streams.\n\n"
                 "Commands:\n");
    for (size_t i = 0; i < ncommands; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nEvery command takes --help, --set KEY=VALUE and --config FILE.\n"
                 "`streamml help config` lists every setting. `streamml --version` prints the version.\n");
}

static void print_config_markdown(FILE *out)
{
    size_t n;
    const sml_prop *p = sml_conf_props(&n);
    static const char *tname[] = {"int", "number", "bool", "string", "duration", "enum", "list"};
    fprintf(out, "# Settings\n\nGenerated by `streamml help config --markdown` from the property table "
                 "(src/common/conf_props.c); do not edit by hand.\nA flag `--a-b VALUE` is the key `a_b`; the same "
                 "key works as `--set a_b=VALUE` and as a line `a_b = VALUE` in a `--config FILE`. Keys with a dot "
                 "(`kafka.*`) are passed through to the component they name. Durations carry a unit (ms, s, m, h).\n\n"
                 "| key | type | default | commands | meaning |\n|---|---|---|---|---|\n");
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "| `%s` | %s", p[i].name, tname[p[i].type]);
        if (p[i].choices) {
            fputs(" (", out);
            for (const char *c = p[i].choices; *c; c++)
                fputs(*c == '|' ? ", " : (char[]){*c, 0}, out);
            fputs(")", out);
        }
        fprintf(out, " | %s | %s | ", p[i].def ? p[i].def : "", p[i].commands);
        for (const char *c = p[i].doc; *c; c++)
            fputs(*c == '|' ? "\\|" : (char[]){*c, 0}, out);
        fputs(" |\n", out);
    }
}

static void print_config(FILE *out)
{
    size_t n;
    const sml_prop *p = sml_conf_props(&n);
    static const char *tname[] = {"int", "number", "bool", "string", "duration", "enum", "list"};
    fprintf(out, "Settings (flag --a-b is key a_b; also --set a_b=VALUE or a config file line a_b = VALUE).\n"
                 "Keys with a dot (kafka.*) are passed through to the component they name.\n\n");
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "%-20s %-8s default: %s", p[i].name, tname[p[i].type], p[i].def ? p[i].def : "(unset)");
        if (p[i].choices)
            fprintf(out, "  one of: %s", p[i].choices);
        if (p[i].min <= p[i].max && p[i].type != SML_PROP_DURATION)
            fprintf(out, "  range: [%.15g, %.15g]", p[i].min, p[i].max);
        fprintf(out, "\n    %s\n    used by: %s\n", p[i].doc, p[i].commands);
    }
}

int cmd_help(int argc, char **argv)
{
    if (argc < 2) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "config") == 0) {
        if (argc > 2 && strcmp(argv[2], "--markdown") == 0)
            print_config_markdown(stdout);
        else
            print_config(stdout);
        return EXIT_OK;
    }
    const cli_command *c = cli_find_command(argv[1]);
    if (!c) {
        cli_error("help", "unknown command \"%s\" (see `streamml --help`)", argv[1]);
        return EXIT_USAGE;
    }
    cli_print_command_help(c, stdout);
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("streamml %s\n", sml_version());
        return EXIT_OK;
    }
    const cli_command *c = cli_find_command(argv[1]);
    if (!c) {
        fprintf(stderr, "streamml: unknown command \"%s\" (see `streamml --help`)\n", argv[1]);
        return EXIT_USAGE;
    }
    return c->run(argc - 1, argv + 1);
}
