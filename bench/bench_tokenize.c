/* bench_tokenize: tokenizer and tokenizer+stem throughput (MB/s of title+body
 * bytes per core, thread CPU time) on the news corpora, stem cache on and off,
 * and the stem cache hit rate.
 *
 *   build/bench/bench_tokenize [CORPUS_DIR | FILE.jsonl ...]
 *
 * Default: $STEMTAG_SOURCE_DIR/../shared/corpora/news (or ../shared/corpora/news
 * from the current directory), every <corpus>/train.jsonl. Prints figures,
 * never fails on speed. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "article.h"
#include "stem.h"
#include "text.h"

struct doc {
        const char *title, *body;
        size_t title_len, body_len;
        const char *lang; /* NULL: unknown */
        int stem_lang;
};

struct corpus {
        char name[64];
        char path[1024]; /* the file, for the parse measurement */
        struct doc *docs;
        size_t n, cap;
        size_t bytes;
        json_t **roots; /* keep the parsed lines alive: docs borrow their strings */
        size_t nroots;
};

static double cpu_now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int load_file(struct corpus *c, const char *path)
{
        FILE *f = fopen(path, "r");
        if (!f)
                return -1;
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;
        while ((len = getline(&line, &cap, f)) > 0) {
                json_t *j = json_loadb(line, (size_t)len, 0, NULL);
                if (!j)
                        continue;
                if (c->n == c->cap) {
                        c->cap = c->cap ? c->cap * 2 : 1024;
                        c->docs = realloc(c->docs, c->cap * sizeof(*c->docs));
                        c->roots = realloc(c->roots, c->cap * sizeof(*c->roots));
                        if (!c->docs || !c->roots) {
                                fprintf(stderr, "out of memory\n");
                                exit(1);
                        }
                }
                struct doc *d = &c->docs[c->n];
                json_t *t = json_object_get(j, "title"), *b = json_object_get(j, "body");
                json_t *l = json_object_get(j, "lang");
                d->title = json_string_value(t);
                d->title_len = d->title ? json_string_length(t) : 0;
                d->body = json_string_value(b);
                d->body_len = d->body ? json_string_length(b) : 0;
                /* the pipeline passes langid's short code, not a string in the article */
                d->stem_lang = stem_lang_from_iso(json_string_value(l));
                d->lang = d->stem_lang >= 0 ? stem_lang_iso(d->stem_lang) : NULL;
                c->bytes += d->title_len + d->body_len;
                c->roots[c->nroots++] = j;
                c->n++;
        }
        free(line);
        fclose(f);
        return 0;
}

static void corpus_free(struct corpus *c)
{
        for (size_t i = 0; i < c->nroots; i++)
                json_decref(c->roots[i]);
        free(c->roots);
        free(c->docs);
}

enum mode { TOKENIZE, TOKENIZE_STEM };

/* One pass over the corpus; returns CPU seconds. */
static double run_pass(const struct corpus *c, enum mode m, struct stem_pool *pool,
                       struct text_tokens *t, size_t *ntokens)
{
        double t0 = cpu_now();
        size_t n = 0;
        for (size_t i = 0; i < c->n; i++) {
                const struct doc *d = &c->docs[i];
                text_tokens_reset(t);
                if (d->title)
                        text_tokenize(t, d->title, d->title_len, TEXT_FIELD_TITLE, d->lang);
                if (d->body)
                        text_tokenize(t, d->body, d->body_len, TEXT_FIELD_BODY, d->lang);
                if (m == TOKENIZE_STEM)
                        stem_tokens(pool, d->stem_lang, t);
                n += t->n;
        }
        *ntokens = n;
        return cpu_now() - t0;
}

/* Best of @reps passes, in MB/s. */
static double measure(const struct corpus *c, enum mode m, size_t cache, int reps, double *hit_rate,
                      size_t *ntokens)
{
        struct text_tokens t;
        text_tokens_init(&t);
        struct stem_pool *pool = stem_pool_new(cache);
        double best = 1e30;
        for (int r = 0; r < reps; r++) {
                double s = run_pass(c, m, pool, &t, ntokens);
                if (s < best)
                        best = s;
        }
        if (hit_rate) {
                uint64_t h, mi;
                stem_pool_stats(pool, &h, &mi);
                *hit_rate = h + mi ? (double)h / (double)(h + mi) : 0.0;
        }
        stem_pool_destroy(pool);
        text_tokens_free(&t);
        return (double)c->bytes / 1e6 / best;
}

