/*
 * Synthetic data sources (include/streamml/gen.h): the start of the data flow for demos, benchmarks and tests.
 * A generator makes rows in batches of fixed-precision cells (an integer scaled by 10^decimals, or a category
 * index), then either formats them with sml_textout or puts them into an sml_batch. The label is drawn from the
 * regime's coefficients applied to the cells exactly as written, so the truth is exact, not approximate.
 *
 * Layout: column tables and true coefficients of each dataset, then the row makers, then the shared machinery.
 */
#include "streamml/gen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "streamml/num.h"

#define GEN_BATCH 512  /* rows made at a time */
#define GEN_MAXCOLS 16
#define GEN_MAXLEVELS 8

typedef struct gen_col {
    const char *name;
    int decimals;                /* numbers: digits after the point; categories: -1 */
    const char *const *levels;   /* categories: the values ... */
    const double *weights;       /* ... and how often each is drawn (relative) */
    size_t nlevels;
} gen_col;

/* One regime of the true model: coefficients by column index (numbers in num[], categories in cat[][level]).
 * The label column's entries are unused. */
typedef struct gen_regime {
    double intercept;
    double num[GEN_MAXCOLS];
    double cat[GEN_MAXCOLS][GEN_MAXLEVELS];
    double noise_sd; /* identity link only */
} gen_regime;

struct sml_gen;
typedef void (*gen_row_fn)(struct sml_gen *g, int64_t *cells);
typedef void (*gen_init_fn)(struct sml_gen *g);

typedef struct gen_def {
    const char *name;
    const gen_col *cols;
    size_t ncols; /* the last is the label */
    int logistic; /* 1: label ~ Bernoulli(sigmoid(eta)); 0: label = eta + noise */
    const gen_regime *regimes[2];
    gen_row_fn make_features;
    gen_init_fn init; /* precomputes tables, may be NULL */
} gen_def;

/* Loans: distributions that depend on fico only through its 44 values are tabulated once per generator. */
#define FICO_LEVELS 44 /* 612, 617, ... 827 */
#define COUNT_CAP 33   /* largest count tabulated (inq.last.6mths) */
#define RATE_CELLS 1565 /* int.rate 0.0600 ... 0.2164 */
enum { COUNT_INQ, COUNT_DELINQ, COUNT_PUB_REC, COUNT_N };
typedef struct loan_tables {
    double count_cdf[COUNT_N][FICO_LEVELS][COUNT_CAP + 1];
    double annuity[RATE_CELLS]; /* monthly payment per unit borrowed over 36 months */
} loan_tables;

struct sml_gen {
    const gen_def *def;
    sml_rng rng;
    uint64_t seed, drift_at, row;
    double cumulative[GEN_MAXCOLS][GEN_MAXLEVELS]; /* running sums of the category weights */
    int64_t cells[GEN_BATCH * GEN_MAXCOLS];
    const char *names[GEN_MAXCOLS];
    loan_tables *loans; /* loans only */
};

static const double pow10_tab[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};

/* ================================================================ loans */

enum {
    L_CREDIT_POLICY, L_PURPOSE, L_INT_RATE, L_INSTALLMENT, L_LOG_ANNUAL_INC, L_DTI, L_FICO, L_DAYS_WITH_CR_LINE,
    L_REVOL_BAL, L_REVOL_UTIL, L_INQ_LAST_6MTHS, L_DELINQ_2YRS, L_PUB_REC, L_NOT_FULLY_PAID, L_NCOLS
};

/* Purposes and their counts in the real data (9578 loans). */
enum { P_DEBT, P_OTHER, P_CARD, P_HOME, P_SMALL_BUSINESS, P_MAJOR_PURCHASE, P_EDUCATIONAL, P_N };
static const char *const loan_purposes[P_N] = {"debt_consolidation", "all_other", "credit_card", "home_improvement",
                                               "small_business", "major_purchase", "educational"};
static const double loan_purpose_weights[P_N] = {3957, 2331, 1262, 629, 619, 437, 343};

