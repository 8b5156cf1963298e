/* Batch-command input with the shared handling of bad records (see input_util.c). */
#ifndef SML_CLI_INPUT_H
#define SML_CLI_INPUT_H
#include <errno.h>
#include <stdint.h>

#include "cli/cli.h"
#include "streamml/io.h"

typedef struct cli_input {
    const char *cmd;
    sml_input *in;
    FILE *errors;
    uint64_t nbad;
    int64_t max_errors;
} cli_input;

/* Returns 0, or an exit code after printing the error. */
int cli_input_open(cli_input *ci, const char *cmd, const char *path, const sml_conf *conf);
/* Returns rows + bad rows, 0 at the end, or -1 with *exit_code set (the error is printed). */
int cli_input_next(cli_input *ci, sml_batch *b, int *exit_code);
void cli_input_close(cli_input *ci);
/* "a,b,c" -> NULL-terminated malloc'd array (NULL for NULL). */
char **cli_split_list(const char *list);
void cli_free_list(char **list);
#endif
