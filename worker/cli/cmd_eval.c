/* stemtag eval: measures taxonomy files (learned or hand-written) on labelled
 * JSON lines: accuracy, macro-F1, per-label precision/recall and a confusion
 * matrix for sections; micro/macro-F1 for topics; articles/s of the
 * tokenise -> stem -> classify path. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classify.h"
#include "commands.h"
#include "labelled.h"
#include "log.h"
#include "stem.h"
#include "text.h"

#define MAX_MODELS 16
#define NONE       "(none)"

static void usage(FILE *out)
{
        fprintf(
            out,
            "Usage: stemtag eval --model FILE [--model FILE]... --input labelled.jsonl "
            "[options]\n\n"
            "  -m, --model FILE        taxonomy file(s), combined as at classify time\n"
            "  -i, --input FILE        JSON lines: {\"title\",\"body\",\"label\",\"lang\"}\n"
            "  -k, --kind KIND         section (accuracy, confusion matrix) or topic\n"
            "                          (micro/macro-F1); default: section if the model\n"
            "                          has section labels\n"
            "      --map A=B,C=D       rename gold labels before comparing (zero-shot runs)\n"
            "      --label-field NAME  field holding the label(s) (default \"label\")\n"
            "      --lang XX           stem every article as language XX (default: its \"lang\")\n"
            "      --title-weight X    classify.title.weight (default 3)\n"
            "      --top-k N           topics per article (default: unlimited)\n"
            "      --quiet             summary lines only\n");
}

struct names {
        char **v;
        size_t n, cap;
};

static long names_find(const struct names *s, const char *x)
{
        for (size_t i = 0; i < s->n; i++)
                if (!strcmp(s->v[i], x))
                        return (long)i;
        return -1;
}

static long names_add(struct names *s, const char *x)
{
        long i = names_find(s, x);
        if (i >= 0)
                return i;
        if (s->n == s->cap) {
                size_t nc = s->cap ? s->cap * 2 : 32;
                char **p = realloc(s->v, nc * sizeof(char *));
                if (!p)
                        return -1;
                s->v = p;
                s->cap = nc;
        }
        if (!(s->v[s->n] = strdup(x)))
                return -1;
        return (long)s->n++;
}

static void names_free(struct names *s)
{
        for (size_t i = 0; i < s->n; i++)
                free(s->v[i]);
        free(s->v);
}

/* --map "a=b,c=d" */
struct mapping {
        struct names from, to;
};

static int mapping_parse(struct mapping *m, const char *spec)
{
        char *copy = strdup(spec);
        if (!copy)
                return -1;
        for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
                char *eq = strchr(tok, '=');
                if (!eq || eq == tok || !eq[1]) {
                        fprintf(stderr, "stemtag eval: --map: expected from=to, got \"%s\"\n", tok);
                        free(copy);
                        return -1;
                }
                *eq = '\0';
                /* Append even when "from" repeats: the first wins in lookup. */
                if (m->from.n == m->from.cap) {
                        size_t nc = m->from.cap ? m->from.cap * 2 : 16;
                        char **a = realloc(m->from.v, nc * sizeof(char *));
                        char **b = a ? realloc(m->to.v, nc * sizeof(char *)) : NULL;
                        if (a)
                                m->from.v = a;
                        if (b)
                                m->to.v = b;
                        if (!a || !b) {
                                free(copy);
                                return -1;
                        }
                        m->from.cap = m->to.cap = nc;
                }
                char *from = strdup(tok), *to = strdup(eq + 1);
                if (!from || !to) {
                        free(from);
                        free(to);
                        free(copy);
                        return -1;
                }
                m->from.v[m->from.n++] = from;
                m->to.v[m->to.n++] = to;
        }
        free(copy);
        return 0;
}

static const char *mapping_apply(const struct mapping *m, const char *x)
{
        long i = names_find(&m->from, x);
        return i >= 0 && m->to.v ? m->to.v[i] : x;
}

static double f1(double p, double r)
{
        return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}

