/* stemtag taxonomy: inspects taxonomy files for their editors.
 *   stats  keywords per language and label (coverage), with --check the
 *          minimums the default taxonomy promises (exit 1 below them);
 *   audit  keywords of one language whose stem is one of the most frequent
 *          stems of a plain text of that language (a function word or an
 *          everyday word: evidence nobody can trust), and stems that feed
 *          more than one section. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify.h"
#include "commands.h"
#include "log.h"
#include "mem.h"
#include "stem.h"
#include "text.h"

#define DEFAULT_TAXONOMY "config/taxonomy"
#define MAX_PATHS        64

/* Minimums of the default taxonomy (config/taxonomy/README.md "Coverage"):
 * keywords per label in every language, the language's own plus "*". */
#define MIN_SECTION 25
#define MIN_TOPIC   6
#define MIN_GEO     2

enum label_group { GROUP_SECTION, GROUP_TOPIC, GROUP_GEO, GROUP_COUNT };
static const char *const group_name[GROUP_COUNT] = {"sections", "topics", "geo"};

static void usage(FILE *out)
{
        fprintf(
            out,
            "Usage: stemtag taxonomy stats [--taxonomy PATH]... [--lang XX] [--check]\n"
            "                              [--min-section N] [--min-topic N] [--min-geo N]\n"
            "       stemtag taxonomy audit --lang XX --text FILE [--top N] [--taxonomy PATH]...\n\n"
            "stats: keywords per language and label. Without --lang one line per language\n"
            "  (minimum and mean per label of each kind: sections, topics, geo: countries);\n"
            "  with --lang one line per label. A language's count includes the \"*\" keywords.\n"
            "  --check: list every (language, label) below the minimums (defaults: section %d,\n"
            "  topic %d, geo %d) over the 28 news languages; exit 1 if there is one.\n"
            "audit: keywords of language XX whose stem is among the N (default 100) most\n"
            "  frequent stems of FILE (plain text of that language, tokenised and stemmed\n"
            "  as articles are), and stems that earn more than one section.\n\n"
            "  -t, --taxonomy PATH  taxonomy file or directory; repeat to combine\n"
            "                       (default: " DEFAULT_TAXONOMY ")\n\n"
            "Exit status: 0 ok, 1 below a minimum (stats --check) or unreadable text,\n"
            "2 usage, 3 the taxonomy cannot be loaded.\n",
            MIN_SECTION, MIN_TOPIC, MIN_GEO);
}

/* The news languages: every stem_lang slot but "porter" (an English variant). */
static int is_news_lang(int lang)
{
        return strlen(stem_lang_iso(lang)) == 2;
}

static enum label_group group_of(const struct taxonomy *tx, size_t i)
{
        if (!strncmp(taxonomy_label_id(tx, i), "geo:", 4))
                return GROUP_GEO;
        return taxonomy_label_kind(tx, i) == TAXONOMY_SECTION ? GROUP_SECTION : GROUP_TOPIC;
}

static unsigned count_of(const struct taxonomy *tx, size_t i, int lang)
{
        return taxonomy_keyword_count(tx, i, lang) + taxonomy_keyword_count(tx, i, -1);
}

static void print_summary_line(const struct taxonomy *tx, int lang)
{
        unsigned min[GROUP_COUNT], n[GROUP_COUNT] = {0};
        unsigned long sum[GROUP_COUNT] = {0}, total = 0;
        for (int g = 0; g < GROUP_COUNT; g++)
                min[g] = ~0u;
        for (size_t i = 0; i < taxonomy_label_count(tx); i++) {
                enum label_group g = group_of(tx, i);
                unsigned c = lang >= 0 ? count_of(tx, i, lang) : taxonomy_keyword_count(tx, i, -1);
                n[g]++;
                sum[g] += c;
                total += c;
                if (c < min[g])
                        min[g] = c;
        }
        printf("%-4s", lang >= 0 ? stem_lang_iso(lang) : "*");
        for (int g = 0; g < GROUP_COUNT; g++)
                printf("  %5u %7.1f", n[g] ? min[g] : 0, n[g] ? (double)sum[g] / n[g] : 0.0);
        printf("  %8lu\n", total);
}

