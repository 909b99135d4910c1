/* text: segmentation rules, normal forms and byte offsets over the scripts we
 * stem, plus UTF-8 validation and repair. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <utf8proc.h>

#include "text.h"

/* Normal forms of the tokens of @s joined by '|' (static buffer). */
static const char *norms(const char *s, const char *lang)
{
        static char out[4096];
        struct text_tokens t;
        text_tokens_init(&t);
        assert_int_equal(text_tokenize(&t, s, strlen(s), TEXT_FIELD_BODY, lang), 0);
        size_t o = 0;
        for (size_t i = 0; i < t.n; i++) {
                /* offsets must always point into the input */
                assert_true(t.v[i].off + t.v[i].len <= strlen(s));
                assert_true(t.v[i].len > 0);
                if (i)
                        out[o++] = '|';
                memcpy(out + o, text_token_norm(&t, i), t.v[i].norm_len);
                o += t.v[i].norm_len;
        }
        out[o] = '\0';
        text_tokens_free(&t);
        return out;
}

static void test_ascii_words_and_offsets(void **state)
{
        (void)state;
        const char *s = "The Prime Minister, said: \"Elections (2025) now!\"";
        struct text_tokens t;
        text_tokens_init(&t);
        assert_int_equal(text_tokenize(&t, s, strlen(s), TEXT_FIELD_TITLE, "en"), 0);
        assert_int_equal(t.n, 7);
        static const char *want[] = {"the",       "prime", "minister", "said",
                                     "elections", "2025",  "now"};
        for (size_t i = 0; i < t.n; i++) {
                assert_int_equal(t.v[i].norm_len, strlen(want[i]));
                assert_memory_equal(text_token_norm(&t, i), want[i], strlen(want[i]));
                assert_int_equal(t.v[i].field, TEXT_FIELD_TITLE);
                /* the original span spells the same word, case aside */
                assert_int_equal(t.v[i].len, strlen(want[i]));
                assert_int_equal(strncasecmp(s + t.v[i].off, want[i], t.v[i].len), 0);
        }
        assert_int_equal(t.v[1].off, 4);
        assert_int_equal(t.v[5].flags & TEXT_TOKEN_NUMERIC, TEXT_TOKEN_NUMERIC);
        assert_int_equal(t.v[5].script, TEXT_SCRIPT_COMMON);
        assert_int_equal(t.v[0].flags & TEXT_TOKEN_NUMERIC, 0);
        assert_int_equal(t.v[0].script, TEXT_SCRIPT_LATIN);
        /* reset keeps memory, appending a second field continues */
        text_tokens_reset(&t);
        assert_int_equal(t.n, 0);
        assert_int_equal(text_tokenize(&t, "a b", 3, TEXT_FIELD_BODY, NULL), 0);
        assert_int_equal(t.n, 2);
        assert_int_equal(text_tokenize(&t, "c", 1, TEXT_FIELD_BODY, NULL), 0);
        assert_int_equal(t.n, 3);
        assert_int_equal(t.v[2].off, 0);
        text_tokens_free(&t);
}

static void test_apostrophes(void **state)
{
        (void)state;
        assert_string_equal(norms("the government's plan", "en"), "the|government's|plan");
        /* typographic apostrophe normalises to U+0027 */
        assert_string_equal(norms("the government\xE2\x80\x99s plan", "en"),
                            "the|government's|plan");
        /* quotes around words are not apostrophes */
        assert_string_equal(norms("'quoted' words'", "en"), "quoted|words");
        /* French and Italian elision */
        assert_string_equal(norms("L'homme qu'il jusqu'à d\xE2\x80\x99un aujourd'hui", "fr"),
                            "homme|il|à|un|aujourd'hui");
        assert_string_equal(norms("dell'anno nell'Unione l'Italia", "it"), "anno|unione|italia");
        assert_string_equal(norms("l'homme", NULL), "l'homme");
        /* Turkish: the suffix after a proper noun's apostrophe goes */
        assert_string_equal(norms("Ankara'da ve İstanbul'a", "tr"), "ankara|ve|istanbul");
}

