/* Shared by fit, predict and eval: settings -> training options, reading a whole file typed, stdin spooling. */
#ifndef SML_CLI_FIT_UTIL_H
#define SML_CLI_FIT_UTIL_H
#include "cli/cli.h"
#include "common/strbuf.h"
#include "streamml/metrics.h"
#include "streamml/schema.h"
#include "streamml/train.h"

typedef struct fit_config {
    sml_train_opts train;
    char **hash_columns, **interactions; /* owned */
    sml_metric metric;
    int metric_set;
    size_t label_input; /* index of the label among the pipeline inputs */
} fit_config;

/* The data file: --data FILE or the first positional argument (prints a usage error and returns NULL). */
const char *fit_data_arg(const cli_args *a, const char *cmd);
int fit_config_from(fit_config *fc, const sml_conf *conf);
void fit_config_release(fit_config *fc);
/* Reads every row of path typed as the pipeline's inputs into t. Returns 0 or an exit code. */
int fit_read_table(const char *cmd, const char *path, const sml_conf *conf, const sml_schema *schema, fit_config *fc,
                   sml_table *t);
int fit_describe_hyper(sml_strbuf *sb, const fit_config *fc, const sml_conf *conf, double l2, double l1, double l2b,
                       int classification);
/* Copies stdin to a temp file; *path is malloc'd. Returns 0 or an exit code. */
int cli_spool_stdin(const char *cmd, char **path);
#endif
