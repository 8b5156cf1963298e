#ifndef SML_CLI_SCHEMA_UTIL_H
#define SML_CLI_SCHEMA_UTIL_H
#include "cli/cli.h"
#include "streamml/schema.h"
/* Infers the schema of the head of path; returns 0 or an exit code (error printed). */
int cli_infer_schema(const char *cmd, const char *path, const sml_conf *conf, sml_schema **out);
#endif
