/* langid word cache: langid_detect_cached with a cache answers exactly what
 * the uncached detection answers (code, confidence and raw scores, bit for
 * bit) on texts built to reach every path of the cache: repeated words inside
 * one batch and across texts, hints, early stop, Hebrew/Yiddish, mixed
 * scripts, combining marks, long words, more distinct words than entries, and
 * a switch between two models sharing one cache. Sentences written for this
 * test. Uses the committed config/langid.model and a small model written here. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hash.h"
#include "langid.h"

static struct langid_model *model;

struct item {
        const char *title, *body, *hint;
        size_t max_bytes;
};

static const struct item items[] = {
    {NULL, "Die Kinder sind heute Morgen mit ihren Freunden in die Schule gegangen", NULL, 4096},
    {NULL, "der die das der die das und und und der der der die die die", "de", 4096},
    {"Parliament votes", NULL, "en", 4096},
    {"Parliament votes", NULL, "de", 4096},
    {"Parliament votes", NULL, "xx", 4096},
    {"The minister", "Der Minister sagte am Montag, dass die Steuern nicht steigen werden", "en",
     4096},
    {NULL, "די קינדער זענען היינט אין דער פֿרי געגאַנגען אין שול מיט זייערע פֿרײַנד", NULL, 4096},
    {NULL, "די קינדער זענען היינט אין דער פרי געגאנגען אין שול מיט זייערע פריינד", NULL, 4096},
    {NULL, "הילדים הלכו הבוקר לבית הספר עם החברים שלהם ואחר כך אכלו ארוחת צהריים", NULL, 4096},
    {NULL, "Москва Moscow Москва and the Kremlin Кремль said on Monday", NULL, 4096},
    {NULL, "Τα παιδιά πήγαν σήμερα το πρωί στο σχολείο μαζί με τους φίλους τους", NULL, 4096},
    {NULL, "बच्चे आज सुबह अपने दोस्तों के साथ स्कूल गए थे", NULL, 4096},
    /* combining marks: decomposed letters are composed before the lookup */
    {NULL, "Les enfants sont alle\xcc\x81s a\xcc\x80 l'e\xcc\x81\x63ole ce matin", NULL, 4096},
    {NULL, "Les enfants sont allés à l'école ce matin", NULL, 4096},
    /* long words: past the cache's key length, and past WORD_MAX */
    {NULL,
     "Donaudampfschifffahrtsgesellschaftskapitän Rindfleischetikettierungsüberwachungsaufgaben"
     "übertragungsgesetzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz und der Kapitän",
     NULL, 4096},
    {NULL, "elevenchars twelvechars thirteenchar a b c d e", NULL, 4096},
    /* two-letter Latin words beside U+6261 (the same two key bytes, stored
     * wide); a Greek word past the two-byte key length */
    {NULL, "ab 扡 ab 扡 der ab", NULL, 4096},
    {NULL, "Η Κωνσταντινούπολη και η Κωνσταντινούπολη σήμερα", NULL, 4096},
    {NULL, "the the the the the the the the the the the the the the the the the the", NULL, 4096},
    /* the prefix limit cuts a word in the middle */
    {"Les enfants", "sont allés à l'école ce matin avec leurs amis", NULL, 20},
    {NULL, "12345 67890 !!! ??? 😀😀😀", NULL, 4096},
    {NULL, "", NULL, 4096},
    {NULL, "a", "fr", 4096},
    {NULL, "Dzieci poszły dziś rano do szkoły razem ze swoimi przyjaciółmi", NULL, 4096},
};

/* Detects @p it with and without @p cache and checks both answers agree. */
static void check_same(const struct langid_model *m, struct langid_cache *cache, const char *title,
                       const char *body, const char *hint, size_t max_bytes)
{
        struct langid_result a, b;
        double sa[LANGID_MAX_LANGS], sb[LANGID_MAX_LANGS];
        size_t tl = title ? strlen(title) : 0, bl = body ? strlen(body) : 0;

        memset(&a, 0, sizeof(a));
        memset(&b, 0, sizeof(b));
        unsigned na = langid_detect_scores(m, title, tl, body, bl, hint, max_bytes, &a, sa);
        unsigned nb = langid_detect_cached(m, cache, title, tl, body, bl, hint, max_bytes, &b, sb);
        assert_int_equal(na, nb);
        assert_string_equal(a.code, b.code);
        if (memcmp(&a.confidence, &b.confidence, sizeof(double)))
                fail_msg("confidence %.17g cached %.17g: %s", a.confidence, b.confidence,
                         body ? body : title);
        if (memcmp(sa, sb, sizeof(sa)))
                fail_msg("scores differ: %s", body ? body : title);
        /* the plain entry point is the uncached one */
        struct langid_result c;
        langid_detect(m, title, tl, body, bl, hint, max_bytes, &c);
        assert_string_equal(a.code, c.code);
        assert_memory_equal(&a.confidence, &c.confidence, sizeof(double));
}

static void check_items(const struct langid_model *m, struct langid_cache *cache)
{
        for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++)
                check_same(m, cache, items[i].title, items[i].body, items[i].hint,
                           items[i].max_bytes);
}

