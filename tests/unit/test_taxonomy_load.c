/* taxonomy load paths: keyword files read by taxonomy.c's own reader give
 * the same compiled taxonomy as the same files read through Jansson (a file
 * with one extra key, or a \u escape, takes that path), files the reader
 * refuses keep Jansson's error messages, keyword stems computed once per
 * load equal stem_word's, and weights equal strtod's. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "stem.h"
#include "taxonomy.h"

static char tmp_dir[256];

static const char labels_json[] =
    "{\"format\": \"stemtag.taxonomy.v1\", \"name\": \"t\", \"version\": \"1\",\n"
    " \"labels\": [{\"id\": \"politics\", \"kind\": \"section\"},\n"
    "            {\"id\": \"economy\", \"kind\": \"section\"},\n"
    "            {\"id\": \"bank\", \"kind\": \"topic\"}]}\n";

/* Keywords that exercise the reader: escapes, UTF-8, phrases, numbers,
 * negative and decimal weights, words repeated across labels and phrases,
 * keywords that stem alike (the larger weight wins), strtod-only weights. */
#define KEYWORDS_EN                                                                                \
        "{\"politics\": [\"parliament:3\", \"parliaments:2\", \"Bundestag\", \"\\\"quoted\\\" "    \
        "word:1.5\", \"back\\\\slash\", \"tab\\tsep\", \"a\\/b\", \"-football\", \"2024 "          \
        "election:0.1\"],\n"                                                                       \
        "  \"economy\": [\"bank:2.5\", \"central banks:1e1\", \"Zürich "                          \
        "bank:1.0000000000000002\", "                                                              \
        "\"banking:123456789012345\"],\n"                                                          \
        "  \"bank\": []}"

#define KEYWORDS_ANY "{\"bank\": [\"World Bank:3\", \"banks\", \"Banque de France:2\", \"Ελλάδα\"]}"

static void write_file(const char *dir, const char *name, const char *text)
{
        char path[4096];
        int n = snprintf(path, sizeof(path), "%s/%s", dir, name);
        assert_true(n > 0 && (size_t)n < sizeof(path));
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        assert_int_equal(fputs(text, f) >= 0, 1);
        assert_int_equal(fclose(f), 0);
}

/* A taxonomy directory with labels.json and lang/en.json + lang/any.json;
 * @p extra goes into each keyword file's top-level object (a key the
 * reader does not take, so Jansson reads the file). */
static void make_taxonomy(char *dir, size_t dirsz, const char *name, const char *extra)
{
        snprintf(dir, dirsz, "%s/%s", tmp_dir, name);
        assert_int_equal(mkdir(dir, 0700), 0);
        write_file(dir, "labels.json", labels_json);
        char lang[2048], text[4096];
        snprintf(lang, sizeof(lang), "%s/lang", dir);
        assert_int_equal(mkdir(lang, 0700), 0);
        snprintf(text, sizeof(text),
                 "{\"format\": \"stemtag.taxonomy.v1\", \"language\": \"en\",%s\n"
                 " \"keywords\": " KEYWORDS_EN "}\n",
                 extra);
        write_file(lang, "en.json", text);
        snprintf(text, sizeof(text),
                 "{\"format\": \"stemtag.taxonomy.v1\",%s \"language\": \"*\",\n"
                 " \"keywords\": " KEYWORDS_ANY "}\n",
                 extra);
        write_file(lang, "any.json", text);
}

struct dump {
        char *s;
        size_t len, cap;
};

static int dump_feature(const struct taxonomy_feature *f, void *ud)
{
        struct dump *d = ud;
        char line[1024];
        int n = snprintf(line, sizeof(line), "%u|%.*s|%zu|%a|%s\n", f->ntok, (int)f->stems_len,
                         f->stems, f->label, f->weight, f->keyword ? f->keyword : "(stem)");
        assert_true(n > 0 && (size_t)n < sizeof(line));
        if (d->len + (size_t)n + 1 > d->cap) {
                d->cap = (d->len + (size_t)n + 1) * 2;
                d->s = realloc(d->s, d->cap);
                assert_non_null(d->s);
        }
        memcpy(d->s + d->len, line, (size_t)n + 1);
        d->len += (size_t)n;
        return 0;
}

/* Everything the classifier reads, as text: features of every language slot,
 * keyword counts, version. */
static char *dump_taxonomy(const struct taxonomy *tx)
{
        struct dump d = {0};
        for (int l = 0; l < TX_LANG_SLOTS; l++) {
                char head[64];
                snprintf(head, sizeof(head), "lang %d\n", l);
                struct taxonomy_feature h = {.stems = head, .stems_len = strlen(head)};
                dump_feature(&h, &d);
                assert_int_equal(taxonomy_foreach_feature(tx, l, dump_feature, &d), 0);
        }
        for (size_t i = 0; i < taxonomy_label_count(tx); i++)
                for (int l = -1; l < STEM_LANG_COUNT; l++) {
                        char c[64];
                        snprintf(c, sizeof(c), "count %zu %d %u", i, l,
                                 taxonomy_keyword_count(tx, i, l));
                        struct taxonomy_feature h = {.stems = c, .stems_len = strlen(c)};
                        dump_feature(&h, &d);
                }
        struct taxonomy_feature v = {.stems = taxonomy_version(tx),
                                     .stems_len = strlen(taxonomy_version(tx))};
        dump_feature(&v, &d);
        return d.s;
}

