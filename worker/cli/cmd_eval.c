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

int cmd_eval(int argc, char **argv)
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
        const char *models[MAX_MODELS + 1] = {0};
        size_t n_models = 0;
        const char *input = NULL, *label_field = "label", *lang = NULL;
        int kind = -1, quiet = 0;
        struct mapping map = {0};
        struct classify_options co;
        classify_options_default(&co);
        co.topics_top_k = -1;
        co.skip_json = 1;
        int opt, rc = 1;
        optind = 1;
        while ((opt = getopt_long(argc, argv, "m:i:k:qh", longopts, NULL)) != -1) {
                switch (opt) {
                case 'm':
                        if (n_models == MAX_MODELS) {
                                fprintf(stderr, "stemtag eval: at most %d models\n", MAX_MODELS);
                                goto usage_fail;
                        }
                        models[n_models++] = optarg;
                        break;
                case 'i':
                        input = optarg;
                        break;
                case 'k':
                        kind = !strcmp(optarg, "section") ? 0 : !strcmp(optarg, "topic") ? 1 : -2;
                        if (kind == -2) {
                                fprintf(stderr, "stemtag eval: --kind must be section or topic\n");
                                goto usage_fail;
                        }
                        break;
                case 'M':
                        if (mapping_parse(&map, optarg))
                                goto usage_fail;
                        break;
                case 'L':
                        label_field = optarg;
                        break;
                case 'l':
                        lang = optarg;
                        break;
                case 't':
                        co.title_weight = atof(optarg);
                        break;
                case 'K':
                        co.topics_top_k = atoi(optarg);
                        break;
                case 'q':
                        quiet = 1;
                        break;
                case 'h':
                        usage(stdout);
                        names_free(&map.from);
                        names_free(&map.to);
                        return 0;
                default:
                        usage(stderr);
                        goto usage_fail;
                }
        }
        if (!n_models || !input || optind != argc) {
                usage(stderr);
                goto usage_fail;
        }
        char err[512];
        struct labelled_set set;
        if (labelled_read(input, label_field, &set, err, sizeof(err))) {
                fprintf(stderr, "stemtag eval: %s\n", err);
                names_free(&map.from);
                names_free(&map.to);
                return 1;
        }
        struct stem_pool *pool = stem_pool_new(1 << 16);
        struct classify_ctx *ctx = classify_ctx_new();
        struct text_tokens toks;
        text_tokens_init(&toks);
        struct taxonomy *tx = NULL;
        struct names labels = {0};
        size_t *cm = NULL, *tp = NULL, *fp = NULL, *fn = NULL;
        if (!pool || !ctx) {
                fprintf(stderr, "stemtag eval: out of memory\n");
                goto out;
        }
        tx = taxonomy_load(models, pool, err, sizeof(err));
        if (!tx) {
                fprintf(stderr, "stemtag eval: %s\n", err);
                goto out;
        }
        if (kind < 0) {
                kind = 1;
                for (size_t i = 0; i < taxonomy_label_count(tx); i++)
                        if (taxonomy_label_kind(tx, i) == 0)
                                kind = 0;
        }
        /* Label universe: gold labels (mapped) first, then the model's own. */
        for (size_t i = 0; i < set.n; i++)
                for (size_t k = 0; k < set.docs[i].n_labels; k++)
                        if (names_add(&labels, mapping_apply(&map, set.docs[i].labels[k])) < 0)
                                goto oom;
        if (labels.n)
                qsort(labels.v, labels.n, sizeof(char *), cmp_str);
        size_t n_gold_labels = labels.n;
        for (size_t i = 0; i < taxonomy_label_count(tx); i++)
                if (taxonomy_label_kind(tx, i) == (kind == 0 ? 0 : 1) &&
                    names_add(&labels, taxonomy_label_id(tx, i)) < 0)
                        goto oom;
        if (kind == 0 && names_add(&labels, NONE) < 0)
                goto oom;
        size_t L = labels.n;
        cm = calloc(L * L + 1, sizeof(size_t));
        tp = calloc(L + 1, sizeof(size_t));
        fp = calloc(L + 1, sizeof(size_t));
        fn = calloc(L + 1, sizeof(size_t));
        if (!cm || !tp || !fp || !fn)
                goto oom;

        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        size_t correct = 0, no_topic = 0, n_pred = 0;
        for (size_t i = 0; i < set.n; i++) {
                const struct labelled_doc *d = &set.docs[i];
                int lg = labelled_tokenize(d, lang, pool, &toks);
                struct classify_result r;
                if (lg == -2 || classify_run(ctx, tx, &co, lg, &toks, NULL, &r))
                        goto oom;
                if (kind == 0) {
                        long g = names_find(&labels, mapping_apply(&map, d->labels[0]));
                        long p = names_find(&labels, r.section_id ? r.section_id : NONE);
                        cm[(size_t)g * L + (size_t)p]++;
                        if (g == p) {
                                correct++;
                                tp[g]++;
                        } else {
                                fn[g]++;
                                fp[p]++;
                        }
                        continue;
                }
                if (!r.n_topics)
                        no_topic++;
                n_pred += r.n_topics;
                for (size_t t = 0; t < r.n_topics; t++) {
                        long p = names_find(&labels, r.topic_tags[t].id);
                        int hit = 0;
                        for (size_t k = 0; k < d->n_labels; k++)
                                hit |=
                                    !strcmp(mapping_apply(&map, d->labels[k]), r.topic_tags[t].id);
                        if (hit)
                                tp[p]++;
                        else
                                fp[p]++;
                }
                for (size_t k = 0; k < d->n_labels; k++) {
                        const char *g = mapping_apply(&map, d->labels[k]);
                        int found = 0;
                        for (size_t t = 0; t < r.n_topics; t++)
                                found |= !strcmp(g, r.topic_tags[t].id);
                        if (!found)
                                fn[names_find(&labels, g)]++;
                }
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

        printf("model: %s\ninput: %s (%zu articles, %zu gold labels)\n", taxonomy_version(tx),
               input, set.n, n_gold_labels);
        double macro = 0.0;
        for (size_t g = 0; g < n_gold_labels; g++) {
                double p = ratio(tp[g], tp[g] + fp[g]), r = ratio(tp[g], tp[g] + fn[g]);
                macro += f1(p, r);
        }
        macro = n_gold_labels ? macro / (double)n_gold_labels : 0.0;
        if (!quiet) {
                printf("\n%-32s %9s %9s %9s %8s\n", "label", "precision", "recall", "f1",
                       "support");
                for (size_t g = 0; g < L; g++) {
                        size_t sup = tp[g] + fn[g];
                        if (!sup && !fp[g])
                                continue;
                        double p = ratio(tp[g], tp[g] + fp[g]), r = ratio(tp[g], sup);
                        printf("%-32s %9.3f %9.3f %9.3f %8zu\n", labels.v[g], p, r, f1(p, r), sup);
                }
        }
        if (kind == 0) {
                if (!quiet) {
                        printf("\nconfusion (rows gold, columns predicted):\n%-16s", "");
                        for (size_t p = 0; p < L; p++)
                                printf(" %6.6s", labels.v[p]);
                        printf("\n");
                        for (size_t g = 0; g < n_gold_labels; g++) {
                                printf("%-16.16s", labels.v[g]);
                                for (size_t p = 0; p < L; p++)
                                        printf(" %6zu", cm[g * L + p]);
                                printf("\n");
                        }
                }
                printf("\naccuracy %.4f  macro-F1 %.4f  (%zu/%zu correct)\n", ratio(correct, set.n),
                       macro, correct, set.n);
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
                       p, r, f1(p, r), macro, n_gold_labels);
                printf("topics per article %.2f, articles without a topic %zu\n",
                       ratio(n_pred, set.n), no_topic);
        }
        printf("throughput: %.0f articles/s, %.1f MB/s (tokenise + stem + classify, 1 thread)\n",
               secs > 0 ? (double)set.n / secs : 0.0,
               secs > 0 ? (double)set.bytes / secs / 1e6 : 0.0);
        rc = 0;
        goto out;
oom:
        fprintf(stderr, "stemtag eval: out of memory\n");
out:
        free(cm);
        free(tp);
        free(fp);
        free(fn);
        names_free(&labels);
        names_free(&map.from);
        names_free(&map.to);
        taxonomy_destroy(tx);
        text_tokens_free(&toks);
        classify_ctx_destroy(ctx);
        stem_pool_destroy(pool);
        labelled_free(&set);
        return rc;
usage_fail:
        names_free(&map.from);
        names_free(&map.to);
        return 2;
}
