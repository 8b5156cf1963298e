/* The Prometheus text writer shared by serve and run --metrics-listen (src/common/prom.c). */
#include "common/prom.h"
#include "unit.h"

static void test_samples(void)
{
    sml_strbuf sb = SML_STRBUF_INIT;
    CHECK_INT(sml_prom_counter(&sb, "a_total", "Things.", 42), 0);
    CHECK_INT(sml_prom_gauge(&sb, "g", "A gauge.", 0.25), 0);
    CHECK_INT(sml_prom_sample(&sb, "l", "partition=\"3\"", NAN), 0);
    CHECK_INT(sml_prom_sample(&sb, "l", NULL, -INFINITY), 0);
    CHECK_STR(sb.buf, "# HELP a_total Things.\n# TYPE a_total counter\na_total 42\n"
                      "# HELP g A gauge.\n# TYPE g gauge\ng 0.25\nl{partition=\"3\"} NaN\nl -Inf\n");
    sml_strbuf_release(&sb);
}

static void test_histogram_cumulative(void)
{
    static const double bounds[] = {0.1, 1, 10};
    sml_prom_hist h;
    sml_prom_hist_init(&h, bounds, 3);
    const double v[] = {0.05, 0.1, 0.5, 2, 2, 50};
    for (size_t i = 0; i < 6; i++)
        sml_prom_hist_observe(&h, v[i]);
    sml_strbuf sb = SML_STRBUF_INIT;
    CHECK_INT(sml_prom_hist_write(&sb, "t_seconds", "Time.", &h), 0);
    /* a value equal to a bound belongs to it (le = less or equal) */
    CHECK_STR(sb.buf, "# HELP t_seconds Time.\n# TYPE t_seconds histogram\n"
                      "t_seconds_bucket{le=\"0.1\"} 2\nt_seconds_bucket{le=\"1\"} 3\nt_seconds_bucket{le=\"10\"} 5\n"
                      "t_seconds_bucket{le=\"+Inf\"} 6\nt_seconds_sum 54.650000\nt_seconds_count 6\n");
    sml_strbuf_release(&sb);
}

int main(void)
{
    RUN(test_samples);
    RUN(test_histogram_cumulative);
    return UNIT_DONE();
}