static struct taxonomy *load_dir(const char *dir, char *err, size_t errsz)
{
        const char *paths[2] = {dir, NULL};
        struct stem_pool *pool = stem_pool_new(0);
        assert_non_null(pool);
        struct taxonomy *tx = taxonomy_load(paths, pool, err, errsz);
        stem_pool_destroy(pool);
        return tx;
}

static void test_reader_matches_jansson(void **state)
{
        (void)state;
        char fast[1024], slow[1024], uesc[1024], err[512];
        make_taxonomy(fast, sizeof(fast), "fast", "");
        make_taxonomy(slow, sizeof(slow), "slow", " \"comment\": \"read by Jansson\",");
        /* a \u escape is Jansson's too */
        make_taxonomy(uesc, sizeof(uesc), "uesc", " \"comment\": \"\\u0041\",");
        struct taxonomy *a = load_dir(fast, err, sizeof(err));
        if (!a)
                fail_msg("%s", err);
        struct taxonomy *b = load_dir(slow, err, sizeof(err));
        if (!b)
                fail_msg("%s", err);
        struct taxonomy *c = load_dir(uesc, err, sizeof(err));
        if (!c)
                fail_msg("%s", err);
        char *da = dump_taxonomy(a), *db = dump_taxonomy(b), *dc = dump_taxonomy(c);
        assert_string_equal(da, db);
        assert_string_equal(da, dc);
        /* the escapes were decoded, the keywords kept as written */
        assert_non_null(strstr(da, "|\"quoted\" word:1.5\n"));
        assert_non_null(strstr(da, "|back\\slash\n"));
        assert_non_null(strstr(da, "|a/b\n"));
        assert_non_null(strstr(da, "|tab\tsep\n"));
        assert_non_null(strstr(da, "|Zürich bank:1.0000000000000002\n"));
        free(da);
        free(db);
        free(dc);
        taxonomy_destroy(a);
        taxonomy_destroy(b);
        taxonomy_destroy(c);
}

/* A keyword file with an error is read by Jansson: its message (line and
 * column) names the file as before. */
static void expect_parse_error(const char *name, const char *text, const char *want)
{
        char dir[1024], lang[2048], err[512] = "";
        snprintf(dir, sizeof(dir), "%s/%s", tmp_dir, name);
        assert_int_equal(mkdir(dir, 0700), 0);
        write_file(dir, "labels.json", labels_json);
        snprintf(lang, sizeof(lang), "%s/lang", dir);
        assert_int_equal(mkdir(lang, 0700), 0);
        write_file(lang, "en.json", text);
        struct taxonomy *tx = load_dir(dir, err, sizeof(err));
        print_message("%s: %s\n", name, err);
        assert_null(tx);
        assert_non_null(strstr(err, "lang/en.json"));
        assert_non_null(strstr(err, want));
}

static void test_reader_errors_are_jansson_s(void **state)
{
        (void)state;
        expect_parse_error("dup-label",
                           "{\"format\": \"stemtag.taxonomy.v1\", \"language\": \"en\", "
                           "\"keywords\": {\"politics\": [\"a\"], \"politics\": [\"b\"]}}",
                           "duplicate object key");
        expect_parse_error("dup-top",
                           "{\"format\": \"stemtag.taxonomy.v1\", \"language\": \"en\", "
                           "\"language\": \"de\", \"keywords\": {}}",
                           "duplicate object key");
        expect_parse_error("trailing",
                           "{\"format\": \"stemtag.taxonomy.v1\", \"language\": \"en\", "
                           "\"keywords\": {\"politics\": [\"a\"]}} x",
                           "end of file expected");
        expect_parse_error("bad-utf8",
                           "{\"format\": \"stemtag.taxonomy.v1\", \"language\": \"en\", "
                           "\"keywords\": {\"politics\": [\"a\xC3\x28\"]}}",
                           "line 1");
        expect_parse_error("unterminated",
                           "{\"format\": \"stemtag.taxonomy.v1\", \"language\": \"en\", "
                           "\"keywords\": {\"politics\": [\"a\", ",
                           "line 1");
        expect_parse_error("not-string",
                           "{\"format\": \"stemtag.taxonomy.v1\", \"language\": \"en\", "
                           "\"keywords\": {\"politics\": [\"a\", 3]}}",
                           "\"keywords\".\"en\"[1] must be a string");
        expect_parse_error("bad-weight",
                           "{\"format\": \"stemtag.taxonomy.v1\", \"language\": \"en\", "
                           "\"keywords\": {\"politics\": [\"a:1.5.2\"]}}",
                           "weight after ':' must be a positive number");
        expect_parse_error("zero-weight",
                           "{\"format\": \"stemtag.taxonomy.v1\", \"language\": \"en\", "
                           "\"keywords\": {\"politics\": [\"a:0.0\"]}}",
                           "weight after ':' must be a positive number");
        expect_parse_error("bad-format",
                           "{\"format\": \"stemtag.taxonomy.v2\", \"language\": \"en\", "
                           "\"keywords\": {}}",
                           "\"format\" must be");
}

