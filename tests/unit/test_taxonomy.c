/* taxonomy: loading format v1 from tests/data/taxonomy, combining files, and
 * load errors that name file, label and keyword. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <utf8proc.h>

#include "classify.h"
#include "stem.h"
#include "taxonomy.h"

static char data_dir[1024];

static const char *fixture(char *buf, size_t sz, const char *name)
{
        snprintf(buf, sz, "%s/taxonomy/%s", data_dir, name);
        return buf;
}

/* Loads the named fixtures; returns the taxonomy (or NULL, error in errstr). */
static struct taxonomy *load(const char *a, const char *b, char *errstr, size_t errsz)
{
        static char pa[1100], pb[1100];
        const char *paths[3] = {fixture(pa, sizeof(pa), a), b ? fixture(pb, sizeof(pb), b) : NULL,
                                NULL};
        struct stem_pool *pool = stem_pool_new(0);
        assert_non_null(pool);
        struct taxonomy *tx = taxonomy_load(paths, pool, errstr, errsz);
        stem_pool_destroy(pool);
        return tx;
}

/* tx_fold as utf8proc does it (casefold, NFC, then trimmed): the reference
 * for its ASCII shortcut */
static char *fold_reference(const char *s)
{
        utf8proc_uint8_t *out = NULL;
        utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)s, 0, &out,
                                          UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE |
                                              UTF8PROC_CASEFOLD);
        assert_true(n >= 0);
        char *p = (char *)out, *b = p, *e = p + n;
        while (b < e && strchr(" \t\n\r", *b))
                b++;
        while (e > b && strchr(" \t\n\r", e[-1]))
                e--;
        memmove(p, b, (size_t)(e - b));
        p[e - b] = '\0';
        return p;
}

static void test_fold_ascii_as_unicode(void **state)
{
        (void)state;
        char all[128];
        for (int i = 1; i < 128; i++)
                all[i - 1] = (char)i;
        all[127] = '\0';
        const char *cases[] = {all,         "  World NEWS \t", "\r\nSport\n", "",        "   ",
                               "A-Z_az 09", "Politik",         "Économie",    " ÄRGER ", "ǅ"};
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *want = fold_reference(cases[i]), *got = tx_fold(cases[i]);
                assert_non_null(got);
                assert_string_equal(got, want);
                free(want);
                free(got);
        }
}

static void test_load_combined(void **state)
{
        (void)state;
        char err[512];
        struct taxonomy *tx = load("sections.json", "topics.json", err, sizeof(err));
        assert_non_null(tx);
        assert_string_equal(taxonomy_version(tx), "test-sections@1.0,test-topics@2.1");
        assert_int_equal(taxonomy_label_count(tx), 8);
        int sections = 0, topics = 0;
        for (size_t i = 0; i < taxonomy_label_count(tx); i++) {
                if (taxonomy_label_kind(tx, i) == TAXONOMY_SECTION)
                        sections++;
                else
                        topics++;
        }
        assert_int_equal(sections, 3);
        assert_int_equal(topics, 5);
        taxonomy_destroy(tx);
        taxonomy_destroy(NULL);
}

/* The error must name every part given (file, label, keyword) so an editor
 * can find the line. */
static void expect_error(const char *file, const char *extra_file, const char *label,
                         const char *keyword)
{
        char err[512] = "";
        struct taxonomy *tx =
            load(extra_file ? extra_file : file, extra_file ? file : NULL, err, sizeof(err));
        assert_null(tx);
        print_message("error: %s\n", err);
        assert_non_null(strstr(err, file));
        if (label)
                assert_non_null(strstr(err, label));
        if (keyword)
                assert_non_null(strstr(err, keyword));
}

static void test_error_bad_weight(void **state)
{
        (void)state;
        expect_error("bad-weight.json", NULL, "\"health\"", "hospital:lots");
}

static void test_error_no_words(void **state)
{
        (void)state;
        expect_error("bad-nowords.json", NULL, "\"weather\"", "!?!");
}

static void test_error_unknown_language(void **state)
{
        (void)state;
        expect_error("bad-lang.json", NULL, "\"religion\"", "\"xx\"");
}

static void test_error_duplicate_across_files(void **state)
{
        (void)state;
        char err[512] = "";
        struct taxonomy *tx = load("sections.json", "bad-dup.json", err, sizeof(err));
        assert_null(tx);
        /* Names the second file, the label, and where it was first defined. */
        assert_non_null(strstr(err, "bad-dup.json"));
        assert_non_null(strstr(err, "\"sport\""));
        assert_non_null(strstr(err, "sections.json"));
}

static void test_error_alias_unknown_label(void **state)
{
        (void)state;
        expect_error("bad-alias.json", NULL, "nosuchlabel", "Kultur");
}

static void test_error_format(void **state)
{
        (void)state;
        expect_error("bad-format.json", NULL, NULL, "stemtag.taxonomy.v1");
}

static void test_error_bad_stem(void **state)
{
        (void)state;
        expect_error("bad-stem.json", NULL, "\"markets\"", "stock  market");
}

static void test_error_bad_kind(void **state)
{
        (void)state;
        expect_error("bad-kind.json", NULL, "\"labour\"", "kind");
}

/* No labels, no keywords: valid (an editor's first draft), and nothing to sort. */
static void test_empty_taxonomy(void **state)
{
        (void)state;
        char err[512];
        struct taxonomy *tx = load("empty.json", NULL, err, sizeof(err));
        if (!tx)
                fail_msg("%s", err);
        assert_int_equal(taxonomy_label_count(tx), 0);
        assert_string_equal(taxonomy_version(tx), "empty@0");
        taxonomy_destroy(tx);
}