static const gen_col loan_cols[L_NCOLS] = {
    {"credit.policy", 0, NULL, NULL, 0},
    {"purpose", -1, loan_purposes, loan_purpose_weights, P_N},
    {"int.rate", 4, NULL, NULL, 0},
    {"installment", 2, NULL, NULL, 0},
    {"log.annual.inc", 8, NULL, NULL, 0},
    {"dti", 2, NULL, NULL, 0},
    {"fico", 0, NULL, NULL, 0},
    {"days.with.cr.line", 2, NULL, NULL, 0},
    {"revol.bal", 0, NULL, NULL, 0},
    {"revol.util", 1, NULL, NULL, 0},
    {"inq.last.6mths", 0, NULL, NULL, 0},
    {"delinq.2yrs", 0, NULL, NULL, 0},
    {"pub.rec", 0, NULL, NULL, 0},
    {"not.fully.paid", 0, NULL, NULL, 0},
};

/* The default model: close in direction to a logistic regression fitted on the real data (lower fico, income and
 * credit.policy and more inquiries mean more defaults; small_business loans default most, credit_card least),
 * somewhat stronger, so that a well-fitted model reaches an AUC near 0.72 and about 16% of loans are positive. */
static const gen_regime loan_regime0 = {
    .intercept = 8.35,
    .num = {[L_CREDIT_POLICY] = -0.45, [L_INT_RATE] = 6.0, [L_INSTALLMENT] = 0.0013, [L_LOG_ANNUAL_INC] = -0.42,
            [L_DTI] = 0.006, [L_FICO] = -0.0095, [L_DAYS_WITH_CR_LINE] = -0.00002, [L_REVOL_BAL] = 0.000001,
            [L_REVOL_UTIL] = 0.004, [L_INQ_LAST_6MTHS] = 0.1, [L_DELINQ_2YRS] = 0.05, [L_PUB_REC] = 0.3},
    .cat = {[L_PURPOSE] = {[P_DEBT] = -0.25, [P_OTHER] = 0, [P_CARD] = -0.45, [P_HOME] = 0.1,
                           [P_SMALL_BUSINESS] = 0.55, [P_MAJOR_PURCHASE] = -0.3, [P_EDUCATIONAL] = 0.15}},
};

/* After the drift: rates and inquiries matter more, fico less; students and home owners default more, small
 * businesses less. About 22% positive. */
static const gen_regime loan_regime1 = {
    .intercept = 1.45,
    .num = {[L_CREDIT_POLICY] = -0.2, [L_INT_RATE] = 15.0, [L_INSTALLMENT] = 0.0005, [L_LOG_ANNUAL_INC] = -0.2,
            [L_DTI] = 0.02, [L_FICO] = -0.0045, [L_DAYS_WITH_CR_LINE] = -0.00004, [L_REVOL_BAL] = 0.000002,
            [L_REVOL_UTIL] = 0.001, [L_INQ_LAST_6MTHS] = 0.2, [L_DELINQ_2YRS] = 0.15, [L_PUB_REC] = 0.1},
    .cat = {[L_PURPOSE] = {[P_DEBT] = 0.1, [P_OTHER] = 0, [P_CARD] = -0.1, [P_HOME] = 0.5,
                           [P_SMALL_BUSINESS] = 0.1, [P_MAJOR_PURCHASE] = -0.4, [P_EDUCATIONAL] = 0.7}},
};

/* Cell value of x with `decimals` digits after the point. */
static int64_t to_cell(double x, int decimals)
{
    return llround(x * pow10_tab[decimals]);
}