struct stem_probe {
        const char *stems;
        size_t label;
        float weight;
        int found;
};

static int probe(const struct taxonomy_feature *f, void *ud)
{
        struct stem_probe *p = ud;
        if (f->stems_len == strlen(p->stems) && !memcmp(f->stems, p->stems, f->stems_len) &&
            f->label == p->label && f->weight == p->weight)
                p->found = 1;
        return 0;
}

static unsigned utf8_chars(const char *s, size_t n)
{
        unsigned c = 0;
        for (size_t i = 0; i < n; i++)
                c += ((unsigned char)s[i] & 0xC0) != 0x80;
        return c;
}

/* Stems computed once per load are the stems stem_word gives, in every
 * language of a "*" keyword, for a word met again in a phrase. */
static void test_stems_equal_stem_word(void **state)
{
        (void)state;
        char dir[1024], err[512];
        make_taxonomy(dir, sizeof(dir), "stems", "");
        struct taxonomy *tx = load_dir(dir, err, sizeof(err));
        if (!tx)
                fail_msg("%s", err);
        size_t bank = 2;
        assert_string_equal(taxonomy_label_id(tx, bank), "bank");
        struct stem_pool *pool = stem_pool_new(0);
        assert_non_null(pool);
        for (int l = 0; l < STEM_LANG_COUNT; l++) {
                size_t n;
                const char *s = stem_word(pool, l, "banks", 5, &n);
                assert_non_null(s);
                char one[64], two[128];
                snprintf(one, sizeof(one), "%.*s", (int)(n ? n : 5), n ? s : "banks");
                s = stem_word(pool, l, "world", 5, &n);
                assert_non_null(s);
                int w = snprintf(two, sizeof(two), "%.*s ", (int)(n ? n : 5), n ? s : "world");
                s = stem_word(pool, l, "bank", 4, &n);
                assert_non_null(s);
                snprintf(two + w, sizeof(two) - (size_t)w, "%.*s", (int)(n ? n : 4),
                         n ? s : "bank");
                struct stem_probe p = {one, bank, 1.0f, 0};
                assert_int_equal(taxonomy_foreach_feature(tx, l, probe, &p), 0);
                /* a name cut under TX_NAME_MIN_CHARS is left out (name_mangled) */
                int mangled = strcmp(one, "banks") && utf8_chars(one, strlen(one)) < 4;
                if (p.found == mangled)
                        fail_msg("language %s: stem \"%s\" %s", stem_lang_iso(l), one,
                                 mangled ? "kept" : "missing");
                p = (struct stem_probe){two, bank, 3.0f, 0};
                assert_int_equal(taxonomy_foreach_feature(tx, l, probe, &p), 0);
                if (!p.found)
                        fail_msg("language %s: phrase \"%s\" missing", stem_lang_iso(l), two);
        }
        stem_pool_destroy(pool);
        taxonomy_destroy(tx);
}

/* Weights equal strtod's (parsed without it when they are plain decimals). */
static void test_weights_equal_strtod(void **state)
{
        (void)state;
        char dir[1024], err[512];
        make_taxonomy(dir, sizeof(dir), "weights", "");
        struct taxonomy *tx = load_dir(dir, err, sizeof(err));
        if (!tx)
                fail_msg("%s", err);
        int en = stem_lang_from_iso("en");
        static const struct {
                const char *stems, *weight;
                size_t label;
        } want[] = {{"2024 elect", "0.1", 0},       {"bank", "2.5", 1},
                    {"central bank", "1e1", 1},     {"zürich bank", "1.0000000000000002", 1},
                    {"bank", "123456789012345", 1}, /* "banking" stems to bank: max wins */
                    {"parliament", "3", 0}};
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
                if (i == 1) /* bank:2.5 lost to banking's weight, checked below */
                        continue;
                struct stem_probe p = {want[i].stems, want[i].label,
                                       (float)strtod(want[i].weight, NULL), 0};
                assert_int_equal(taxonomy_foreach_feature(tx, en, probe, &p), 0);
                if (!p.found)
                        fail_msg("\"%s\" with weight %s missing", want[i].stems, want[i].weight);
        }
        taxonomy_destroy(tx);
}

static int remove_tree(const char *path)
{
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", path);
        return system(cmd);
}

int main(void)
{
        const char *t = getenv("TMPDIR");
        snprintf(tmp_dir, sizeof(tmp_dir), "%s/stemtag-txload-XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(tmp_dir)) {
                fprintf(stderr, "mkdtemp %s: %s\n", tmp_dir, strerror(errno));
                return 1;
        }
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_reader_matches_jansson),
            cmocka_unit_test(test_reader_errors_are_jansson_s),
            cmocka_unit_test(test_stems_equal_stem_word),
            cmocka_unit_test(test_weights_equal_strtod),
        };
        int rc = cmocka_run_group_tests(tests, NULL, NULL);
        remove_tree(tmp_dir);
        return rc;
}
