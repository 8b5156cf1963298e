/*
 * Deterministic random numbers (src/common/rng.h): xoshiro256** seeded by splitmix64, and the distributions the
 * synthetic data generators draw from. Both generators are public-domain algorithms by Blackman and Vigna; the
 * samplers follow Marsaglia (polar normal), Marsaglia & Tsang (gamma) and Hoermann (PTRS Poisson).
 */
#include "common/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void sml_rng_seed(sml_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
    /* an all-zero state is the one xoshiro cannot leave; splitmix64 never yields four zeros, but be sure */
    if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
        r->s[0] = 1;
    r->spare = 0;
    r->has_spare = 0;
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t sml_rng_next(sml_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double sml_rng_uniform(sml_rng *r)
{
    return (double)(sml_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform on (0, 1): for logarithms. */
static double uniform_open(sml_rng *r)
{
    return ((double)(sml_rng_next(r) >> 11) + 0.5) * 0x1.0p-53;
}

uint64_t sml_rng_below(sml_rng *r, uint64_t n)
{
    /* reject the top partial block so every residue is equally likely */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = sml_rng_next(r);
    while (x >= limit);
    return x % n;
}

double sml_rng_normal(sml_rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u, v, s;
    do {
        u = 2 * sml_rng_uniform(r) - 1;
        v = 2 * sml_rng_uniform(r) - 1;
        s = u * u + v * v;
    } while (s >= 1 || s == 0);
    double f = sqrt(-2 * log(s) / s);
    r->spare = v * f;
    r->has_spare = 1;
    return u * f;
}

double sml_rng_lognormal(sml_rng *r, double mu, double sigma)
{
    return exp(mu + sigma * sml_rng_normal(r));
}

double sml_rng_gamma(sml_rng *r, double shape)
{
    if (shape < 1) {
        /* G(a) = G(a + 1) * U^(1/a) */
        double g = sml_rng_gamma(r, shape + 1);
        return g * pow(uniform_open(r), 1 / shape);
    }
    double d = shape - 1.0 / 3, c = 1 / sqrt(9 * d);
    for (;;) {
        double x, v;
        do {
            x = sml_rng_normal(r);
            v = 1 + c * x;
        } while (v <= 0);
        v = v * v * v;
        double u = uniform_open(r), x2 = x * x;
        if (u < 1 - 0.0331 * x2 * x2 || log(u) < 0.5 * x2 + d * (1 - v + log(v)))
            return d * v;
    }
}

uint64_t sml_rng_poisson(sml_rng *r, double lambda)
{
    if (!(lambda > 0))
        return 0;
    if (lambda < 10) {
        /* inversion: walk the CDF with one uniform */
        double p = exp(-lambda), cdf = p, u = sml_rng_uniform(r);
        uint64_t k = 0;
        while (u > cdf && k < 1000) {
            k++;
            p *= lambda / (double)k;
            cdf += p;
        }
        return k;
    }
    /* PTRS: transformed rejection with squeeze (Hoermann 1993) */
    double slam = sqrt(lambda), loglam = log(lambda);
    double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
    double inv_alpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
        double u = sml_rng_uniform(r) - 0.5, v = uniform_open(r);
        double us = 0.5 - fabs(u);
        double k = floor((2 * a / us + b) * u + lambda + 0.43);
        if (us >= 0.07 && v <= vr)
            return (uint64_t)k;
        if (k < 0 || (us < 0.013 && v > us))
            continue;
        int sign;
        if (log(v) + log(inv_alpha) - log(a / (us * us) + b) <= -lambda + k * loglam - lgamma_r(k + 1, &sign))
            return (uint64_t)k;
    }
}

uint64_t sml_rng_negbin(sml_rng *r, double mean, double k)
{
    if (!(mean > 0))
        return 0;
    return sml_rng_poisson(r, sml_rng_gamma(r, k) * mean / k);
}

size_t sml_rng_categorical(sml_rng *r, const double *cumulative, size_t n)
{
    double u = sml_rng_uniform(r) * cumulative[n - 1];
    for (size_t i = 0; i + 1 < n; i++)
        if (u < cumulative[i])
            return i;
    return n - 1;
}
