/*
 * Linked into ThreadSanitizer builds only (make tsan): C11 threads on top of the pthread functions TSan intercepts.
 *
 * librdkafka runs its threads through C11 <threads.h> (thrd_create, mtx_lock, cnd_wait). glibc implements those
 * by calling its internal pthread functions directly, past TSan's interceptors, and the TSan runtime of clang 14
 * has no interceptors of its own for them: a librdkafka thread was unknown to TSan (its first malloc crashed in
 * the TSan allocator) and its locks invisible (false races on everything handed over through its queues). These
 * definitions in the executable take precedence over glibc's, so the same calls go through the intercepted
 * pthread functions. glibc's mtx_t, cnd_t and thrd_t have the layout of pthread_mutex_t, pthread_cond_t and
 * pthread_t (its own thrd_* are thin casts over them), so the casts below are what glibc does itself.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>

#define EXPORT __attribute__((visibility("default")))

static int from_errno(int rc)
{
    return rc == 0 ? thrd_success : rc == ETIMEDOUT ? thrd_timedout : rc == EBUSY ? thrd_busy
                                  : rc == ENOMEM    ? thrd_nomem
                                                    : thrd_error;
}

typedef struct start {
    thrd_start_t fn;
    void *arg;
} start;

static void *run(void *p)
{
    start s = *(start *)p;
    free(p);
    return (void *)(intptr_t)s.fn(s.arg);
}

EXPORT int thrd_create(thrd_t *thr, thrd_start_t fn, void *arg)
{
    start *s = malloc(sizeof *s);
    if (!s)
        return thrd_nomem;
    s->fn = fn;
    s->arg = arg;
    pthread_t t;
    int rc = pthread_create(&t, NULL, run, s);
    if (rc) {
        free(s);
        return from_errno(rc);
    }
    *thr = (thrd_t)t;
    return thrd_success;
}

EXPORT int thrd_join(thrd_t thr, int *res)
{
    void *r = NULL;
    int rc = pthread_join((pthread_t)thr, &r);
    if (!rc && res)
        *res = (int)(intptr_t)r;
    return from_errno(rc);
}

EXPORT int thrd_detach(thrd_t thr) { return from_errno(pthread_detach((pthread_t)thr)); }

EXPORT int mtx_init(mtx_t *m, int type)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    if (type & mtx_recursive)
        pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    int rc = pthread_mutex_init((pthread_mutex_t *)m, &a);
    pthread_mutexattr_destroy(&a);
    return from_errno(rc);
}

EXPORT int mtx_lock(mtx_t *m) { return from_errno(pthread_mutex_lock((pthread_mutex_t *)m)); }
EXPORT int mtx_trylock(mtx_t *m) { return from_errno(pthread_mutex_trylock((pthread_mutex_t *)m)); }
EXPORT int mtx_timedlock(mtx_t *restrict m, const struct timespec *restrict ts)
{
    return from_errno(pthread_mutex_timedlock((pthread_mutex_t *)m, ts));
}
EXPORT int mtx_unlock(mtx_t *m) { return from_errno(pthread_mutex_unlock((pthread_mutex_t *)m)); }
EXPORT void mtx_destroy(mtx_t *m) { pthread_mutex_destroy((pthread_mutex_t *)m); }

EXPORT int cnd_init(cnd_t *c) { return from_errno(pthread_cond_init((pthread_cond_t *)c, NULL)); }
EXPORT int cnd_signal(cnd_t *c) { return from_errno(pthread_cond_signal((pthread_cond_t *)c)); }
EXPORT int cnd_broadcast(cnd_t *c) { return from_errno(pthread_cond_broadcast((pthread_cond_t *)c)); }
EXPORT int cnd_wait(cnd_t *c, mtx_t *m) { return from_errno(pthread_cond_wait((pthread_cond_t *)c, (pthread_mutex_t *)m)); }
EXPORT int cnd_timedwait(cnd_t *restrict c, mtx_t *restrict m, const struct timespec *restrict ts)
{
    return from_errno(pthread_cond_timedwait((pthread_cond_t *)c, (pthread_mutex_t *)m, ts));
}
EXPORT void cnd_destroy(cnd_t *c) { pthread_cond_destroy((pthread_cond_t *)c); }
