/* fingerprint: SimHash v1 pinned to known values (a changed value without a
 * new FINGERPRINT_VERSION breaks every stored fingerprint), insensitive to
 * whitespace and case, small distance for a small edit, large for unrelated
 * texts, the same from both stem-reading paths, and the record's member. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "fingerprint.h"
#include "hash.h"
#include "pipeline.h"
#include "stem.h"
#include "text.h"

/* Texts written for this test. */
static const char *const TITLE = "City council approves new budget for public libraries";
static const char *const BODY =
    "The city council voted on Tuesday to approve a new budget that raises spending on public "
    "libraries by twelve percent. Supporters said the money would extend opening hours in the "
    "evenings and pay for repairs to three branches that have been closed since the spring "
    "floods. Opponents argued that the increase should have been matched by cuts elsewhere, "
    "and two members asked for a review of the maintenance contracts before any payment is "
    "made. The mayor said the first branches could reopen before the end of the year and that "
    "a public report on the repairs would follow every quarter.";
/* BODY with one word changed ("twelve" -> "fifteen") */
static const char *const BODY_EDIT =
    "The city council voted on Tuesday to approve a new budget that raises spending on public "
    "libraries by fifteen percent. Supporters said the money would extend opening hours in the "
    "evenings and pay for repairs to three branches that have been closed since the spring "
    "floods. Opponents argued that the increase should have been matched by cuts elsewhere, "
    "and two members asked for a review of the maintenance contracts before any payment is "
    "made. The mayor said the first branches could reopen before the end of the year and that "
    "a public report on the repairs would follow every quarter.";
static const char *const OTHER_TITLE = "Striker scores twice as the home side wins the derby";
static const char *const OTHER_BODY =
    "A late goal settled the derby on Saturday when the visiting goalkeeper could only push a "
    "low cross into the path of the striker, who had already scored in the first half. The "
    "home side had struggled for long spells against a compact defence and the coach admitted "
    "afterwards that his team had not played well. The win lifts the club to fourth place in "
    "the table with eight matches left, two points ahead of their rivals.";

static uint64_t fp_of(const char *title, const char *body, const char *lang)
{
        struct text_tokens t;
        text_tokens_init(&t);
        struct stem_pool *pool = stem_pool_new(0);
        assert_non_null(pool);
        assert_int_equal(text_tokenize(&t, title, strlen(title), TEXT_FIELD_TITLE, lang), 0);
        assert_int_equal(text_tokenize(&t, body, strlen(body), TEXT_FIELD_BODY, lang), 0);
        assert_int_equal(stem_tokens(pool, stem_lang_from_iso(lang), &t), 0);
        uint64_t fp = 1;
        assert_int_equal(fingerprint_simhash(&t, &fp), 0);
        stem_pool_destroy(pool);
        text_tokens_free(&t);
        return fp;
}

static void test_pinned_values(void **state)
{
        (void)state;
        /* Pinned: if these move, the algorithm (or the tokens/stems it reads)
         * changed and stored fingerprints no longer compare; that needs a new
         * FINGERPRINT_VERSION and a note in docs/formats.md. */
        assert_int_equal(FINGERPRINT_VERSION, 1);
        uint64_t a = fp_of(TITLE, BODY, "en");
        uint64_t b = fp_of("Ein kurzer Titel", "", "de");
        char hex[17];
        fingerprint_hex(a, hex);
        printf("pinned: %s", hex);
        fingerprint_hex(b, hex);
        printf(" %s\n", hex);
        assert_int_equal(a, 0xcdc5482f8739a18aULL);
        assert_int_equal(b, 0xd5e9a7db24ccc4b4ULL);
}

static void test_hex(void **state)
{
        (void)state;
        char hex[17];
        fingerprint_hex(0x0123456789abcdefULL, hex);
        assert_string_equal(hex, "0123456789abcdef");
        fingerprint_hex(0, hex);
        assert_string_equal(hex, "0000000000000000");
        assert_int_equal(fingerprint_distance(0, ~0ULL), 64);
        assert_int_equal(fingerprint_distance(0x5, 0x6), 2);
}

