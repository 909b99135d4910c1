/* stemtag train-lang: builds the language model from one UTF-8 <iso>.txt file
 * per language (one sentence or paragraph per line).
 * The command parses options and reports; the corpus, its split (dev lines
 * go to --dev-out), calibration and transliteration are in
 * worker/train/lang_corpus.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "lang_corpus.h"
#include "langid.h"
#include "log.h"

static void usage(FILE *out)
{
        fprintf(out,
                "Usage: stemtag train-lang --input PATH [--input PATH ...] --out FILE [options]\n\n"
                "Builds the language identification model from DIR/<iso>.txt (UTF-8, one\n"
                "sentence per line; nb.txt and nn.txt become \"no\").\n\n"
                "  --input PATH      training text folder of <iso>.txt, or a JSON-lines file of\n"
                "                    {\"lang\": ISO code, \"body\": text}; repeat to add more\n"
                "  --out FILE        model file to write (e.g. config/langid.model)\n"
                "  --dev-out DIR     write the held-out dev lines there as <iso>.txt\n"
                "  --dev-every N     one line in N (by content hash) is held out (default 10)\n"
                "  --alpha A         additive smoothing (default 0.1)\n"
                "  --min-count N     drop (feature, language) n-gram pairs seen fewer times\n"
                "                    (default 2)\n"
                "  --min-count-words N  the same for whole words (default 1)\n"
                "  --word-balance B  scale each language's word counts by (mean/own word\n"
                "                    total)^B (default 1; 0 = raw counts)\n"
                "  --order-weights W1,..,W6  evidence weight of n-gram orders 1-5 and words\n"
                "                    (default 0,0,1,1,1,3; 0 = order not used)\n"
                "  --train-out DIR   also write the training lines (for tuning splits)\n"
                "  --early-margin M  stop reading once the best language leads by M\n"
                "                    (calibrated log-odds; default 20; 0 = read everything)\n"
                "  --no-calibrate    keep temperature 1 (skips the calibration pass)\n");
}

int cmd_train_lang(int argc, char **argv)
{
        const char *input[8], *out = NULL, *dev_out = NULL, *train_out = NULL;
        unsigned dev_every = 10, ninput = 0;
        int calib = 1;
        struct langid_build_params p;
        struct lang_corpus c;
        int rc = EXIT_FAILURE_RUNTIME;

        memset(&c, 0, sizeof(c));
        langid_build_params_default(&p);
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
                if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
                        usage(stdout);
                        return EXIT_OK;
                } else if (!strcmp(a, "--no-calibrate")) {
                        calib = 0;
                        continue;
                }
                if (!v) {
                        fprintf(stderr, "train-lang: %s needs a value\n", a);
                        usage(stderr);
                        return EXIT_USAGE;
                }
                i++;
                if (!strcmp(a, "--input")) {
                        if (ninput == sizeof(input) / sizeof(input[0])) {
                                fprintf(stderr, "train-lang: at most 8 --input\n");
                                return EXIT_USAGE;
                        }
                        input[ninput++] = v;
                } else if (!strcmp(a, "--out"))
                        out = v;
                else if (!strcmp(a, "--dev-out"))
                        dev_out = v;
                else if (!strcmp(a, "--train-out"))
                        train_out = v;
                else if (!strcmp(a, "--order-weights")) {
                        char *e = (char *)v;
                        for (unsigned o = 1; o <= LANGID_WORD_ORDER; o++) {
                                p.order_weight[o] = strtod(e, &e);
                                if (*e == ',')
                                        e++;
                        }
                } else if (!strcmp(a, "--dev-every"))
                        dev_every = (unsigned)strtoul(v, NULL, 10);
                else if (!strcmp(a, "--alpha"))
                        p.alpha = strtod(v, NULL);
                else if (!strcmp(a, "--min-count-words"))
                        p.min_count_word = (unsigned)strtoul(v, NULL, 10);
                else if (!strcmp(a, "--word-balance"))
                        p.word_balance = strtod(v, NULL);
                else if (!strcmp(a, "--early-margin"))
                        p.early_margin = strtod(v, NULL);
                else if (!strcmp(a, "--min-count"))
                        p.min_count = (unsigned)strtoul(v, NULL, 10);
                else {
                        fprintf(stderr, "train-lang: unknown option %s\n", a);
                        usage(stderr);
                        return EXIT_USAGE;
                }
        }
        if (!ninput || !out || dev_every < 2 || !(p.alpha > 0)) {
                usage(stderr);
                return EXIT_USAGE;
        }

        for (unsigned k = 0; k < ninput; k++) {
                struct stat ib;
                if (stat(input[k], &ib)) {
                        fprintf(stderr, "train-lang: %s: %s\n", input[k], strerror(errno));
                        goto out;
                }
                if (S_ISDIR(ib.st_mode) ? lang_corpus_read_dir(&c, input[k])
                                        : lang_corpus_read_jsonl(&c, input[k]))
                        goto out;
        }
        if (!c.nlang) {
                fprintf(stderr, "train-lang: no training lines\n");
                goto out;
        }

        size_t bytes = 0;
        if (calib) {
                char tmp[4200];
                snprintf(tmp, sizeof(tmp), "%s.calib.tmp", out);
                if (lang_corpus_train(&c, dev_every, 0, &p, tmp, &bytes) ||
                    lang_corpus_calibrate(&c, dev_every, tmp, &p.temperature)) {
                        unlink(tmp);
                        goto out;
                }
                unlink(tmp);
        }
        if (lang_corpus_train(&c, dev_every, 1, &p, out, &bytes))
                goto out;
        if (dev_out && lang_corpus_write_split(&c, dev_every, dev_out, 1))
                goto out;
        if (train_out && lang_corpus_write_split(&c, dev_every, train_out, 0))
                goto out;
        char err[512];
        struct langid_model *m = langid_model_load(out, err, sizeof(err));
        if (!m) {
                fprintf(stderr, "train-lang: wrote an unreadable model: %s\n", err);
                goto out;
        }
        struct stat sb;
        fprintf(stderr, "train-lang: %s: %s, %zu training bytes, %lld bytes\n", out,
                langid_model_describe(m), bytes, stat(out, &sb) ? -1LL : (long long)sb.st_size);
        langid_model_destroy(m);
        rc = EXIT_OK;
out:
        lang_corpus_free(&c);
        return rc;
}
