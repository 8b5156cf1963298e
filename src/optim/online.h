/*
 * Internal: the online learners. The stream engine (engine/) scores each labelled example with
 * sml_learner_margin, then learns from it with sml_learner_update (prequential); records without a label are
 * scored only. The batch optimisers of optim.h fit a whole data set; these update the model one record at a time.
 *
 * Every learner minimises, per record i, the objective of DESIGN.md "Conventions" (so a λ means the same as in fit):
 *     weight_i·loss_i(θ) + (l2/2)·||w||² + l1·||w||₁ + (l2_to_base/2)·||θ − θ_base||²
 * θ = (w, b): w the dim feature weights, b the intercept (parameter dim when fit_intercept). l2 and l1 never touch
 * the intercept; l2_to_base applies to every parameter. A record's weight multiplies its loss, not the penalty
 * (the penalty acts once per learned record); with mean weight 1, the default, this is fit's (1/W)·Σ wᵢ·lossᵢ + R.
 * Records with weight 0 are not learned from at all.
 *
 * Learners (one file each, behind the sml_learner_type table of online_int.h):
 *   "normalized" (default) NAG of Ross, Mineiro & Langford 2013 ("Normalized online learning", Alg. 2), the
 *          adaptive + normalized update of Vowpal Wabbit: per-coordinate scale s_j = max |x_j| seen (a new maximum
 *          rescales what was learned online, θ_j − θ_init_j, by s_j_old/|x_j|), N += Σ x_j²/s_j², t += weight,
 *          G_j += g_j², θ_j −= η·sqrt(t/N)·g_j / (s_j^(2−2p)·G_j^p) with p = power_t (0.5 = the paper).
 *          Invariant to the scale of each feature when unpenalised. Not VW's importance-invariant update: a weight
 *          simply multiplies the gradient (and t, N count weight).
 *   "sgd"  θ_j −= η_t·g_j with η_t = learning_rate / (k + initial_t)^power_t, k = warm_records + the number of
 *          records learned so far including this one (so k = 1 on the first record of a cold start; power_t 0
 *          gives a constant step).
 *   "adagrad"  diagonal AdaGrad (Duchi, Hazan & Singer 2011, composite mirror descent, δ = 0):
 *          G_j += g_j², θ_j −= learning_rate·g_j / sqrt(G_j).
 *   "ftrl" FTRL-Proximal (McMahan et al. 2013, Algorithm 1, per-coordinate rates ftrl_alpha, ftrl_beta). The
 *          paper's λ1, λ2 are total (not per-round) penalties; to keep the per-record objective above they are
 *          m·l1 and m·l2 (and m·l2_to_base toward θ_base) where m = warm_records + records learned so far:
 *          w_j = 0 if |z_j − m·l2_to_base·b_j| <= m·l1_j, else
 *          w_j = −(z_j − m·l2_to_base·b_j − sgn·m·l1_j) / ((β + sqrt(n_j))/α + m·(l2_j + l2_to_base)).
 *          Exact zeros. A warm start sets z so that the first w is exactly θ_init.
 *   "rls"  recursive least squares with forgetting factor λ (squared loss only), Bierman's U·D·Uᵀ factorisation
 *          of the covariance (positive definite by construction; variances capped at 1e30/rls_delta against
 *          wind-up in directions the data never excites). θ_t is exactly the exponentially weighted ridge solution
 *              argmin ½ Σ_s λ^(t−s)·weight_s·(y_s − θ·x_s)² + ½ λ^t Σ_j D_j (θ_j − m_j)²
 *          with the prior precision D_j = rls_delta + l2_j + l2_to_base and mean
 *          m_j = (rls_delta·init_j + l2_to_base·base_j) / D_j (init defaults to base): for RLS, l2 and l2_to_base
 *          are a ridge prior applied once (it forgets like the data), not once per record. l1 is refused, and
 *          so is dim > rls_max_features (O(dim²) memory and time per record). warm_records is not used (the
 *          prior precision plays its part).
 *   "spark" the Spark MLlib StreamingLinearRegressionWithSGD / StreamingLogisticRegressionWithSGD update, per
 *          micro-batch (sml_learner_update_batch; sml_learner_update does nothing): GradientDescent.runMiniBatchSGD
 *          with i = 1..spark_iterations, step learning_rate/sqrt(i), gradient = mean over the mini-batch
 *          (each row kept with probability spark_mini_batch_fraction, from the learner's own random state; 1.0 =
 *          every row), SimpleUpdater for squared loss (spark_reg_param ignored, as in Spark) and SquaredL2Updater
 *          for logistic (θ ← θ·(1 − step·spark_reg_param) − step·gradient, the intercept included, as in Spark),
 *          stopping when ||θ_i − θ_{i−1}|| < spark_convergence_tol·max(||θ_i||, 1) (checked from i = 2 on). Empty
 *          batches are skipped. Sample weights are ignored (Spark has none) and l2/l1/l2_to_base are refused
 *          (use spark_reg_param). Unlike Spark's StreamingLinearAlgorithm, the intercept (off by default) carries
 *          over between batches instead of restarting at 1.0.
 *
 * Penalties (sgd, adagrad, normalized) are applied lazily, so a record costs O(its non-zeros), not O(dim). Each
 * record gives coordinate j a penalty "time" τ_j = r_t·d_j: the step the coordinate's loss gradient gets (sgd:
 * η_t·1; adagrad: 1·learning_rate/sqrt(G_j); normalized: η·sqrt(t/N)·1/(s_j^(2−2p)·G_j^p); d_j = 0 while G_j = 0,
 * i.e. until the coordinate has had a gradient), and the penalty moves θ_j along its exact gradient flow
 *     dθ_j/dτ = −(l2_j + l2_to_base)·θ_j + l2_to_base·base_j − l1_j·sign(θ_j)    (stopping at 0 when l1 holds it)
 * for that time. This is a proximal-type step (stable for any step size, equal to the prox to first order, exact
 * zeros with l1), and the flow over τ1 then τ2 is the flow over τ1 + τ2, so one closed-form catch-up per touched
 * coordinate, over the global sum of r_t since the coordinate was last touched, equals applying it every record.
 * Order per record: margin (the engine's), gradient step on the loss, then the penalty flow of this record.
 *
 * NaN never enters the weights: update refuses (and counts) a record whose features, label, weight or margin are
 * non-finite, whose weight is negative, whose index is >= dim, or whose logistic label is not ±1; a coordinate whose
 * new value would not be finite keeps its old value (counted as well). Indices within a row must be distinct.
 *
 * Thread safety: a learner is a plain value owned by its caller. margin and weights only read it (concurrent reads
 * are safe); update, update_batch and free need exclusive access. No global state.
 */
