/*
 * load_loop: how long loading the current version of a model store takes (what a hot swap pays before the first
 * prediction with the new model): one store handle, N loads of `current`, the median and the minimum in ms of wall
 * time and the CPU time per load. With PAUSE_MS, each load comes that long after the last one, as swaps do: the
 * caches have gone cold by then and the load of an 8 MB model takes about twice as long as back to back.
 * Used by bench/bench_swap.sh.
 * Usage: load_loop STORE_URI [N] [PAUSE_MS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "streamml/streamml.h"

static double secs(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: load_loop STORE_URI [N] [PAUSE_MS]\n");
        return 2;
    }
    int n = argc > 2 ? atoi(argv[2]) : 30, pause_ms = argc > 3 ? atoi(argv[3]) : 0;
    if (n < 1)
        n = 1;
    sml_error err = SML_ERROR_INIT;
    sml_store *st = NULL;
    if (sml_store_open(argv[1], 0, &st, &err) != 0) {
        fprintf(stderr, "load_loop: %s\n", err.msg);
        return 1;
    }
    double *ms = malloc((size_t)n * sizeof *ms), cpu0 = secs(CLOCK_PROCESS_CPUTIME_ID);
    size_t dim = 0;
    for (int i = 0; i < n && ms; i++) {
        sml_model *m = NULL;
        struct timespec pause = {pause_ms / 1000, (long)(pause_ms % 1000) * 1000000L};
        if (pause_ms > 0)
            nanosleep(&pause, NULL);
        double t0 = secs(CLOCK_MONOTONIC);
        if (sml_store_load(st, 0, &m, &err) != 0) {
            fprintf(stderr, "load_loop: %s\n", err.msg);
            return 1;
        }
        ms[i] = (secs(CLOCK_MONOTONIC) - t0) * 1e3;
        dim = sml_pipeline_dim(sml_model_pipeline(m));
        sml_model_free(m);
    }
    if (!ms)
        return 1;
    double cpu = (secs(CLOCK_PROCESS_CPUTIME_ID) - cpu0) * 1e3 / n;
    qsort(ms, (size_t)n, sizeof *ms, cmp);
    char how[64] = "back to back";
    if (pause_ms > 0)
        snprintf(how, sizeof how, "each %d ms after the last", pause_ms);
    printf("load of %zu weights from %s: median %.2f ms, min %.2f ms, CPU %.2f ms per load (%d loads, %s)\n", dim,
           argv[1], ms[n / 2], ms[0], cpu, n, how);
    free(ms);
    sml_store_close(st);
    return 0;
}
