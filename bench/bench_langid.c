/* bench_langid: accuracy and throughput of langid_detect on a folder of
 * <iso>.txt files (one sentence per line), e.g. the dev split that
 * `stemtag train-lang --dev-out DIR` writes. Prints per-language accuracy on
 * sentences (10-40 words), word pairs and article-length text (>= 500
 * characters), macro accuracy, top confusions and MB/s; accuracy on single
 * words and word triples; how often each language is wrongly given to short
 * English/Spanish/French snippets (1-3 words, sentences); the hint's effect;
 * calibration. Figures only; never fails on them. CLD2 on the same items:
 * bench_langid_cld2. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "langid.h"
#include "langid_eval.h"

struct ours {
        const struct langid_model *m;
        size_t max_bytes;
        struct langid_result r;
};

static const char *detect_ours(void *ud, const char *s, size_t len)
{
        struct ours *o = ud;
        langid_detect(o->m, NULL, 0, s, len, NULL, o->max_bytes, &o->r);
        return o->r.code;
}

/* The hint (an article's own "language" field) on word pairs: accuracy when
 * it names the true language, and how often a wrong one (always "en", on
 * pairs of the other languages) is followed. */
static void print_hint_effect(const struct ev_corpus *c, const struct langid_model *m)
{
        size_t total[EV_MAX_LANGS] = {0}, right[EV_MAX_LANGS] = {0}, nen = 0, followed = 0;
        int en = ev_lang_index(c, "en");
        struct langid_result r;
        for (size_t i = 0; i < c->pairs.n; i++) {
                const struct ev_item *it = &c->pairs.v[i];
                langid_detect(m, NULL, 0, it->s, it->len, c->code[it->lang], 4096, &r);
                total[it->lang]++;
                right[it->lang] += ev_lang_index(c, r.code) == it->lang;
                if (it->lang == en)
                        continue;
                langid_detect(m, NULL, 0, it->s, it->len, "en", 4096, &r);
                nen++;
                followed += !strcmp(r.code, "en");
        }
        double sum = 0;
        int n = 0;
        for (int l = 0; l < c->nlang; l++)
                if (total[l]) {
                        sum += 100.0 * (double)right[l] / (double)total[l];
                        n++;
                }
        printf("\nhint on word pairs: true language as hint: macro %.2f %%; hint \"en\" on the "
               "other languages' pairs: answered en %.2f %% (%zu pairs)\n",
               n ? sum / n : 0.0, nen ? 100.0 * (double)followed / (double)nen : 0.0, nen);
}

/* False-positive rate of language L on short snippets of en/es/fr: of the
 * snippets whose language is one of those three and not L, the share
 * answered L. One column per length (1, 2, 3 words, sentence); rows for the
 * languages that are ever wrongly given, then the sum (= error rate). */
static void print_false_positives(const struct ev_corpus *c, const struct ev_score *const *sc)
{
        static const char *src[3] = {"en", "es", "fr"};
        static const char *col[4] = {"1 word", "2 words", "3 words", "sentence"};
        int si[3];
        for (int k = 0; k < 3; k++)
                si[k] = ev_lang_index(c, src[k]);
        printf("\nfalse positives on en/es/fr snippets: %% of the snippets of another of en/es/fr "
               "answered L\n%-9s",
               "L");
        for (int j = 0; j < 4; j++)
                printf(" %9s", col[j]);
        printf("\n");
        double sum[4] = {0};
        for (int l = 0; l <= c->nlang; l++) {
                double rate[4];
                int any = 0;
                for (int j = 0; j < 4; j++) {
                        size_t wrong = 0, n = 0;
                        for (int k = 0; k < 3; k++) {
                                if (si[k] >= c->nlang || si[k] == l)
                                        continue;
                                n += sc[j]->total[si[k]];
                                wrong += sc[j]->conf[si[k]][l];
                        }
                        rate[j] = n ? 100.0 * (double)wrong / (double)n : 0;
                        any |= wrong > 0;
                        /* the sum over L of wrong answers / all en+es+fr snippets */
                        size_t all = 0;
                        for (int k = 0; k < 3; k++)
                                all += si[k] < c->nlang ? sc[j]->total[si[k]] : 0;
                        for (int k = 0; k < 3; k++)
                                if (si[k] < c->nlang && si[k] != l && all)
                                        sum[j] +=
                                            100.0 * (double)sc[j]->conf[si[k]][l] / (double)all;
                }
                if (!any)
                        continue;
                printf("%-9s", l == c->nlang ? "und/other" : c->code[l]);
                for (int j = 0; j < 4; j++)
                        printf(" %8.2f%%", rate[j]);
                printf("\n");
        }
        printf("%-9s", "all wrong");
        for (int j = 0; j < 4; j++)
                printf(" %8.2f%%", sum[j]);
        printf("\n");
}