/* article_parse over the raw JSON lines: fast path vs Jansson only. */
static void report_parse(const struct corpus *c, int reps)
{
        FILE *f = fopen(c->path, "rb");
        if (!f)
                return;
        size_t cap = 1 << 20, n = 0, got;
        char *buf = malloc(cap);
        while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
                n += got;
                if (n == cap) {
                        char *nb = realloc(buf, cap *= 2);
                        if (!nb) {
                                free(buf);
                                buf = NULL;
                        }
                        buf = nb;
                }
        }
        fclose(f);
        if (!buf)
                return;
        struct article a;
        article_init(&a);
        double mbs[2];
        for (int mode = 0; mode < 2; mode++) {
                struct article_options o;
                article_options_default(&o);
                o.json_reference = mode;
                double best = 1e30;
                for (int r = 0; r < reps; r++) {
                        double t0 = cpu_now();
                        size_t start = 0;
                        for (size_t i = 0; i < n; i++)
                                if (buf[i] == '\n') {
                                        article_parse(&a, &o, buf + start, i - start);
                                        start = i + 1;
                                }
                        double dt = cpu_now() - t0;
                        if (dt < best)
                                best = dt;
                }
                mbs[mode] = (double)n / 1e6 / best;
        }
        printf("%-14s article_parse of the raw JSON lines: fast path %6.1f MB/s, Jansson only "
               "%5.1f MB/s\n",
               c->name, mbs[0], mbs[1]);
        article_free(&a);
        free(buf);
}

static void report(const struct corpus *c, int reps)
{
        size_t ntok;
        double hit_on = 0, hit_cold = 0;
        double tok = measure(c, TOKENIZE, 0, reps, NULL, &ntok);
        double on = measure(c, TOKENIZE_STEM, 65536, reps, &hit_on, &ntok);
        measure(c, TOKENIZE_STEM, 65536, 1, &hit_cold, &ntok); /* one pass: cold-start hit rate */
        double off = measure(c, TOKENIZE_STEM, 0, reps, NULL, &ntok);
        printf("%-14s %8.2f MB %9zu tokens | tokenize %7.1f MB/s | +stem cache on %6.1f MB/s "
               "(hit %.1f%% one pass, %.1f%% warm) | cache off %6.1f MB/s\n",
               c->name, (double)c->bytes / 1e6, ntok, tok, on, 100 * hit_cold, 100 * hit_on, off);
}

int main(int argc, char **argv)
{
        char dir[1024];
        const char *src = getenv("STEMTAG_SOURCE_DIR");
        if (src)
                snprintf(dir, sizeof(dir), "%s/../shared/corpora/news", src);
        else
                snprintf(dir, sizeof(dir), "../shared/corpora/news");
        int reps = getenv("BENCH_REPS") ? atoi(getenv("BENCH_REPS")) : 3;
        if (reps < 1)
                reps = 1;

        struct corpus all = {.name = "ALL"};
        struct corpus parts[32];
        int nparts = 0;
        if (argc > 1 && strstr(argv[1], ".jsonl")) {
                for (int i = 1; i < argc && nparts < 32; i++) {
                        struct corpus *c = &parts[nparts];
                        memset(c, 0, sizeof(*c));
                        snprintf(c->name, sizeof(c->name), "%.63s", argv[i]);
                        snprintf(c->path, sizeof(c->path), "%.1023s", argv[i]);
                        if (load_file(c, argv[i]) < 0) {
                                fprintf(stderr, "cannot read %s\n", argv[i]);
                                return 1;
                        }
                        load_file(&all, argv[i]);
                        nparts++;
                }
        } else {
                if (argc > 1)
                        snprintf(dir, sizeof(dir), "%s", argv[1]);
                DIR *d = opendir(dir);
                if (!d) {
                        printf("bench_tokenize: corpus directory %s absent; nothing measured\n",
                               dir);
                        return 0;
                }
                struct dirent *e;
                while ((e = readdir(d)) && nparts < 32) {
                        if (e->d_name[0] == '.')
                                continue;
                        char path[2048];
                        snprintf(path, sizeof(path), "%s/%s/train.jsonl", dir, e->d_name);
                        struct corpus *c = &parts[nparts];
                        memset(c, 0, sizeof(*c));
                        snprintf(c->name, sizeof(c->name), "%.63s", e->d_name);
                        snprintf(c->path, sizeof(c->path), "%.1023s", path);
                        if (load_file(c, path) < 0)
                                continue;
                        load_file(&all, path);
                        nparts++;
                }
                closedir(d);
        }
        if (!nparts) {
                printf("bench_tokenize: no train.jsonl found under %s; nothing measured\n", dir);
                return 0;
        }
        printf("bench_tokenize: title+body bytes, best of %d passes, thread CPU time "
               "(= per core); stem cache 65536 entries\n",
               reps);
        for (int i = 0; i < nparts; i++)
                report(&parts[i], reps);
        report(&all, reps);
        corpus_free(&all);
        for (int i = 0; i < nparts; i++) {
                report_parse(&parts[i], reps);
                corpus_free(&parts[i]);
        }
        return 0;
}