static void test_same_as_uncached(void **state)
{
        (void)state;
        struct langid_cache *cache = langid_cache_new();
        assert_non_null(cache);
        /* the first round fills the cache, the next ones answer from it */
        for (int round = 0; round < 3; round++)
                check_items(model, cache);
        /* a cache with no model is harmless */
        struct langid_result r;
        langid_detect_cached(NULL, cache, NULL, 0, "abc", 3, NULL, 4096, &r, NULL);
        assert_string_equal(r.code, "und");
        langid_cache_destroy(cache);
        langid_cache_destroy(NULL);
}

/* A long text, so that detection stops early: the check at word ends must see
 * the same feature counts whether the words came from the cache or not. */
static void test_early_stop(void **state)
{
        (void)state;
        static const char *sentences[] = {
            "The government said on Monday that taxes would not rise this year. ",
            "Die Regierung sagte am Montag, dass die Steuern nicht steigen. ",
            "Le gouvernement a dit lundi que les impôts n'augmenteraient pas. ",
            "Regjeringen sa mandag at skattene ikke skal øke i år. ",
            "Regeringen sa på måndagen att skatterna inte ska höjas i år. ",
            "Hallitus sanoi maanantaina, että verot eivät nouse tänä vuonna. ",
        };
        struct langid_cache *cache = langid_cache_new();
        assert_non_null(cache);
        char text[6000];
        for (size_t s = 0; s < sizeof(sentences) / sizeof(sentences[0]); s++) {
                size_t len = 0, n = strlen(sentences[s]);
                while (len + n < sizeof(text)) {
                        memcpy(text + len, sentences[s], n);
                        len += n;
                }
                text[len] = '\0';
                for (int round = 0; round < 2; round++) {
                        check_same(model, cache, NULL, text, NULL, 4096);
                        check_same(model, cache, "Breaking news", text, "de", 4096);
                        check_same(model, cache, NULL, text, NULL, 700);
                }
        }
        langid_cache_destroy(cache);
}

/* Letter-only words from a number (base 26), 1..6 letters. */
static size_t word_of(unsigned k, char *out)
{
        size_t n = 0;
        do {
                out[n++] = (char)('a' + k % 26);
                k /= 26;
        } while (k && n < 6);
        return n;
}

/* More distinct words than the cache has entries, texts of ~100 words that
 * repeat some of them: entries are evicted, slots collide inside a batch,
 * and words recur while their entries are still being filled. */
static void test_many_words(void **state)
{
        (void)state;
        struct langid_cache *cache = langid_cache_new();
        assert_non_null(cache);
        char text[1200];
        unsigned seed = 12345;
        for (unsigned t = 0; t < 300; t++) {
                size_t len = 0;
                for (unsigned w = 0; w < 100; w++) {
                        seed = seed * 1103515245u + 12345u;
                        unsigned k = (seed >> 8) % (w % 3 ? 40000u : 60u);
                        len += word_of(k, text + len);
                        text[len++] = ' ';
                }
                text[len] = '\0';
                check_same(model, cache, NULL, text, NULL, 4096);
        }
        langid_cache_destroy(cache);
}

/* ---- a small model of our own, for the model switch and loader checks */

struct tiny {
        uint32_t keys[4096];
        unsigned n;
};

static void collect_key(void *ud, uint32_t key, unsigned order)
{
        struct tiny *t = ud;
        (void)order;
        if (t->n < sizeof(t->keys) / sizeof(t->keys[0]))
                t->keys[t->n++] = key;
}

static int cmp_u32(const void *a, const void *b)
{
        uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
        return x < y ? -1 : x > y;
}

static void put32(unsigned char **p, uint32_t v)
{
        for (int i = 0; i < 4; i++)
                *(*p)++ = (unsigned char)(v >> (8 * i));
}

static void putf(unsigned char **p, float f)
{
        uint32_t u;
        memcpy(&u, &f, sizeof(u));
        put32(p, u);
}

/* Writes a 4-language model knowing the features of @p text, with 1..4
 * postings each (inline, two inline, dense rows) and q values drawn from
 * @p seed; @p twice lists a language twice in one feature (a bad file). */