static double ratio(size_t a, size_t b)
{
        return b ? (double)a / (double)b : 0.0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What the command line asked for. */
struct eval_args {
        const char *models[MAX_MODELS + 1]; /* NULL-terminated */
        size_t n_models;
        const char *input, *label_field, *lang;
        int kind_given; /* else: section if the model has section labels */
        enum taxonomy_label_kind kind;
        int quiet;
        struct mapping map; /* owned: eval_args_free */
        struct classify_options co;
};

static void eval_args_free(struct eval_args *a)
{
        names_free(&a->map.from);
        names_free(&a->map.to);
}

/* Fills @p a from the command line: -1 to go on, else the exit code (and @p a
 * is freed). */
static int eval_parse(int argc, char **argv, struct eval_args *a)
{
        static const struct option longopts[] = {
            {"model", required_argument, NULL, 'm'},
            {"input", required_argument, NULL, 'i'},
            {"kind", required_argument, NULL, 'k'},
            {"map", required_argument, NULL, 'M'},
            {"label-field", required_argument, NULL, 'L'},
            {"lang", required_argument, NULL, 'l'},
            {"title-weight", required_argument, NULL, 't'},
            {"top-k", required_argument, NULL, 'K'},
            {"quiet", no_argument, NULL, 'q'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        memset(a, 0, sizeof(*a));
        a->label_field = "label";
        classify_options_default(&a->co);
        a->co.topics_top_k = -1;
        a->co.skip_json = 1;
        int opt;
        optind = 1;
        while ((opt = getopt_long(argc, argv, "m:i:k:qh", longopts, NULL)) != -1) {
                switch (opt) {
                case 'm':
                        if (a->n_models == MAX_MODELS) {
                                fprintf(stderr, "stemtag eval: at most %d models\n", MAX_MODELS);
                                goto usage_fail;
                        }
                        a->models[a->n_models++] = optarg;
                        break;
                case 'i':
                        a->input = optarg;
                        break;
                case 'k':
                        if (!strcmp(optarg, "section") || !strcmp(optarg, "topic")) {
                                a->kind =
                                    !strcmp(optarg, "section") ? TAXONOMY_SECTION : TAXONOMY_TOPIC;
                                a->kind_given = 1;
                        } else {
                                fprintf(stderr, "stemtag eval: --kind must be section or topic\n");
                                goto usage_fail;
                        }
                        break;
                case 'M':
                        if (mapping_parse(&a->map, optarg))
                                goto usage_fail;
                        break;
                case 'L':
                        a->label_field = optarg;
                        break;
                case 'l':
                        a->lang = optarg;
                        break;
                case 't':
                        a->co.title_weight = atof(optarg);
                        break;
                case 'K':
                        a->co.topics_top_k = atoi(optarg);
                        break;
                case 'q':
                        a->quiet = 1;
                        break;
                case 'h':
                        usage(stdout);
                        eval_args_free(a);
                        return EXIT_OK;
                default:
                        usage(stderr);
                        goto usage_fail;
                }
        }
        if (!a->n_models || !a->input || optind != argc) {
                usage(stderr);
                goto usage_fail;
        }
        return -1;
usage_fail:
        eval_args_free(a);
        return EXIT_USAGE;
}

/* Counts over the label universe: gold labels (mapped, sorted) first, then the
 * model's own labels of the evaluated kind, then NONE for sections. */
struct eval_counts {
        struct names labels;
        size_t n_gold, L;
        size_t *cm, *tp, *fp, *fn; /* cm: L x L, rows gold; the rest per label */
        size_t correct, no_topic, n_pred;
        double secs;
};

static void eval_counts_free(struct eval_counts *c)
{
        free(c->cm);
        free(c->tp);
        free(c->fp);
        free(c->fn);
        names_free(&c->labels);
}

/* Builds the label universe and zeroed counts. 0, or -1 out of memory. */
static int eval_counts_init(struct eval_counts *c, const struct eval_args *a,
                            const struct labelled_set *set, const struct taxonomy *tx)
{
        for (size_t i = 0; i < set->n; i++)
                for (size_t k = 0; k < set->docs[i].n_labels; k++)
                        if (names_add(&c->labels, mapping_apply(&a->map, set->docs[i].labels[k])) <
                            0)
                                return -1;
        if (c->labels.n)
                qsort(c->labels.v, c->labels.n, sizeof(char *), cmp_str);
        c->n_gold = c->labels.n;
        for (size_t i = 0; i < taxonomy_label_count(tx); i++)
                if (taxonomy_label_kind(tx, i) == a->kind &&
                    names_add(&c->labels, taxonomy_label_id(tx, i)) < 0)
                        return -1;
        if (a->kind == TAXONOMY_SECTION && names_add(&c->labels, NONE) < 0)
                return -1;
        size_t L = c->L = c->labels.n;
        c->cm = calloc(L * L + 1, sizeof(size_t));
        c->tp = calloc(L + 1, sizeof(size_t));
        c->fp = calloc(L + 1, sizeof(size_t));
        c->fn = calloc(L + 1, sizeof(size_t));
        return c->cm && c->tp && c->fp && c->fn ? 0 : -1;
}

/* Adds one article's answer to the counts. */
static void eval_count(struct eval_counts *c, const struct eval_args *a,
                       const struct labelled_doc *d, const struct classify_result *r)
{
        const struct mapping *map = &a->map;
        if (a->kind == TAXONOMY_SECTION) {
                long g = names_find(&c->labels, mapping_apply(map, d->labels[0]));
                long p = names_find(&c->labels, r->section_id ? r->section_id : NONE);
                c->cm[(size_t)g * c->L + (size_t)p]++;
                if (g == p) {
                        c->correct++;
                        c->tp[g]++;
                } else {
                        c->fn[g]++;
                        c->fp[p]++;
                }
                return;
        }
        if (!r->n_topics)
                c->no_topic++;
        c->n_pred += r->n_topics;
        for (size_t t = 0; t < r->n_topics; t++) {
                long p = names_find(&c->labels, r->topic_tags[t].id);
                int hit = 0;
                for (size_t k = 0; k < d->n_labels; k++)
                        hit |= !strcmp(mapping_apply(map, d->labels[k]), r->topic_tags[t].id);
                if (hit)
                        c->tp[p]++;
                else
                        c->fp[p]++;
        }
        for (size_t k = 0; k < d->n_labels; k++) {
                const char *g = mapping_apply(map, d->labels[k]);
                int found = 0;
                for (size_t t = 0; t < r->n_topics; t++)
                        found |= !strcmp(g, r->topic_tags[t].id);
                if (!found)
                        c->fn[names_find(&c->labels, g)]++;
        }
}

/* Tokenises, stems and classifies every article (timed) into @p c. 0, or -1
 * out of memory. */
static int eval_run(struct eval_counts *c, const struct eval_args *a,
                    const struct labelled_set *set, const struct taxonomy *tx,
                    struct stem_pool *pool, struct classify_ctx *ctx, struct text_tokens *toks)
{
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (size_t i = 0; i < set->n; i++) {
                const struct labelled_doc *d = &set->docs[i];
                int lg = labelled_tokenize(d, a->lang, pool, toks);
                struct classify_result r;
                if (lg == -2 || classify_run(ctx, tx, &a->co, lg, toks, NULL, &r))
                        return -1;
                eval_count(c, a, d, &r);
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        c->secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        return 0;
}

static void eval_report(const struct eval_counts *c, const struct eval_args *a,
                        const struct labelled_set *set, const struct taxonomy *tx)
{
        const size_t L = c->L, n_gold = c->n_gold;
        const size_t *tp = c->tp, *fp = c->fp, *fn = c->fn;
        printf("model: %s\ninput: %s (%zu articles, %zu gold labels)\n", taxonomy_version(tx),
               a->input, set->n, n_gold);
        double macro = 0.0;
        for (size_t g = 0; g < n_gold; g++) {
                double p = ratio(tp[g], tp[g] + fp[g]), r = ratio(tp[g], tp[g] + fn[g]);
                macro += f1(p, r);
        }
        macro = n_gold ? macro / (double)n_gold : 0.0;
        if (!a->quiet) {
                printf("\n%-32s %9s %9s %9s %8s\n", "label", "precision", "recall", "f1",
                       "support");
                for (size_t g = 0; g < L; g++) {
                        size_t sup = tp[g] + fn[g];
                        if (!sup && !fp[g])
                                continue;
                        double p = ratio(tp[g], tp[g] + fp[g]), r = ratio(tp[g], sup);
                        printf("%-32s %9.3f %9.3f %9.3f %8zu\n", c->labels.v[g], p, r, f1(p, r),
                               sup);
                }
        }
        if (a->kind == TAXONOMY_SECTION) {
                if (!a->quiet) {
                        printf("\nconfusion (rows gold, columns predicted):\n%-16s", "");
                        for (size_t p = 0; p < L; p++)
                                printf(" %6.6s", c->labels.v[p]);
                        printf("\n");
                        for (size_t g = 0; g < n_gold; g++) {
                                printf("%-16.16s", c->labels.v[g]);
                                for (size_t p = 0; p < L; p++)
                                        printf(" %6zu", c->cm[g * L + p]);
                                printf("\n");
                        }
                }
                printf("\naccuracy %.4f  macro-F1 %.4f  (%zu/%zu correct)\n",
                       ratio(c->correct, set->n), macro, c->correct, set->n);
        } else {
                size_t TP = 0, FP = 0, FN = 0;
                for (size_t g = 0; g < L; g++) {
                        TP += tp[g];
                        FP += fp[g];
                        FN += fn[g];
                }
                double p = ratio(TP, TP + FP), r = ratio(TP, TP + FN);
                printf("\nmicro-P %.4f  micro-R %.4f  micro-F1 %.4f  macro-F1 %.4f "
                       "(over the %zu gold labels)\n",
                       p, r, f1(p, r), macro, n_gold);
                printf("topics per article %.2f, articles without a topic %zu\n",
                       ratio(c->n_pred, set->n), c->no_topic);
        }
        printf("throughput: %.0f articles/s, %.1f MB/s (tokenise + stem + classify, 1 thread)\n",
               c->secs > 0 ? (double)set->n / c->secs : 0.0,
               c->secs > 0 ? (double)set->bytes / c->secs / 1e6 : 0.0);
}

int cmd_eval(int argc, char **argv)
{
        struct eval_args a;
        int rc = eval_parse(argc, argv, &a);
        if (rc >= 0)
                return rc;
        char err[512];
        struct labelled_set set;
        if (labelled_read(a.input, a.label_field, &set, err, sizeof(err))) {
                fprintf(stderr, "stemtag eval: %s\n", err);
                eval_args_free(&a);
                return EXIT_FAILURE_RUNTIME;
        }
        rc = EXIT_FAILURE_RUNTIME;
        struct stem_pool *pool = stem_pool_new(1 << 16);
        struct classify_ctx *ctx = classify_ctx_new();
        struct text_tokens toks;
        text_tokens_init(&toks);
        struct taxonomy *tx = NULL;
        struct eval_counts c = {0};
        if (!pool || !ctx)
                goto oom;
        tx = taxonomy_load(a.models, pool, err, sizeof(err));
        if (!tx) {
                fprintf(stderr, "stemtag eval: %s\n", err);
                rc = EXIT_MODEL;
                goto out;
        }
        if (!a.kind_given) {
                a.kind = TAXONOMY_TOPIC;
                for (size_t i = 0; i < taxonomy_label_count(tx); i++)
                        if (taxonomy_label_kind(tx, i) == TAXONOMY_SECTION)
                                a.kind = TAXONOMY_SECTION;
        }
        if (eval_counts_init(&c, &a, &set, tx) || eval_run(&c, &a, &set, tx, pool, ctx, &toks))
                goto oom;
        eval_report(&c, &a, &set, tx);
        rc = EXIT_OK;
        goto out;
oom:
        fprintf(stderr, "stemtag eval: out of memory\n");
out:
        eval_counts_free(&c);
        eval_args_free(&a);
        taxonomy_destroy(tx);
        text_tokens_free(&toks);
        classify_ctx_destroy(ctx);
        stem_pool_destroy(pool);
        labelled_free(&set);
        return rc;
}
