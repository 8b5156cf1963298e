/*
 * Embedding streamml: load a published model and score records from C, from several threads at once.
 *
 *   cc embed.c $(pkg-config --cflags --libs streamml) -o embed
 *   ./embed STORE_OR_MODEL_FILE [name=value ...]
 *
 * Prints the model's task and label, then the prediction for the record given on the command line, then scores
 * that record from 4 threads 10000 times each and checks every answer is the same (a loaded model is immutable
 * and safe to share).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <streamml/streamml.h>

#define THREADS 4
#define ROUNDS 10000

typedef struct job {
    const sml_model *model;
    const char **names, **values;
    size_t n;
    double expect;
    int mismatches;
} job;

static void *score_many(void *arg)
{
    job *j = arg;
    for (int r = 0; r < ROUNDS; r++) {
        double p;
        if (sml_model_predict_record(j->model, j->names, j->values, j->n, &p, NULL, NULL) != 0 || p != j->expect)
            j->mismatches++;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    sml_error err = SML_ERROR_INIT;
    sml_model *model = NULL;
    if (argc < 2) {
        fprintf(stderr, "usage: %s STORE_OR_MODEL_FILE [name=value ...]\n", argv[0]);
        return 1;
    }
    if (sml_model_load(argv[1], &model, &err) != 0) {
        fprintf(stderr, "embed: %s\n", err.msg);
        return 2;
    }
    sml_model_info info;
    sml_model_get_info(model, &info);
    printf("streamml %s, model version %llu: %s of \"%s\", %zu features\n", sml_version(),
           (unsigned long long)info.version, info.task == SML_TASK_CLASSIFICATION ? "classification" : "regression",
           info.label ? info.label : "?", info.dim);

    size_t n = (size_t)argc - 2;
    const char **names = calloc(n + 1, sizeof *names), **values = calloc(n + 1, sizeof *values);
    for (size_t i = 0; i < n; i++) {
        char *eq = strchr(argv[i + 2], '=');
        if (!eq) {
            fprintf(stderr, "embed: expected name=value, got \"%s\"\n", argv[i + 2]);
            return 1;
        }
        *eq = 0;
        names[i] = argv[i + 2];
        values[i] = eq + 1;
    }
    double p;
    const char *klass = NULL;
    if (sml_model_predict_record(model, names, values, n, &p, &klass, &err) != 0) {
        fprintf(stderr, "embed: %s\n", err.msg);
        return 2;
    }
    if (klass)
        printf("prediction: %s (probability %.17g)\n", klass, p);
    else
        printf("prediction: %.17g\n", p);

    pthread_t th[THREADS];
    job jobs[THREADS];
    for (int t = 0; t < THREADS; t++) {
        jobs[t] = (job){model, names, values, n, p, 0};
        pthread_create(&th[t], NULL, score_many, &jobs[t]);
    }
    int bad = 0;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(th[t], NULL);
        bad += jobs[t].mismatches;
    }
    printf("threads: %d x %d predictions, %d mismatches\n", THREADS, ROUNDS, bad);
    free(names);
    free(values);
    sml_model_free(model);
    return bad ? 2 : 0;
}