static void test_hyphens_digits_punct(void **state)
{
        (void)state;
        assert_string_equal(norms("US-Cent, well-known e-mail", NULL), "us|cent|well|known|e|mail");
        /* Irish mutations keep their hyphen (the Irish stemmer removes the prefix) */
        assert_string_equal(norms("an t-uisce, na n-Éireannach, le h-ainm, t-léine", "ga"),
                            "an|t-uisce|na|n-éireannach|le|h-ainm|t-léine");
        assert_string_equal(norms("an t-uisce", "en"), "an|t|uisce");
        assert_string_equal(norms("11.000 Soldaten, 3,5 % und 2024.", "de"),
                            "11.000|soldaten|3,5|und|2024");
        assert_string_equal(norms("G7 covid19 1.", NULL), "g7|covid19|1");
        assert_string_equal(norms("end. Start, (paren) [br] {x} a/b a_b", NULL),
                            "end|start|paren|br|x|a|b|a|b");
        assert_string_equal(norms("", NULL), "");
        assert_string_equal(norms("  ...  !!! ", NULL), "");
}

static void test_urls_and_emails(void **state)
{
        (void)state;
        assert_string_equal(norms("see https://example.com/Politik/a-b?x=1 now", NULL), "see|now");
        assert_string_equal(norms("(www.example.org) and HTTP://X.Y/z.", NULL), "and");
        assert_string_equal(norms("mail max.mustermann@example.de today", NULL), "mail|today");
        assert_string_equal(norms("Kontakt:info@zeitung.de.", NULL), "");
        assert_string_equal(norms("ftp://files.x.org/a", NULL), "");
        /* not URLs / addresses */
        assert_string_equal(norms("www is a word, @handle too", NULL), "www|is|a|word|handle|too");
        assert_string_equal(norms("whatever http: done", NULL), "whatever|http|done");
}

static void test_german_and_nfc(void **state)
{
        (void)state;
        assert_string_equal(norms("Straße STRASSE Maß", "de"), "strasse|strasse|mass");
        assert_string_equal(norms("Größe ÜBER", "de"), "grösse|über");
        /* decomposed e + U+0301 composes to é (NFC) */
        assert_string_equal(norms("Cafe\xCC\x81 CAFÉ", "fr"), "caf\xC3\xA9|caf\xC3\xA9");
        /* soft hyphen is dropped, the word stays whole */
        assert_string_equal(norms("Bundes\xC2\xADtag", "de"), "bundestag");
        /* Catalan middle dot */
        assert_string_equal(norms("col\xC2\xB7legi", "ca"), "col\xC2\xB7legi");
        /* no-break and other Unicode spaces separate words */
        assert_string_equal(norms("a\xC2\xA0"
                                  "b\xE2\x80\x83"
                                  "c",
                                  NULL),
                            "a|b|c");
}

static void test_turkish_i(void **state)
{
        (void)state;
        /* Turkish: I -> ı, İ -> i */
        assert_string_equal(norms("ISPARTA İZMİR Irmak", "tr"),
                            "\xC4\xB1spart\x61|izmir|\xC4\xB1rmak");
        assert_string_equal(norms("IRMAK", "az"), "\xC4\xB1rmak");
        /* other languages: I -> i, İ -> i (no stray combining dot) */
        assert_string_equal(norms("ISPARTA İzmir", "de"), "isparta|izmir");
        assert_string_equal(norms("Irmak", NULL), "irmak");
}

static void test_greek_cyrillic_armenian(void **state)
{
        (void)state;
        /* final sigma and capital sigma both fold to σ; accents stay (stemmer strips them) */
        assert_string_equal(norms("ΛΌΓΟΣ λόγος", "el"), "λόγοσ|λόγοσ");
        assert_string_equal(norms("Ёлка ЁЖ ещё", "ru"), "ёлка|ёж|ещё");
        assert_string_equal(norms("Москва, 2024-й год.", "ru"), "москва|2024|й|год");
        assert_string_equal(norms("Հայաստանի Հանրապետություն", "hy"), "հայաստանի|հանրապետություն");
        struct text_tokens t;
        text_tokens_init(&t);
        assert_int_equal(text_tokenize(&t, "Ελλάδα Россия Հայ", 28, TEXT_FIELD_BODY, NULL), 0);
        assert_int_equal(t.n, 3);
        assert_int_equal(t.v[0].script, TEXT_SCRIPT_GREEK);
        assert_int_equal(t.v[1].script, TEXT_SCRIPT_CYRILLIC);
        assert_int_equal(t.v[2].script, TEXT_SCRIPT_ARMENIAN);
        text_tokens_free(&t);
}

