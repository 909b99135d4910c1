/* stemtag train: labelled JSON lines (a file, or a bounded sample of a Kafka
 * topic) -> a taxonomy file (format v1) with learned stem weights (learn.h).
 * The output loads like any hand-written taxonomy: `stemtag classify
 * --taxonomy model.json`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classify.h"
#include "cli_config.h"
#include "cli_kafka.h"
#include "commands.h"
#include "config.h"
#include "hash.h"
#include "labelled.h"
#include "learn.h"
#include "log.h"
#include "stem.h"
#include "taxonomy.h"
#include "text.h"
#include "topic_read.h"

#define TRAIN_TOPIC_LIMIT 10000 /* --limit default with --topic */

static void usage(FILE *out)
{
        fprintf(
            out,
            "Usage: stemtag train --input labelled.jsonl --out model.json [options]\n"
            "       stemtag train --topic T [-b BROKERS] [--limit N] --out model.json [options]\n\n"
            "Learns per-label stem and stem-bigram weights (one-vs-rest linear SVM) and\n"
            "writes them in the taxonomy format, usable with `classify --taxonomy`.\n\n"
            "  -i, --input FILE        JSON lines: {\"title\",\"body\",\"label\",\"lang\"}\n"
            "      --topic TOPIC       instead of --input: the JSON messages of this Kafka\n"
            "                          topic, one article each (from the beginning of every\n"
            "                          partition to its end at start; nothing committed)\n"
            "      --limit N           --topic: at most N articles (default 10000)\n"
            "  -b, --brokers LIST      --topic: = -X kafka.bootstrap.servers=LIST\n"
            "  -c, --config FILE       --topic: the Kafka client's kafka.* settings, loaded\n"
            "                          as `run` loads them (also the environment)\n"
            "  -X key=value            --topic: set one config key (repeatable)\n"
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
            "      --name NAME         taxonomy name (default: learned-<file or topic name>)\n\n"
            "Learning from the feed's own desk labels (no hand labelling):\n"
            "      --labels-from source-section\n"
            "                          the input is raw articles (docs/formats.md); each\n"
            "                          one's source section label is mapped through the\n"
            "                          taxonomy's aliases (Spor, Ekonomi, Politika -> sport,\n"
            "                          economy-business-finance, politics) or section ids;\n"
            "                          articles whose label maps to no section are left out.\n"
            "                          A report on stderr counts each label and its section.\n"
            "      --section-field NAME  field holding the source section (default \"section\")\n"
            "      --taxonomy PATH     taxonomy whose aliases map the labels (repeatable; a\n"
            "                          directory loads all its files; default config/taxonomy)\n");
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

/* One distinct source label and what it became. */
struct label_count {
        char *label;    /* as the article wrote it (owned) */
        const char *to; /* section id, borrowed from the taxonomy; NULL: unmapped */
        size_t n;
};

static int cmp_count(const void *a, const void *b)
{
        const struct label_count *x = a, *y = b;
        if (x->n != y->n)
                return x->n < y->n ? 1 : -1;
        return strcmp(x->label, y->label);
}

/* Section index of a source label: an alias, else a section id; -1: none. */
static int section_of(const struct taxonomy *tx, const char *label)
{
        char *folded = tx_fold(label);
        if (!folded)
                return -1;
        int i = tx_alias_find(tx, folded);
        if (i < 0)
                for (size_t k = 0; k < tx->n_labels; k++)
                        if (!strcmp(tx->labels[k].id, folded))
                                i = (int)k;
        free(folded);
        return i >= 0 && tx->labels[i].kind == TAXONOMY_SECTION ? i : -1;
}

/* --labels-from source-section: replaces each document's source label by the
 * section it maps to, drops the documents whose label maps to none (and
 * those without one), and reports the counts on stderr. 0, or an exit code
 * (EXIT_MODEL: the taxonomy does not load). */
static int map_source_sections(struct labelled_set *set, const char *const *tx_paths,
                               const char *input, const char *field)
{
        char err[512];
        struct stem_pool *pool = stem_pool_new(0);
        struct taxonomy *tx = pool ? taxonomy_load(tx_paths, pool, err, sizeof(err)) : NULL;
        stem_pool_destroy(pool);
        if (!tx) {
                fprintf(stderr, "stemtag train: %s\n", pool ? err : "out of memory");
                return pool ? EXIT_MODEL : EXIT_FAILURE_RUNTIME;
        }
        struct label_count *counts = NULL;
        size_t n_counts = 0, cap = 0, kept = 0, none = 0, mapped_n = 0, lists = 0;
        int rc = 0;
        size_t i;
        for (i = 0; i < set->n; i++) {
                struct labelled_doc *d = &set->docs[i];
                if (d->n_labels != 1) {
                        none += d->n_labels == 0;
                        lists += d->n_labels > 1;
                        labelled_doc_free(d);
                        continue;
                }
                size_t c = 0;
                while (c < n_counts && strcmp(counts[c].label, d->labels[0]))
                        c++;
                if (c == n_counts) {
                        if (n_counts == cap) {
                                size_t nc = cap ? cap * 2 : 64;
                                struct label_count *p = realloc(counts, nc * sizeof(*p));
                                if (!p)
                                        goto oom;
                                counts = p;
                                cap = nc;
                        }
                        int s = section_of(tx, d->labels[0]);
                        counts[c].label = strdup(d->labels[0]);
                        counts[c].to = s >= 0 ? tx->labels[s].id : NULL;
                        counts[c].n = 0;
                        if (!counts[c].label)
                                goto oom;
                        n_counts++;
                }
                counts[c].n++;
                if (!counts[c].to) {
                        labelled_doc_free(d);
                        continue;
                }
                char *to = strdup(counts[c].to);
                if (!to)
                        goto oom;
                free(d->labels[0]);
                d->labels[0] = to;
                mapped_n++;
                set->docs[kept++] = *d;
        }
        set->n = kept;
        qsort(counts, n_counts, sizeof(*counts), cmp_count);
        size_t total = mapped_n + (none + lists);
        for (size_t c = 0; c < n_counts; c++)
                if (!counts[c].to)
                        total += counts[c].n;
        fprintf(stderr,
                "stemtag train: %s: %zu articles; source section \"%s\" mapped for %zu "
                "(%.1f %%), unmapped %zu, missing %zu\n",
                input, total, field, mapped_n, total ? 100.0 * (double)mapped_n / (double)total : 0,
                total - mapped_n - none - lists, none);
        if (lists)
                fprintf(stderr, "stemtag train:   %zu articles with a list of sections left out\n",
                        lists);
        for (size_t c = 0; c < n_counts; c++)
                fprintf(stderr, "stemtag train:   %-24s %-28s %8zu\n", counts[c].label,
                        counts[c].to ? counts[c].to : "(unmapped)", counts[c].n);
        if (!mapped_n) {
                fprintf(stderr,
                        "stemtag train: %s: no article's \"%s\" maps to a section of the "
                        "taxonomy (add the labels as aliases, or check --section-field)\n",
                        input, field);
                rc = EXIT_FAILURE_RUNTIME;
        }
        goto out;
oom:
        /* docs[0, kept) are kept, [kept, i) freed or moved, [i, n) still owned */
        for (size_t j = i; j < set->n; j++)
                labelled_doc_free(&set->docs[j]);
        set->n = kept;
        fprintf(stderr, "stemtag train: out of memory\n");
        rc = EXIT_FAILURE_RUNTIME;
out:
        for (size_t c = 0; c < n_counts; c++)
                free(counts[c].label);
        free(counts);
        taxonomy_destroy(tx);
        return rc;
}

/* What the command line asked for. */
struct train_args {
        struct learn_options lo;
        const char *input, *out, *label_field, *lang, *name, *section_field;
        const char *topic;                 /* --topic, instead of --input */
        const char *source;                /* --input or --topic: names the input in messages */
        size_t limit;                      /* --topic: at most this many articles */
        struct cli_config_args kafka_args; /* -c/-X/-b (owned: cli_config_args_free) */
        const char *tx_paths[17];          /* NULL-terminated */
        size_t n_tx;
        int from_sections;
};

/* Fills @p a from the command line: -1 to go on, else the exit code; either
 * way cli_config_args_free(&a->kafka_args) afterwards. */
static int train_parse(int argc, char **argv, struct train_args *a)
{
        static const struct option longopts[] = {
            {"input", required_argument, NULL, 'i'},
            {"out", required_argument, NULL, 'o'},
            {"kind", required_argument, NULL, 'k'},
            {"label-field", required_argument, NULL, 'L'},
            {"lang", required_argument, NULL, 'l'},
            {"seed", required_argument, NULL, 's'},
            {"epochs", required_argument, NULL, 'e'},
            {"c", required_argument, NULL, 'C'},
            {"min-df", required_argument, NULL, 'm'},
            {"max-features", required_argument, NULL, 'F'},
            {"max-weights", required_argument, NULL, 'W'},
            {"folds", required_argument, NULL, 'f'},
            {"title-weight", required_argument, NULL, 't'},
            {"name", required_argument, NULL, 'n'},
            {"labels-from", required_argument, NULL, 'S'},
            {"section-field", required_argument, NULL, 'E'},
            {"taxonomy", required_argument, NULL, 'T'},
            {"topic", required_argument, NULL, 'P'},
            {"limit", required_argument, NULL, 'N'},
            {"config", required_argument, NULL, 'c'},
            {"brokers", required_argument, NULL, 'b'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        memset(a, 0, sizeof(*a));
        learn_options_default(&a->lo);
        a->label_field = "label";
        a->section_field = "section";
        cli_config_args_init(&a->kafka_args, argc);
        struct learn_options *lo = &a->lo;
        int kind_given = 0, kafka_given = 0;
        double v;
        int opt;
        optind = 1;
        while ((opt = getopt_long(argc, argv, "i:o:k:c:X:b:h", longopts, NULL)) != -1) {
                if (cli_config_args_take(&a->kafka_args, opt, optarg)) {
                        kafka_given = 1;
                        continue;
                }
                switch (opt) {
                case 'i':
                        a->input = optarg;
                        break;
                case 'o':
                        a->out = optarg;
                        break;
                case 'k':
                        kind_given = !!strcmp(optarg, "section");
                        if (!strcmp(optarg, "section")) {
                                lo->kind = TAXONOMY_SECTION;
                        } else if (!strcmp(optarg, "topic")) {
                                lo->kind = TAXONOMY_TOPIC;
                        } else {
                                fprintf(stderr, "stemtag train: --kind must be section or topic\n");
                                return EXIT_USAGE;
                        }
                        break;
                case 'L':
                        a->label_field = optarg;
                        break;
                case 'l':
                        if (stem_lang_from_iso(optarg) < 0) {
                                fprintf(stderr, "stemtag train: --lang %s: no stemmer\n", optarg);
                                return EXIT_USAGE;
                        }
                        a->lang = optarg;
                        break;
                case 's':
                        if (parse_num("--seed", optarg, 0, 4294967295.0, &v))
                                return EXIT_USAGE;
                        lo->seed = (uint64_t)v;
                        break;
                case 'e':
                        if (parse_num("--epochs", optarg, 1, 10000, &v))
                                return EXIT_USAGE;
                        lo->epochs = (int)v;
                        break;
                case 'C':
                        if (parse_num("--c", optarg, 1e-6, 1e6, &lo->c))
                                return EXIT_USAGE;
                        break;
                case 'm':
                        if (parse_num("--min-df", optarg, 1, 1e9, &v))
                                return EXIT_USAGE;
                        lo->min_df = (int)v;
                        break;
                case 'F':
                        if (parse_num("--max-features", optarg, 1, 1e8, &v))
                                return EXIT_USAGE;
                        lo->max_features = (size_t)v;
                        break;
                case 'W':
                        if (parse_num("--max-weights", optarg, 1, 1e8, &v))
                                return EXIT_USAGE;
                        lo->max_postings = (size_t)v;
                        break;
                case 'f':
                        if (parse_num("--folds", optarg, 0, 100, &v))
                                return EXIT_USAGE;
                        lo->folds = (int)v;
                        break;
                case 't':
                        if (parse_num("--title-weight", optarg, 0, 100, &lo->title_weight))
                                return EXIT_USAGE;
                        break;
                case 'n':
                        a->name = optarg;
                        break;
                case 'S':
                        if (strcmp(optarg, "source-section")) {
                                fprintf(stderr,
                                        "stemtag train: --labels-from: only "
                                        "source-section is known, got \"%s\"\n",
                                        optarg);
                                return EXIT_USAGE;
                        }
                        a->from_sections = 1;
                        break;
                case 'E':
                        a->section_field = optarg;
                        break;
                case 'T':
                        if (a->n_tx == sizeof(a->tx_paths) / sizeof(a->tx_paths[0]) - 1) {
                                fprintf(stderr, "stemtag train: --taxonomy: at most 16\n");
                                return EXIT_USAGE;
                        }
                        a->tx_paths[a->n_tx++] = optarg;
                        break;
                case 'P':
                        a->topic = optarg;
                        break;
                case 'N':
                        if (parse_num("--limit", optarg, 1, 1e9, &v))
                                return EXIT_USAGE;
                        a->limit = (size_t)v;
                        break;
                case 'h':
                        usage(stdout);
                        return EXIT_OK;
                default:
                        usage(stderr);
                        return EXIT_USAGE;
                }
        }
        if (a->input && a->topic) {
                fprintf(stderr, "stemtag train: --input and --topic exclude each other\n");
                return EXIT_USAGE;
        }
        if ((a->limit || kafka_given) && !a->topic) {
                fprintf(stderr, "stemtag train: --limit, -c, -X and -b apply to --topic only\n");
                return EXIT_USAGE;
        }
        if ((!a->input && !a->topic) || !a->out || optind != argc) {
                usage(stderr);
                return EXIT_USAGE;
        }
        a->source = a->input ? a->input : a->topic;
        if (!a->limit)
                a->limit = TRAIN_TOPIC_LIMIT;
        if (a->from_sections && kind_given) {
                fprintf(stderr, "stemtag train: --labels-from source-section learns sections "
                                "(one per article): --kind topic does not apply\n");
                return EXIT_USAGE;
        }
        return -1;
}

/* The file's version names what was learned from what, and nothing else, so
 * the same input and options give a byte-identical file. */
static uint64_t train_hash_doc(const struct labelled_doc *d, uint64_t h)
{
        h = hash_fnv1a(d->title, strlen(d->title), h);
        h = hash_fnv1a(d->body, strlen(d->body), h);
        for (size_t k = 0; k < d->n_labels; k++)
                h = hash_fnv1a(d->labels[k], strlen(d->labels[k]) + 1, h);
        return h;
}

static void train_version(const struct train_args *a, uint64_t h, char *version, size_t size)
{
        const struct learn_options *lo = &a->lo;
        char opts[256];
        snprintf(opts, sizeof(opts), "%s/%d/%g/%d/%llu/%d/%zu/%zu/%d/%g/%s", LEARN_REVISION,
                 (int)lo->kind, lo->c, lo->epochs, (unsigned long long)lo->seed, lo->min_df,
                 lo->max_features, lo->max_postings, lo->folds, lo->title_weight,
                 a->lang ? a->lang : "");
        h = hash_fnv1a(opts, strlen(opts), h);
        snprintf(version, size, "learned-%016llx", (unsigned long long)h);
}

/* Default taxonomy name: learned-<dataset> for <dataset>/train.jsonl, else
 * learned-<file name>. */
static void train_default_name(const char *input, char *name, size_t size)
{
        const char *base = strrchr(input, '/');
        base = base ? base + 1 : input;
        const char *dir = base;
        if (base != input) {
                const char *p = base - 1;
                while (p > input && p[-1] != '/')
                        p--;
                dir = p;
        }
        snprintf(name, size, "learned-%.*s",
                 (int)(base != input ? (size_t)(base - 1 - dir) : strlen(base)), dir);
}

/* Tokenises, stems and adds every article of @p set, learns, writes the file
 * and reports it. An exit code. */
static int train_run(const struct train_args *a, const struct labelled_set *set)
{
        const struct learn_options *lo = &a->lo;
        struct stem_pool *pool = stem_pool_new(1 << 16);
        struct classify_ctx *ctx = classify_ctx_new();
        struct learn *l = learn_new();
        struct text_tokens toks;
        text_tokens_init(&toks);
        int rc = EXIT_FAILURE_RUNTIME;
        json_t *model = NULL;
        char err[512];
        if (!pool || !ctx || !l)
                goto oom;
        uint64_t h = HASH_FNV_SEED;
        for (size_t i = 0; i < set->n; i++) {
                const struct labelled_doc *d = &set->docs[i];
                if (lo->kind == TAXONOMY_SECTION && d->n_labels != 1) {
                        fprintf(stderr,
                                "stemtag train: %s: article %zu has %zu labels; --kind section "
                                "needs exactly one (use --kind topic)\n",
                                a->source, i + 1, d->n_labels);
                        goto out;
                }
                int lg = labelled_tokenize(d, a->lang, pool, &toks);
                if (lg == -2 || learn_add(l, ctx, lg, &toks, lo->title_weight,
                                          (const char *const *)d->labels, d->n_labels))
                        goto oom;
                h = train_hash_doc(d, h);
        }
        char version[64], defname[256];
        train_version(a, h, version, sizeof(version));
        const char *name = a->name;
        if (!name) {
                train_default_name(a->source, defname, sizeof(defname));
                name = defname;
        }
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        model = learn_train(l, lo, name, version, log_line, err, sizeof(err));
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (!model) {
                fprintf(stderr, "stemtag train: %s\n", err);
                goto out;
        }
        if (json_dump_file(model, a->out, JSON_INDENT(1) | JSON_REAL_PRECISION(6))) {
                fprintf(stderr, "stemtag train: %s: cannot write\n", a->out);
                goto out;
        }
        fprintf(stderr, "stemtag train: wrote %s (%zu articles, %.1f s)\n", a->out, set->n,
                (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
        rc = EXIT_OK;
        goto out;
oom:
        fprintf(stderr, "stemtag train: out of memory\n");
out:
        json_decref(model);
        text_tokens_free(&toks);
        learn_destroy(l);
        classify_ctx_destroy(ctx);
        stem_pool_destroy(pool);
        return rc;
}

/* Where a message came from, to put the sample in topic order. */
struct train_msg_key {
        int32_t partition;
        int64_t offset;
        size_t doc;
};

static int cmp_msg_key(const void *a, const void *b)
{
        const struct train_msg_key *x = a, *y = b;
        if (x->partition != y->partition)
                return x->partition < y->partition ? -1 : 1;
        return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Puts the documents in (partition, offset) order: the read interleaves the
 * partitions as they arrive, and the model (its weights and version) depends
 * on the order, so this keeps the same topic content giving the same file. */
static int train_topic_order(struct labelled_set *set, struct train_msg_key *keys)
{
        if (set->n < 2)
                return 0;
        qsort(keys, set->n, sizeof(*keys), cmp_msg_key);
        struct labelled_doc *docs = malloc(set->n * sizeof(*docs));
        if (!docs)
                return -1;
        for (size_t i = 0; i < set->n; i++)
                docs[i] = set->docs[keys[i].doc];
        free(set->docs);
        set->docs = docs;
        set->cap = set->n;
        return 0;
}

/* --topic: up to a->limit messages of the topic into @p set (labelled_free it
 * either way), as labelled_read_ex reads the lines of a file; empty messages
 * (tombstones) are skipped. 0, or an exit code. */
static int train_read_topic(struct train_args *a, const char *field, struct labelled_set *set)
{
        char err[512], where[512];
        const char **kafka = NULL;
        struct train_msg_key *keys = NULL; /* one per document of @p set */
        size_t n_keys = 0;
        struct topic_reader *rd = NULL;
        struct config *cfg = cli_config_load(&a->kafka_args, 0, err, sizeof(err));
        int rc = EXIT_FAILURE_RUNTIME, got = 0;
        memset(set, 0, sizeof(*set));
        if (!cfg) {
                fprintf(stderr, "stemtag train: %s\n", err);
                return EXIT_USAGE;
        }
        if (!(kafka = cli_kafka_pairs(cfg)))
                goto oom;
        struct topic_read_options o = {
            .kafka = kafka,
            .topic = a->topic,
            .group = "stemtag-train",
            .partition = -1,
            .from_offset = -1,
            .to_offset = -1,
            .timeout_ms = 30000,
        };
        if (!(rd = topic_reader_open(&o, err, sizeof(err)))) {
                fprintf(stderr, "stemtag train: %s\n", err);
                goto out;
        }
        rd_kafka_message_t *m;
        while (set->n < a->limit && (got = topic_reader_next(rd, &m, err, sizeof(err))) > 0) {
                int bad = 0;
                if (m->payload && m->len) {
                        size_t n = set->n;
                        if (n == n_keys) {
                                size_t nk = n_keys ? 2 * n_keys : 1024;
                                struct train_msg_key *p = realloc(keys, nk * sizeof(*p));
                                if (!p) {
                                        rd_kafka_message_destroy(m);
                                        goto oom;
                                }
                                keys = p;
                                n_keys = nk;
                        }
                        snprintf(where, sizeof(where), "%s[%d]@%lld", a->topic, (int)m->partition,
                                 (long long)m->offset);
                        bad = labelled_add_json(set, m->payload, m->len, field, a->from_sections,
                                                where, err, sizeof(err));
                        keys[n] = (struct train_msg_key){m->partition, m->offset, n};
                }
                rd_kafka_message_destroy(m);
                if (bad) {
                        got = -1;
                        break;
                }
        }
        if (got < 0) {
                fprintf(stderr, "stemtag train: %s\n", err);
                goto out;
        }
        if (train_topic_order(set, keys))
                goto oom;
        fprintf(stderr, "stemtag train: %s: read %zu articles%s\n", a->topic, set->n,
                set->n == a->limit ? " (--limit)" : "");
        rc = 0;
        goto out;
oom:
        fprintf(stderr, "stemtag train: out of memory\n");
out:
        topic_reader_close(rd);
        free(keys);
        free(kafka);
        config_destroy(cfg);
        return rc;
}

int cmd_train(int argc, char **argv)
{
        struct train_args a;
        struct labelled_set set = {0};
        char err[512];
        int rc = train_parse(argc, argv, &a);
        if (rc >= 0)
                goto out;
        const char *field = a.from_sections ? a.section_field : a.label_field;
        if (a.topic) {
                rc = train_read_topic(&a, field, &set);
        } else if (labelled_read_ex(a.input, field, a.from_sections, &set, err, sizeof(err))) {
                fprintf(stderr, "stemtag train: %s\n", err);
                rc = EXIT_FAILURE_RUNTIME;
        } else {
                rc = EXIT_OK;
        }
        if (!rc && a.from_sections) {
                if (!a.n_tx)
                        a.tx_paths[a.n_tx++] = "config/taxonomy";
                rc = map_source_sections(&set, a.tx_paths, a.source, a.section_field);
        }
        if (!rc)
                rc = train_run(&a, &set);
out:
        labelled_free(&set);
        cli_config_args_free(&a.kafka_args);
        return rc;
}