static int stats(const struct taxonomy *tx, int lang, int check, const unsigned mins[GROUP_COUNT])
{
        size_t nl = taxonomy_label_count(tx);
        unsigned n[GROUP_COUNT] = {0};
        for (size_t i = 0; i < nl; i++)
                n[group_of(tx, i)]++;
        size_t entries, bytes = taxonomy_memory(tx, &entries);
        printf("taxonomy %s: %u sections, %u topics, %u countries; compiled: %zu stem n-grams, "
               "%.1f MB\n",
               taxonomy_version(tx), n[GROUP_SECTION], n[GROUP_TOPIC], n[GROUP_GEO], entries,
               (double)bytes / 1e6);
        if (lang >= 0) {
                printf("%-32s %-8s %8s %8s\n", "label", "kind", stem_lang_iso(lang), "*");
                for (size_t i = 0; i < nl; i++)
                        printf("%-32s %-8s %8u %8u\n", taxonomy_label_id(tx, i),
                               group_name[group_of(tx, i)], taxonomy_keyword_count(tx, i, lang),
                               taxonomy_keyword_count(tx, i, -1));
        } else {
                printf("%-4s  %13s  %13s  %13s  %8s\n", "lang", "sections", "topics", "geo",
                       "keywords");
                printf("%-4s  %5s %7s  %5s %7s  %5s %7s\n", "", "min", "mean", "min", "mean", "min",
                       "mean");
                for (int l = 0; l < STEM_LANG_COUNT; l++)
                        if (is_news_lang(l))
                                print_summary_line(tx, l);
                print_summary_line(tx, -1);
        }
        if (!check)
                return 0;
        unsigned long below = 0;
        for (int l = 0; l < STEM_LANG_COUNT; l++) {
                if ((lang >= 0 && l != lang) || !is_news_lang(l))
                        continue;
                for (size_t i = 0; i < nl; i++) {
                        enum label_group g = group_of(tx, i);
                        unsigned c = count_of(tx, i, l);
                        if (c >= mins[g])
                                continue;
                        if (below++ < 200)
                                printf("below minimum: %s %s: %u keywords < %u\n", stem_lang_iso(l),
                                       taxonomy_label_id(tx, i), c, mins[g]);
                }
        }
        if (below) {
                printf("coverage check FAILED: %lu (language, label) pairs below the minimums "
                       "(section %u, topic %u, geo %u)\n",
                       below, mins[GROUP_SECTION], mins[GROUP_TOPIC], mins[GROUP_GEO]);
                return 1;
        }
        printf("coverage check ok: every label has at least section %u / topic %u / geo %u "
               "keywords in %s\n",
               mins[GROUP_SECTION], mins[GROUP_TOPIC], mins[GROUP_GEO],
               lang >= 0 ? stem_lang_iso(lang) : "all 28 languages");
        return 0;
}

/* Stem frequencies of the audit text: open addressing over owned strings. */
struct stem_count {
        char *stem; /* owned */
        unsigned long n;
};

struct stem_table {
        struct stem_count *v;
        size_t mask, used;
        unsigned long tokens;
};

static uint64_t fnv(const char *s, size_t len)
{
        uint64_t h = 0xcbf29ce484222325ULL;
        for (size_t i = 0; i < len; i++)
                h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
        return h;
}

static struct stem_count *table_slot(struct stem_table *t, const char *s, size_t len)
{
        size_t i = fnv(s, len) & t->mask;
        while (t->v[i].stem && (strlen(t->v[i].stem) != len || memcmp(t->v[i].stem, s, len)))
                i = (i + 1) & t->mask;
        return &t->v[i];
}

static int table_add(struct stem_table *t, const char *s, size_t len)
{
        if (2 * (t->used + 1) > t->mask + 1) {
                struct stem_table g = {.mask = t->mask ? 2 * t->mask + 1 : 4095};
                if (!(g.v = calloc(g.mask + 1, sizeof(*g.v))))
                        return -1;
                for (size_t i = 0; t->v && i <= t->mask; i++)
                        if (t->v[i].stem)
                                *table_slot(&g, t->v[i].stem, strlen(t->v[i].stem)) = t->v[i];
                free(t->v);
                t->v = g.v;
                t->mask = g.mask;
        }
        struct stem_count *c = table_slot(t, s, len);
        if (!c->stem) {
                if (!(c->stem = strndup(s, len)))
                        return -1;
                t->used++;
        }
        c->n++;
        t->tokens++;
        return 0;
}

static void table_free(struct stem_table *t)
{
        for (size_t i = 0; t->v && i <= t->mask; i++)
                free(t->v[i].stem);
        free(t->v);
}

static int cmp_count_desc(const void *pa, const void *pb)
{
        const struct stem_count *a = pa, *b = pb;
        if (a->n != b->n)
                return a->n > b->n ? -1 : 1;
        return strcmp(a->stem, b->stem);
}

struct sec_stem {
        const char *stems; /* borrowed from the taxonomy */
        size_t len;
        size_t label;
};

