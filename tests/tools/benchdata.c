/*
 * Benchmark data: CSV with 10 numeric columns of unequal scales (x0..x9, scale 10^(k/2)), 3 categoricals with
 * 5, 20 and 100 levels (c1..c3), and a label y: linear in all of them plus noise (regression) or drawn from the
 * logistic of it (classification).
 *   benchdata ROWS SEED regression|classification > data.csv
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "streamml/num.h"

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: benchdata ROWS SEED regression|classification\n");
        return 1;
    }
    long rows = atol(argv[1]);
    int cls = strcmp(argv[3], "classification") == 0;
    sml_rng r;
    sml_rng_seed(&r, (uint64_t)atoll(argv[2]));
    static const int levels[3] = {5, 20, 100};
    double w[10], cw[3][100];
    for (int k = 0; k < 10; k++)
        w[k] = sml_rng_normal(&r) / pow(10, k / 2.0);
    for (int c = 0; c < 3; c++)
        for (int l = 0; l < levels[c]; l++)
            cw[c][l] = 0.5 * sml_rng_normal(&r);
    static char out[1 << 16];
    setvbuf(stdout, out, _IOFBF, sizeof out);
    printf("x0,x1,x2,x3,x4,x5,x6,x7,x8,x9,c1,c2,c3,y\n");
    char num[SML_DOUBLE_BUFSZ];
    for (long i = 0; i < rows; i++) {
        double z = 0.3;
        for (int k = 0; k < 10; k++) {
            double scale = pow(10, k / 2.0), x = round(sml_rng_normal(&r) * scale * 1e4) / 1e4;
            z += w[k] * x;
            fputs(num + 0 * sml_format_double(x, num), stdout);
            putchar(',');
        }
        for (int c = 0; c < 3; c++) {
            int l = (int)sml_rng_below(&r, (uint64_t)levels[c]);
            z += cw[c][l];
            printf("%c%d,", 'a' + c, l);
        }
        double y = cls ? (sml_rng_uniform(&r) < 1 / (1 + exp(-z)) ? 1 : 0) : round((z + 0.5 * sml_rng_normal(&r)) * 1e4) / 1e4;
        sml_format_double(y, num);
        puts(num);
    }
    return fflush(stdout) != 0;
}
