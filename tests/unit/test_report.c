/* The run report: reading metrics JSON lines, and the SVG/HTML it draws (well-formed, one line per run and per top
 * weight, escaped names, gaps, downsampling, errors naming file:line). */
#include <stdint.h>
#include <stdlib.h>

#include "common/strbuf.h"
#include "streamml/report.h"
#include "streamml/streamml.h"
#include "unit.h"

/* ---- a tiny XML well-formedness checker: nesting, quoted attributes, entities, valid UTF-8 ---- */

static int utf8_valid(const unsigned char *s)
{
    while (*s) {
        size_t n = *s < 0x80 ? 1 : (*s >> 5) == 6 ? 2 : (*s >> 4) == 14 ? 3 : (*s >> 3) == 30 ? 4 : 0;
        if (!n)
            return 0;
        for (size_t i = 1; i < n; i++)
            if ((s[i] & 0xC0) != 0x80)
                return 0;
        s += n;
    }
    return 1;
}

static int is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == ':' || c == '.';
}

static int entity_ok(const char *p)
{
    static const char *const ents[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
    for (size_t i = 0; i < 5; i++)
        if (strncmp(p, ents[i], strlen(ents[i])) == 0)
            return 1;
    if (p[1] == '#') {
        p += 2;
        while (*p >= '0' && *p <= '9')
            p++;
        return *p == ';';
    }
    return 0;
}

/* 1 when s is a well-formed XML document (the subset the report writes); else 0 with why filled. */
static int xml_ok(const char *s, char *why, size_t whylen)
{
    char stack[64][32];
    int depth = 0, roots = 0;
    const char *p = s;
    if (!utf8_valid((const unsigned char *)s))
        return snprintf(why, whylen, "not UTF-8"), 0;
    while (*p) {
        if (*p != '<') {
            if (*p == '&' && !entity_ok(p))
                return snprintf(why, whylen, "bad entity at %zu", (size_t)(p - s)), 0;
            if (depth == 0 && *p != ' ' && *p != '\n')
                return snprintf(why, whylen, "text outside the root at %zu", (size_t)(p - s)), 0;
            p++;
            continue;
        }
        if (strncmp(p, "<?", 2) == 0 || strncmp(p, "<!DOCTYPE", 9) == 0) {
            const char *e = strchr(p, '>');
            if (!e || depth)
                return snprintf(why, whylen, "bad prolog"), 0;
            p = e + 1;
            continue;
        }
        if (p[1] == '/') {
            const char *n = p + 2, *e = n;
            while (is_name_char(*e))
                e++;
            if (*e != '>' || depth == 0 || (size_t)(e - n) != strlen(stack[depth - 1]) ||
                strncmp(n, stack[depth - 1], (size_t)(e - n)) != 0)
                return snprintf(why, whylen, "mismatched end tag at %zu", (size_t)(p - s)), 0;
            depth--;
            p = e + 1;
            continue;
        }
        const char *n = ++p;
        while (is_name_char(*p))
            p++;
        if (p == n || p - n >= 32)
            return snprintf(why, whylen, "bad tag name at %zu", (size_t)(n - s)), 0;
        if (depth == 0 && roots++)
            return snprintf(why, whylen, "two roots"), 0;
        if (depth == 64)
            return snprintf(why, whylen, "too deep"), 0;
        memcpy(stack[depth], n, (size_t)(p - n));
        stack[depth][p - n] = 0;
        for (;;) {
            while (*p == ' ' || *p == '\n')
                p++;
            if (*p == '>' || strncmp(p, "/>", 2) == 0)
                break;
            const char *an = p;
            while (is_name_char(*p))
                p++;
            if (p == an || *p != '=' || (p[1] != '"' && p[1] != '\''))
                return snprintf(why, whylen, "bad attribute at %zu", (size_t)(an - s)), 0;
            char q = p[1];
            p += 2;
            while (*p && *p != q) {
                if (*p == '<' || (*p == '&' && !entity_ok(p)))
                    return snprintf(why, whylen, "bad attribute value at %zu", (size_t)(p - s)), 0;
                p++;
            }
            if (!*p)
                return snprintf(why, whylen, "unterminated attribute"), 0;
            p++;
        }
        if (*p == '/')
            p += 2;
        else
            depth++, p++;
    }
    if (depth || roots != 1)
        return snprintf(why, whylen, "unclosed elements (%d) or %d roots", depth, roots), 0;
    return 1;
}

/* ---- helpers ---- */

static size_t count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* The d attribute of the k-th path of a class (k from 0), copied into buf. */
static const char *path_d(const char *doc, const char *cls, int k, char *buf, size_t len)
{
    char key[64];
    snprintf(key, sizeof key, "<path class=\"%s\" d=\"", cls);
    const char *p = doc;
    for (int i = 0; p && (p = strstr(p, key)); i++, p++)
        if (i == k) {
            p += strlen(key);
            const char *e = strchr(p, '"');
            size_t n = (size_t)(e - p) < len - 1 ? (size_t)(e - p) : len - 1;
            memcpy(buf, p, n);
            buf[n] = 0;
            return buf;
        }
    buf[0] = 0;
    return NULL;
}

/* Points in a path's d (M and L commands). */
static size_t path_points(const char *d) { return count(d, "M") + count(d, "L"); }

/* Metrics lines of a regression run: n batches of `size` records, rmse falling as 1 + 1/batch. */
static void regression_lines(sml_strbuf *sb, const char *run, int n, int size)
{
    for (int b = 1; b <= n; b++) {
        double bm = 1 + 1.0 / b;
        sml_strbuf_addf(sb,
                        "{\"run\": \"%s\", \"batch\": %d, \"records\": %d, \"batch_records\": %d, \"time\": %d.5, "
                        "\"elapsed_s\": %g, \"task\": \"regression\", \"batch_metrics\": {\"rmse\": %.17g, \"mae\": "
                        "%.17g}, \"cumulative\": {\"rmse\": %.17g, \"mae\": %.17g}, \"records_per_s\": 1000}\n",
                        run, b, b * size, size, 1763740000 + b, 0.5 * b, bm, bm / 2, bm + 0.1, bm / 2 + 0.1);
    }
}

static char *render(sml_report *r, sml_report_format f, const sml_report_options *o)
{
    char *out = NULL;
    size_t len = 0;
    sml_error err = SML_ERROR_INIT;
    int rc = sml_report_render(r, f, o, &out, &len, &err);
    CHECK_MSG(rc == 0, "render: %s", err.msg);
    if (out) {
        char why[128] = "";
        CHECK_INT(strlen(out), len);
        CHECK_MSG(xml_ok(out, why, sizeof why), "not well-formed: %s", why);
    }
    return out;
}

static sml_report *report_of(const char *text, const char *source)
{
    sml_report *r = sml_report_new(NULL);
    sml_error err = SML_ERROR_INIT;
    int rc = sml_report_add_run(r, NULL, text, strlen(text), source, &err);
    CHECK_MSG(rc >= 1, "add_run: %s", err.msg);
    return r;
}

/* ---- tests ---- */

static void test_checker_rejects_bad_xml(void)
{
    char why[128];
    CHECK(xml_ok("<a><b x=\"1\"/>t &amp; u</a>", why, sizeof why));
    CHECK(!xml_ok("<a><b></a>", why, sizeof why));
    CHECK(!xml_ok("<a>x < y</a>", why, sizeof why));
    CHECK(!xml_ok("<a>x & y</a>", why, sizeof why));
    CHECK(!xml_ok("<a x=\"<\"/>", why, sizeof why));
    CHECK(!xml_ok("<a/><b/>", why, sizeof why));
}

static void test_two_runs_one_line_each(void)
{
    sml_strbuf a = SML_STRBUF_INIT, b = SML_STRBUF_INIT;
    regression_lines(&a, "online", 20, 1000);
    regression_lines(&b, "adagrad", 12, 1500); /* a shorter run */
    sml_report *r = sml_report_new(NULL);
    CHECK_INT(sml_report_add_run(r, NULL, a.buf, a.len, "a.jsonl", NULL), 1);
    CHECK_INT(sml_report_add_run(r, NULL, b.buf, b.len, "b.jsonl", NULL), 1);
    CHECK_INT(sml_report_run_count(r), 2);
    char *svg = render(r, SML_REPORT_SVG, NULL);
    if (svg) {
        CHECK(strncmp(svg, "<?xml", 5) == 0);
        CHECK_INT(count(svg, "<path class=\"cum\""), 2);
        CHECK_INT(count(svg, "<path class=\"batch\""), 2);
        CHECK_INT(count(svg, "<path class=\"weight\""), 0); /* no weights traced */
        CHECK(strstr(svg, "</title>online</text>") != NULL);
        CHECK(strstr(svg, "</title>adagrad</text>") != NULL);
        CHECK(strstr(svg, "Prequential rmse") != NULL);
        CHECK(strstr(svg, "records read") != NULL);
        CHECK(strstr(svg, ">streamml report</text>") != NULL);
        char d[65536];
        path_d(svg, "cum", 0, d, sizeof d);
        CHECK_INT(path_points(d), 20);
        CHECK_INT(count(d, "M"), 1);
        path_d(svg, "cum", 1, d, sizeof d);
        CHECK_INT(path_points(d), 12);
    }
    free(svg);
    sml_report_free(r);
    sml_strbuf_release(&a);
    sml_strbuf_release(&b);
}

static void test_round_ticks(void)
{
    sml_strbuf a = SML_STRBUF_INIT;
    regression_lines(&a, "online", 120, 1000); /* records 1000 .. 120000 */
    sml_report *r = report_of(a.buf, "a.jsonl");
    char *svg = render(r, SML_REPORT_SVG, NULL);
    if (svg) {
        CHECK(strstr(svg, "text-anchor=\"middle\">0</text>") != NULL);
        CHECK(strstr(svg, ">20k</text>") != NULL);
        CHECK(strstr(svg, ">120k</text>") != NULL);
        /* rmse in [1.1, 2.1]: ticks at round values, printed short */
        CHECK(strstr(svg, "text-anchor=\"end\">1.2</text>") != NULL);
        CHECK(strstr(svg, "text-anchor=\"end\">2</text>") != NULL);
        CHECK(strstr(svg, "0000001") == NULL && strstr(svg, "99999") == NULL);
    }
    free(svg);
    sml_report_free(r);
    sml_strbuf_release(&a);
}

static void test_names_are_escaped(void)
{
    const char *text =
        "{\"run\": \"x<y> & 'z'\", \"batch\": 1, \"records\": 10, \"task\": \"regression\", \"cumulative\": "
        "{\"rmse\": 1}, \"weights\": {\"intercept\": 5, \"a<b&\\\"c\\\"\": 0.5, \"plain\": -0.25}}\n"
        "{\"run\": \"x<y> & 'z'\", \"batch\": 2, \"records\": 20, \"task\": \"regression\", \"cumulative\": "
        "{\"rmse\": 0.9}, \"weights\": {\"intercept\": 5, \"a<b&\\\"c\\\"\": 0.7, \"plain\": -0.5}}\n";
    sml_report *r = report_of(text, "w.jsonl");
    char *svg = render(r, SML_REPORT_SVG, NULL);
    if (svg) {
        CHECK(strstr(svg, "a&lt;b&amp;&quot;c&quot;") != NULL);
        CHECK(strstr(svg, "a<b") == NULL);
        CHECK(strstr(svg, "x&lt;y&gt; &amp; &apos;z&apos;") != NULL);
        CHECK_INT(count(svg, "<path class=\"weight\""), 2); /* the intercept is left out */
        CHECK(strstr(svg, ">intercept<") == NULL);
    }
    free(svg);
    sml_report_free(r);
}

static void test_invalid_utf8_and_controls_stay_well_formed(void)
{
    const char *text = "{\"run\": \"bad\\u0001\xff\xfe name\", \"batch\": 1, \"records\": 10, \"cumulative\": "
                       "{\"rmse\": 1}}\n";
    sml_report *r = report_of(text, "u.jsonl");
    sml_report_options o = SML_REPORT_OPTIONS_INIT;
    o.title = "caf\xc3\xa9 \xc0\x80 <report>";
    char *svg = render(r, SML_REPORT_SVG, &o); /* render checks UTF-8 and well-formedness */
    if (svg) {
        CHECK(strstr(svg, "caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd &lt;report&gt;") != NULL);
        CHECK(strstr(svg, "bad \xef\xbf\xbd\xef\xbf\xbd name") != NULL);
    }
    free(svg);
    sml_report_free(r);
}

static void test_top_k_by_final_weight(void)
{
    sml_strbuf sb = SML_STRBUF_INIT;
    for (int b = 1; b <= 5; b++) {
        sml_strbuf_addf(&sb, "{\"batch\": %d, \"records\": %d, \"cumulative\": {\"rmse\": 1}, \"weights\": "
                             "{\"intercept\": 9",
                        b, 100 * b);
        for (int f = 0; f < 12; f++) /* final |w| grows with f, alternating signs */
            sml_strbuf_addf(&sb, ", \"f%02d\": %d", f, (f % 2 ? -1 : 1) * (f + 1) * b);
        sml_strbuf_adds(&sb, "}}\n");
    }
    sml_report *r = report_of(sb.buf, "t.jsonl");
    sml_report_options o = SML_REPORT_OPTIONS_INIT;
    o.top = 3;
    char *svg = render(r, SML_REPORT_SVG, &o);
    if (svg) {
        CHECK_INT(count(svg, "<path class=\"weight\""), 3);
        CHECK(strstr(svg, "</title>f11</text>") && strstr(svg, "</title>f10</text>") &&
              strstr(svg, "</title>f09</text>"));
        CHECK(strstr(svg, "</title>f08</text>") == NULL);
        CHECK(strstr(svg, "Largest weights: t") != NULL); /* run named after the file */
        /* f11 (largest) comes first in the legend */
        CHECK(strstr(svg, "</title>f11</text>") < strstr(svg, "</title>f10</text>"));
    }
    free(svg);
    o.top = 0;
    svg = render(r, SML_REPORT_SVG, &o);
    if (svg)
        CHECK_INT(count(svg, "<path class=\"weight\""), 0);
    free(svg);
    o.top = 8;
    svg = render(r, SML_REPORT_SVG, &o);
    if (svg)
        CHECK_INT(count(svg, "<path class=\"weight\""), 8);
    free(svg);
    sml_report_free(r);
    sml_strbuf_release(&sb);
}

static void test_weights_appear_and_disappear(void)
{
    /* "late" appears at batch 3 of complete lists (0 before: no gap); "part" is missing from a batch whose list was
     * cut ("_omitted"): unknown there, a gap; "gone" leaves the complete list at batch 4 (0 after). */
    const char *text =
        "{\"batch\": 1, \"records\": 10, \"cumulative\": {\"rmse\": 1}, \"weights\": {\"part\": 1, \"gone\": 2}}\n"
        "{\"batch\": 2, \"records\": 20, \"cumulative\": {\"rmse\": 1}, \"weights\": {\"part\": 1.1, \"gone\": 2}}\n"
        "{\"batch\": 3, \"records\": 30, \"cumulative\": {\"rmse\": 1}, \"weights\": {\"late\": 3, \"gone\": 2, "
        "\"_omitted\": 4}}\n"
        "{\"batch\": 4, \"records\": 40, \"cumulative\": {\"rmse\": 1}, \"weights\": {\"late\": 3.5, \"part\": 1.2}}\n"
        "{\"batch\": 5, \"records\": 50, \"cumulative\": {\"rmse\": 1}, \"weights\": {\"late\": 4, \"part\": 1.3}}\n";
    sml_report *r = report_of(text, "w.jsonl");
    char *svg = render(r, SML_REPORT_SVG, NULL);
    if (svg) {
        char d[4096];
        CHECK_INT(count(svg, "<path class=\"weight\""), 3);
        /* legend order = final |weight|: late, part, gone */
        CHECK(strstr(svg, "</title>late</text>") < strstr(svg, "</title>part</text>"));
        CHECK(strstr(svg, "</title>part</text>") < strstr(svg, "</title>gone</text>"));
        path_d(svg, "weight", 0, d, sizeof d); /* late: 0, 0, 3, 3.5, 4 */
        CHECK_INT(path_points(d), 5);
        CHECK_INT(count(d, "M"), 1);
        path_d(svg, "weight", 1, d, sizeof d); /* part: 1, 1.1, gap, 1.2, 1.3 */
        CHECK_INT(path_points(d), 4);
        CHECK_INT(count(d, "M"), 2);
        path_d(svg, "weight", 2, d, sizeof d); /* gone: 2, 2, 2, 0, 0 */
        CHECK_INT(path_points(d), 5);
    }
    free(svg);
    sml_report_free(r);
}

static void test_nan_and_missing_values_leave_gaps(void)
{
    const char *text = "{\"batch\": 1, \"records\": 10, \"cumulative\": {\"rmse\": 2}, \"batch_metrics\": {\"rmse\": 2}}\n"
                       "{\"batch\": 2, \"records\": 20, \"cumulative\": {\"rmse\": 1.5}, \"batch_metrics\": {\"rmse\": 1}}\n"
                       "{\"batch\": 3, \"records\": 30, \"cumulative\": {\"rmse\": null}, \"batch_metrics\": {}}\n"
                       "{\"batch\": 4, \"records\": 40, \"cumulative\": {\"rmse\": 1.4}, \"batch_metrics\": {\"rmse\": 1.2}}\n"
                       "\n"
                       "{\"batch\": 5, \"records\": 50, \"cumulative\": {\"rmse\": 1.3}}\n"
                       "{\"batch\": 6, \"cumulative\": {\"rmse\": 1.2}, \"batch_metrics\": {\"rmse\": 0.9}}\n"
                       "{\"batch\": 7, \"records\": 70, \"cumulative\": {\"rmse\": 1.1}, \"batch_metrics\": {\"rmse\": 0.8}}\n";
    sml_report *r = report_of(text, "g.jsonl");
    char *svg = render(r, SML_REPORT_SVG, NULL);
    if (svg) {
        char d[4096];
        path_d(svg, "cum", 0, d, sizeof d); /* 1 2 | 4 5 | 7 (no x at 6) */
        CHECK_INT(path_points(d), 5);
        CHECK_INT(count(d, "M"), 3);
        CHECK_INT(count(d, "h0"), 1); /* batch 7 alone: a dot */
        path_d(svg, "batch", 0, d, sizeof d); /* 1 2 | 4 | 7 */
        CHECK_INT(path_points(d), 4);
        CHECK_INT(count(d, "M"), 3);
        CHECK_INT(count(svg, "<circle class=\"dot\""), 3); /* lone points: cum 7, batch 4 and 7 */
    }
    free(svg);
    sml_report_free(r);
}

static void test_single_batch(void)
{
    const char *text = "{\"run\": \"one\", \"batch\": 1, \"records\": 1000, \"task\": \"classification\", "
                       "\"cumulative\": {\"logloss\": 0.5}, \"batch_metrics\": {\"logloss\": 0.5}}";
    sml_report *r = report_of(text, "s.jsonl"); /* no final newline either */
    char *svg = render(r, SML_REPORT_SVG, NULL);
    if (svg) {
        CHECK(strstr(svg, "Prequential logloss") != NULL);
        CHECK_INT(count(svg, "<path class=\"cum\""), 1);
        CHECK_INT(count(svg, "<circle class=\"dot\""), 2);
        CHECK(strstr(svg, "nan") == NULL && strstr(svg, "inf") == NULL);
    }
    free(svg);
    sml_report_free(r);
}

/* Smallest y coordinate (highest point) in a path's d. */
static double path_min_y(const char *d)
{
    double best = 1e9;
    for (const char *p = d; (p = strchr(p, ',')); p++) {
        double y = strtod(p + 1, NULL);
        if (y < best)
            best = y;
    }
    return best;
}

static void test_downsampling_caps_points_and_keeps_peaks(void)
{
    sml_strbuf sb = SML_STRBUF_INIT;
    for (int b = 1; b <= 10000; b++)
        sml_strbuf_addf(&sb, "{\"batch\": %d, \"records\": %d, \"cumulative\": {\"rmse\": %g}, "
                             "\"batch_metrics\": {\"rmse\": %g}}\n",
                        b, 100 * b, 1 + 1.0 / b, b == 5003 ? 100.0 : 1 + (b % 7) * 0.01);
    sml_report *r = report_of(sb.buf, "big.jsonl");
    char *svg = render(r, SML_REPORT_SVG, NULL);
    static char d[1 << 20];
    if (svg) {
        path_d(svg, "cum", 0, d, sizeof d);
        CHECK(path_points(d) <= 2000 && path_points(d) >= 1000);
        path_d(svg, "batch", 0, d, sizeof d);
        CHECK(path_points(d) <= 2000);
        CHECK_NEAR(path_min_y(d), 56, 0.05); /* the one spike reaches the top of the plot */
    }
    free(svg);
    sml_report_options o = SML_REPORT_OPTIONS_INIT;
    o.max_points = 100;
    svg = render(r, SML_REPORT_SVG, &o);
    if (svg) {
        path_d(svg, "batch", 0, d, sizeof d);
        CHECK(path_points(d) <= 100);
        CHECK_NEAR(path_min_y(d), 56, 0.05);
        CHECK_INT(count(d, "M"), 1);
    }
    free(svg);
    sml_report_free(r);
    sml_strbuf_release(&sb);
}

static void test_downsampling_keeps_gaps(void)
{
    sml_strbuf sb = SML_STRBUF_INIT;
    for (int b = 1; b <= 5000; b++) /* a hole from 2000 to 2100 */
        sml_strbuf_addf(&sb, "{\"batch\": %d, \"records\": %d, \"cumulative\": {\"rmse\": %s}}\n", b, b,
                        b >= 2000 && b < 2100 ? "null" : "1.5");
    sml_report *r = report_of(sb.buf, "gap.jsonl");
    sml_report_options o = SML_REPORT_OPTIONS_INIT;
    o.max_points = 200;
    char *svg = render(r, SML_REPORT_SVG, &o);
    static char d[1 << 16];
    if (svg) {
        path_d(svg, "cum", 0, d, sizeof d);
        CHECK(path_points(d) <= 200);
        CHECK_INT(count(d, "M"), 2);
    }
    free(svg);
    sml_report_free(r);
    sml_strbuf_release(&sb);
}

static void test_errors_name_file_and_line(void)
{
    sml_report *r = sml_report_new(NULL);
    sml_error err = SML_ERROR_INIT;
    const char *bad_json = "{\"batch\": 1, \"records\": 1}\n\n{\"batch\": 2, \"records\": }\n";
    CHECK_INT(sml_report_add_run(r, NULL, bad_json, strlen(bad_json), "m.jsonl", &err), SML_EPARSE);
    CHECK_MSG(strncmp(err.msg, "m.jsonl:3:", 10) == 0, "%s", err.msg);
    const char *not_object = "{\"batch\": 1}\n[1, 2]\n";
    CHECK_INT(sml_report_add_run(r, NULL, not_object, strlen(not_object), "m.jsonl", &err), SML_EPARSE);
    CHECK_STR(err.msg, "m.jsonl:2: expected a JSON object, one per line");
    const char *trailing = "{\"batch\": 1} x\n";
    CHECK_INT(sml_report_add_run(r, NULL, trailing, strlen(trailing), "m.jsonl", &err), SML_EPARSE);
    CHECK_STR(err.msg, "m.jsonl:1:14: text after the JSON object");
    const char *wrong_type = "{\"batch\": 1, \"records\": \"many\"}\n";
    CHECK_INT(sml_report_add_run(r, NULL, wrong_type, strlen(wrong_type), "m.jsonl", &err), SML_EPARSE);
    CHECK_STR(err.msg, "m.jsonl:1: \"records\" should be a number");
    const char *bad_metric = "{\"batch\": 1}\n{\"batch\": 2, \"cumulative\": {\"rmse\": \"low\"}}\n";
    CHECK_INT(sml_report_add_run(r, NULL, bad_metric, strlen(bad_metric), "m.jsonl", &err), SML_EPARSE);
    CHECK_STR(err.msg, "m.jsonl:2: cumulative.rmse should be a number");
    CHECK_INT(sml_report_add_run(r, NULL, "", 0, "empty.jsonl", &err), SML_EFORMAT);
    CHECK_STR(err.msg, "empty.jsonl: no metrics lines (empty file)");
    CHECK_INT(sml_report_add_run(r, NULL, "\n  \n", 4, "blank.jsonl", &err), SML_EFORMAT);
    CHECK_INT(sml_report_run_count(r), 0); /* nothing added on failure */
    char *out = (char *)1;
    CHECK_INT(sml_report_render(r, SML_REPORT_SVG, NULL, &out, NULL, &err), SML_ESTATE);
    CHECK(out == NULL);
    sml_report_free(r);
    sml_report_free(NULL);
}

static void test_metric_choice(void)
{
    sml_strbuf a = SML_STRBUF_INIT;
    regression_lines(&a, "online", 5, 10);
    sml_report *r = report_of(a.buf, "a.jsonl");
    sml_report_options o = SML_REPORT_OPTIONS_INIT;
    o.metric = "mae";
    char *svg = render(r, SML_REPORT_SVG, &o);
    if (svg)
        CHECK(strstr(svg, "Prequential mae") != NULL);
    free(svg);
    o.metric = "auc";
    sml_error err = SML_ERROR_INIT;
    char *out = NULL;
    CHECK_INT(sml_report_render(r, SML_REPORT_SVG, &o, &out, NULL, &err), SML_ENOTFOUND);
    CHECK_MSG(strstr(err.msg, "\"auc\"") && strstr(err.msg, "rmse, mae"), "%s", err.msg);
    o.metric = NULL;
    o.top = -1;
    CHECK_INT(sml_report_render(r, SML_REPORT_SVG, &o, &out, NULL, &err), SML_EINVAL);
    o.top = 8;
    o.max_points = 3;
    CHECK_INT(sml_report_render(r, SML_REPORT_SVG, &o, &out, NULL, &err), SML_EINVAL);
    o.max_points = 0;
    o.x = SML_REPORT_X_TIME;
    o.log_y = 1;
    o.title = "Drift & recovery";
    svg = render(r, SML_REPORT_SVG, &o);
    if (svg) {
        CHECK(strstr(svg, "elapsed seconds") != NULL);
        CHECK(strstr(svg, "(log scale)") != NULL);
        CHECK(strstr(svg, ">Drift &amp; recovery</text>") != NULL);
        CHECK(strstr(svg, "text-anchor=\"end\">1</text>") != NULL); /* 1-2-5 ticks around 1.1 .. 2.1 */
        CHECK(strstr(svg, "text-anchor=\"end\">5</text>") && strstr(svg, "text-anchor=\"end\">2</text>"));
        CHECK(strstr(svg, "text-anchor=\"end\">10</text>") == NULL);
    }
    free(svg);
    sml_report_free(r);
    sml_strbuf_release(&a);
}

static void test_log_scale_drops_non_positive(void)
{
    const char *text = "{\"batch\": 1, \"records\": 1, \"cumulative\": {\"r2\": 0.5}}\n"
                       "{\"batch\": 2, \"records\": 2, \"cumulative\": {\"r2\": -0.5}}\n"
                       "{\"batch\": 3, \"records\": 3, \"cumulative\": {\"r2\": 0.05}}\n"
                       "{\"batch\": 4, \"records\": 4, \"cumulative\": {\"r2\": 0.01}}\n";
    sml_report *r = report_of(text, "l.jsonl");
    sml_report_options o = SML_REPORT_OPTIONS_INIT;
    o.metric = "r2";
    o.log_y = 1;
    char *svg = render(r, SML_REPORT_SVG, &o);
    if (svg) {
        char d[1024];
        path_d(svg, "cum", 0, d, sizeof d);
        CHECK_INT(path_points(d), 3);
        CHECK_INT(count(d, "M"), 2);
        CHECK(strstr(svg, ">0.01</text>") && strstr(svg, ">0.1</text>") && strstr(svg, ">1</text>"));
    }
    free(svg);
    sml_report_free(r);
}

static void test_appended_runs_and_names(void)
{
    sml_strbuf a = SML_STRBUF_INIT;
    regression_lines(&a, "online", 3, 10);
    regression_lines(&a, "online", 2, 10); /* the same run name appended again: batch goes back to 1 */
    regression_lines(&a, "other", 2, 10);
    sml_report *r = sml_report_new(NULL);
    CHECK_INT(sml_report_add_run(r, NULL, a.buf, a.len, "runs/a.jsonl", NULL), 3);
    const char *anon = "{\"batch\": 1, \"records\": 5, \"cumulative\": {\"rmse\": 1}}\n";
    CHECK_INT(sml_report_add_run(r, NULL, anon, strlen(anon), "dir/b.metrics.jsonl", NULL), 1);
    CHECK_INT(sml_report_add_run(r, "online", anon, strlen(anon), "c.jsonl", NULL), 1);
    char *html = render(r, SML_REPORT_HTML, NULL);
    if (html) {
        CHECK(strstr(html, "</title>online</text>") && strstr(html, "</title>online (2)</text>") &&
              strstr(html, "</title>other</text>") && strstr(html, "</title>b.metrics</text>") &&
              strstr(html, "</title>online (3)</text>"));
        CHECK_INT(count(html, "<path class=\"cum\""), 5);
    }
    free(html);
    sml_report_free(r);
    sml_strbuf_release(&a);
}

static void test_html_summary_table(void)
{
    const char *text =
        "{\"run\": \"online\", \"batch\": 1, \"records\": 1000, \"elapsed_s\": 0.5, \"task\": \"classification\", "
        "\"cumulative\": {\"logloss\": 0.7, \"auc\": 0.6}}\n"
        "{\"run\": \"online\", \"batch\": 2, \"records\": 3000, \"elapsed_s\": 1.5, \"task\": \"classification\", "
        "\"cumulative\": {\"logloss\": 0.123456789, \"auc\": 0.81}}\n";
    sml_report *r = report_of(text, "a.jsonl");
    char *html = render(r, SML_REPORT_HTML, NULL);
    if (html) {
        CHECK(strncmp(html, "<!DOCTYPE html>", 15) == 0);
        CHECK(strstr(html, "<svg xmlns=\"http://www.w3.org/2000/svg\"") != NULL);
        CHECK(strstr(html, "<th>logloss</th><th>auc</th>") != NULL);
        CHECK(strstr(html, "</span>online</td><td>a.jsonl</td><td>classification</td><td>2</td><td>3000</td>"
                           "<td>1.5</td><td>2000</td><td>0.1235</td><td>0.81</td></tr>") != NULL);
        CHECK(strstr(html, "<?xml") == NULL);
    }
    free(html);
    sml_report_free(r);
}

static void test_extreme_values(void)
{
    const char *text =
        "{\"batch\": 1, \"records\": -5, \"elapsed_s\": 1e308, \"cumulative\": {\"rmse\": 1.7e308}, "
        "\"batch_metrics\": {\"rmse\": 5e-324}, \"weights\": {\"x\": 1e308, \"y\": -1e308, \"_omitted\": 1}}\n"
        "{\"batch\": 2, \"records\": 1e300, \"cumulative\": {\"rmse\": -1e308}, \"batch_metrics\": {\"rmse\": 0}}\n"
        "{\"batch\": 3, \"records\": 1e300, \"cumulative\": {\"rmse\": 0}, \"weights\": {}}\n";
    sml_report *r = report_of(text, "x.jsonl");
    sml_report_options o = SML_REPORT_OPTIONS_INIT;
    for (int k = 0; k < 4; k++) {
        o.x = k & 1 ? SML_REPORT_X_TIME : SML_REPORT_X_RECORDS;
        o.log_y = k >> 1;
        char *svg = render(r, SML_REPORT_SVG, &o);
        if (svg)
            CHECK(strstr(svg, "nan") == NULL && strstr(svg, "inf") == NULL);
        free(svg);
    }
    sml_report_free(r);
}

static void test_format_for_path(void)
{
    CHECK_INT(sml_report_format_for_path("r.html"), SML_REPORT_HTML);
    CHECK_INT(sml_report_format_for_path("R.HTM"), SML_REPORT_HTML);
    CHECK_INT(sml_report_format_for_path("r.svg"), SML_REPORT_SVG);
    CHECK_INT(sml_report_format_for_path("html"), SML_REPORT_SVG);
    CHECK_INT(sml_report_format_for_path(NULL), SML_REPORT_SVG);
}

int main(void)
{
    RUN(test_checker_rejects_bad_xml);
    RUN(test_two_runs_one_line_each);
    RUN(test_round_ticks);
    RUN(test_names_are_escaped);
    RUN(test_invalid_utf8_and_controls_stay_well_formed);
    RUN(test_top_k_by_final_weight);
    RUN(test_weights_appear_and_disappear);
    RUN(test_nan_and_missing_values_leave_gaps);
    RUN(test_single_batch);
    RUN(test_downsampling_caps_points_and_keeps_peaks);
    RUN(test_downsampling_keeps_gaps);
    RUN(test_errors_name_file_and_line);
    RUN(test_metric_choice);
    RUN(test_log_scale_drops_non_positive);
    RUN(test_appended_runs_and_names);
    RUN(test_html_summary_table);
    RUN(test_extreme_values);
    RUN(test_format_for_path);
    return UNIT_DONE();
}