struct audit {
        const struct taxonomy *tx;
        struct stem_count *top; /* the N most frequent stems, most frequent first */
        size_t n_top;
        unsigned long tokens;
        unsigned long hits;
        /* stems of section keywords, to find those shared by sections */
        struct sec_stem *sec;
        size_t n_sec, cap_sec;
};

static int audit_feature(const struct taxonomy_feature *f, void *ud)
{
        struct audit *a = ud;
        if (f->weight <= 0)
                return 0;
        if (taxonomy_label_kind(a->tx, f->label) == TAXONOMY_SECTION) {
                if (mem_grow((void **)&a->sec, &a->cap_sec, a->n_sec + 1, sizeof(*a->sec)))
                        return -1;
                a->sec[a->n_sec].stems = f->stems;
                a->sec[a->n_sec].len = f->stems_len;
                a->sec[a->n_sec++].label = f->label;
        }
        if (f->ntok != 1)
                return 0;
        for (size_t r = 0; r < a->n_top; r++) {
                if (strlen(a->top[r].stem) != f->stems_len ||
                    memcmp(a->top[r].stem, f->stems, f->stems_len))
                        continue;
                printf("frequent  %-28s %-24s stem \"%.*s\" rank %zu, %.2f %% of tokens, "
                       "weight %.2g\n",
                       taxonomy_label_id(a->tx, f->label), f->keyword ? f->keyword : "(learned)",
                       (int)f->stems_len, f->stems, r + 1, 100.0 * (double)a->top[r].n / a->tokens,
                       f->weight);
                a->hits++;
                break;
        }
        return 0;
}

static int cmp_sec(const void *pa, const void *pb)
{
        const struct sec_stem *a = pa, *b = pb;
        size_t m = a->len < b->len ? a->len : b->len;
        int c = memcmp(a->stems, b->stems, m);
        if (c)
                return c;
        if (a->len != b->len)
                return a->len < b->len ? -1 : 1;
        return a->label < b->label ? -1 : a->label > b->label;
}

static int audit(const struct taxonomy *tx, struct stem_pool *pool, int lang, const char *path,
                 size_t top)
{
        FILE *fp = fopen(path, "r");
        if (!fp) {
                perror(path);
                return 1;
        }
        struct stem_table t = {0};
        struct text_tokens toks;
        text_tokens_init(&toks);
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;
        int rc = 0;
        while (rc == 0 && (len = getline(&line, &cap, fp)) > 0) {
                text_tokens_reset(&toks);
                if (text_tokenize(&toks, line, (size_t)len, TEXT_FIELD_BODY, stem_lang_iso(lang)) ||
                    stem_tokens(pool, lang, &toks)) {
                        rc = -1;
                        break;
                }
                for (size_t i = 0; i < toks.n && rc == 0; i++) {
                        const char *s = text_token_stem(&toks, i);
                        size_t sl = toks.v[i].stem_len;
                        if (!sl)
                                continue; /* numbers are never stemmed nor matched as words */
                        rc = table_add(&t, s, sl);
                }
        }
        free(line);
        fclose(fp);
        text_tokens_free(&toks);
        if (rc) {
                table_free(&t);
                fprintf(stderr, "stemtag taxonomy audit: out of memory or invalid text\n");
                return 1;
        }
        /* Compact the table to its used slots and rank them. */
        size_t n = 0;
        for (size_t i = 0; t.v && i <= t.mask; i++)
                if (t.v[i].stem)
                        t.v[n++] = t.v[i];
        if (n)
                qsort(t.v, n, sizeof(*t.v), cmp_count_desc);
        struct audit a = {.tx = tx, .top = t.v, .n_top = n < top ? n : top, .tokens = t.tokens};
        printf("audit %s: %lu tokens, %zu distinct stems in %s; keywords whose stem is one of "
               "the %zu most frequent:\n",
               stem_lang_iso(lang), t.tokens, n, path, a.n_top);
        rc = taxonomy_foreach_feature(tx, lang, audit_feature, &a);
        if (rc == 0 && a.n_sec)
                qsort(a.sec, a.n_sec, sizeof(*a.sec), cmp_sec);
        unsigned long shared = 0;
        for (size_t i = 0; rc == 0 && i < a.n_sec;) {
                size_t j = i + 1;
                while (j < a.n_sec && a.sec[j].len == a.sec[i].len &&
                       !memcmp(a.sec[j].stems, a.sec[i].stems, a.sec[i].len))
                        j++;
                if (j - i > 1) {
                        printf("shared    \"%.*s\" earns %zu sections:", (int)a.sec[i].len,
                               a.sec[i].stems, j - i);
                        for (size_t k = i; k < j; k++)
                                printf(" %s", taxonomy_label_id(tx, a.sec[k].label));
                        printf("\n");
                        shared++;
                }
                i = j;
        }
        printf("audit %s: %lu keywords on frequent stems, %lu stems shared by sections\n",
               stem_lang_iso(lang), a.hits, shared);
        free(a.sec);
        for (size_t i = 0; i < n; i++)
                free(t.v[i].stem);
        free(t.v);
        return rc ? 1 : 0;
}

