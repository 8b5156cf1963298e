/*
 * solver_data: writes the solver benchmark's data set (bench/bench_solver.sh) as libsvm text.
 *
 *   solver_data ROWS [SEED] > data.svm
 *
 * Each row: 10 numeric features on unequal scales (columns 1-10) and three categorical ones one-hot encoded with
 * 5, 20 and 100 levels (columns 11-15, 16-35, 36-135); the label (+1/-1) is drawn from a logistic model with an
 * offset. Deterministic for a seed (splitmix64, Box-Muller), no dependence on the C library's rand().
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *s) { return ((next(s) >> 11) + 0.5) * 0x1p-53; }

static double normal(uint64_t *s)
{
    return sqrt(-2 * log(uniform(s))) * cos(6.283185307179586 * uniform(s));
}

int main(int argc, char **argv)
{
    if (argc < 2 || atol(argv[1]) <= 0) {
        fprintf(stderr, "usage: solver_data ROWS [SEED]\n");
        return 1;
    }
    long rows = atol(argv[1]);
    uint64_t s = argc > 2 ? strtoull(argv[2], NULL, 10) : 42;
    static const double scale[10] = {1, 10, 0.1, 100, 1, 5, 0.5, 20, 2, 0.05};
    static const int levels[3] = {5, 20, 100};
    double beta[10], effect[125];
    for (int j = 0; j < 10; j++)
        beta[j] = normal(&s) / scale[j];
    for (int k = 0; k < 125; k++)
        effect[k] = 0.7 * normal(&s);
    static char buf[1 << 16];
    setvbuf(stdout, buf, _IOFBF, sizeof buf);
    for (long i = 0; i < rows; i++) {
        double x[10], z = -0.3;
        int cat[3];
        for (int j = 0; j < 10; j++) {
            x[j] = round(normal(&s) * scale[j] * 1e5) / 1e5;
            z += beta[j] * x[j];
        }
        for (int c = 0, offset = 0; c < 3; offset += levels[c], c++) {
            cat[c] = offset + (int)(next(&s) % (uint64_t)levels[c]);
            z += effect[cat[c]];
        }
        int y = uniform(&s) < 1 / (1 + exp(-z)) ? 1 : -1;
        printf("%d", y);
        for (int j = 0; j < 10; j++)
            printf(" %d:%.5f", j + 1, x[j]);
        printf(" %d:1 %d:1 %d:1\n", 11 + cat[0], 11 + cat[1], 11 + cat[2]);
    }
    return fflush(stdout) ? 2 : 0;
}
