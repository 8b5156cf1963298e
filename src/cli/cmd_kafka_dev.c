/*
 * streamml kafka-dev: a local Kafka-protocol cluster for development and tests, librdkafka's in-process mock
 * (rdkafka_mock.h). Prints the bootstrap address on stdout (and to --bootstrap-file), stays up until
 * SIGINT/SIGTERM. SIGUSR1 takes every broker down (connections cut, new ones refused), SIGUSR2 brings them back:
 * for testing broker outages.
 *
 * Limits of the mock (librdkafka 2.0): it keeps only the last few MB of each partition's log, transactions are not
 * real, a consumer group join takes about 3 s, and a member that dies is noticed after its session timeout.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "cli/cli.h"

static volatile sig_atomic_t got_stop, got_down, got_up;

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        got_down = 1;
    else if (sig == SIGUSR2)
        got_up = 1;
    else
        got_stop = 1;
}

int cmd_kafka_dev(int argc, char **argv)
{
    cli_args a;
    int code;
    rd_kafka_t *rk = NULL;
    rd_kafka_mock_cluster_t *mc = NULL;
    char errstr[512];
    if (cli_parse(cli_find_command("kafka-dev"), argc, argv, &a, &code))
        return code;
    code = EXIT_RUNTIME;
    int brokers = (int)sml_conf_int(a.conf, "brokers"), partitions = (int)sml_conf_int(a.conf, "partitions");
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr) != RD_KAFKA_CONF_OK ||
        !(rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr))) {
        rd_kafka_conf_destroy(conf);
        cli_error("kafka-dev", "cannot create a librdkafka handle: %s", errstr);
        goto out;
    }
    if (!(mc = rd_kafka_mock_cluster_new(rk, brokers))) {
        cli_error("kafka-dev", "cannot start the mock cluster");
        goto out;
    }
    const char *topics = sml_conf_str(a.conf, "topics");
    for (const char *t = topics; t && *t;) {
        const char *c = strchr(t, ',');
        size_t len = c ? (size_t)(c - t) : strlen(t);
        char name[256];
        if (len && len < sizeof name) {
            memcpy(name, t, len);
            name[len] = 0;
            rd_kafka_resp_err_t r = rd_kafka_mock_topic_create(mc, name, partitions, brokers < 3 ? brokers : 3);
            if (r) {
                cli_error("kafka-dev", "cannot create topic %s: %s", name, rd_kafka_err2str(r));
                goto out;
            }
        }
        t = c ? c + 1 : t + len;
    }
    const char *boot = rd_kafka_mock_cluster_bootstraps(mc);
    const char *bf = sml_conf_str(a.conf, "bootstrap_file");
    if (bf) {
        char tmp[4200];
        snprintf(tmp, sizeof tmp, "%s.tmp", bf);
        FILE *f = fopen(tmp, "w");
        if (!f || fprintf(f, "%s\n", boot) < 0 || fclose(f) != 0 || rename(tmp, bf) != 0) {
            cli_error("kafka-dev", "%s: cannot write: %s", bf, strerror(errno));
            goto out;
        }
    }
    printf("%s\n", boot);
    fflush(stdout);
    fprintf(stderr, "streamml kafka-dev: %d broker%s at %s (SIGINT/SIGTERM stops; SIGUSR1 brokers down, SIGUSR2 up)\n",
            brokers, brokers == 1 ? "" : "s", boot);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    while (!got_stop) {
        rd_kafka_poll(rk, 100);
        if (got_down) {
            got_down = 0;
            rd_kafka_mock_broker_set_down(mc, -1);
            fprintf(stderr, "streamml kafka-dev: brokers down\n");
        }
        if (got_up) {
            got_up = 0;
            rd_kafka_mock_broker_set_up(mc, -1);
            fprintf(stderr, "streamml kafka-dev: brokers up\n");
        }
    }
    code = EXIT_OK;
out:
    if (mc)
        rd_kafka_mock_cluster_destroy(mc);
    if (rk)
        rd_kafka_destroy(rk);
    cli_args_release(&a);
    return code;
}