static void test_error_missing_file(void **state)
{
        (void)state;
        expect_error("no-such-file.json", NULL, NULL, NULL);
}

/* The layout of config/taxonomy: a directory with label definitions and one
 * keyword file per language (and "*"), loaded whatever the order; keyword
 * counts per label and language; the version comes from the definitions. */
static void test_directory_and_keyword_files(void **state)
{
        (void)state;
        char dir[1100], err[512];
        const char *paths[2] = {fixture(dir, sizeof(dir), "split"), NULL};
        struct stem_pool *pool = stem_pool_new(0);
        assert_non_null(pool);
        struct taxonomy *tx = taxonomy_load(paths, pool, err, sizeof(err));
        if (!tx)
                fail_msg("%s", err);
        assert_string_equal(taxonomy_version(tx), "test-split@3.0");
        assert_int_equal(taxonomy_label_count(tx), 2);
        int en = stem_lang_from_iso("en"), ca = stem_lang_from_iso("ca");
        assert_string_equal(taxonomy_label_id(tx, 0), "politics");
        assert_int_equal(taxonomy_keyword_count(tx, 0, en), 3);
        assert_int_equal(taxonomy_keyword_count(tx, 0, ca), 1);
        /* negative keywords do not count as coverage */
        assert_int_equal(taxonomy_keyword_count(tx, 1, en), 1);
        assert_int_equal(taxonomy_keyword_count(tx, 1, -1), 2);
        taxonomy_destroy(tx);
        /* a keyword file named before the file that defines its labels waits for it */
        char kw[1200], defs[1200];
        snprintf(kw, sizeof(kw), "%s/lang/en.json", dir);
        snprintf(defs, sizeof(defs), "%s/labels.json", dir);
        const char *reversed[3] = {kw, defs, NULL};
        tx = taxonomy_load(reversed, pool, err, sizeof(err));
        if (!tx)
                fail_msg("%s", err);
        assert_int_equal(taxonomy_keyword_count(tx, 0, en), 3);
        taxonomy_destroy(tx);
        stem_pool_destroy(pool);
}

struct feature_probe {
        const char *stems;
        int found;
};

static int probe_feature(const struct taxonomy_feature *f, void *ud)
{
        struct feature_probe *p = ud;
        if (f->stems_len == strlen(p->stems) && !memcmp(f->stems, p->stems, f->stems_len))
                p->found = 1;
        return 0;
}

/* A "*" name that a language's stemmer cuts to a function word ("UNAIDS" ->
 * "un" in Catalan) is not matched in that language, but stays in others. */
static void test_star_name_mangled_by_a_stemmer(void **state)
{
        (void)state;
        char dir[1100], err[512];
        const char *paths[2] = {fixture(dir, sizeof(dir), "split"), NULL};
        struct stem_pool *pool = stem_pool_new(0);
        struct taxonomy *tx = taxonomy_load(paths, pool, err, sizeof(err));
        assert_non_null(tx);
        struct feature_probe p = {"un", 0};
        assert_int_equal(taxonomy_foreach_feature(tx, stem_lang_from_iso("ca"), probe_feature, &p),
                         0);
        assert_false(p.found);
        p = (struct feature_probe){"unaid", 0};
        assert_int_equal(taxonomy_foreach_feature(tx, stem_lang_from_iso("en"), probe_feature, &p),
                         0);
        assert_true(p.found);
        taxonomy_destroy(tx);
        stem_pool_destroy(pool);
}

static void test_error_keyword_file(void **state)
{
        (void)state;
        char err[512];
        struct taxonomy *tx = load("sections.json", "bad-keyword-label.json", err, sizeof(err));
        assert_null(tx);
        assert_non_null(strstr(err, "bad-keyword-label.json"));
        assert_non_null(strstr(err, "weather"));
        assert_non_null(strstr(err, "defines the label"));
        tx = load("sections.json", "bad-keyword-defines.json", err, sizeof(err));
        assert_null(tx);
        assert_non_null(strstr(err, "cannot define labels"));
        /* keyword files alone: nothing defines labels */
        tx = load("bad-keyword-label.json", NULL, err, sizeof(err));
        assert_null(tx);
        assert_non_null(strstr(err, "weather"));
}

int main(void)
{
        const char *d = getenv("STEMTAG_TEST_DATA");
        if (!d) {
                fprintf(stderr, "STEMTAG_TEST_DATA not set\n");
                return 77;
        }
        snprintf(data_dir, sizeof(data_dir), "%s", d);
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_fold_ascii_as_unicode),
            cmocka_unit_test(test_load_combined),
            cmocka_unit_test(test_directory_and_keyword_files),
            cmocka_unit_test(test_star_name_mangled_by_a_stemmer),
            cmocka_unit_test(test_error_keyword_file),
            cmocka_unit_test(test_error_bad_weight),
            cmocka_unit_test(test_error_no_words),
            cmocka_unit_test(test_error_unknown_language),
            cmocka_unit_test(test_error_duplicate_across_files),
            cmocka_unit_test(test_error_alias_unknown_label),
            cmocka_unit_test(test_error_format),
            cmocka_unit_test(test_error_bad_stem),
            cmocka_unit_test(test_error_bad_kind),
            cmocka_unit_test(test_empty_taxonomy),
            cmocka_unit_test(test_error_missing_file),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