static double clamp(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

/* mean + sd * normal, redrawn while outside [lo, hi] (a few times, then clamped): no spikes at the bounds. */
static double normal_within(sml_rng *r, double mean, double sd, double lo, double hi)
{
    double x = mean;
    for (int i = 0; i < 16; i++) {
        x = mean + sd * sml_rng_normal(r);
        if (x >= lo && x <= hi)
            return x;
    }
    return clamp(x, lo, hi);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/* A count from a tabulated distribution (see negbin_cdf). */
static int64_t draw_count(sml_rng *r, const double *cdf, int cap)
{
    double u = sml_rng_uniform(r);
    int n = 0;
    while (n < cap && u >= cdf[n])
        n++;
    return n;
}

static void loans_features(struct sml_gen *g, int64_t *c)
{
    /* Shifts by purpose, in the order of loan_purposes: small business loans are larger and dearer. */
    static const double rate_shift[P_N] = {0.004, -0.006, -0.003, -0.005, 0.012, -0.008, -0.003};
    static const double amount_shift[P_N] = {0.15, -0.25, 0.05, 0.1, 0.35, -0.2, -0.3};
    sml_rng *r = &g->rng;
    size_t purpose = sml_rng_categorical(r, g->cumulative[L_PURPOSE], P_N);
    c[L_PURPOSE] = (int64_t)purpose;

    /* One latent credit quality drives fico (right-skewed, in steps of 5 like the real 612, 617, ... 827). */
    double quality = sml_rng_normal(r);
    double f = clamp(709 + 37 * quality + 3 * (quality * quality - 1), 612, 827);
    int64_t fico = 612 + 5 * llround((f - 612) / 5);
    c[L_FICO] = fico;
    double fico_z = ((double)fico - 711) / 38;
    size_t fico_level = (size_t)(fico - 612) / 5;
    const loan_tables *tab = g->loans;

    int64_t inq = draw_count(r, tab->count_cdf[COUNT_INQ][fico_level], 33);
    c[L_INQ_LAST_6MTHS] = inq;
    /* credit.policy: LendingClub's underwriting rules, met by ~80%; never with many inquiries or a low fico */
    double policy_odds = 2.0 + 1.0 * fico_z - 0.55 * ((double)inq - 1.5);
    int policy = sml_rng_uniform(r) < 1 / (1 + exp(-policy_odds)) && inq <= 8 && fico >= 627;
    c[L_CREDIT_POLICY] = policy;

    double rate = normal_within(r, 0.1205 - 0.019 * fico_z + rate_shift[purpose] + (policy ? 0 : 0.008), 0.0175,
                                0.06, 0.2164);
    c[L_INT_RATE] = to_cell(rate, 4);
    rate = (double)c[L_INT_RATE] / 1e4;

    double log_income = normal_within(r, 10.93 + 0.61 * 0.12 * quality, 0.61 * 0.993, 7.5475, 14.5284);
    double income = fmax(1896, (double)llround(exp(log_income)));
    c[L_LOG_ANNUAL_INC] = to_cell(log(income), 8);
    log_income = (double)c[L_LOG_ANNUAL_INC] / 1e8;

    /* installment of a 36-month loan whose amount grows with income */
    double annuity = tab->annuity[c[L_INT_RATE] - 600];
    double amount_mean = 9.0 + 0.75 * (log_income - 10.93) + 6 * (rate - 0.1226) + amount_shift[purpose];
    double amount = exp(normal_within(r, amount_mean, 0.5, log(15.67 / annuity), log(940.14 / annuity)));
    c[L_INSTALLMENT] = to_cell(clamp(amount * annuity, 15.67, 940.14), 2);

    double dti = normal_within(r, 12.6 - 6.9 * 0.24 * fico_z, 7.6, 0, 29.96);
    c[L_DTI] = to_cell(dti, 2);

    double log_days = normal_within(r, 8.33 + 0.52 * (0.3 * fico_z + 0.25 * (log_income - 10.93) / 0.61),
                                    0.52 * 0.92, log(178.96), log(17639.96));
    c[L_DAYS_WITH_CR_LINE] = to_cell(clamp(exp(log_days), 178.96, 17639.96), 2);

    /* revolving balance: heavy tail, 3.4% zero; utilisation is 0 with no balance */
    int64_t revol_bal = 0;
    if (sml_rng_uniform(r) >= 0.034)
        revol_bal = llround(fmin(sml_rng_lognormal(r, 9.0 + 0.8 * (log_income - 10.93), 1.1), 1207359));
    c[L_REVOL_BAL] = revol_bal;
    double util = 0;
    if (revol_bal > 0)
        util = normal_within(r, 47 + 28 * (-0.5 * fico_z + 0.3 * (dti - 12.6) / 6.9), 28 * 0.92, 0, 119);
    c[L_REVOL_UTIL] = to_cell(util, 1);

    c[L_DELINQ_2YRS] = draw_count(r, tab->count_cdf[COUNT_DELINQ][fico_level], 13);
    c[L_PUB_REC] = draw_count(r, tab->count_cdf[COUNT_PUB_REC][fico_level], 5);
}

/* Negative binomial (mean, variance mean + mean^2/k) probabilities of 0 .. cap-1 as running sums; the rest of the
 * mass is cap: a draw is min(count, cap). */
static void negbin_cdf(double *cdf, double mean, double k, int cap)
{
    double p = pow(k / (k + mean), k), q = mean / (k + mean), sum = 0;
    for (int n = 0; n < cap; n++) {
        cdf[n] = sum += p;
        p *= (n + k) / (n + 1) * q;
    }
    cdf[cap] = 2; /* above any uniform */
}

static void loans_init(struct sml_gen *g)
{
    loan_tables *t = g->loans;
    for (int level = 0; level < FICO_LEVELS; level++) {
        double fico_z = (612.0 + 5 * level - 711) / 38;
        /* more recent inquiries, delinquencies and public records with a lower fico */
        negbin_cdf(t->count_cdf[COUNT_INQ][level], 1.5 * exp(-0.3 * fico_z), 1.0, 33);
        negbin_cdf(t->count_cdf[COUNT_DELINQ][level], 0.155 * exp(-0.3 * fico_z), 0.2, 13);
        negbin_cdf(t->count_cdf[COUNT_PUB_REC][level], 0.058 * exp(-0.35 * fico_z), 0.6, 5);
    }
    for (int i = 0; i < RATE_CELLS; i++) {
        double monthly = (600 + i) / 1e4 / 12;
        t->annuity[i] = monthly / (1 - pow(1 + monthly, -36));
    }
}

static void loans_init(struct sml_gen *g);
static const gen_def loans_def = {"loans", loan_cols, L_NCOLS, 1, {&loan_regime0, &loan_regime1}, loans_features,
                                  loans_init};

/* ================================================================ feed */

enum {
    F_CLIENT_TYPE, F_OBJECT_TYPE, F_RESOURCE_TYPE, F_NUM_DISLIKES, F_CTR_NEGATIVE, F_NUM_LIKES, F_NUM_SYMBOLS,
    F_NUM_PHOTOS, F_NCOLS
};

enum { C_API, C_WEB, C_MOB, C_N };
static const char *const feed_client_types[C_N] = {"API", "WEB", "MOB"};
static const double feed_client_weights[C_N] = {0.15, 0.5, 0.35};
enum { O_POST, O_PHOTO, O_VIDEO, O_N };
static const char *const feed_object_types[O_N] = {"Post", "Photo", "Video"};
static const double feed_object_weights[O_N] = {0.7, 0.2, 0.1};
enum { R_3, R_6, R_7, R_8, R_14, R_N };
static const char *const feed_resource_types[R_N] = {"3", "6", "7", "8", "14"};
static const double feed_resource_weights[R_N] = {0.08, 0.12, 0.1, 0.6, 0.1};

static const gen_col feed_cols[F_NCOLS] = {
    {"audit_clientType", -1, feed_client_types, feed_client_weights, C_N},
    {"instanceId_objectType", -1, feed_object_types, feed_object_weights, O_N},
    {"audit_resourceType", -1, feed_resource_types, feed_resource_weights, R_N},
    {"auditweights_numDislikes", 0, NULL, NULL, 0},
    {"auditweights_ctr_negative", 4, NULL, NULL, 0},
    {"auditweights_numLikes", 0, NULL, NULL, 0},
    {"metadata_numSymbols", 0, NULL, NULL, 0},
    {"metadata_numPhotos", 2, NULL, NULL, 0},
};

/* Each numeric column moves the target by roughly its own standard deviation's worth, though their scales
 * differ by four orders of magnitude (ctr ~0.01, likes and symbols ~100). */
static const gen_regime feed_regime0 = {
    .intercept = 2.0,
    .num = {[F_NUM_DISLIKES] = 0.35, [F_CTR_NEGATIVE] = 12.0, [F_NUM_LIKES] = 0.004, [F_NUM_SYMBOLS] = -0.0015},
    .cat = {[F_CLIENT_TYPE] = {[C_API] = 0, [C_WEB] = -0.5, [C_MOB] = 0.8},
            [F_OBJECT_TYPE] = {[O_POST] = 0, [O_PHOTO] = 1.5, [O_VIDEO] = -0.7},
            [F_RESOURCE_TYPE] = {[R_3] = 0, [R_6] = 0.4, [R_7] = -0.3, [R_8] = 0.9, [R_14] = -1.0}},
    .noise_sd = 0.4,
};

static const gen_regime feed_regime1 = {
    .intercept = 1.5,
    .num = {[F_NUM_DISLIKES] = 0.25, [F_CTR_NEGATIVE] = -6.0, [F_NUM_LIKES] = 0.008, [F_NUM_SYMBOLS] = 0.001},
    .cat = {[F_CLIENT_TYPE] = {[C_API] = 0, [C_WEB] = 0.6, [C_MOB] = -0.4},
            [F_OBJECT_TYPE] = {[O_POST] = 0, [O_PHOTO] = 0.5, [O_VIDEO] = 1.2},
            [F_RESOURCE_TYPE] = {[R_3] = 0, [R_6] = -0.5, [R_7] = 0.8, [R_8] = 0.1, [R_14] = 0.3}},
    .noise_sd = 0.5,
};

static void feed_features(struct sml_gen *g, int64_t *c)
{
    sml_rng *r = &g->rng;
    size_t client = sml_rng_categorical(r, g->cumulative[F_CLIENT_TYPE], C_N);
    size_t object = sml_rng_categorical(r, g->cumulative[F_OBJECT_TYPE], O_N);
    size_t resource = sml_rng_categorical(r, g->cumulative[F_RESOURCE_TYPE], R_N);
    c[F_CLIENT_TYPE] = (int64_t)client;
    c[F_OBJECT_TYPE] = (int64_t)object;
    c[F_RESOURCE_TYPE] = (int64_t)resource;

    /* likes: log-normal, photos get more, API clients fewer; dislikes follow likes with a heavier tail */
    double log_likes = 2.8 + (object == O_PHOTO ? 0.4 : 0) - (client == C_API ? 0.3 : 0);
    double likes = floor(fmin(sml_rng_lognormal(r, log_likes, 1.4), 100000));
    c[F_NUM_LIKES] = (int64_t)likes;
    c[F_NUM_DISLIKES] = (int64_t)min_u64(sml_rng_negbin(r, 0.1 + 0.02 * likes, 0.4), 100000);

    double ctr = 0;
    if (sml_rng_uniform(r) >= 0.08)
        ctr = fmin(sml_rng_lognormal(r, -4.2, 0.9), 1);
    c[F_CTR_NEGATIVE] = to_cell(ctr, 4);

    /* text length: photos often have none */
    double symbols = 0;
    if (sml_rng_uniform(r) >= (object == O_PHOTO ? 0.3 : 0.08))
        symbols = floor(fmin(sml_rng_lognormal(r, object == O_PHOTO ? 3.8 : 4.6, 1.2), 50000));
    c[F_NUM_SYMBOLS] = (int64_t)symbols;
}

static const gen_def feed_def = {"feed", feed_cols, F_NCOLS, 0, {&feed_regime0, &feed_regime1}, feed_features,
                                 NULL};

static const gen_def *const gen_defs[] = {&loans_def, &feed_def};

/* ================================================================ rows */

static const gen_regime *regime_at(const sml_gen *g, uint64_t row)
{
    return g->drift_at > 0 && row >= g->drift_at ? g->def->regimes[1] : g->def->regimes[0];
}

/* Features, then the label from the regime's model of them as written. */
static void make_row(sml_gen *g, int64_t *c)
{
    const gen_def *d = g->def;
    const gen_regime *reg = regime_at(g, g->row);
    d->make_features(g, c);
    size_t label = d->ncols - 1;
    double eta = reg->intercept;
    for (size_t j = 0; j < label; j++) {
        const gen_col *col = &d->cols[j];
        if (col->decimals < 0)
            eta += reg->cat[j][c[j]];
        else
            eta += reg->num[j] * ((double)c[j] / pow10_tab[col->decimals]);
    }
    if (d->logistic)
        c[label] = sml_rng_uniform(&g->rng) < 1 / (1 + exp(-eta));
    else
        c[label] = to_cell(eta + reg->noise_sd * sml_rng_normal(&g->rng), d->cols[label].decimals);
    g->row++;
}

static size_t make_batch(sml_gen *g, uint64_t want)
{
    size_t n = want < GEN_BATCH ? (size_t)want : GEN_BATCH;
    for (size_t i = 0; i < n; i++)
        make_row(g, g->cells + i * GEN_MAXCOLS);
    return n;
}

int sml_gen_write(sml_gen *g, sml_textout *out, uint64_t nrows, sml_error *err)
{
    const gen_def *d = g->def;
    while (nrows > 0) {
        size_t n = make_batch(g, nrows);
        nrows -= n;
        for (size_t i = 0; i < n; i++) {
            const int64_t *c = g->cells + i * GEN_MAXCOLS;
            int rc = sml_textout_begin_row(out, err);
            for (size_t j = 0; j < d->ncols && rc == 0; j++) {
                const gen_col *col = &d->cols[j];
                if (col->decimals < 0) {
                    const char *s = col->levels[c[j]];
                    rc = sml_textout_put_str(out, s, strlen(s), err);
                } else {
                    rc = sml_textout_put_fixed(out, c[j], (unsigned)col->decimals, err);
                }
            }
            if (rc == 0)
                rc = sml_textout_end_row(out, err);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

static int batch_matches(const sml_gen *g, const sml_batch *b, size_t nrows)
{
    if (b->ncols != g->def->ncols || b->capacity < nrows)
        return 0;
    for (size_t j = 0; j < b->ncols; j++) {
        sml_type want = g->def->cols[j].decimals < 0 ? SML_TYPE_STR : SML_TYPE_NUM;
        if (strcmp(b->cols[j].name, g->def->cols[j].name) != 0 || b->cols[j].type != want)
            return 0;
    }
    return 1;
}

int sml_gen_fill(sml_gen *g, sml_batch *b, size_t nrows, sml_error *err)
{
    const gen_def *d = g->def;
    if (!batch_matches(g, b, nrows)) {
        sml_type types[GEN_MAXCOLS];
        for (size_t j = 0; j < d->ncols; j++)
            types[j] = d->cols[j].decimals < 0 ? SML_TYPE_STR : SML_TYPE_NUM;
        int rc = sml_batch_setup(b, g->names, types, d->ncols, nrows, err);
        if (rc < 0)
            return rc;
    }
    sml_batch_clear(b);
    while (b->nrows < nrows) {
        uint64_t first = g->row;
        size_t n = make_batch(g, nrows - b->nrows);
        for (size_t i = 0; i < n; i++) {
            const int64_t *c = g->cells + i * GEN_MAXCOLS;
            size_t row = b->nrows;
            for (size_t j = 0; j < d->ncols; j++) {
                const gen_col *col = &d->cols[j];
                sml_column *bc = &b->cols[j];
                bc->missing[row] = 0;
                if (col->decimals >= 0) {
                    bc->num[row] = (double)c[j] / pow10_tab[col->decimals];
                    continue;
                }
                const char *s = col->levels[c[j]];
                size_t len = strlen(s);
                int rc = sml_batch_put_string(b, s, len, &bc->str_off[row]);
                if (rc < 0)
                    return sml_fail(err, rc, "gen: batch string arena: %s", sml_strerror(rc));
                bc->str_len[row] = (uint32_t)len;
            }
            b->line[row] = first + i + 1;
            b->offset[row] = 0;
            b->nrows++;
        }
    }
    b->end_line = g->row;
    return 0;
}

/* ================================================================ the object */

int sml_gen_kind_parse(const char *name, sml_gen_kind *kind, sml_error *err)
{
    for (size_t i = 0; i < sizeof gen_defs / sizeof gen_defs[0]; i++) {
        if (name && strcmp(name, gen_defs[i]->name) == 0) {
            *kind = (sml_gen_kind)i;
            return 0;
        }
    }
    return sml_fail(err, SML_EINVAL, "unknown dataset \"%s\" (one of: loans, feed)", name ? name : "");
}

sml_gen *sml_gen_new(sml_gen_kind kind, uint64_t seed, uint64_t drift_at, sml_error *err)
{
    if ((size_t)kind >= sizeof gen_defs / sizeof gen_defs[0]) {
        sml_fail(err, SML_EINVAL, "gen: unknown dataset kind %d", (int)kind);
        return NULL;
    }
    sml_gen *g = calloc(1, sizeof *g);
    if (!g) {
        sml_fail(err, SML_ENOMEM, "gen: out of memory");
        return NULL;
    }
    g->def = gen_defs[kind];
    if (kind == SML_GEN_LOANS && !(g->loans = malloc(sizeof *g->loans))) {
        free(g);
        sml_fail(err, SML_ENOMEM, "gen: out of memory");
        return NULL;
    }
    g->seed = seed;
    g->drift_at = drift_at;
    sml_rng_seed(&g->rng, seed);
    for (size_t j = 0; j < g->def->ncols; j++) {
        const gen_col *col = &g->def->cols[j];
        g->names[j] = col->name;
        double sum = 0;
        for (size_t k = 0; k < col->nlevels; k++)
            g->cumulative[j][k] = sum += col->weights[k];
    }
    if (g->def->init)
        g->def->init(g);
    return g;
}

void sml_gen_free(sml_gen *g)
{
    if (!g)
        return;
    free(g->loans);
    free(g);
}

size_t sml_gen_ncols(const sml_gen *g)
{
    return g->def->ncols;
}

const char *const *sml_gen_colnames(const sml_gen *g)
{
    return g->names;
}

const char *sml_gen_label(const sml_gen *g)
{
    return g->def->cols[g->def->ncols - 1].name;
}

int sml_gen_col_is_categorical(const sml_gen *g, size_t i)
{
    return i < g->def->ncols && g->def->cols[i].decimals < 0;
}

uint64_t sml_gen_row(const sml_gen *g)
{
    return g->row;
}

/* ================================================================ the truth as JSON */

typedef struct json_buf {
    char text[16384];
    size_t len;
} json_buf;

static void jb_raw(json_buf *jb, const char *s)
{
    size_t n = strlen(s);
    if (jb->len + n < sizeof jb->text) {
        memcpy(jb->text + jb->len, s, n);
        jb->len += n;
    }
}

/* Names here are plain ASCII; escape quote and backslash anyway. */
static void jb_str(json_buf *jb, const char *s)
{
    jb_raw(jb, "\"");
    for (; *s; s++) {
        char ch[3] = {*s, 0, 0};
        if (*s == '"' || *s == '\\')
            ch[0] = '\\', ch[1] = *s;
        jb_raw(jb, ch);
    }
    jb_raw(jb, "\"");
}

static void jb_num(json_buf *jb, double v)
{
    char buf[SML_DOUBLE_BUFSZ];
    sml_format_double(v, buf);
    jb_raw(jb, buf);
}

static void jb_u64(json_buf *jb, uint64_t v)
{
    char buf[24], *end = buf + sizeof buf - 1, *p = end;
    *end = 0;
    do
        *--p = (char)('0' + v % 10);
    while (v /= 10);
    jb_raw(jb, p);
}

static void jb_regime(json_buf *jb, const gen_def *d, const gen_regime *reg, uint64_t start_row)
{
    size_t label = d->ncols - 1;
    jb_raw(jb, "{\"start_row\":");
    jb_u64(jb, start_row);
    jb_raw(jb, ",\"intercept\":");
    jb_num(jb, reg->intercept);
    if (!d->logistic) {
        jb_raw(jb, ",\"noise_sd\":");
        jb_num(jb, reg->noise_sd);
    }
    jb_raw(jb, ",\"numeric\":{");
    const char *sep = "";
    for (size_t j = 0; j < label; j++) {
        if (d->cols[j].decimals < 0)
            continue;
        jb_raw(jb, sep);
        jb_str(jb, d->cols[j].name);
        jb_raw(jb, ":");
        jb_num(jb, reg->num[j]);
        sep = ",";
    }
    jb_raw(jb, "},\"categorical\":{");
    sep = "";
    for (size_t j = 0; j < label; j++) {
        const gen_col *col = &d->cols[j];
        if (col->decimals >= 0)
            continue;
        jb_raw(jb, sep);
        jb_str(jb, col->name);
        jb_raw(jb, ":{");
        for (size_t k = 0; k < col->nlevels; k++) {
            if (k)
                jb_raw(jb, ",");
            jb_str(jb, col->levels[k]);
            jb_raw(jb, ":");
            jb_num(jb, reg->cat[j][k]);
        }
        jb_raw(jb, "}");
        sep = ",";
    }
    jb_raw(jb, "}}");
}

int sml_gen_truth_json(const sml_gen *g, sml_write_fn write, void *opaque, sml_error *err)
{
    const gen_def *d = g->def;
    json_buf *jb = malloc(sizeof *jb);
    if (!jb)
        return sml_fail(err, SML_ENOMEM, "gen: out of memory");
    jb->len = 0;
    jb_raw(jb, "{\"generator\":");
    jb_str(jb, d->name);
    jb_raw(jb, ",\"seed\":");
    jb_u64(jb, g->seed);
    jb_raw(jb, ",\"label\":");
    jb_str(jb, d->cols[d->ncols - 1].name);
    jb_raw(jb, d->logistic ? ",\"link\":\"logistic\"" : ",\"link\":\"identity\"");
    jb_raw(jb, ",\"regimes\":[\n");
    jb_regime(jb, d, d->regimes[0], 0);
    if (g->drift_at > 0) {
        jb_raw(jb, ",\n");
        jb_regime(jb, d, d->regimes[1], g->drift_at);
    }
    jb_raw(jb, "\n]}\n");
    int rc = write(opaque, jb->text, jb->len, err);
    free(jb);
    return rc < 0 ? rc : 0;
}