#ifndef SML_OPTIM_ONLINE_H
#define SML_OPTIM_ONLINE_H

#include <stddef.h>
#include <stdint.h>

#include "common/codec.h"
#include "common/strbuf.h"
#include "models/loss.h"
#include "streamml/error.h"
#include "streamml/pipeline.h"

typedef struct sml_online_opts {
    const char *learner;      /* "normalized" (default; NULL too), "sgd", "adagrad", "ftrl", "rls", "spark" */
    const sml_loss *loss;     /* &sml_loss_squared (default; NULL too) or &sml_loss_logistic */
    size_t dim;               /* number of features; the intercept (if fit_intercept) is parameter dim */
    int fit_intercept;        /* default 1 */
    double learning_rate;     /* default 0.5 (normalized's η); sgd, adagrad and spark use it as their step size
                                 (Spark's own default stepSize is 0.1) */
    double power_t;           /* sgd: exponent of the step decay (0 = constant); normalized: exponent p of the
                                 adaptive term (0.5 = NAG). Default 0.5 */
    double initial_t;         /* sgd: η_k = learning_rate / (k + initial_t)^power_t, k = 1 for the first record;
                                 default 0 */
    double l2, l1, l2_to_base;  /* the penalties of the objective above (>= 0, default 0) */
    const double *base;       /* θ_base[dim + fit_intercept], copied; NULL = zeros */
    const double *init;       /* warm start θ[dim + fit_intercept], copied; NULL = base if given, else zeros */
    double warm_records;      /* warm start: seed the optimiser state as if this many records had been seen
                                 (sgd: step counter; adagrad, normalized: a coordinate's first squared gradient
                                 counts warm_records + 1 times, and so does the first record in t and N;
                                 ftrl: the same for n_j, and m starts at warm_records). Default 0 */
    double ftrl_alpha, ftrl_beta;        /* FTRL-Proximal per-coordinate rates; defaults 0.1 and 1 */
    double rls_forgetting, rls_delta;    /* RLS forgetting factor in (0, 1] (default 1), prior precision (default 1) */
    size_t rls_max_features;             /* RLS refuses dim above this (default 4096) */
    int spark_iterations;                /* numIterations per micro-batch (default 50, as Spark's streaming models) */
    double spark_mini_batch_fraction;    /* miniBatchFraction in (0, 1] (default 1) */
    double spark_reg_param;              /* regParam (default 0; used by the logistic model only, as Spark) */
    double spark_convergence_tol;        /* convergenceTol (default 0.001) */
    uint64_t seed;                       /* random state of the mini-batch sampling (default 0) */
} sml_online_opts;