static void test_marks_stay_in_words(void **state)
{
        (void)state;
        /* Devanagari: virama (Mn) and vowel signs (Mc/Mn) are inside the word */
        const char *hi = "भारत की राजधानी नई दिल्ली है।";
        assert_string_equal(norms(hi, "hi"), "भारत|की|राजधानी|नई|दिल्ली|है");
        /* Nepali */
        assert_string_equal(norms("नेपालको संविधान", "ne"), "नेपालको|संविधान");
        /* Tamil: pulli and vowel signs */
        const char *ta = "தமிழ்நாடு அரசு, சென்னை.";
        assert_string_equal(norms(ta, "ta"), "தமிழ்நாடு|அரசு|சென்னை");
        struct text_tokens t;
        text_tokens_init(&t);
        assert_int_equal(text_tokenize(&t, ta, strlen(ta), TEXT_FIELD_BODY, "ta"), 0);
        assert_int_equal(t.v[0].script, TEXT_SCRIPT_TAMIL);
        assert_int_equal(t.v[0].len, strlen("தமிழ்நாடு"));
        assert_int_equal(t.v[2].off, strlen("தமிழ்நாடு அரசு, "));
        text_tokens_reset(&t);
        assert_int_equal(text_tokenize(&t, hi, strlen(hi), TEXT_FIELD_BODY, "hi"), 0);
        assert_int_equal(t.v[0].script, TEXT_SCRIPT_DEVANAGARI);
        text_tokens_free(&t);
}

static void test_arabic_hebrew(void **state)
{
        (void)state;
        /* Arabic with harakat (Mn) and Arabic comma */
        assert_string_equal(norms("الْكِتَابُ، المدرسة؟", "ar"), "الْكِتَابُ|المدرسة");
        /* Arabic-Indic digits are digits */
        assert_string_equal(norms("عام ٢٠٢٤", "ar"), "عام|٢٠٢٤");
        /* Hebrew with gershayim inside an acronym; maqaf (U+05BE) separates */
        assert_string_equal(norms("צה״ל בירושלים", "he"), "צה״ל|בירושלים");
        assert_string_equal(norms("בית־ספר", "he"), "בית|ספר");
        struct text_tokens t;
        text_tokens_init(&t);
        assert_int_equal(text_tokenize(&t, "שלום سلام", 15, TEXT_FIELD_BODY, NULL), 0);
        assert_int_equal(t.n, 2);
        assert_int_equal(t.v[0].script, TEXT_SCRIPT_HEBREW);
        assert_int_equal(t.v[1].script, TEXT_SCRIPT_ARABIC);
        text_tokens_free(&t);
}

/* Per-language normal forms for news text: Romanian commas-below, Hindi/Nepali
 * nukta, the Arabic conjunction before the article (and not in والد). */
static void test_language_normal_forms(void **state)
{
        (void)state;
        assert_string_equal(norms("știință ŞTIINŢĂ", "ro"), "ştiinţă|ştiinţă");
        /* Turkish keeps its cedilla ş */
        assert_string_equal(norms("şehir", "tr"), "şehir");
        assert_string_equal(norms("फ़िल्म फिल्म", "hi"), "फिल्म|फिल्म");
        assert_string_equal(norms("फ़िल्म", "ne"), "फिल्म");
        assert_string_equal(norms("والحكومة فالرئيس والد", "ar"), "الحكومة|الرئيس|والد");
        /* the span of a token without its conjunction starts after it */
        struct text_tokens t;
        text_tokens_init(&t);
        const char *s = "والحكومة";
        assert_int_equal(text_tokenize(&t, s, strlen(s), TEXT_FIELD_BODY, "ar"), 0);
        assert_int_equal(t.n, 1);
        assert_int_equal(t.v[0].off, 2);
        text_tokens_free(&t);
}

