/* bench_classify: the full classify path (pipeline_process: parse -> language
 * -> tokenise -> stem -> classify -> record) on the news corpora, one thread:
 * MB/s of raw message bytes per core (thread CPU time) and articles/s, best of
 * a few passes. Also the same with classification off, to show its share.
 *
 *   build/bench/bench_classify [--taxonomy FILE]... [--langid FILE] [--passes N]
 *                              [--full-only] [--lang CODE] [FILE.jsonl...]
 *
 * Best of N passes (default 5): on shared cores a single pass varies by tens of
 * per cent, and the fastest pass is the one least disturbed by neighbours.
 * --full-only skips the no-classify and classify-alone columns. --lang CODE keeps
 * only the lines whose "lang" member is CODE (the shared corpora write it as
 * "lang": "en"): e.g. the English FLORES sentences of sib200-all, ~215-byte
 * news-like items.
 * Defaults: the config/taxonomy directory, config/langid.model,
 * and every $STEMTAG_SOURCE_DIR/../shared/corpora/news/<corpus>/train.jsonl.
 * Prints figures, never fails on speed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_paths.h"
#include "classify.h"
#include "pipeline.h"
#include "stem.h"

static int passes = 5;
static const char *only_lang; /* --lang: keep lines of this "lang" */

struct corpus {
        char name[64];
        char **msgs;
        size_t *lens;
        size_t n, cap, bytes;
};

static double cpu_now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int load(struct corpus *c, const char *path)
{
        FILE *f = fopen(path, "r");
        if (!f)
                return -1;
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;
        char want[64] = "";
        if (only_lang)
                snprintf(want, sizeof(want), "\"lang\": \"%s\"", only_lang);
        while ((len = getline(&line, &cap, f)) > 0) {
                if (line[len - 1] == '\n')
                        len--;
                if (want[0] && !strstr(line, want))
                        continue;
                if (c->n == c->cap) {
                        c->cap = c->cap ? c->cap * 2 : 1024;
                        c->msgs = realloc(c->msgs, c->cap * sizeof(*c->msgs));
                        c->lens = realloc(c->lens, c->cap * sizeof(*c->lens));
                        if (!c->msgs || !c->lens)
                                exit(1);
                }
                c->msgs[c->n] = malloc((size_t)len);
                if (!c->msgs[c->n])
                        exit(1);
                memcpy(c->msgs[c->n], line, (size_t)len);
                c->lens[c->n++] = (size_t)len;
                c->bytes += (size_t)len;
        }
        free(line);
        fclose(f);
        return 0;
}

/* Best pass in seconds of thread CPU time; *tags counts sections + topics. */
static double run(const struct pipeline_options *o, const struct pipeline_model *m,
                  const struct corpus *c, size_t *tags)
{
        struct pipeline_ctx *ctx = pipeline_ctx_new(o);
        if (!ctx)
                exit(1);
        double best = 1e30;
        for (int p = 0; p < passes; p++) {
                size_t t = 0;
                double t0 = cpu_now();
                for (size_t i = 0; i < c->n; i++) {
                        struct pipeline_result r;
                        struct pipeline_source src = {.topic = NULL, .line = (int64_t)i};
                        if (pipeline_process(ctx, m, c->msgs[i], c->lens[i], &src, &r) < 0)
                                exit(1);
                        t += r.section != NULL;
                }
                double dt = cpu_now() - t0;
                if (dt < best)
                        best = dt;
                *tags = t;
        }
        pipeline_ctx_destroy(ctx);
        return best;
}

/* classify_run alone: tokens and language come from a pipeline without a
 * taxonomy, and only the classify call is timed (JSON text as in the worker). */
static double run_classify_only(const struct pipeline_options *o,
                                const struct pipeline_model *m_off, const struct taxonomy *tx,
                                const struct corpus *c)
{
        struct pipeline_ctx *ctx = pipeline_ctx_new(o);
        struct classify_ctx *cc = classify_ctx_new();
        if (!ctx || !cc)
                exit(1);
        struct classify_options co;
        classify_options_default(&co);
        co.json_text = 1;
        double best = 1e30;
        for (int p = 0; p < passes; p++) {
                double t = 0;
                for (size_t i = 0; i < c->n; i++) {
                        struct pipeline_result r;
                        struct pipeline_source src = {.topic = NULL, .line = (int64_t)i};
                        if (pipeline_process(ctx, m_off, c->msgs[i], c->lens[i], &src, &r) < 0)
                                exit(1);
                        if (!r.ok || !r.tokens)
                                continue;
                        struct classify_result cr;
                        double t0 = cpu_now();
                        if (classify_run(cc, tx, &co, stem_lang_from_iso(r.language), r.tokens,
                                         NULL, &cr) < 0)
                                exit(1);
                        t += cpu_now() - t0;
                }
                if (t < best)
                        best = t;
        }
        classify_ctx_destroy(cc);
        pipeline_ctx_destroy(ctx);
        return best;
}

