// bench_langid_cld2: CLD2 (libcld2) next to Stemtag's langid on the same items
// as bench_langid (sentences 10-40 words, word pairs, articles >= 500 chars).
// CLD2 is restricted to our languages the usual way: the first of its top-3
// languages that is one of ours (Norwegian Bokmål and Nynorsk count as "no");
// none of ours is "und". Best-effort mode, so short text gets an answer.
// Figures only; never fails on them.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <cld2/public/compact_lang_det.h>

extern "C" {
#include "langid.h"
}
#include "langid_eval.h"

namespace CLD2
{
const char *LanguageCode(Language lang); // lang_script.h (internal header)
}

struct cld2_ctx {
        const struct ev_corpus *c;
        char code[8];
};

static const char *detect_cld2(void *ud, const char *s, size_t len)
{
        cld2_ctx *x = static_cast<cld2_ctx *>(ud);
        CLD2::Language lang3[3];
        int percent3[3], text_bytes;
        double score3[3];
        bool reliable;
        CLD2::ExtDetectLanguageSummary(s, (int)len, true, nullptr, CLD2::kCLDFlagBestEffort, lang3,
                                       percent3, score3, nullptr, &text_bytes, &reliable);
        for (int k = 0; k < 3; k++) {
                const char *code = CLD2::LanguageCode(lang3[k]);
                if (!code)
                        continue;
                if (!strcmp(code, "nn") || !strcmp(code, "nb"))
                        code = "no";
                if (ev_lang_index(x->c, code) < x->c->nlang) {
                        snprintf(x->code, sizeof(x->code), "%s", code);
                        return x->code;
                }
        }
        return "und";
}

struct ours_ctx {
        const struct langid_model *m;
        struct langid_result r;
};

static const char *detect_ours(void *ud, const char *s, size_t len)
{
        ours_ctx *o = static_cast<ours_ctx *>(ud);
        langid_detect(o->m, nullptr, 0, s, len, nullptr, 4096, &o->r);
        return o->r.code;
}

int main(int argc, char **argv)
{
        const char *model = nullptr, *dir = nullptr;
        char err[512], defmodel[4096];
        double secs = 1.0;
        if (ev_parse_args(argc, argv, &model, &dir, &secs, defmodel, sizeof(defmodel)))
                return 2;
        if (!dir) {
                printf("bench_langid_cld2: no dev folder given (see bench_langid)\n");
                return 0;
        }
        struct langid_model *m = langid_model_load(model, err, sizeof(err));
        if (!m) {
                fprintf(stderr, "bench_langid_cld2: %s\n", err);
                return 1;
        }
        static struct ev_corpus c;
        if (ev_load(&c, dir)) {
                fprintf(stderr, "bench_langid_cld2: cannot read %s\n", dir);
                return 1;
        }
        printf("CLD2 %s vs %s\ndata: %s, %d languages, %zu lines\n", CLD2::DetectLanguageVersion(),
               langid_model_describe(m), dir, c.nlang, c.lines.n);

        cld2_ctx cx = {&c, {0}};
        ours_ctx ox = {m, {{0}, 0}};
        static struct ev_score ours[3], cld[3];
        const struct ev_set *sets[3] = {&c.sentences, &c.pairs, &c.articles};
        const char *names[3] = {"sentences 10-40 words", "word pairs", "articles >= 500 chars"};
        for (int k = 0; k < 3; k++) {
                ev_run(&c, sets[k], detect_ours, &ox, secs, &ours[k]);
                ev_run(&c, sets[k], detect_cld2, &cx, secs, &cld[k]);
        }
        printf("\n%-4s | %-21s | %-21s | %-21s\n", "", "sentences", "word pairs", "articles");
        printf("%-4s | %6s %6s %7s | %6s %6s %7s | %6s %6s %7s\n", "lang", "n", "ours", "CLD2", "n",
               "ours", "CLD2", "n", "ours", "CLD2");
        int worse[3] = {0, 0, 0};
        for (int l = 0; l < c.nlang; l++) {
                printf("%-4s |", c.code[l]);
                for (int k = 0; k < 3; k++) {
                        double a = ev_acc(&ours[k], l), b = ev_acc(&cld[k], l);
                        worse[k] += a < b;
                        printf(" %6zu %6.2f %6.2f%s|", ours[k].total[l], a, b, a < b ? "<" : " ");
                }
                printf("\n");
        }
        printf("('<': ours below CLD2 on that language)\n\n");
        for (int k = 0; k < 3; k++) {
                printf("%-22s macro ours %6.2f %%  CLD2 %6.2f %%  | MB/s ours %7.1f  CLD2 %7.1f"
                       "  | languages where ours < CLD2: %d\n",
                       names[k], ev_macro(&c, &ours[k]), ev_macro(&c, &cld[k]),
                       ours[k].seconds > 0 ? ours[k].bytes / ours[k].seconds / 1e6 : 0.0,
                       cld[k].seconds > 0 ? cld[k].bytes / cld[k].seconds / 1e6 : 0.0, worse[k]);
                ev_print_confusions(&c, "CLD2", &cld[k], 6);
        }
        langid_model_destroy(m);
        return 0;
}
