/*
 * Internal: the deterministic random number generator behind `streamml gen` (and later sampling, shuffling).
 * xoshiro256** (Blackman & Vigna) seeded through splitmix64, with the draws the generators need. The state is a
 * plain value owned by its user: no global state, so two generators never see each other. The same seed gives
 * the same sequence on every run; the continuous draws call libm (log, exp, sqrt), so the last bit can in
 * principle differ between libm versions.
 */
#ifndef SML_RNG_H
#define SML_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct sml_rng {
    uint64_t s[4];
    double spare;  /* second normal of the last polar pair */
    int has_spare;
} sml_rng;

/* Seeds the state from one 64-bit seed (splitmix64 expands it, so nearby seeds give unrelated streams). */
void sml_rng_seed(sml_rng *r, uint64_t seed);
/* Next 64 random bits. */
uint64_t sml_rng_next(sml_rng *r);
/* Uniform on [0, 1), 53 random bits. */
double sml_rng_uniform(sml_rng *r);
/* Uniform integer in [0, n), without modulo bias (n > 0). */
uint64_t sml_rng_below(sml_rng *r, uint64_t n);
/* Standard normal (Marsaglia's polar method; the pair's second value is kept for the next call). */
double sml_rng_normal(sml_rng *r);
/* exp(mu + sigma * normal). */
double sml_rng_lognormal(sml_rng *r, double mu, double sigma);
/* Gamma with this shape (> 0) and scale 1 (Marsaglia & Tsang; shape < 1 by the u^(1/shape) boost). */
double sml_rng_gamma(sml_rng *r, double shape);
/* Poisson with mean lambda >= 0 (inversion for small means, Hoermann's PTRS above 10). */
uint64_t sml_rng_poisson(sml_rng *r, double lambda);
/* Negative binomial as a gamma-Poisson mixture: mean `mean`, variance mean + mean^2/k (k > 0: smaller k is a
 * heavier tail and more zeros). */
uint64_t sml_rng_negbin(sml_rng *r, double mean, double k);
/* Index i with probability proportional to weight i, given the running sums cumulative[0..n-1]
 * (cumulative[n-1] is the total, > 0). */
size_t sml_rng_categorical(sml_rng *r, const double *cumulative, size_t n);

#endif