int main(int argc, char **argv)
{
        struct bench_paths bp;
        bench_paths_init(&bp);
        const char **tx = calloc((size_t)argc + 4, sizeof(char *));
        const char **files = calloc((size_t)argc + 8, sizeof(char *));
        size_t ntx = 0, nfiles = 0;
        int full_only = 0;
        const char *langid_path = bp.langid;
        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--taxonomy") && i + 1 < argc)
                        tx[ntx++] = argv[++i];
                else if (!strcmp(argv[i], "--langid") && i + 1 < argc)
                        langid_path = argv[++i];
                else if (!strcmp(argv[i], "--passes") && i + 1 < argc) {
                        passes = atoi(argv[++i]);
                        if (passes < 1)
                                passes = 1;
                } else if (!strcmp(argv[i], "--lang") && i + 1 < argc)
                        only_lang = argv[++i];
                else if (!strcmp(argv[i], "--full-only"))
                        full_only = 1;
                else
                        files[nfiles++] = argv[i];
        }
        if (!ntx)
                tx[ntx++] = bp.taxonomy;
        if (!nfiles) {
                const char *corpora[] = {"bbc", "reuters", "de-headlines", "xglue-nc-de", "sib200"};
                for (size_t i = 0; i < 5; i++) {
                        char *p = malloc(1400);
                        snprintf(p, 1400, "%s/%s/train.jsonl", bp.shared, corpora[i]);
                        FILE *f = fopen(p, "r");
                        if (f) {
                                fclose(f);
                                files[nfiles++] = p;
                        } else {
                                free(p);
                        }
                }
                if (!nfiles) {
                        printf("bench_classify: no corpora under %s (set STEMTAG_SOURCE_DIR): "
                               "no figures\n",
                               bp.shared);
                        return 0;
                }
        }
        struct pipeline_options o;
        bench_options_init(&o, langid_path, tx);
        char err[512];
        struct pipeline_model *m = pipeline_model_load(&o, err, sizeof(err));
        if (!m) {
                fprintf(stderr, "bench_classify: %s\n", err);
                return 1;
        }
        struct pipeline_options o_off = o;
        o_off.taxonomy_paths = NULL;
        struct pipeline_model *m_off = pipeline_model_load(&o_off, err, sizeof(err));
        if (!m_off) {
                fprintf(stderr, "bench_classify: %s\n", err);
                return 1;
        }
        struct stem_pool *pool = stem_pool_new(0);
        struct taxonomy *txc = taxonomy_load(tx, pool, err, sizeof(err));
        stem_pool_destroy(pool);
        if (!txc) {
                fprintf(stderr, "bench_classify: %s\n", err);
                return 1;
        }
        printf("full path, 1 thread, best of %d passes (thread CPU time); taxonomy:", passes);
        for (size_t i = 0; i < ntx; i++)
                printf(" %s", tx[i]);
        printf("\n%-40s %6s %8s %6s %8s %8s %13s %15s %8s\n", "corpus", "MB", "articles", "B/art",
               "MB/s", "art/s", "no-classify", "classify alone", "sections");
        size_t all_bytes = 0, all_n = 0;
        double all_t = 0, all_t_off = 0, all_t_cls = 0;
        for (size_t f = 0; f < nfiles; f++) {
                struct corpus c = {0};
                if (load(&c, files[f])) {
                        fprintf(stderr, "bench_classify: %s: cannot read\n", files[f]);
                        continue;
                }
                size_t sections = 0, dummy;
                double t = run(&o, m, &c, &sections);
                double t_off = full_only ? 0 : run(&o_off, m_off, &c, &dummy);
                double t_cls = full_only ? 0 : run_classify_only(&o_off, m_off, txc, &c);
                const char *name = strstr(files[f], "corpora/");
                char label[80];
                snprintf(label, sizeof(label), "%s%s%s", name ? name + 8 : files[f],
                         only_lang ? " lang=" : "", only_lang ? only_lang : "");
                printf("%-40.40s %6.2f %8zu %6.0f %8.1f %8.0f %8.1f MB/s %10.1f MB/s %7.1f%%\n",
                       label, (double)c.bytes / 1e6, c.n, (double)c.bytes / (double)c.n,
                       (double)c.bytes / t / 1e6, (double)c.n / t,
                       t_off > 0 ? (double)c.bytes / t_off / 1e6 : 0,
                       t_cls > 0 ? (double)c.bytes / t_cls / 1e6 : 0,
                       100.0 * (double)sections / (double)c.n);
                all_t_cls += t_cls;
                all_bytes += c.bytes;
                all_n += c.n;
                all_t += t;
                all_t_off += t_off;
                for (size_t i = 0; i < c.n; i++)
                        free(c.msgs[i]);
                free(c.msgs);
                free(c.lens);
        }
        if (all_t > 0)
                printf("%-40s %6.2f %8zu %6.0f %8.1f %8.0f %8.1f MB/s %10.1f MB/s\n", "all",
                       (double)all_bytes / 1e6, all_n, (double)all_bytes / (double)all_n,
                       (double)all_bytes / all_t / 1e6, (double)all_n / all_t,
                       all_t_off > 0 ? (double)all_bytes / all_t_off / 1e6 : 0,
                       all_t_cls > 0 ? (double)all_bytes / all_t_cls / 1e6 : 0);
        taxonomy_destroy(txc);
        pipeline_model_unref(m);
        pipeline_model_unref(m_off);
        free(tx);
        return 0;
}
