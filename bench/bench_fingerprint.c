/* bench_fingerprint: what the record's fingerprint (fingerprint_simhash) costs,
 * one thread, thread CPU time: ns per article and MB/s of raw message bytes
 * for the fingerprint alone (on the tokens the pipeline made), next to the
 * whole pure path (pipeline_process, default taxonomy + language model) on the
 * same articles, and its share of that path. The before/after figure of the
 * whole path is build/bench/bench_classify (bench/README.md).
 *
 *   build/bench/bench_fingerprint [FILE.jsonl...]
 *
 * Defaults as bench_classify: config/ under $STEMTAG_SOURCE_DIR (else .) and
 * the shared news corpora's train.jsonl. Prints figures, never fails on speed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_paths.h"
#include "fingerprint.h"
#include "pipeline.h"

#define PASSES 5

static double cpu_now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void bench_file(const char *path, const struct pipeline_options *o,
                       const struct pipeline_model *m)
{
        FILE *f = fopen(path, "r");
        if (!f) {
                printf("%-36s (cannot open)\n", path);
                return;
        }
        struct pipeline_ctx *ctx = pipeline_ctx_new(o);
        if (!ctx)
                exit(1);
        char *line = NULL;
        size_t cap = 0, bytes = 0, n = 0;
        ssize_t len;
        double fp_time = 0;
        uint64_t sink = 0;
        /* per article: the whole path once, then the fingerprint PASSES times
         * on its tokens (best of the passes per article would favour noise) */
        double path_time = 0;
        while ((len = getline(&line, &cap, f)) > 0) {
                struct pipeline_result r;
                double t0 = cpu_now();
                if (pipeline_process(ctx, m, line, (size_t)len, NULL, &r) < 0)
                        exit(1);
                path_time += cpu_now() - t0;
                if (!r.ok)
                        continue;
                bytes += (size_t)len;
                n++;
                t0 = cpu_now();
                for (int p = 0; p < PASSES; p++) {
                        uint64_t fp;
                        fingerprint_simhash(r.tokens, &fp);
                        sink ^= fp;
                }
                fp_time += (cpu_now() - t0) / PASSES;
        }
        free(line);
        fclose(f);
        pipeline_ctx_destroy(ctx);
        const char *base = strstr(path, "news/");
        printf("%-36s %7zu %9.0f %9.0f %8.1f %8.1f %6.2f%%   (%llx)\n", base ? base : path, n,
               n ? fp_time / (double)n * 1e9 : 0, n ? path_time / (double)n * 1e9 : 0,
               fp_time > 0 ? (double)bytes / fp_time / 1e6 : 0,
               path_time > 0 ? (double)bytes / path_time / 1e6 : 0,
               path_time > 0 ? 100.0 * fp_time / path_time : 0, (unsigned long long)(sink & 0xf));
}

int main(int argc, char **argv)
{
        struct bench_paths bp;
        bench_paths_init(&bp);
        const char *tx[] = {bp.taxonomy, NULL};
        struct pipeline_options o;
        bench_options_init(&o, bp.langid, tx);
        char err[512];
        struct pipeline_model *m = pipeline_model_load(&o, err, sizeof(err));
        if (!m) {
                fprintf(stderr, "bench_fingerprint: %s\n", err);
                return 1;
        }
        printf("fingerprint (simhash64 v%d) vs the whole pure path, 1 thread, thread CPU time\n",
               FINGERPRINT_VERSION);
        printf("%-36s %7s %9s %9s %8s %8s %7s\n", "corpus", "arts", "fp ns/art", "path ns",
               "fp MB/s", "path MB/s", "share");
        if (argc > 1) {
                for (int i = 1; i < argc; i++)
                        bench_file(argv[i], &o, m);
        } else {
                const char *corpora[] = {"bbc", "reuters", "de-headlines", "xglue-nc-de", "sib200"};
                for (size_t i = 0; i < 5; i++) {
                        char p[1400];
                        snprintf(p, sizeof(p), "%s/%s/train.jsonl", bp.shared, corpora[i]);
                        FILE *f = fopen(p, "r");
                        if (!f) {
                                printf("bench_fingerprint: no %s: skipped\n", p);
                                continue;
                        }
                        fclose(f);
                        bench_file(p, &o, m);
                }
        }
        pipeline_model_unref(m);
        return 0;
}
