/* Evaluation metrics (see include/streamml/metrics.h). */
#include "streamml/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[SML_METRIC_COUNT] = {"auc", "logloss", "accuracy", "f1", "rmse", "mae", "r2", "mse"};

int sml_metric_from_name(const char *name, sml_metric *out)
{
    for (int i = 0; i < SML_METRIC_COUNT; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (sml_metric)i;
            return 0;
        }
    return SML_EINVAL;
}

const char *sml_metric_name(sml_metric m) { return m < SML_METRIC_COUNT ? names[m] : "?"; }

int sml_metric_higher_is_better(sml_metric m)
{
    return m == SML_METRIC_AUC || m == SML_METRIC_ACCURACY || m == SML_METRIC_F1 || m == SML_METRIC_R2;
}

int sml_metric_for_classification(sml_metric m) { return m <= SML_METRIC_F1; }

typedef struct scored {
    double p, y, w;
} scored;

static int by_score(const void *a, const void *b)
{
    double x = ((const scored *)a)->p, y = ((const scored *)b)->p;
    return (x > y) - (x < y);
}

static double auc(const double *y, const double *p, const double *w, size_t n)
{
    scored *s = malloc((n ? n : 1) * sizeof *s);
    if (!s)
        return NAN;
    for (size_t i = 0; i < n; i++)
        s[i] = (scored){p[i], y[i], w ? w[i] : 1.0};
    qsort(s, n, sizeof *s, by_score);
    /* sweep ascending scores: each positive beats every negative with a lower score, ties count half */
    double neg_below = 0, pos_total = 0, neg_total = 0, area = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        double pos = 0, neg = 0;
        while (j < n && s[j].p == s[i].p) {
            if (s[j].y > 0)
                pos += s[j].w;
            else
                neg += s[j].w;
            j++;
        }
        area += pos * (neg_below + 0.5 * neg);
        neg_below += neg;
        pos_total += pos;
        neg_total += neg;
        i = j;
    }
    free(s);
    return pos_total > 0 && neg_total > 0 ? area / (pos_total * neg_total) : NAN;
}

double sml_metric_compute(sml_metric m, const double *y, const double *p, const double *w, size_t n)
{
    double sw = 0, acc = 0;
    if (n == 0)
        return NAN;
    switch (m) {
    case SML_METRIC_AUC:
        return auc(y, p, w, n);
    case SML_METRIC_LOGLOSS:
        for (size_t i = 0; i < n; i++) {
            double wi = w ? w[i] : 1, q = p[i] < 1e-15 ? 1e-15 : p[i] > 1 - 1e-15 ? 1 - 1e-15 : p[i];
            acc += wi * -(y[i] > 0 ? log(q) : log1p(-q));
            sw += wi;
        }
        return acc / sw;
    case SML_METRIC_ACCURACY:
        for (size_t i = 0; i < n; i++) {
            double wi = w ? w[i] : 1;
            acc += wi * ((p[i] >= 0.5) == (y[i] > 0));
            sw += wi;
        }
        return acc / sw;
    case SML_METRIC_F1: {
        double tp = 0, fp = 0, fn = 0;
        for (size_t i = 0; i < n; i++) {
            double wi = w ? w[i] : 1;
            int pred = p[i] >= 0.5, pos = y[i] > 0;
            tp += wi * (pred && pos);
            fp += wi * (pred && !pos);
            fn += wi * (!pred && pos);
        }
        return tp + fp + fn > 0 ? 2 * tp / (2 * tp + fp + fn) : NAN;
    }
    case SML_METRIC_RMSE:
    case SML_METRIC_MSE:
    case SML_METRIC_MAE:
        for (size_t i = 0; i < n; i++) {
            double wi = w ? w[i] : 1, d = y[i] - p[i];
            acc += wi * (m == SML_METRIC_MAE ? fabs(d) : d * d);
            sw += wi;
        }
        return m == SML_METRIC_RMSE ? sqrt(acc / sw) : acc / sw;
    case SML_METRIC_R2: {
        double mean = 0, ss_res = 0, ss_tot = 0;
        for (size_t i = 0; i < n; i++) {
            double wi = w ? w[i] : 1;
            mean += wi * y[i];
            sw += wi;
        }
        mean /= sw;
        for (size_t i = 0; i < n; i++) {
            double wi = w ? w[i] : 1;
            ss_res += wi * (y[i] - p[i]) * (y[i] - p[i]);
            ss_tot += wi * (y[i] - mean) * (y[i] - mean);
        }
        return ss_tot > 0 ? 1 - ss_res / ss_tot : NAN;
    }
    default:
        return NAN;
    }
}
