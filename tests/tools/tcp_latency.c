/*
 * tcp_latency: record-at-a-time latency of `streamml run --from tcp-listen://… --keep ts --batch-size 1 --to -`.
 * Connects to the run's port and sends the rows of a CSV file at a fixed rate (paced with absolute-time sleeps, not
 * a busy loop, so the producer leaves the cores to the engine), each prefixed with its send time in nanoseconds of
 * CLOCK_MONOTONIC; a second thread reads the run's output on stdin (ts first) and takes now − ts for every line.
 * Prints count, p50, p99, p99.9 and max in milliseconds.
 * Usage: tcp_latency PORT DATA.csv RATE SECONDS < run-output
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

typedef struct reader {
    double *lat;      /* room for every record sent */
    _Atomic size_t n; /* latencies taken so far */
    size_t cap;
} reader;

static void *read_output(void *arg)
{
    reader *r = arg;
    char line[65536];
    while (fgets(line, sizeof line, stdin)) {
        int64_t t = now_ns();
        char *end;
        double ts = strtod(line, &end);
        if (end == line || *end != ',')
            continue; /* the header */
        size_t i = r->n;
        if (i == r->cap)
            break;
        r->lat[i] = (double)(t - (int64_t)ts) / 1e6;
        r->n = i + 1;
    }
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int send_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t w = send(fd, buf, len, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: tcp_latency PORT DATA.csv RATE SECONDS < run-output\n");
        return 2;
    }
    int port = atoi(argv[1]);
    double rate = atof(argv[3]), secs = atof(argv[4]);
    FILE *f = fopen(argv[2], "r");
    if (!f) {
        perror(argv[2]);
        return 1;
    }
    size_t nrows = 0, cap = 0;
    char **rows = NULL, line[65536];
    while (fgets(line, sizeof line, f)) {
        if (nrows == cap) {
            cap = cap ? 2 * cap : 1024;
            char **p = realloc(rows, cap * sizeof *p);
            if (!p)
                return 1;
            rows = p;
        }
        line[strcspn(line, "\r\n")] = 0;
        rows[nrows++] = strdup(line);
    }
    fclose(f);
    if (nrows < 2) {
        fprintf(stderr, "%s: no rows\n", argv[2]);
        return 1;
    }
    size_t total = (size_t)(rate * secs);
    reader r = {.lat = calloc(total ? total : 1, sizeof(double)), .cap = total};
    pthread_t th;
    pthread_create(&th, NULL, read_output, &r);

    int fd = -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < 200; i++) {
        fd = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0)
            break;
        close(fd);
        fd = -1;
        usleep(50000);
    }
    if (fd < 0) {
        fprintf(stderr, "cannot connect to 127.0.0.1:%d\n", port);
        return 1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char buf[70000];
    int n = snprintf(buf, sizeof buf, "ts,%s\n", rows[0]);
    if (send_all(fd, buf, (size_t)n) != 0)
        return 1;
    int64_t t0 = now_ns() + 100000000; /* let the header through first */
    for (size_t i = 0; i < total; i++) {
        int64_t target = t0 + (int64_t)((double)i * 1e9 / rate);
        struct timespec ts = {(time_t)(target / 1000000000), (long)(target % 1000000000)};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
            ;
        n = snprintf(buf, sizeof buf, "%lld,%s\n", (long long)now_ns(), rows[1 + i % (nrows - 1)]);
        if (send_all(fd, buf, (size_t)n) != 0) {
            fprintf(stderr, "send failed after %zu records\n", i);
            return 1;
        }
    }
    /* wait up to 2 s for the last predictions; the run keeps listening (the caller stops it) */
    for (int i = 0; i < 200 && r.n < total; i++)
        usleep(10000);
    close(fd);
    pthread_detach(th);
    size_t got = r.n;
    if (got == 0) {
        fprintf(stderr, "no predictions read\n");
        return 1;
    }
    double *lat = malloc(got * sizeof *lat);
    if (!lat)
        return 1;
    memcpy(lat, r.lat, got * sizeof *lat);
    qsort(lat, got, sizeof *lat, cmp_double);
#define Q(p) lat[(size_t)((p) * (double)(got - 1))]
    printf("%zu of %zu records, latency p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms\n", got, total, Q(0.5),
           Q(0.99), Q(0.999), lat[got - 1]);
    fflush(stdout);
    _exit(got == total ? 0 : 1); /* the reader thread may still block on stdin */
}