static void test_whitespace_and_case(void **state)
{
        (void)state;
        uint64_t a = fp_of(TITLE, BODY, "en");
        /* the same words with other spacing, line breaks and case */
        char *body = malloc(strlen(BODY) * 3 + 1);
        char *o = body;
        for (const char *p = BODY; *p; p++) {
                if (*p == ' ') {
                        memcpy(o, (p - BODY) % 7 ? "  " : "\n\t", 2);
                        o += 2;
                } else {
                        *o++ = (p - BODY) % 5 ? *p : (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
                }
        }
        *o = '\0';
        assert_int_equal(
            fp_of("  City   council approves NEW budget for public libraries\n", body, "en"), a);
        free(body);
}

static void test_small_edit_small_distance(void **state)
{
        (void)state;
        uint64_t a = fp_of(TITLE, BODY, "en");
        int d_word = fingerprint_distance(a, fp_of(TITLE, BODY_EDIT, "en"));
        int d_title = fingerprint_distance(a, fp_of("Libraries get more money", BODY, "en"));
        printf("one word: %d bits, new headline: %d bits\n", d_word, d_title);
        assert_true(d_word <= 8);
        assert_true(d_title <= 10);
        assert_true(d_word > 0); /* the edit is seen at all */
}

static void test_unrelated_large_distance(void **state)
{
        (void)state;
        int d =
            fingerprint_distance(fp_of(TITLE, BODY, "en"), fp_of(OTHER_TITLE, OTHER_BODY, "en"));
        printf("unrelated: %d bits\n", d);
        assert_true(d >= 18);
}

/* A stem at the very end of the token buffer is never read past the
 * allocation (ASan checks it): same fingerprint as with room. */
static void test_buffer_end(void **state)
{
        (void)state;
        const char *stems = "abcdefghijklmnopqrs"; /* stems "abc" "defghijklmn" "opqrs" */
        size_t len = strlen(stems);
        uint64_t fp[2];
        for (int room = 0; room < 2; room++) {
                struct text_token v[3] = {
                    {.stem_off = 0, .stem_len = 3, .field = TEXT_FIELD_BODY},
                    {.stem_off = 3, .stem_len = 11, .field = TEXT_FIELD_BODY},
                    {.stem_off = 14, .stem_len = 5, .field = TEXT_FIELD_BODY},
                };
                size_t cap = room ? len + 64 : len;
                char *buf = malloc(cap);
                memcpy(buf, stems, len);
                if (room)
                        memset(buf + len, 'x', cap - len); /* must not count */
                struct text_tokens t = {
                    .v = v, .n = 3, .cap = 3, .buf = buf, .buf_len = len, .buf_cap = cap};
                assert_int_equal(fingerprint_simhash(&t, &fp[room]), 0);
                free(buf);
        }
        assert_int_equal(fp[0], fp[1]);
}

/* The fingerprint reads the stem hashes stem_tokens left (from its cache on a
 * hit): the same value as hashing every stem again, on misses and on hits. */
static void test_cached_stem_hashes(void **state)
{
        (void)state;
        uint64_t want = fp_of(TITLE, BODY, "en"); /* no cache */
        struct stem_pool *pool = stem_pool_new(1024);
        struct text_tokens t;
        text_tokens_init(&t);
        for (int round = 0; round < 2; round++) { /* misses, then hits */
                text_tokens_reset(&t);
                assert_int_equal(text_tokenize(&t, TITLE, strlen(TITLE), TEXT_FIELD_TITLE, "en"),
                                 0);
                assert_int_equal(text_tokenize(&t, BODY, strlen(BODY), TEXT_FIELD_BODY, "en"), 0);
                assert_int_equal(stem_tokens(pool, stem_lang_from_iso("en"), &t), 0);
                assert_int_equal(t.stem_hash_n, t.n);
                uint64_t fp = 0, fp_rehashed = 0;
                assert_int_equal(fingerprint_simhash(&t, &fp), 0);
                t.stem_hash_n = 0; /* as if not stemmed by stem_tokens: hashes every stem */
                assert_int_equal(fingerprint_simhash(&t, &fp_rehashed), 0);
                assert_int_equal(fp, want);
                assert_int_equal(fp_rehashed, want);
        }
        uint64_t hits;
        stem_pool_stats(pool, &hits, NULL);
        assert_true(hits > 0);
        text_tokens_free(&t);
        stem_pool_destroy(pool);
}

/* An empty stem: stem_hash holds the normal form's hash (what the classifier
 * keys on) but the fingerprint hashes the empty stem, as without stem_hash. */
static void test_empty_stem(void **state)
{
        (void)state;
        char buf[] = "abcxyzdef";
        struct text_token v[3] = {
            {.norm_off = 0, .norm_len = 3, .stem_off = 0, .stem_len = 3},
            {.norm_off = 3, .norm_len = 3, .stem_off = 3, .stem_len = 0},
            {.norm_off = 6, .norm_len = 3, .stem_off = 6, .stem_len = 3},
        };
        uint64_t hashes[3] = {hash_stem("abc", 3), hash_stem("xyz", 3), hash_stem("def", 3)};
        struct text_tokens t = {.v = v,
                                .n = 3,
                                .cap = 3,
                                .buf = buf,
                                .buf_len = 9,
                                .buf_cap = sizeof(buf),
                                .stem_hash = hashes,
                                .stem_hash_n = 3,
                                .stem_hash_cap = 3};
        uint64_t with = 0, without = 0;
        assert_int_equal(fingerprint_simhash(&t, &with), 0);
        t.stem_hash_n = 0;
        assert_int_equal(fingerprint_simhash(&t, &without), 0);
        assert_int_equal(with, without);
}

/* fingerprint.h's algorithm written plainly: per-bit vote counters. */
static uint64_t simhash_reference(const struct text_tokens *t)
{
        int64_t votes[64] = {0};
        size_t i = 0;
        while (i < t->n) {
                size_t end = i;
                while (end < t->n && t->v[end].field == t->v[i].field)
                        end++;
                size_t len = end - i;
                /* a run's stem hashes, two zeros past a short run's end */
                uint64_t *h = calloc(len + FINGERPRINT_SHINGLE, sizeof(*h));
                assert_non_null(h);
                for (size_t k = 0; k < len; k++)
                        h[k] = hash_stem(t->buf + t->v[i + k].stem_off, t->v[i + k].stem_len);
                /* windows of three; a shorter run is one window, missing hashes 0 */
                size_t last = len < FINGERPRINT_SHINGLE ? 0 : len - FINGERPRINT_SHINGLE;
                for (size_t k = 0; k <= last; k++) {
                        uint64_t x = h[k] ^ (h[k + 1] << 21 | h[k + 1] >> 43) ^
                                     (h[k + 2] << 42 | h[k + 2] >> 22);
                        x ^= x >> 30; /* splitmix64 finaliser */
                        x *= 0xbf58476d1ce4e5b9ULL;
                        x ^= x >> 27;
                        x *= 0x94d049bb133111ebULL;
                        x ^= x >> 31;
                        for (int b = 0; b < 64; b++)
                                votes[b] += (x >> b & 1) ? 1 : -1;
                }
                free(h);
                i = end;
        }
        uint64_t fp = 0;
        for (int b = 0; b < 64; b++)
                if (votes[b] > 0)
                        fp |= 1ULL << b;
        return fp;
}

/* The vocabulary of the reference tests. */
static const char *const ref_words[] = {"alpha", "beta", "gamma", "delta", "epsilon",
                                        "zeta",  "eta",  "theta", "iota",  "kappa"};
#define REF_WORDS (sizeof(ref_words) / sizeof(ref_words[0]))

/* Field runs of every short length in every order (a run of one or two stems
 * is one shingle): the same fingerprint as the plain algorithm. */
static void test_matches_reference(void **state)
{
        (void)state;
        struct text_tokens t;
        text_tokens_init(&t);
        uint32_t rng = 16;
        for (int round = 0; round < 400; round++) {
                text_tokens_reset(&t);
                int nruns = 1 + round % 5;
                for (int r = 0; r < nruns; r++) {
                        char text[128] = "";
                        rng = rng * 1103515245u + 12345u;
                        size_t nwords = 1 + (rng >> 16) % 6;
                        for (size_t w = 0; w < nwords; w++) {
                                rng = rng * 1103515245u + 12345u;
                                strcat(text, ref_words[(rng >> 16) % REF_WORDS]);
                                strcat(text, " ");
                        }
                        /* title and body alternate, so consecutive runs are separate */
                        assert_int_equal(text_tokenize(&t, text, strlen(text),
                                                       r % 2 ? TEXT_FIELD_BODY : TEXT_FIELD_TITLE,
                                                       "en"),
                                         0);
                }
                if (!t.n)
                        continue;
                uint64_t fp = 0;
                assert_int_equal(fingerprint_simhash(&t, &fp), 0);
                assert_int_equal(fp, simhash_reference(&t));
        }
        text_tokens_free(&t);
}

/* Around 255 shingles, where the vote counters are first emptied (fewer take
 * the byte-compare majority, more the counted one), and well past it: the
 * same fingerprint as the plain algorithm. */
static void test_matches_reference_vote_counts(void **state)
{
        (void)state;
        static const size_t shingles[] = {1, 127, 128, 253, 254, 255, 256, 509, 510, 511, 1200};
        struct text_tokens t;
        text_tokens_init(&t);
        uint32_t rng = 7;
        for (size_t c = 0; c < sizeof(shingles) / sizeof(shingles[0]); c++) {
                for (int round = 0; round < 4; round++) {
                        text_tokens_reset(&t);
                        /* one field run of n words is n - 2 shingles */
                        size_t nwords = shingles[c] + 2, len = 0;
                        char *text = malloc(nwords * 8 + 1);
                        assert_non_null(text);
                        for (size_t w = 0; w < nwords; w++) {
                                rng = rng * 1103515245u + 12345u;
                                /* skewed towards the first words, so that some
                                 * bits have clear majorities and some are close */
                                size_t span = (size_t)round + 2;
                                const char *word =
                                    ref_words[(rng >> 16) % (span < REF_WORDS ? span : REF_WORDS)];
                                memcpy(text + len, word, strlen(word));
                                len += strlen(word);
                                text[len++] = ' ';
                        }
                        assert_int_equal(text_tokenize(&t, text, len, TEXT_FIELD_BODY, "en"), 0);
                        free(text);
                        assert_int_equal(t.n, nwords);
                        uint64_t fp = 0;
                        assert_int_equal(fingerprint_simhash(&t, &fp), 0);
                        assert_int_equal(fp, simhash_reference(&t));
                }
        }
        text_tokens_free(&t);
}

static void test_no_tokens(void **state)
{
        (void)state;
        struct text_tokens t;
        text_tokens_init(&t);
        uint64_t fp = 7;
        assert_int_equal(fingerprint_simhash(&t, &fp), -1);
        assert_int_equal(fp, 0);
        text_tokens_free(&t);
}

/* The record carries the fingerprint of the pipeline's own tokens, or null. */
static void test_record_member(void **state)
{
        (void)state;
        struct pipeline_options o;
        pipeline_options_default(&o);
        o.processed_at = "2026-01-02T03:04:05.000Z";
        char err[256];
        struct pipeline_model *m = pipeline_model_load(&o, err, sizeof(err));
        struct pipeline_ctx *c = pipeline_ctx_new(&o);
        assert_non_null(m);
        assert_non_null(c);
        json_t *in = json_pack("{s:s,s:s,s:s}", "title", TITLE, "body", BODY, "language", "en");
        char *msg = json_dumps(in, JSON_COMPACT);
        struct pipeline_result r;
        assert_int_equal(pipeline_process(c, m, msg, strlen(msg), NULL, &r), 0);
        assert_true(r.ok);
        json_t *rec = json_loadb(r.json, r.json_len, 0, NULL);
        assert_non_null(rec);
        char hex[17];
        fingerprint_hex(fp_of(TITLE, BODY, "en"), hex);
        json_t *fpj = json_object_get(rec, "fingerprint");
        assert_string_equal(json_string_value(json_object_get(fpj, "simhash")), hex);
        assert_int_equal(json_integer_value(json_object_get(fpj, "v")), FINGERPRINT_VERSION);
        json_decref(rec);
        const char *punct = "{\"title\":\"!!! ---\"}";
        assert_int_equal(pipeline_process(c, m, punct, strlen(punct), NULL, &r), 0);
        assert_true(r.ok);
        rec = json_loadb(r.json, r.json_len, 0, NULL);
        assert_non_null(rec);
        assert_true(json_is_null(json_object_get(rec, "fingerprint")));
        json_decref(rec);
        free(msg);
        json_decref(in);
        pipeline_ctx_destroy(c);
        pipeline_model_unref(m);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_pinned_values),
            cmocka_unit_test(test_hex),
            cmocka_unit_test(test_whitespace_and_case),
            cmocka_unit_test(test_small_edit_small_distance),
            cmocka_unit_test(test_unrelated_large_distance),
            cmocka_unit_test(test_buffer_end),
            cmocka_unit_test(test_cached_stem_hashes),
            cmocka_unit_test(test_empty_stem),
            cmocka_unit_test(test_matches_reference),
            cmocka_unit_test(test_matches_reference_vote_counts),
            cmocka_unit_test(test_no_tokens),
            cmocka_unit_test(test_record_member),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
