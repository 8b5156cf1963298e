/* Benchmark of the online learners' per-record cost (src/optim/online.h): margin + update of the default
 * normalized learner, squared and logistic loss, 16 non-zeros per record at random indices, dim 2^10 vs 2^20; and
 * the same with l2 + l1 + l2-to-base, whose lazy catch-up must keep the cost independent of dim. The stream is
 * pre-generated (1M records cycling over 2^16 distinct rows) so only the learner is timed. Prints lines like
 * "online normalized squared dim=2^20: 9.1 M updates/s". CPU time, best of 2. The per-record work does not
 * depend on dim; what remains of a difference between 2^10 and 2^20 is cache misses (32 MB of coordinate state
 * against 32 KB). For scale, the last line times one O(dim) pass over the state (sml_learner_weights) at 2^20:
 * what every record would cost if the penalties were applied eagerly. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/rng.h"
#include "optim/online.h"

#define NNZ 16
#define DISTINCT (1u << 16)
#define RECORDS (1u << 20)

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static volatile double sink;

static double rate(const char *learner, const sml_loss *loss, unsigned bits, int penalized, const uint32_t *idx,
                   const double *val, const double *y)
{
    double best = 0;
    for (int run = 0; run < 2; run++) {
        sml_online_opts o = SML_ONLINE_OPTS_INIT;
        o.learner = learner;
        o.loss = loss;
        o.dim = (size_t)1 << bits;
        if (penalized) {
            o.l2 = 1e-4;
            o.l1 = 1e-5;
            o.l2_to_base = 1e-4;
        }
        sml_learner *l;
        sml_error err = SML_ERROR_INIT;
        if (sml_learner_new(&o, &l, &err)) {
            fprintf(stderr, "bench_online: %s\n", err.msg);
            exit(1);
        }
        uint32_t mask = (uint32_t)o.dim - 1;
        uint32_t row[NNZ];
        double t0 = now(), acc = 0;
        for (uint32_t r = 0; r < RECORDS; r++) {
            uint32_t k = r & (DISTINCT - 1);
            for (int q = 0; q < NNZ; q++) /* a row's indices folded into this dim (the fold is not timed apart) */
                row[q] = idx[k * NNZ + q] & mask;
            double z = sml_learner_margin(l, row, val + (size_t)k * NNZ, NNZ);
            sml_learner_update(l, row, val + (size_t)k * NNZ, NNZ, y[k], 1.0, z);
            acc += z;
        }
        double t = now() - t0;
        sink += acc;
        sml_learner_free(l);
        if (RECORDS / t / 1e6 > best)
            best = RECORDS / t / 1e6;
    }
    return best;
}

int main(void)
{
    uint32_t *idx = malloc((size_t)DISTINCT * NNZ * sizeof *idx);
    double *val = malloc((size_t)DISTINCT * NNZ * sizeof *val), *yreg = malloc(DISTINCT * sizeof(double)),
           *ycls = malloc(DISTINCT * sizeof(double));
    if (!idx || !val || !yreg || !ycls)
        return 1;
    sml_rng r;
    sml_rng_seed(&r, 1);
    for (uint32_t k = 0; k < DISTINCT; k++) {
        double z = 0;
        for (int q = 0; q < NNZ; q++) {
            uint32_t j;
            int again;
            do { /* distinct within the row even after folding to 2^10 */
                j = (uint32_t)sml_rng_below(&r, 1u << 20);
                again = 0;
                for (int p = 0; p < q; p++)
                    again |= (idx[k * NNZ + p] & 1023) == (j & 1023);
            } while (again);
            idx[k * NNZ + q] = j;
            val[k * NNZ + q] = sml_rng_normal(&r);
            z += val[k * NNZ + q] * ((j & 7) - 3.5) * 0.1;
        }
        yreg[k] = z + 0.1 * sml_rng_normal(&r);
        ycls[k] = z + sml_rng_normal(&r) > 0 ? 1 : -1;
    }
    const sml_loss *losses[2] = {&sml_loss_squared, &sml_loss_logistic};
    for (int penalized = 0; penalized < 2; penalized++)
        for (int li = 0; li < 2; li++)
            for (unsigned bits = 10; bits <= 20; bits += 10) {
                double m = rate("normalized", losses[li], bits, penalized, idx, val, li ? ycls : yreg);
                printf("online normalized %s%s dim=2^%u: %.1f M updates/s\n", losses[li]->name,
                       penalized ? " +l2,l1,l2_to_base" : "", bits, m);
                fflush(stdout);
            }
    for (unsigned bits = 10; bits <= 20; bits += 10) {
        printf("online sgd squared +l2,l1,l2_to_base dim=2^%u: %.1f M updates/s\n", bits,
               rate("sgd", &sml_loss_squared, bits, 1, idx, val, yreg));
        printf("online ftrl logistic +l2,l1 dim=2^%u: %.1f M updates/s\n", bits,
               rate("ftrl", &sml_loss_logistic, bits, 1, idx, val, ycls));
        fflush(stdout);
    }
    {
        sml_online_opts o = SML_ONLINE_OPTS_INIT;
        o.dim = (size_t)1 << 20;
        o.l2 = 1e-4;
        sml_learner *l;
        double *theta = malloc((o.dim + 1) * sizeof(double));
        if (!theta || sml_learner_new(&o, &l, NULL))
            return 1;
        double t0 = now();
        for (int i = 0; i < 10; i++) {
            sml_learner_weights(l, theta);
            sink += theta[i];
        }
        double t = (now() - t0) / 10;
        printf("one O(dim) pass at dim=2^20 (eager penalties would cost this per record): %.2f ms = %.4f M "
               "updates/s\n", t * 1e3, 1e-6 / t);
        free(theta);
        sml_learner_free(l);
    }
    free(idx);
    free(val);
    free(yreg);
    free(ycls);
    return 0;
}
