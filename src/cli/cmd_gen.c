/*
 * streamml gen: writes a synthetic dataset (include/streamml/gen.h) as CSV or JSON lines, and optionally its true
 * model (--truth). Output goes straight to a file descriptor through sml_textout, in constant memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "streamml/gen.h"

#define CMD "gen"
#define CHUNK_ROWS 65536 /* rows between progress updates */

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* --format, or with auto the output's extension (.jsonl/.ndjson: JSON lines; anything else, stdout too: CSV). */
static int pick_format(const char *format, const char *output, sml_text_format *out)
{
    if (strcmp(format, "csv") == 0) {
        *out = SML_TEXT_CSV;
        return 0;
    }
    if (strcmp(format, "jsonl") == 0) {
        *out = SML_TEXT_JSONL;
        return 0;
    }
    if (ends_with(output, ".gz") || ends_with(output, ".zst")) {
        cli_error(CMD, "%s: gen does not write compressed files; pipe the output through gzip or zstd", output);
        return -1;
    }
    *out = ends_with(output, ".jsonl") || ends_with(output, ".ndjson") ? SML_TEXT_JSONL : SML_TEXT_CSV;
    return 0;
}

static int open_output(const char *path)
{
    if (strcmp(path, "-") == 0)
        return STDOUT_FILENO;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0)
        cli_error(CMD, "%s: %s", path, strerror(errno));
    return fd;
}

static int close_output(int fd, const char *path)
{
    if (fd == STDOUT_FILENO || fd < 0)
        return 0;
    if (close(fd) != 0) {
        cli_error(CMD, "%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int write_truth(const sml_gen *g, const char *path)
{
    sml_error err = SML_ERROR_INIT;
    int fd = open_output(path);
    if (fd < 0)
        return EXIT_RUNTIME;
    int rc = sml_gen_truth_json(g, sml_write_fd, &fd, &err);
    if (close_output(fd, path) != 0)
        return EXIT_RUNTIME;
    if (rc < 0) {
        sml_error_prefix(&err, "%s", path);
        return cli_fail(CMD, &err);
    }
    return EXIT_OK;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int cmd_gen(int argc, char **argv)
{
    cli_args a;
    int code;
    sml_error err = SML_ERROR_INIT;
    sml_gen *g = NULL;
    sml_textout *out = NULL;
    int fd = -1;
    const char *output = "-", *truth;
    sml_gen_kind kind;
    sml_text_format format;
    if (cli_parse(cli_find_command(CMD), argc, argv, &a, &code))
        goto out;
    code = EXIT_USAGE;
    if (a.npositional != 1) {
        cli_error(CMD, "expected one dataset name (loans or feed), see `streamml gen --help`");
        goto out;
    }
    if (sml_gen_kind_parse(a.positional[0], &kind, &err) != 0) {
        code = cli_fail(CMD, &err);
        goto out;
    }
    output = sml_conf_str(a.conf, "output");
    truth = sml_conf_str(a.conf, "truth");
    if (pick_format(sml_conf_str(a.conf, "format"), output, &format) != 0)
        goto out;
    uint64_t rows = (uint64_t)sml_conf_int(a.conf, "rows");
    uint64_t seed = (uint64_t)sml_conf_int(a.conf, "seed");
    uint64_t drift_at = (uint64_t)sml_conf_int(a.conf, "drift_at");

    code = EXIT_RUNTIME;
    if (!(g = sml_gen_new(kind, seed, drift_at, &err))) {
        code = cli_fail(CMD, &err);
        goto out;
    }
    if (truth && (code = write_truth(g, truth)) != EXIT_OK)
        goto out;
    code = EXIT_RUNTIME;
    if ((fd = open_output(output)) < 0)
        goto out;
    out = sml_textout_new(format, ',', sml_gen_colnames(g), sml_gen_ncols(g), sml_write_fd, &fd, &err);
    if (!out || sml_textout_header(out, &err) != 0)
        goto fail;
    int progress = cli_progress_enabled(a.conf);
    double start = now_seconds();
    for (uint64_t done = 0; done < rows;) {
        uint64_t n = rows - done < CHUNK_ROWS ? rows - done : CHUNK_ROWS;
        if (sml_gen_write(g, out, n, &err) != 0)
            goto fail;
        done += n;
        if (progress)
            fprintf(stderr, "\rgen: %llu / %llu rows", (unsigned long long)done, (unsigned long long)rows);
    }
    if (sml_textout_flush(out, &err) != 0)
        goto fail;
    if (progress) {
        double secs = now_seconds() - start;
        fprintf(stderr, "\rgen: %llu rows in %.2f s (%.0f rows/s)\n", (unsigned long long)rows, secs,
                secs > 0 ? (double)rows / secs : 0.0);
    }
    code = close_output(fd, output) == 0 ? EXIT_OK : EXIT_RUNTIME;
    fd = -1;
    goto out;
fail:
    sml_error_prefix(&err, "%s", strcmp(output, "-") == 0 ? "stdout" : output);
    code = cli_fail(CMD, &err);
out:
    if (fd >= 0)
        close_output(fd, output);
    sml_textout_free(out);
    sml_gen_free(g);
    cli_args_release(&a);
    return code;
}