static void write_tiny_model(const char *path, const char *text, unsigned seed, int twice)
{
        static const char *codes[] = {"en", "de", "fr", "nl"};
        struct tiny t = {.n = 0};
        langid_features(text, strlen(text), collect_key, &t, NULL);
        qsort(t.keys, t.n, sizeof(t.keys[0]), cmp_u32);
        unsigned nk = 0;
        for (unsigned i = 0; i < t.n; i++)
                if (!nk || t.keys[nk - 1] != t.keys[i])
                        t.keys[nk++] = t.keys[i];
        static unsigned char buf[1 << 16];
        unsigned char *p = buf, cnt[4096];
        unsigned npost = 0;
        for (unsigned i = 0; i < nk; i++) {
                cnt[i] = (unsigned char)(1 + (t.keys[i] ^ seed) % 4);
                npost += cnt[i];
        }
        memcpy(p, "STLANGID", 8);
        p += 8;
        put32(&p, 2);
        put32(&p, 4);
        put32(&p, nk);
        put32(&p, npost);
        putf(&p, 0.5f);  /* alpha */
        putf(&p, 16.0f); /* q_scale */
        putf(&p, 2.0f);  /* temperature */
        putf(&p, 1.0f);  /* hint_bonus */
        putf(&p, 0.0f);  /* min_hit_rate */
        putf(&p, 3.0f);  /* early_margin */
        put32(&p, 0x7e); /* orders 1..6 */
        for (unsigned l = 0; l < 4; l++) {
                memset(p, 0, 8);
                memcpy(p, codes[l], 2);
                p += 8;
                put32(&p, 1u << LANGID_SCRIPT_LATIN);
                for (unsigned o = 0; o <= LANGID_WORD_ORDER; o++)
                        putf(&p, o ? -8.0f - (float)o - (float)l : 0.0f);
        }
        for (unsigned i = 0; i < nk; i++)
                put32(&p, t.keys[i]);
        memcpy(p, cnt, nk);
        p += nk;
        for (unsigned i = 0; i < nk; i++) {
                unsigned first = (t.keys[i] >> 8) % 4;
                for (unsigned k = 0; k < cnt[i]; k++) {
                        unsigned l = (first + k) % 4;
                        if (twice && i == nk / 2 && k == 1)
                                l = first;
                        *p++ = (unsigned char)l;
                        *p++ = (unsigned char)(1 + (t.keys[i] * (seed | 1) >> (k + 3)) % 255);
                }
        }
        uint64_t h = hash_fnv1a(buf, (size_t)(p - buf), HASH_FNV_SEED);
        put32(&p, (uint32_t)h);
        put32(&p, (uint32_t)(h >> 32));
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(buf, 1, (size_t)(p - buf), f), (size_t)(p - buf));
        assert_int_equal(fclose(f), 0);
}

static const char tiny_text[] = "the children went to school with their friends die Kinder "
                                "sind mit ihren Freunden in die Schule gegangen les enfants "
                                "sont allés à l'école de kinderen zijn naar school gegaan";

/* One cache serves a model, then another, then the first again: an entry
 * computed with one model is never used with the other. */
static void test_model_switch(void **state)
{
        (void)state;
        char path[] = "/tmp/stemtag-langid-cache-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        close(fd);
        write_tiny_model(path, tiny_text, 7, 0);
        char err[512];
        struct langid_model *a = langid_model_load(path, err, sizeof(err));
        if (!a)
                fail_msg("%s", err);
        write_tiny_model(path, tiny_text, 99, 0);
        struct langid_model *b = langid_model_load(path, err, sizeof(err));
        if (!b)
                fail_msg("%s", err);
        unlink(path);

        /* the two small models score the same words differently */
        double sa[LANGID_MAX_LANGS], sb[LANGID_MAX_LANGS];
        struct langid_result r;
        const char *words = "the children die Kinder les enfants de kinderen school";
        langid_detect_scores(a, NULL, 0, words, strlen(words), NULL, 4096, &r, sa);
        langid_detect_scores(b, NULL, 0, words, strlen(words), NULL, 4096, &r, sb);
        assert_true(memcmp(sa, sb, sizeof(double) * 4) != 0);

        struct langid_cache *cache = langid_cache_new();
        assert_non_null(cache);
        for (int round = 0; round < 2; round++) {
                check_same(a, cache, NULL, words, NULL, 4096);
                check_same(a, cache, NULL, tiny_text, "fr", 4096);
                check_same(b, cache, NULL, words, NULL, 4096);
                check_same(b, cache, "Schule", tiny_text, NULL, 4096);
                check_same(model, cache, NULL, words, NULL, 4096);
                check_items(model, cache);
                check_same(a, cache, NULL, words, "de", 4096);
        }
        langid_cache_destroy(cache);
        langid_model_destroy(a);
        langid_model_destroy(b);
}

/* A feature listing one language twice would break the cache's bounds (and
 * means nothing): the loader says so. */
static void test_load_rejects_language_twice(void **state)
{
        (void)state;
        char path[] = "/tmp/stemtag-langid-cache-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        close(fd);
        write_tiny_model(path, tiny_text, 7, 1);
        char err[512] = "";
        struct langid_model *m = langid_model_load(path, err, sizeof(err));
        unlink(path);
        assert_null(m);
        assert_non_null(strstr(err, path));
        assert_non_null(strstr(err, "listed twice"));
}

static int setup(void **state)
{
        (void)state;
        const char *src = getenv("STEMTAG_SOURCE_DIR");
        char path[4096], err[512];
        snprintf(path, sizeof(path), "%s/config/langid.model", src ? src : ".");
        model = langid_model_load(path, err, sizeof(err));
        if (!model) {
                fprintf(stderr, "%s\n", err);
                return -1;
        }
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        langid_model_destroy(model);
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_same_as_uncached),
            cmocka_unit_test(test_early_stop),
            cmocka_unit_test(test_many_words),
            cmocka_unit_test(test_model_switch),
            cmocka_unit_test(test_load_rejects_language_twice),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
