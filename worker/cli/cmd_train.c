/* stemtag train: labelled JSON lines -> a taxonomy file (format v1) with
 * learned stem weights (learn.h). The output loads like any hand-written
 * taxonomy: `stemtag classify --taxonomy model.json`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classify.h"
#include "commands.h"
#include "hash.h"
#include "labelled.h"
#include "learn.h"
#include "stem.h"
#include "text.h"

static void usage(FILE *out)
{
        fprintf(
            out,
            "Usage: stemtag train --input labelled.jsonl --out model.json [options]\n\n"
            "Learns per-label stem and stem-bigram weights (one-vs-rest linear SVM) and\n"
            "writes them in the taxonomy format, usable with `classify --taxonomy`.\n\n"
            "  -i, --input FILE        JSON lines: {\"title\",\"body\",\"label\",\"lang\"}\n"
            "  -o, --out FILE          taxonomy file to write\n"
            "  -k, --kind KIND         section (one label per article; default) or topic\n"
            "                          (label is a list; thresholds tuned by cross-validation)\n"
            "      --label-field NAME  field holding the label(s) (default \"label\")\n"
            "      --lang XX           stem every article as language XX (default: its \"lang\")\n"
            "      --seed N            order of training and folds (default 1)\n"
            "      --epochs N          max coordinate-descent passes per label (default 40)\n"
            "      --c X               SVM cost; larger fits the training data closer (default 1)\n"
            "      --min-df N          drop features seen in fewer articles (default 2)\n"
            "      --max-features N    keep the N most frequent features (default 200000)\n"
            "      --max-weights N     keep the N largest weights in the file (default 150000)\n"
            "      --folds N           topic kind: cross-validation folds (default 3)\n"
            "      --title-weight X    as classify.title.weight at classify time (default 3)\n"
            "      --name NAME         taxonomy name (default: learned-<input file name>)\n");
}

static void log_line(const char *line)
{
        fprintf(stderr, "stemtag train: %s\n", line);
}

static int parse_num(const char *opt, const char *s, double lo, double hi, double *out)
{
        char *end = NULL;
        double v = strtod(s, &end);
        if (!*s || *end || v < lo || v > hi) {
                fprintf(stderr, "stemtag train: %s: expected a number in [%g, %g], got \"%s\"\n",
                        opt, lo, hi, s);
                return -1;
        }
        *out = v;
        return 0;
}

int cmd_train(int argc, char **argv)
{
        static const struct option longopts[] = {
            {"input", required_argument, NULL, 'i'},
            {"out", required_argument, NULL, 'o'},
            {"kind", required_argument, NULL, 'k'},
            {"label-field", required_argument, NULL, 'L'},
            {"lang", required_argument, NULL, 'l'},
            {"seed", required_argument, NULL, 's'},
            {"epochs", required_argument, NULL, 'e'},
            {"c", required_argument, NULL, 'c'},
            {"min-df", required_argument, NULL, 'm'},
            {"max-features", required_argument, NULL, 'F'},
            {"max-weights", required_argument, NULL, 'W'},
            {"folds", required_argument, NULL, 'f'},
            {"title-weight", required_argument, NULL, 't'},
            {"name", required_argument, NULL, 'n'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        struct learn_options lo;
        learn_options_default(&lo);
        const char *input = NULL, *out = NULL, *label_field = "label", *lang = NULL, *name = NULL;
        double v;
        int opt;
        optind = 1;
        while ((opt = getopt_long(argc, argv, "i:o:k:h", longopts, NULL)) != -1) {
                switch (opt) {
                case 'i':
                        input = optarg;
                        break;
                case 'o':
                        out = optarg;
                        break;
                case 'k':
                        if (!strcmp(optarg, "section")) {
                                lo.kind = 0;
                        } else if (!strcmp(optarg, "topic")) {
                                lo.kind = 1;
                        } else {
                                fprintf(stderr, "stemtag train: --kind must be section or topic\n");
                                return 2;
                        }
                        break;
                case 'L':
                        label_field = optarg;
                        break;
                case 'l':
                        if (stem_lang_from_iso(optarg) < 0) {
                                fprintf(stderr, "stemtag train: --lang %s: no stemmer\n", optarg);
                                return 2;
                        }
                        lang = optarg;
                        break;
                case 's':
                        if (parse_num("--seed", optarg, 0, 4294967295.0, &v))
                                return 2;
                        lo.seed = (uint64_t)v;
                        break;
                case 'e':
                        if (parse_num("--epochs", optarg, 1, 10000, &v))
                                return 2;
                        lo.epochs = (int)v;
                        break;
                case 'c':
                        if (parse_num("--c", optarg, 1e-6, 1e6, &lo.c))
                                return 2;
                        break;
                case 'm':
                        if (parse_num("--min-df", optarg, 1, 1e9, &v))
                                return 2;
                        lo.min_df = (int)v;
                        break;
                case 'F':
                        if (parse_num("--max-features", optarg, 1, 1e8, &v))
                                return 2;
                        lo.max_features = (size_t)v;
                        break;
                case 'W':
                        if (parse_num("--max-weights", optarg, 1, 1e8, &v))
                                return 2;
                        lo.max_postings = (size_t)v;
                        break;
                case 'f':
                        if (parse_num("--folds", optarg, 0, 100, &v))
                                return 2;
                        lo.folds = (int)v;
                        break;
                case 't':
                        if (parse_num("--title-weight", optarg, 0, 100, &lo.title_weight))
                                return 2;
                        break;
                case 'n':
                        name = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (!input || !out || optind != argc) {
                usage(stderr);
                return 2;
        }
        char err[512];
        struct labelled_set set;
        if (labelled_read(input, label_field, &set, err, sizeof(err))) {
                fprintf(stderr, "stemtag train: %s\n", err);
                return 1;
        }
        struct stem_pool *pool = stem_pool_new(1 << 16);
        struct classify_ctx *ctx = classify_ctx_new();
        struct learn *l = learn_new();
        struct text_tokens toks;
        text_tokens_init(&toks);
        int rc = 1;
        json_t *model = NULL;
        if (!pool || !ctx || !l)
                goto oom;
        /* The version names what was learned from what, and nothing else, so
         * the same input and options give a byte-identical file. */
        uint64_t h = HASH_FNV_SEED;
        for (size_t i = 0; i < set.n; i++) {
                const struct labelled_doc *d = &set.docs[i];
                if (lo.kind == 0 && d->n_labels != 1) {
                        fprintf(stderr,
                                "stemtag train: %s: article %zu has %zu labels; --kind section "
                                "needs exactly one (use --kind topic)\n",
                                input, i + 1, d->n_labels);
                        goto out;
                }
                int lg = labelled_tokenize(d, lang, pool, &toks);
                if (lg == -2 || learn_add(l, ctx, lg, &toks, lo.title_weight,
                                          (const char *const *)d->labels, d->n_labels))
                        goto oom;
                h = hash_fnv1a(d->title, strlen(d->title), h);
                h = hash_fnv1a(d->body, strlen(d->body), h);
                for (size_t k = 0; k < d->n_labels; k++)
                        h = hash_fnv1a(d->labels[k], strlen(d->labels[k]) + 1, h);
        }
        char opts[256];
        snprintf(opts, sizeof(opts), "%s/%d/%g/%d/%llu/%d/%zu/%zu/%d/%g/%s", LEARN_REVISION,
                 lo.kind, lo.c, lo.epochs, (unsigned long long)lo.seed, lo.min_df, lo.max_features,
                 lo.max_postings, lo.folds, lo.title_weight, lang ? lang : "");
        h = hash_fnv1a(opts, strlen(opts), h);
        char version[64], defname[256];
        snprintf(version, sizeof(version), "learned-%016llx", (unsigned long long)h);
        if (!name) {
                const char *base = strrchr(input, '/');
                base = base ? base + 1 : input;
                const char *dir = base;
                /* corpora are <dataset>/train.jsonl: name it after the dataset */
                if (base != input) {
                        const char *p = base - 1;
                        while (p > input && p[-1] != '/')
                                p--;
                        dir = p;
                }
                snprintf(defname, sizeof(defname), "learned-%.*s",
                         (int)(base != input ? (size_t)(base - 1 - dir) : strlen(base)), dir);
                name = defname;
        }
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        model = learn_train(l, &lo, name, version, log_line, err, sizeof(err));
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (!model) {
                fprintf(stderr, "stemtag train: %s\n", err);
                goto out;
        }
        if (json_dump_file(model, out, JSON_INDENT(1) | JSON_REAL_PRECISION(6))) {
                fprintf(stderr, "stemtag train: %s: cannot write\n", out);
                goto out;
        }
        fprintf(stderr, "stemtag train: wrote %s (%zu articles, %.1f s)\n", out, set.n,
                (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
        rc = 0;
        goto out;
oom:
        fprintf(stderr, "stemtag train: out of memory\n");
out:
        json_decref(model);
        text_tokens_free(&toks);
        learn_destroy(l);
        classify_ctx_destroy(ctx);
        stem_pool_destroy(pool);
        labelled_free(&set);
        return rc;
}