static void test_long_runs_skipped(void **state)
{
        (void)state;
        char s[600];
        memset(s, 'a', 400);
        memcpy(s + 400, " ok", 4);
        assert_string_equal(norms(s, NULL), "ok");
}

static void test_utf8_validate_repair(void **state)
{
        (void)state;
        size_t bad = 0;
        assert_int_equal(text_utf8_validate("plain ascii text, long enough", 29, &bad), 0);
        assert_int_equal(text_utf8_validate("ä€𝄞", 9, &bad), 0);
        static const struct {
                const char *s;
                size_t len, off;
        } invalid[] = {
            {"abc\x80", 4, 3},           /* stray continuation */
            {"\xC0\xAF", 2, 0},          /* overlong '/' */
            {"ab\xE0\x80\xAF", 5, 2},    /* overlong 3-byte */
            {"\xED\xA0\x80", 3, 0},      /* surrogate */
            {"\xF4\x90\x80\x80", 4, 0},  /* above U+10FFFF */
            {"12345678\xE2\x82", 10, 8}, /* truncated after the ASCII fast path */
            {"\xFF", 1, 0},
        };
        for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
                assert_int_equal(text_utf8_validate(invalid[i].s, invalid[i].len, &bad), -1);
                assert_int_equal(bad, invalid[i].off);
        }
        char out[64];
        /* one U+FFFD per maximal subpart: E2 82 is one, F0 80 is two (80 cannot follow F0) */
        size_t n = text_utf8_repair(out,
                                    "a\xE2\x82"
                                    "b\xF0\x80"
                                    "c",
                                    7);
        out[n] = '\0';
        assert_string_equal(out, "a\xEF\xBF\xBD"
                                 "b\xEF\xBF\xBD\xEF\xBF\xBD"
                                 "c");
        assert_int_equal(text_utf8_validate(out, n, NULL), 0);
}

/* The table-driven fold of two-byte characters must agree with utf8proc on
 * every letter and digit it covers, alone and next to its neighbours. */
static void test_fast_fold_matches_utf8proc(void **state)
{
        (void)state;
        struct text_tokens t;
        text_tokens_init(&t);
        int checked = 0;
        for (int32_t cp = 0x80; cp < 0x800; cp++) {
                utf8proc_category_t cat = utf8proc_category(cp);
                int letter = cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO;
                if ((!letter && cat != UTF8PROC_CATEGORY_ND) || cp == 0x130 || cp == 0x2BC)
                        continue;
                int32_t next = cp + 1;
                utf8proc_category_t ncat = utf8proc_category(next);
                if (!(ncat >= UTF8PROC_CATEGORY_LU && ncat <= UTF8PROC_CATEGORY_LO) ||
                    next == 0x130 || next == 0x2BC)
                        next = 'b'; /* İ and ʼ fold on purpose (test_turkish_i, apostrophes) */
                char word[32];
                size_t n = 0;
                word[n++] = 'X';
                n += (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)word + n);
                n += (size_t)utf8proc_encode_char(next, (utf8proc_uint8_t *)word + n);
                n += (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)word + n);
                word[n++] = 'Q';
                word[n] = '\0';
                utf8proc_uint8_t *want = NULL;
                utf8proc_ssize_t wl =
                    utf8proc_map((const utf8proc_uint8_t *)word, (utf8proc_ssize_t)n, &want,
                                 UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD);
                assert_true(wl > 0);
                text_tokens_reset(&t);
                assert_int_equal(text_tokenize(&t, word, n, TEXT_FIELD_BODY, NULL), 0);
                if (t.n != 1 || t.v[0].norm_len != (uint32_t)wl ||
                    memcmp(text_token_norm(&t, 0), want, (size_t)wl))
                        fail_msg("U+%04X: fold of '%s' differs from utf8proc '%s'", (unsigned)cp,
                                 word, (const char *)want);
                free(want);
                checked++;
        }
        assert_true(checked > 1000);
        text_tokens_free(&t);
}

