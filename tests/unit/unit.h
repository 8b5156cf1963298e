/*
 * A tiny unit-test harness. Each test is a function run by RUN(); CHECK* macros record failures without
 * stopping the test. Prints "ok N name" / "not ok N name" lines and a final "# N passed, N failed".
 */
#ifndef SML_UNIT_H
#define SML_UNIT_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int unit_failed_checks, unit_passed, unit_failed, unit_n;

#define CHECK(cond)                                                                                            \
    do {                                                                                                       \
        if (!(cond)) {                                                                                         \
            unit_failed_checks++;                                                                              \
            fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                         \
        }                                                                                                      \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                                   \
    do {                                                                                                       \
        if (!(cond)) {                                                                                         \
            unit_failed_checks++;                                                                              \
            fprintf(stderr, "  %s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);                         \
            fprintf(stderr, __VA_ARGS__);                                                                      \
            fputc('\n', stderr);                                                                               \
        }                                                                                                      \
    } while (0)

#define CHECK_INT(a, b)                                                                                        \
    do {                                                                                                       \
        long long ua_ = (long long)(a), ub_ = (long long)(b);                                                  \
        CHECK_MSG(ua_ == ub_, "%lld != %lld", ua_, ub_);                                                       \
    } while (0)

#define CHECK_STR(a, b)                                                                                        \
    do {                                                                                                       \
        const char *ua_ = (a), *ub_ = (b);                                                                     \
        CHECK_MSG(ua_ && ub_ && strcmp(ua_, ub_) == 0, "\"%s\" != \"%s\"", ua_ ? ua_ : "(null)",               \
                  ub_ ? ub_ : "(null)");                                                                       \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                                                  \
    do {                                                                                                       \
        double ua_ = (a), ub_ = (b);                                                                           \
        CHECK_MSG(fabs(ua_ - ub_) <= (tol), "%.17g vs %.17g (tol %g)", ua_, ub_, (double)(tol));               \
    } while (0)

#define RUN(fn)                                                                                                \
    do {                                                                                                       \
        int before_ = unit_failed_checks;                                                                      \
        fn();                                                                                                  \
        unit_n++;                                                                                              \
        if (unit_failed_checks == before_) {                                                                   \
            unit_passed++;                                                                                     \
            printf("ok %d %s\n", unit_n, #fn);                                                                 \
        } else {                                                                                               \
            unit_failed++;                                                                                     \
            printf("not ok %d %s\n", unit_n, #fn);                                                             \
        }                                                                                                      \
        fflush(stdout);                                                                                        \
    } while (0)

#define UNIT_DONE()                                                                                            \
    (printf("# %d passed, %d failed\n", unit_passed, unit_failed), unit_failed ? 1 : 0)

#endif
