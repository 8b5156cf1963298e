/*
 * The `streamml` command: dispatch table (main.c), argument parsing onto the property table (args.c),
 * and one cmd_<name>.c per subcommand. Only this folder prints and chooses exit codes:
 * 0 ok, 1 usage error, 2 runtime failure.
 */
#ifndef SML_CLI_H
#define SML_CLI_H

#include <stdio.h>

#include "streamml/streamml.h"

enum { EXIT_OK = 0, EXIT_USAGE = 1, EXIT_RUNTIME = 2 };

typedef struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
    const char *usage; /* synopsis lines after "streamml <name>" */
    const char *help;  /* a paragraph printed by --help before the options */
} cli_command;

/* Parsed command line: options go into conf, everything else into positional. */
typedef struct cli_args {
    const cli_command *cmd;
    sml_conf *conf;
    char **positional;
    int npositional;
} cli_args;

/* Parses argv (argv[0] is the command name) into args. Handles --help (prints, returns 1 with *exit_code 0),
 * --set k=v, --config FILE, --flag value, --flag=value, bare boolean flags and -o. Returns 0 to go on, or
 * 1 when the caller should exit with *exit_code. */
int cli_parse(const cli_command *cmd, int argc, char **argv, cli_args *args, int *exit_code);
void cli_args_release(cli_args *args);

/* Prints "streamml <cmd>: <message>" to stderr. */
void cli_error(const char *cmd, const char *fmt, ...) SML_PRINTF(2, 3);
/* Prints an sml_error for a failed call; returns the exit code that goes with it (1 for EINVAL, else 2). */
int cli_fail(const char *cmd, const sml_error *err);
/* Help for one command (synopsis, paragraph, its options from the property table). */
void cli_print_command_help(const cli_command *cmd, FILE *out);
/* 1 when the progress line should be drawn (progress=always, or auto and stderr is a terminal). */
int cli_progress_enabled(const sml_conf *conf);

const cli_command *cli_find_command(const char *name);

/* The terminal side of a long-running command: log lines on stderr filtered by --log-level, and a progress line
 * (redrawn in place) that log lines never mix with. */
typedef struct cli_ui {
    const char *cmd;
    int level;      /* 0 error .. 3 debug */
    int progress;   /* draw the progress line */
    int line_drawn; /* a progress line is on the screen */
} cli_ui;

void cli_ui_init(cli_ui *ui, const char *cmd, const sml_conf *conf);
/* A log callback for the library (opaque = the cli_ui). */
void cli_ui_log(void *opaque, int level, const char *msg);
/* Starts a progress line (clears the old one); 0 when progress is off. End it with cli_ui_progress_end. */
int cli_ui_progress_begin(cli_ui *ui);
void cli_ui_progress_end(cli_ui *ui);
/* Leaves the line with the progress on it (before the final summary). */
void cli_ui_finish(cli_ui *ui);

/* SIGINT and SIGTERM call handler (SA_RESTART: a blocking open goes on; the library's waits poll a stop flag);
 * SIGPIPE is ignored (a closed reader is a write error, not a death). */
void cli_on_stop(void (*handler)(int));

/* Subcommands. */
int cmd_help(int argc, char **argv);
int cmd_schema(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_fit(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_store(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_kafka_dev(int argc, char **argv);

#endif