#define SML_ONLINE_OPTS_INIT                                                                                   \
    {"normalized", NULL, 0, 1, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0, NULL, NULL, 0.0, 0.1, 1.0, 1.0, 1.0, 4096, 50, 1.0, \
     0.0, 0.001, 0}

typedef struct sml_learner sml_learner;

/* Creates a learner (the caller owns it; free with sml_learner_free). Validates every option: SML_EINVAL with the
 * option's name for a bad value or an unknown learner/loss, SML_ERANGE for rls above rls_max_features,
 * SML_ENOMEM. base and init are copied. */
int sml_learner_new(const sml_online_opts *o, sml_learner **out, sml_error *err);
/* NULL is a no-op. */
void sml_learner_free(sml_learner *l);

/* The learner's name ("normalized", ...), and its parameter count dim + fit_intercept. */
const char *sml_learner_name(const sml_learner *l);
size_t sml_learner_size(const sml_learner *l);

/* The linear score θ·x + b of a sparse row (nnz pairs idx[k] < dim, val[k]) under the current weights, every lazy
 * penalty applied (for normalized, also the rescale the row's new scale maxima will make: the paper predicts
 * after it). Indices >= dim contribute nothing. Read-only. */
double sml_learner_margin(const sml_learner *l, const uint32_t *idx, const double *val, size_t nnz);

/* Learns from one labelled row: label y (logistic: ±1), sample weight (>= 0), and margin, which must be
 * sml_learner_margin of this row computed just before (it is not recomputed). Refused rows leave every weight as
 * it was and are counted (sml_learner_counts). Per-batch learners ignore this call. Never allocates. */
void sml_learner_update(sml_learner *l, const uint32_t *idx, const double *val, size_t nnz, double y, double weight,
                        double margin);

/* Prequential step in one call: returns the margin of the row under the current weights (as
 * sml_learner_margin), then learns from it (as sml_learner_update with that margin). Bit-identical to the two
 * calls, and faster where the learner can share the work (normalized). */
double sml_learner_score_learn(sml_learner *l, const uint32_t *idx, const double *val, size_t nnz, double y,
                               double weight);
/* 1 for per-micro-batch learners (spark): the engine calls sml_learner_update_batch instead of update. */
int sml_learner_per_batch(const sml_learner *l);

/* Spark mode: learns from one micro-batch, the rows i of ex with use[i] != 0 (use may be NULL: all rows), that
 * have a label (SML_EX_LABEL) and no bad feature/label flag. A batch without such rows is skipped. Returns 0,
 * or SML_ENUMERIC if the iterations diverged to non-finite weights (the weights are then left as before the
 * batch), or SML_ESTATE for a per-record learner. Never allocates. */
int sml_learner_update_batch(sml_learner *l, const sml_examples *ex, const uint8_t *use, sml_error *err);

/* The dense parameters theta[dim + fit_intercept] (intercept last), every lazy penalty applied. Read-only. */
void sml_learner_weights(const sml_learner *l, double *theta);

/* Counts: records learned from, records refused (non-finite or invalid input), coordinates whose update was
 * dropped because it would not have been finite. Any pointer may be NULL. */
void sml_learner_counts(const sml_learner *l, uint64_t *learned, uint64_t *refused, uint64_t *numeric);

/* Appends the complete state (weights in their raw lazy form, optimiser state, counters, random state) for a
 * checkpoint. Returns 0 or SML_ENOMEM. Read-only on l. */
int sml_learner_encode(const sml_learner *l, sml_strbuf *sb);
/* Rebuilds a learner from sml_learner_encode's bytes at c. The learner, loss, dim and fit_intercept in o must be
 * those of the checkpoint (else SML_EINVAL); the other options (rates, penalties, base) are taken from o, so
 * resuming with the same o continues bit for bit as if never interrupted. SML_EFORMAT for corrupt or truncated
 * data. */
int sml_learner_decode(sml_cursor *c, const sml_online_opts *o, sml_learner **out, sml_error *err);

#endif