int cmd_taxonomy(int argc, char **argv)
{
        static const struct option longopts[] = {
            {"taxonomy", required_argument, NULL, 't'},
            {"lang", required_argument, NULL, 'l'},
            {"check", no_argument, NULL, 'C'},
            {"min-section", required_argument, NULL, 'S'},
            {"min-topic", required_argument, NULL, 'T'},
            {"min-geo", required_argument, NULL, 'G'},
            {"text", required_argument, NULL, 'x'},
            {"top", required_argument, NULL, 'n'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        const char *paths[MAX_PATHS + 1] = {NULL};
        size_t n_paths = 0;
        const char *lang_iso = NULL, *text = NULL;
        unsigned mins[GROUP_COUNT] = {MIN_SECTION, MIN_TOPIC, MIN_GEO};
        long top = 100;
        int check = 0, opt;
        if (argc < 2 || (strcmp(argv[1], "stats") && strcmp(argv[1], "audit"))) {
                if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
                        usage(stdout);
                        return 0;
                }
                usage(stderr);
                return EXIT_USAGE;
        }
        const char *sub = argv[1];
        optind = 1;
        while ((opt = getopt_long(argc - 1, argv + 1, "t:l:h", longopts, NULL)) != -1) {
                char *end = NULL;
                long v = 0;
                switch (opt) {
                case 't':
                        if (n_paths == MAX_PATHS) {
                                fprintf(stderr, "stemtag taxonomy: at most %d --taxonomy\n",
                                        MAX_PATHS);
                                return EXIT_USAGE;
                        }
                        paths[n_paths++] = optarg;
                        break;
                case 'l':
                        lang_iso = optarg;
                        break;
                case 'C':
                        check = 1;
                        break;
                case 'x':
                        text = optarg;
                        break;
                case 'S':
                case 'T':
                case 'G':
                case 'n':
                        v = strtol(optarg, &end, 10);
                        if (!*optarg || *end || v < 0 || v > 1000000) {
                                fprintf(stderr, "stemtag taxonomy: %s needs a number\n",
                                        argv[optind]);
                                return EXIT_USAGE;
                        }
                        if (opt == 'n')
                                top = v;
                        else
                                mins[opt == 'S'   ? GROUP_SECTION
                                     : opt == 'T' ? GROUP_TOPIC
                                                  : GROUP_GEO] = (unsigned)v;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return EXIT_USAGE;
                }
        }
        if (optind + 1 < argc) {
                fprintf(stderr, "stemtag taxonomy: unexpected argument '%s'\n", argv[optind + 1]);
                return EXIT_USAGE;
        }
        int lang = -1;
        if (lang_iso && (lang = stem_lang_from_iso(lang_iso)) < 0) {
                fprintf(stderr, "stemtag taxonomy: --lang %s: not a Snowball language code\n",
                        lang_iso);
                return EXIT_USAGE;
        }
        if (!strcmp(sub, "audit") && (lang < 0 || !text)) {
                fprintf(stderr, "stemtag taxonomy audit: needs --lang and --text\n");
                return EXIT_USAGE;
        }
        if (!n_paths)
                paths[n_paths++] = DEFAULT_TAXONOMY;
        struct stem_pool *pool = stem_pool_new(65536);
        if (!pool) {
                fprintf(stderr, "stemtag taxonomy: out of memory\n");
                return EXIT_FAILURE_RUNTIME;
        }
        char err[1024];
        struct taxonomy *tx = taxonomy_load(paths, pool, err, sizeof(err));
        if (!tx) {
                fprintf(stderr, "stemtag taxonomy: %s\n", err);
                stem_pool_destroy(pool);
                return EXIT_MODEL;
        }
        int rc = !strcmp(sub, "stats") ? stats(tx, lang, check, mins)
                                       : audit(tx, pool, lang, text, (size_t)top);
        if (fflush(stdout) == EOF)
                rc = 1;
        taxonomy_destroy(tx);
        stem_pool_destroy(pool);
        return rc;
}