/* The all-ASCII word fast path (off for tr/az and ga) cuts the same tokens
 * as the general scanner: on random text of letters, digits, separators,
 * '.', ',', '@', URLs and non-ASCII letters and punctuation, but no 'I' and
 * no apostrophes (the only things tr treats differently from en), "en" and
 * "tr" give identical tokens. Lengths vary so that words meet the end of the
 * text with fewer than eight bytes left, and runs pass 8 and 256 bytes. */
static void test_ascii_fast_path_matches_general(void **state)
{
        (void)state;
        static const char *const pieces[] = {"a",
                                             "b",
                                             "Z",
                                             "q",
                                             "x",
                                             "E",
                                             "0",
                                             "7",
                                             " ",
                                             " ",
                                             "\n",
                                             ".",
                                             ",",
                                             "-",
                                             "@",
                                             "!",
                                             "(",
                                             "\"",
                                             "ab",
                                             "Word",
                                             "12",
                                             "3.5",
                                             "1,000",
                                             "\xc3\xa9",
                                             "\xc3\x9f",
                                             "\xe2\x80\x94",
                                             "\xe2\x80\x9c",
                                             "www.x.org/p ",
                                             "http://e.com/a?b ",
                                             "mail@x.com",
                                             "abcdefgh",
                                             "ABCDEFGHJ",
                                             "supercalifragilistic"};
        const size_t npieces = sizeof(pieces) / sizeof(pieces[0]);
        uint32_t rng = 18;
        char buf[1200];
        struct text_tokens en, tr;
        text_tokens_init(&en);
        text_tokens_init(&tr);
        size_t total = 0;
        for (int round = 0; round < 3000; round++) {
                size_t len = 0, want = (size_t)(round % 97) * 3;
                if (round % 500 == 0)
                        want = 1000; /* runs past TEXT_TOKEN_MAX_BYTES */
                while (len < want) {
                        rng = rng * 1103515245u + 12345u;
                        const char *p = pieces[(rng >> 16) % npieces];
                        if (round % 500 == 0)
                                p = "k";
                        size_t n = strlen(p);
                        if (len + n > sizeof(buf))
                                break;
                        memcpy(buf + len, p, n);
                        len += n;
                }
                text_tokens_reset(&en);
                text_tokens_reset(&tr);
                assert_int_equal(text_tokenize(&en, buf, len, TEXT_FIELD_BODY, "en"), 0);
                assert_int_equal(text_tokenize(&tr, buf, len, TEXT_FIELD_BODY, "tr"), 0);
                assert_int_equal(en.n, tr.n);
                for (size_t i = 0; i < en.n; i++) {
                        const struct text_token *a = &en.v[i], *b = &tr.v[i];
                        assert_int_equal(a->off, b->off);
                        assert_int_equal(a->len, b->len);
                        assert_int_equal(a->norm_len, b->norm_len);
                        assert_memory_equal(text_token_norm(&en, i), text_token_norm(&tr, i),
                                            a->norm_len);
                        assert_int_equal(a->stem_len, a->norm_len);
                        assert_int_equal(a->script, b->script);
                        assert_int_equal(a->flags, b->flags);
                        assert_int_equal(a->field, b->field);
                }
                total += en.n;
        }
        assert_true(total > 10000); /* the texts did have words */
        text_tokens_free(&en);
        text_tokens_free(&tr);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_ascii_words_and_offsets),
            cmocka_unit_test(test_apostrophes),
            cmocka_unit_test(test_hyphens_digits_punct),
            cmocka_unit_test(test_urls_and_emails),
            cmocka_unit_test(test_german_and_nfc),
            cmocka_unit_test(test_turkish_i),
            cmocka_unit_test(test_greek_cyrillic_armenian),
            cmocka_unit_test(test_marks_stay_in_words),
            cmocka_unit_test(test_arabic_hebrew),
            cmocka_unit_test(test_language_normal_forms),
            cmocka_unit_test(test_long_runs_skipped),
            cmocka_unit_test(test_utf8_validate_repair),
            cmocka_unit_test(test_fast_fold_matches_utf8proc),
            cmocka_unit_test(test_ascii_fast_path_matches_general),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