int main(int argc, char **argv)
{
        const char *model = NULL, *dir = NULL;
        char err[512], defmodel[4096];
        double secs = 1.0;
        if (ev_parse_args(argc, argv, &model, &dir, &secs, defmodel, sizeof(defmodel)))
                return 2;
        if (!dir) {
                printf("bench_langid: no dev folder given; create one with\n"
                       "  stemtag train-lang --input ../shared/corpora/lang --out /tmp/m "
                       "--dev-out build/langid-dev\nand pass it: bench_langid build/langid-dev\n");
                return 0;
        }
        struct langid_model *m = langid_model_load(model, err, sizeof(err));
        if (!m) {
                fprintf(stderr, "bench_langid: %s\n", err);
                return 1;
        }
        struct ev_corpus c;
        if (ev_load(&c, dir)) {
                fprintf(stderr, "bench_langid: cannot read %s\n", dir);
                return 1;
        }
        printf("model: %s (%s)\ndata: %s, %d languages, %zu lines\n", model,
               langid_model_describe(m), dir, c.nlang, c.lines.n);

        struct ours o = {m, 4096, {{0}, 0}};
        static struct ev_score sc[3];
        const struct ev_set *sets[3] = {&c.sentences, &c.pairs, &c.articles};
        const char *names[3] = {"sentences 10-40 words", "word pairs", "articles >= 500 chars"};
        for (int k = 0; k < 3; k++)
                ev_run(&c, sets[k], detect_ours, &o, secs, &sc[k]);

        printf("\n%-4s %7s %7s | %7s %7s | %7s %7s\n", "lang", "sent n", "acc %", "pairs n",
               "acc %", "art n", "acc %");
        for (int l = 0; l < c.nlang; l++)
                printf("%-4s %7zu %7.2f | %7zu %7.2f | %7zu %7.2f\n", c.code[l], sc[0].total[l],
                       ev_acc(&sc[0], l), sc[1].total[l], ev_acc(&sc[1], l), sc[2].total[l],
                       ev_acc(&sc[2], l));
        printf("\n");
        for (int k = 0; k < 3; k++) {
                printf("%-22s macro %6.2f %%  (%zu items)  %.1f MB/s on one core\n", names[k],
                       ev_macro(&c, &sc[k]), sets[k]->n,
                       sc[k].seconds > 0 ? sc[k].bytes / sc[k].seconds / 1e6 : 0.0);
                ev_print_confusions(&c, "ours", &sc[k], 8);
        }
        /* Single words and word triples: accuracy only (not timed). */
        static struct ev_score sw[2];
        const struct ev_set *wsets[2] = {&c.words1, &c.words3};
        for (int k = 0; k < 2; k++) {
                ev_run(&c, wsets[k], detect_ours, &o, 0, &sw[k]);
                printf("%-22s macro %6.2f %%  (%zu items)\n", k ? "word triples" : "single words",
                       ev_macro(&c, &sw[k]), wsets[k]->n);
                ev_print_confusions(&c, "ours", &sw[k], 8);
        }
        print_false_positives(&c, (const struct ev_score *[]){&sw[0], &sc[1], &sw[1], &sc[0]});
        print_hint_effect(&c, m);

        /* Calibration: is a confidence of x right x of the time? */
        printf("\ncalibration (sentences + word pairs): confidence bin, items, mean confidence, "
               "accuracy\n");
        static const double edges[] = {0, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999, 1.0001};
        size_t nb = sizeof(edges) / sizeof(edges[0]) - 1, n[8] = {0}, right[8] = {0}, und = 0;
        double csum[8] = {0}, ece = 0;
        size_t total = 0;
        for (int k = 0; k < 2; k++)
                for (size_t i = 0; i < sets[k]->n; i++) {
                        const struct ev_item *it = &sets[k]->v[i];
                        langid_detect(m, NULL, 0, it->s, it->len, NULL, 4096, &o.r);
                        if (!strcmp(o.r.code, "und")) {
                                und++;
                                continue;
                        }
                        size_t b = 0;
                        while (b + 1 < nb && o.r.confidence >= edges[b + 1])
                                b++;
                        n[b]++;
                        csum[b] += o.r.confidence;
                        right[b] += ev_lang_index(&c, o.r.code) == it->lang;
                        total++;
                }
        for (size_t b = 0; b < nb; b++) {
                if (!n[b])
                        continue;
                double mc = csum[b] / n[b], acc = (double)right[b] / n[b];
                ece += fabs(mc - acc) * n[b];
                printf("  [%.3f, %.3f)  %6zu  %.4f  %.4f\n", edges[b],
                       edges[b + 1] > 1 ? 1.0 : edges[b + 1], n[b], mc, acc);
        }
        printf("  expected calibration error %.4f over %zu answers (%zu und)\n",
               total ? ece / total : 0.0, total, und);
        langid_model_destroy(m);
        return 0;
}
