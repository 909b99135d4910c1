/* langid: multinomial naive Bayes over hashed character n-grams (1..5, within
 * words, with word-boundary padding) and whole words, with script shortcuts.
 *
 * Model file format "stemtag.langid v2" (all integers little-endian, floats
 * IEEE-754 binary32 stored as their 32-bit pattern):
 *   magic    8 bytes "STLANGID"
 *   u32      version (2)
 *   u32      nlang, nfeat, npost
 *   f32 x 6  alpha, q_scale, temperature, hint_bonus, min_hit_rate, early_margin
 *   u32      order_mask: bit o set = features of order o (1..6) are used
 *   nlang x  { char code[8] (NUL padded); u32 script_mask (bit = enum langid_script);
 *              f32 unseen[7] (index = order 1..6; log-probability of a feature of
 *              that order the language never showed; [0] unused) }
 *   u32 x nfeat   feature keys, strictly ascending, never 0
 *   u8  x nfeat   number of postings of each feature (1..nlang)
 *   u8[2] x npost postings, feature by feature: { language index, q } where
 *                 q / q_scale = log P(f|lang) - unseen[order] (> 0); a
 *                 language at most once per feature
 *   u64      FNV-1a 64 of every byte before it
 * Feature keys are the 32-bit hashes computed by extract_features() below; a
 * change there is a format change (bump the version).
 *
 * Score of language L for text T: sum over the features of T that the model
 * knows of log P(f|L) (unseen[order] when L never showed f). Features no
 * language showed are ignored. */
#include "langid.h"

/* Below this confidence the winner has no majority: a valid hint decides,
 * provided the text leaves the hinted language plausible, i.e. within
 * LANGID_HINT_PLAUSIBLE calibrated log-odds of the winner (prior included):
 * "Parliament votes" with hint "en" is English, with hint "de" it stays the
 * text's own answer. */
#define LANGID_HINT_DECIDES   0.5
#define LANGID_HINT_PLAUSIBLE 3.0

#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "hash.h"

#define LANGID_MAGIC    "STLANGID"
#define LANGID_VERSION  2u
#define LANGID_MAX_FILE (64u << 20)
#define WORD_MAX        64 /* codepoints kept per word; the rest of a longer word is ignored */

struct langid_slot {
        uint32_t key;
        uint32_t val; /* see SLOT_INLINE */
};

struct langid_model {
        unsigned nlang;
        char code[LANGID_MAX_LANGS][8];
        uint32_t script_mask[LANGID_MAX_LANGS];
        uint32_t script_cand[LANGID_SCRIPT_COUNT]; /* languages writing each script (bit = index) */
        /* [order][language], languages side by side for final_scores(); the
         * languages past nlang stay 0 */
        double unseen[LANGID_WORD_ORDER + 1][LANGID_MAX_LANGS];
        double alpha, q_scale, temperature, hint_bonus, min_hit_rate, early_margin;
        uint32_t early_min; /* features between two early-stop checks */
        uint32_t order_mask;
        uint32_t nfeat, npost;
        /* Feature table, ordered linear probing: a key's home slot is
         * key * nhome >> 32, so homes rise with keys, and the keys, inserted in
         * ascending order, each take the first free slot from their home on.
         * A lookup scans from the home while the keys are smaller; empty
         * slots hold key UINT32_MAX (value 0) and stop it. At 80 % load that
         * is ~3 slots, mostly one cache line, in 8 MB for 842k features where
         * plain linear probing needed 40 % load and 16 MB. */
        struct langid_slot *slots;
        uint32_t nhome;
        uint8_t (*post)[2];
        uint8_t (*rows)[LANGID_MAX_LANGS]; /* dense rows of features with many postings */
        uint32_t nrows;
        uint64_t serial; /* unique per load: what a word cache was filled from */
        char describe[128];
};

/* ---------------------------------------------------------------- text */

static enum langid_script script_of(uint32_t c)
{
        if (c < 0x250)
                return LANGID_SCRIPT_LATIN;
        if (c >= 0x370 && c < 0x400)
                return LANGID_SCRIPT_GREEK;
        if (c >= 0x400 && c < 0x530)
                return LANGID_SCRIPT_CYRILLIC;
        if (c >= 0x530 && c < 0x590)
                return LANGID_SCRIPT_ARMENIAN;
        if (c >= 0x590 && c < 0x600)
                return LANGID_SCRIPT_HEBREW;
        if ((c >= 0x600 && c < 0x700) || (c >= 0x750 && c < 0x780) || (c >= 0x8a0 && c < 0x900))
                return LANGID_SCRIPT_ARABIC;
        if (c >= 0x900 && c < 0x980)
                return LANGID_SCRIPT_DEVANAGARI;
        if (c >= 0xb80 && c < 0xc00)
                return LANGID_SCRIPT_TAMIL;
        if (c >= 0x1e00 && c < 0x1f00)
                return LANGID_SCRIPT_LATIN;
        if (c >= 0x1f00 && c < 0x2000)
                return LANGID_SCRIPT_GREEK;
        if (c >= 0xa8e0 && c < 0xa900)
                return LANGID_SCRIPT_DEVANAGARI;
        if (c >= 0xfb13 && c < 0xfb18)
                return LANGID_SCRIPT_ARMENIAN;
        if (c >= 0xfb1d && c < 0xfb50)
                return LANGID_SCRIPT_HEBREW;
        if ((c >= 0xfb50 && c < 0xfe00) || (c >= 0xfe70 && c < 0xff00))
                return LANGID_SCRIPT_ARABIC;
        return LANGID_SCRIPT_OTHER;
}

/* Letters unknown to Arabic orthography but common in Persian and Urdu. */
static int is_persian_urdu_letter(uint32_t c)
{
        switch (c) {
        case 0x067e:
        case 0x0686:
        case 0x0698:
        case 0x06af:
        case 0x06a9:
        case 0x06cc:
        case 0x06d2:
        case 0x0679:
        case 0x0688:
        case 0x0691:
        case 0x06ba:
        case 0x06c1:
        case 0x06be:
                return 1;
        default:
                return 0;
        }
}

/* Lower-case letters of Latin-script languages we do not support and none
 * of ours writes (Polish, Czech, Slovak, Latvian, Icelandic, Maltese,
 * Esperanto, Vietnamese): their text is "und", not a near neighbour. */
static int is_latin_foreign(uint32_t c)
{
        switch (c) {
        case 0x0142:
        case 0x015b:
        case 0x017a:
        case 0x017c:
        case 0x0144: /* ł ś ź ż ń */
        case 0x0159:
        case 0x011b:
        case 0x016f:
        case 0x0165:
        case 0x010f: /* ř ě ů ť ď */
        case 0x0148:
        case 0x013e:
        case 0x013a:
        case 0x0155: /* ň ľ ĺ ŕ */
        case 0x0101:
        case 0x0113:
        case 0x012b:
        case 0x0137:
        case 0x013c: /* ā ē ī ķ ļ */
        case 0x0146:
        case 0x0123:
        case 0x00fe:
        case 0x00f0:
        case 0x0127: /* ņ ģ þ ð ħ */
        case 0x0121:
        case 0x0109:
        case 0x011d:
        case 0x0125:
        case 0x0135: /* ġ ĉ ĝ ĥ ĵ */
        case 0x015d:
        case 0x016d:
        case 0x01a1:
        case 0x01b0: /* ŝ ŭ ơ ư */
                return 1;
        default:
                return c >= 0x1ea0 && c <= 0x1ef9; /* Vietnamese */
        }
}

/* Decodes one UTF-8 sequence at s[*i] (i < len); invalid or truncated input
 * yields U+FFFD and consumes one byte. */
static inline __attribute__((always_inline)) uint32_t utf8_next(const unsigned char *s, size_t len,
                                                                size_t *i)
{
        size_t p = *i;
        uint32_t c = s[p];

        if (c < 0x80) {
                *i = p + 1;
                return c;
        }
        if (c >= 0xc2 && c < 0xe0 && p + 1 < len && (s[p + 1] & 0xc0) == 0x80) {
                *i = p + 2;
                return ((c & 0x1f) << 6) | (s[p + 1] & 0x3f);
        }
        if (c >= 0xe0 && c < 0xf0 && p + 2 < len && (s[p + 1] & 0xc0) == 0x80 &&
            (s[p + 2] & 0xc0) == 0x80) {
                uint32_t r =
                    ((c & 0x0f) << 12) | ((uint32_t)(s[p + 1] & 0x3f) << 6) | (s[p + 2] & 0x3f);
                if (r >= 0x800 && (r < 0xd800 || r > 0xdfff)) {
                        *i = p + 3;
                        return r;
                }
        }
        if (c >= 0xf0 && c < 0xf5 && p + 3 < len && (s[p + 1] & 0xc0) == 0x80 &&
            (s[p + 2] & 0xc0) == 0x80 && (s[p + 3] & 0xc0) == 0x80) {
                uint32_t r = ((c & 0x07) << 18) | ((uint32_t)(s[p + 1] & 0x3f) << 12) |
                             ((uint32_t)(s[p + 2] & 0x3f) << 6) | (s[p + 3] & 0x3f);
                if (r >= 0x10000 && r <= 0x10ffff) {
                        *i = p + 4;
                        return r;
                }
        }
        *i = p + 1;
        return 0xfffd;
}

enum { CP_BREAK = 0, CP_LETTER = 1, CP_MARK = 2 };

static inline int classify_cp(uint32_t c, uint32_t *lower)
{
        if (c < 0x80) {
                if (c >= 'A' && c <= 'Z') {
                        *lower = c + 32;
                        return CP_LETTER;
                }
                if (c >= 'a' && c <= 'z') {
                        *lower = c;
                        return CP_LETTER;
                }
                return CP_BREAK;
        }
        switch (utf8proc_get_property((utf8proc_int32_t)c)->category) {
        case UTF8PROC_CATEGORY_LU:
        case UTF8PROC_CATEGORY_LL:
        case UTF8PROC_CATEGORY_LT:
        case UTF8PROC_CATEGORY_LM:
        case UTF8PROC_CATEGORY_LO:
                *lower = (uint32_t)utf8proc_tolower((utf8proc_int32_t)c);
                return CP_LETTER;
        case UTF8PROC_CATEGORY_MN:
        case UTF8PROC_CATEGORY_MC:
        case UTF8PROC_CATEGORY_ME:
                *lower = c;
                return CP_MARK;
        default:
                return CP_BREAK;
        }
}

static inline uint32_t feature_key(uint64_t h, unsigned order)
{
        uint32_t k = (uint32_t)(hash_mix64(h ^ ((uint64_t)order << 56)) >> 32);
        return k ? k : 1;
}

/* What extract_features() hands each feature to. Key 0 is a signal, not a
 * feature: order 0 = a word ended (returning nonzero stops the extraction),
 * order 1 = the body begins. */
typedef int (*sink_fn)(void *ud, uint32_t key, unsigned order);

/* Called with each word (NFC, lower case) before its features; returning
 * nonzero means the word's features are accounted for already (a word cache
 * hit): they are not computed, only the word-end signal follows. */
typedef int (*word_fn)(void *ud, const uint32_t *w, unsigned n);

struct extract_state {
        struct langid_text_stats *st;
        uint32_t w[WORD_MAX];
        unsigned n;
        int has_combining; /* U+0300..036F inside the word: compose to NFC */
        int stop;
        uint32_t order_mask; /* orders to emit (bit o) */
};

static inline __attribute__((always_inline)) void emit_word(struct extract_state *x, sink_fn sink,
                                                            word_fn word_hook, void *ud)
{
        unsigned n = x->n;

        if (x->has_combining) {
                utf8proc_int32_t buf[WORD_MAX];
                for (unsigned i = 0; i < n; i++)
                        buf[i] = (utf8proc_int32_t)x->w[i];
                utf8proc_ssize_t r = utf8proc_normalize_utf32(buf, (utf8proc_ssize_t)n,
                                                              UTF8PROC_COMPOSE | UTF8PROC_STABLE);
                if (r > 0 && (size_t)r <= n) {
                        n = (unsigned)r;
                        for (unsigned i = 0; i < n; i++)
                                x->w[i] = (uint32_t)buf[i];
                }
        }
        if (word_hook && word_hook(ud, x->w, n))
                goto end;
        /* h[o]: hash of the o-gram ending at the current position. Position 0
         * is the leading boundary (a space); its unigram is skipped. Updating
         * from the highest order down reads each h[o - 1] before it moves on,
         * so no second array is copied per character. */
        uint64_t h[LANGID_MAX_ORDER + 1];
        h[0] = HASH_FNV_SEED;
        h[1] = (HASH_FNV_SEED ^ ' ') * HASH_FNV_PRIME;
        uint64_t word = HASH_FNV_SEED;
        for (unsigned i = 0; i <= n; i++) {
                uint32_t c = i < n ? x->w[i] : ' ';
                unsigned maxo = i + 2 < LANGID_MAX_ORDER ? i + 2 : LANGID_MAX_ORDER;
                for (unsigned o = maxo; o >= 1; o--)
                        h[o] = (h[o - 1] ^ c) * HASH_FNV_PRIME;
                /* orders 1..maxo that the model uses, lowest first; the
                 * trailing boundary's unigram is skipped too */
                uint32_t emit = x->order_mask & ((2u << maxo) - 2u) & (i == n ? ~2u : ~0u);
                while (emit) {
                        unsigned o = (unsigned)__builtin_ctz(emit);
                        emit &= emit - 1;
                        sink(ud, feature_key(h[o], o), o);
                }
                if (i < n)
                        word = (word ^ c) * HASH_FNV_PRIME;
        }
        if (x->order_mask & (1u << LANGID_WORD_ORDER))
                sink(ud, feature_key(word, LANGID_WORD_ORDER), LANGID_WORD_ORDER);
end:
        x->n = 0;
        x->has_combining = 0;
        if (sink(ud, 0, 0))
                x->stop = 1;
}

static inline __attribute__((always_inline)) void extract_segment(struct extract_state *x,
                                                                  const char *text, size_t len,
                                                                  sink_fn sink, word_fn word_hook,
                                                                  void *ud)
{
        const unsigned char *s = (const unsigned char *)text;
        size_t i = 0;
        struct langid_text_stats *st = x->st;

        while (i < len && !x->stop) {
                if ((unsigned)((s[i] | 0x20) - 'a') < 26) {
                        /* A run of ASCII letters, most of Latin text, at once:
                         * the statistics the per-code-point path below keeps
                         * for each (none of them is a foreign letter), and the
                         * word gets the lower-case letters up to WORD_MAX. */
                        size_t j = i;
                        unsigned n = x->n;
#ifdef __SSE2__
                        /* Sixteen bytes at a time while they are in the text
                         * and the word has room for all: the letters among
                         * them (a prefix) and their lower case, widened to
                         * code points; the stores past the run are overwritten
                         * or never read (the word is w[0..n)). */
                        while (len - j >= 16 && n + 16 <= WORD_MAX) {
                                const __m128i zero = _mm_setzero_si128();
                                __m128i lo = _mm_or_si128(_mm_loadu_si128((const __m128i *)(s + j)),
                                                          _mm_set1_epi8(0x20));
                                /* (b | 0x20) - 'a' < 26 unsigned, as a signed
                                 * compare of the value moved down by 128 */
                                __m128i rel = _mm_sub_epi8(lo, _mm_set1_epi8((char)('a' + 128)));
                                unsigned letter = (unsigned)_mm_movemask_epi8(
                                    _mm_cmplt_epi8(rel, _mm_set1_epi8((char)(-128 + 26))));
                                __m128i b0 = _mm_unpacklo_epi8(lo, zero),
                                        b1 = _mm_unpackhi_epi8(lo, zero);
                                __m128i *w = (__m128i *)(x->w + n);
                                _mm_storeu_si128(w, _mm_unpacklo_epi16(b0, zero));
                                _mm_storeu_si128(w + 1, _mm_unpackhi_epi16(b0, zero));
                                _mm_storeu_si128(w + 2, _mm_unpacklo_epi16(b1, zero));
                                _mm_storeu_si128(w + 3, _mm_unpackhi_epi16(b1, zero));
                                unsigned k = (unsigned)__builtin_ctz(~letter); /* 16: all */
                                n += k;
                                j += k;
                                if (k < 16)
                                        break;
                        }
#endif
                        /* the rest: near the end of the text, or a long word */
                        while (j < len && (unsigned)((s[j] | 0x20) - 'a') < 26) {
                                if (n < WORD_MAX)
                                        x->w[n++] = s[j] | 0x20;
                                j++;
                        }
                        uint32_t run = (uint32_t)(j - i);
                        st->visible += run;
                        st->wordchars += run;
                        st->letters += run;
                        st->script[LANGID_SCRIPT_LATIN] += run;
                        x->n = n;
                        i = j;
                        continue;
                }
                uint32_t c = utf8_next(s, len, &i), lc = 0;
                int k = classify_cp(c, &lc);

                if (k == CP_BREAK) {
                        if (x->n)
                                emit_word(x, sink, word_hook, ud);
                        st->visible += !(c == ' ' || (c >= 0x09 && c <= 0x0d) || c == 0xa0);
                        continue;
                }
                st->visible++;
                st->wordchars++;
                if (k == CP_LETTER) {
                        enum langid_script sc = c < 0x80 ? LANGID_SCRIPT_LATIN : script_of(c);
                        st->script[sc]++;
                        st->letters++;
                        if (sc == LANGID_SCRIPT_LATIN) {
                                st->latin_foreign += lc >= 0xf0 && is_latin_foreign(lc);
                        } else if (sc == LANGID_SCRIPT_CYRILLIC) {
                                /* і ї є ґ ў (uk, be), ѓ ќ ѕ (mk) */
                                st->cyrillic_foreign +=
                                    lc == 0x0456 || lc == 0x0457 || lc == 0x0454 || lc == 0x0491 ||
                                    lc == 0x045e || lc == 0x0453 || lc == 0x045c || lc == 0x0455;
                                st->cyrillic_hard += lc == 0x044a;
                                st->cyrillic_ru += lc == 0x044b || lc == 0x044d;
                        } else if (sc == LANGID_SCRIPT_ARABIC && is_persian_urdu_letter(c))
                                st->arabic_non_arabic++;
                        else if (sc == LANGID_SCRIPT_HEBREW) {
                                if (c == 0x05e2)
                                        st->hebrew_ayin++;
                                else if ((c >= 0x05f0 && c <= 0x05f2) || c == 0xfb2e ||
                                         c == 0xfb2f || c == 0xfb1f)
                                        st->hebrew_yiddish++;
                        }
                } else {
                        if (!x->n)
                                continue; /* a mark with no letter before it */
                        if (c >= 0x0300 && c < 0x0370)
                                x->has_combining = 1;
                        else if (c == 0x05b7 || c == 0x05b8 || c == 0x05bf)
                                st->hebrew_yiddish++;
                }
                if (x->n < WORD_MAX)
                        x->w[x->n++] = lc;
        }
}

/* One pass over title then body (together at most max_bytes). */
static inline __attribute__((always_inline)) void
extract_features(const char *title, size_t title_len, const char *body, size_t body_len,
                 size_t max_bytes, uint32_t order_mask, struct langid_text_stats *st, sink_fn sink,
                 word_fn word_hook, void *ud)
{
        struct extract_state x;

        memset(st, 0, sizeof(*st));
        x.st = st;
        x.order_mask = order_mask;
        x.n = 0;
        x.has_combining = 0;
        x.stop = 0;
        if (!title)
                title_len = 0;
        if (!body)
                body_len = 0;
        if (title_len > max_bytes)
                title_len = max_bytes;
        if (body_len > max_bytes - title_len)
                body_len = max_bytes - title_len;
        if (title_len) {
                extract_segment(&x, title, title_len, sink, word_hook, ud);
                if (x.n && !x.stop)
                        emit_word(&x, sink, word_hook, ud);
        }
        if (body_len && !x.stop) {
                sink(ud, 0, 1); /* the body begins */
                extract_segment(&x, body, body_len, sink, word_hook, ud);
                if (x.n && !x.stop)
                        emit_word(&x, sink, word_hook, ud);
        }
}

struct public_sink {
        langid_feature_fn fn;
        void *ud;
};

static int sink_public(void *ud, uint32_t key, unsigned order)
{
        struct public_sink *p = ud;
        if (key)
                p->fn(p->ud, key, order);
        return 0;
}

void langid_features(const char *s, size_t len, langid_feature_fn fn, void *ud,
                     struct langid_text_stats *stats)
{
        struct langid_text_stats dummy;
        struct public_sink p = {fn, ud};

        extract_features(NULL, 0, s, len, (size_t)-1, ~0u, stats ? stats : &dummy, sink_public,
                         NULL, &p);
}

/* ---------------------------------------------------------------- detection */

#define BATCH 96 /* features looked up together so their cache misses overlap */

/* The word cache. A word's features depend on its code points alone, so its
 * contribution to the detection state (q sums and 3..5-gram hits per
 * language, features found per order, 3..5-grams, features sunk) is a fixed
 * vector, and common words recur in every text. Integer sums do not depend
 * on the order they are added in, so adding the vector gives the state the
 * feature-by-feature path gives; the early-stop check sees the same counts at
 * the same word ends because a hit counts the word's features as sunk.
 *
 * Words whose code points fit CACHE_KEY_BYTES are cached: up to 22 of them
 * when all are below U+0100 (one byte each: English, German, French, ...),
 * up to 11 in the BMP (two bytes: Greek, Cyrillic, Hebrew, ...); that is
 * 99.9 % of the words of de-headlines and sib200. A word of at most 22 code
 * points has at most 5 * 23 + 1 = 116 features, so q sums fit 16 bits
 * (116 * 255) and hits 8 bits (3 * 22). An entry is two cache lines.
 *
 * Four-way set associative by the word's hash, a tree pseudo-LRU choosing
 * the way that makes room (direct-mapped, rare words evict common ones: with
 * keys of up to 11 code points, 74 % of de-headlines words hit instead of 79 %
 * with two ways; four ways rather than two miss 9 % fewer de-headlines words
 * and 35 % fewer sib200 words once warm). The key is compared in full. A miss claims its entry, and
 * its features go through the batch as usual but are summed into the entry ("pending"); once the
 * batch holding the word's last feature is flushed, the entry is complete and added to the state
 * like a hit. A word whose set holds a pending entry (the same word, or another one with the same
 * set earlier in the batch) flushes the batch first. */
#define CACHE_KEY_BYTES 22
#define CACHE_ENTRIES   16384   /* a power of two; 2 MB */
#define CACHE_WAYS      4       /* word_detect tests the pending flags of four */
#define TARGET_STATE    0xffffu /* the features go straight to the state */

struct cache_entry {
        uint16_t acc[LANGID_MAX_LANGS];   /* sum of q per language (aligned: SSE) */
        uint8_t hits[LANGID_MAX_LANGS];   /* 3..5-gram hits per language */
        uint8_t key[CACHE_KEY_BYTES];     /* code points, 1 byte each or 2 (LE) when wide; then 0 */
        uint8_t found[LANGID_WORD_ORDER]; /* features found per order, [o - 1] */
        uint8_t n;                        /* bytes in key; 0: empty */
        uint8_t nfeat, grams3;
        uint8_t pending : 1; /* claimed by a word whose features are not all flushed */
        uint8_t plru : 3;    /* in the first entry of a set: its tree pseudo-LRU bits */
        uint8_t wide : 1;    /* key holds 2 bytes per code point */
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct cache_entry) == 128, "a cache entry is two cache lines");
_Static_assert(CACHE_KEY_BYTES > 16 && CACHE_KEY_BYTES <= 24, "word_detect reads keys as 3 words");
_Static_assert(CACHE_WAYS == 4,
               "plru_touch/plru_victim and word_detect's pending test are four-way");

struct langid_cache {
        uint64_t serial;           /* of the model the entries were computed with; 0: none */
        void *mem;                 /* the allocation, for free() (entry aligns up from it) */
        struct cache_entry *entry; /* CACHE_ENTRIES */
};

struct langid_cache *langid_cache_new(void)
{
        struct langid_cache *c = calloc(1, sizeof(*c));
        if (!c)
                return NULL;
        /* calloc, not an aligned allocator: zeroed pages come from the kernel
         * untouched, so only entries in use count in the RSS */
        c->mem = calloc(1, CACHE_ENTRIES * sizeof(struct cache_entry) + 64);
        if (!c->mem) {
                free(c);
                return NULL;
        }
        c->entry = (struct cache_entry *)(((uintptr_t)c->mem + 63) & ~(uintptr_t)63);
        return c;
}

void langid_cache_destroy(struct langid_cache *c)
{
        if (!c)
                return;
        free(c->mem);
        free(c);
}

struct detect_state {
        /* dense-row sums as 16-bit lanes, spilled into acc/hits before overflow */
        uint16_t acc16[LANGID_MAX_LANGS] __attribute__((aligned(16)));
        uint16_t hits16[LANGID_MAX_LANGS] __attribute__((aligned(16)));
        unsigned dense_n;
        const struct langid_model *m;
        const struct langid_text_stats *st;
        uint32_t acc[LANGID_MAX_LANGS];  /* sum of q over postings */
        uint32_t hits[LANGID_MAX_LANGS]; /* known 3..5-grams per language */
        uint32_t found[LANGID_WORD_ORDER + 1];
        uint32_t grams3;  /* all 3..5-grams seen (counted when flushed) */
        uint32_t flushed; /* features flushed so far */
        uint32_t checked; /* flushed + nb when the margin was last checked */
        int in_body;
        unsigned nb;
        struct cache_entry *centry; /* the cache's entries; NULL: no cache */
        unsigned target;            /* target of the current word's features */
        uint32_t word_start;        /* flushed + nb when the current word began */
        unsigned npend;
        /* the arrays last: detection zeroes the fields before them only */
        uint32_t kb[BATCH];
        uint8_t ob[BATCH];
        uint16_t tb[BATCH];       /* each feature's target: a cache entry or TARGET_STATE */
        uint16_t pend[BATCH + 1]; /* pending entries, in claim order */
};

static inline uint32_t script_candidates(const struct langid_model *m, enum langid_script sc)
{
        return m->script_cand[sc]; /* computed at load, not per text */
}

static enum langid_script dominant_script(const struct langid_text_stats *st)
{
        unsigned best = 0;
        for (unsigned s = 1; s < LANGID_SCRIPT_COUNT; s++)
                if (st->script[s] > st->script[best])
                        best = s;
        return (enum langid_script)best;
}

static void final_scores(const struct detect_state *d, uint32_t cand, double *score)
{
        const struct langid_model *m = d->m;
        double found[LANGID_WORD_ORDER + 1]; /* converted once, not per language */
        for (unsigned o = 1; o <= LANGID_WORD_ORDER; o++)
                found[o] = d->found[o];
#ifdef __SSE2__
        /* Two languages at a time: each lane does the scalar loop's divide,
         * multiplies and adds in its order, so the scores are the same bit
         * for bit. The lane past an odd nlang computes 0 into score[nlang]
         * (the arrays are LANGID_MAX_LANGS long). */
        const __m128d qs = _mm_set1_pd(m->q_scale);
        __m128d fo[LANGID_WORD_ORDER + 1];
        for (unsigned o = 1; o <= LANGID_WORD_ORDER; o++)
                fo[o] = _mm_set1_pd(found[o]);
        /* the pairs holding a candidate: bit l even (cand has no bit past nlang) */
        uint32_t pairs = (cand | cand >> 1) & 0x55555555u;
        while (pairs) {
                unsigned l = (unsigned)__builtin_ctz(pairs);
                pairs &= pairs - 1;
                __m128d s = _mm_div_pd(_mm_set_pd(d->acc[l + 1], d->acc[l]), qs);
#pragma GCC unroll 6
                for (unsigned o = 1; o <= LANGID_WORD_ORDER; o++)
                        s = _mm_add_pd(s, _mm_mul_pd(fo[o], _mm_loadu_pd(&m->unseen[o][l])));
                _mm_storeu_pd(score + l, s);
        }
        uint32_t others = ~cand & (m->nlang < 32 ? (1u << m->nlang) - 1 : ~0u);
        while (others) {
                score[__builtin_ctz(others)] = -HUGE_VAL;
                others &= others - 1;
        }
#else
        for (unsigned l = 0; l < m->nlang; l++) {
                if (!(cand & (1u << l))) {
                        score[l] = -HUGE_VAL;
                        continue;
                }
                double s = d->acc[l] / m->q_scale;
                for (unsigned o = 1; o <= LANGID_WORD_ORDER; o++)
                        s += found[o] * m->unseen[o][l];
                score[l] = s;
        }
#endif
}

/* Slot values: a feature with one posting keeps it inline (SLOT_INLINE |
 * lang << 8 | q), one with two both (SLOT_INLINE2 | lang1 << 21 | q1 << 13 |
 * lang2 << 8 | q2), saving a cache miss and a 32-byte row each; one with
 * more has a dense row added with vector instructions (SLOT_DENSE | row);
 * others point into post[] (start << 6 | count). */
#define SLOT_KIND    0xc0000000u
#define SLOT_INLINE  0x80000000u
#define SLOT_INLINE2 0xc0000000u
#define SLOT_DENSE   0x40000000u
#define DENSE_MIN    3 /* postings from which a feature gets a dense row */

static void spill_dense(struct detect_state *d)
{
        for (unsigned l = 0; l < LANGID_MAX_LANGS; l++) {
                d->acc[l] += d->acc16[l];
                d->hits[l] += d->hits16[l];
        }
        memset(d->acc16, 0, sizeof(d->acc16));
        memset(d->hits16, 0, sizeof(d->hits16));
        d->dense_n = 0;
}

/* acc16 += row; hits16 += (row != 0) when @p g3. */
static inline void add_row(struct detect_state *d, const uint8_t *row, int g3)
{
#ifdef __SSE2__
        const __m128i zero = _mm_setzero_si128(), one = _mm_set1_epi8(1);
        __m128i *acc = (__m128i *)d->acc16, *hits = (__m128i *)d->hits16;
        for (unsigned h = 0; h < 2; h++) {
                __m128i r = _mm_loadu_si128((const __m128i *)(row + 16 * h));
                acc[2 * h] = _mm_add_epi16(acc[2 * h], _mm_unpacklo_epi8(r, zero));
                acc[2 * h + 1] = _mm_add_epi16(acc[2 * h + 1], _mm_unpackhi_epi8(r, zero));
                if (g3) {
                        __m128i nz = _mm_andnot_si128(_mm_cmpeq_epi8(r, zero), one);
                        hits[2 * h] = _mm_add_epi16(hits[2 * h], _mm_unpacklo_epi8(nz, zero));
                        hits[2 * h + 1] =
                            _mm_add_epi16(hits[2 * h + 1], _mm_unpackhi_epi8(nz, zero));
                }
        }
#else
        for (unsigned l = 0; l < LANGID_MAX_LANGS; l++) {
                d->acc16[l] = (uint16_t)(d->acc16[l] + row[l]);
                d->hits16[l] = (uint16_t)(d->hits16[l] + (g3 && row[l]));
        }
#endif
}

/* How many of the slots from @p s on hold keys below @p key: the scan of an
 * ordered run, four slots at a time without a branch per slot (the runs are
 * ~3 slots long, and a loop's exit mispredicted). The keys that pass form a
 * prefix: in a run they ascend, and past an empty slot every key is greater
 * than any whose home is before it. */
static inline uint32_t slot_skip(const struct langid_slot *s, uint32_t key)
{
#ifdef __SSE2__
        const __m128i bias = _mm_set1_epi32((int)0x80000000u);
        const __m128i k = _mm_xor_si128(_mm_set1_epi32((int)key), bias);
        uint32_t n = 0;
        for (;;) {
                __m128 a = _mm_castsi128_ps(_mm_loadu_si128((const __m128i *)(s + n)));
                __m128 b = _mm_castsi128_ps(_mm_loadu_si128((const __m128i *)(s + n + 2)));
                __m128i keys = _mm_castps_si128(_mm_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)));
                unsigned lt = (unsigned)_mm_movemask_ps(
                    _mm_castsi128_ps(_mm_cmplt_epi32(_mm_xor_si128(keys, bias), k)));
                if (lt != 15)
                        return n + (uint32_t)__builtin_ctz(~lt);
                n += 4;
        }
#else
        uint32_t n = 0;
        while (s[n].key < key)
                n++;
        return n;
#endif
}

/* e->acc += row; e->hits += (row != 0) when @p g3 (add_row for an entry). */
static inline void entry_add_row(struct cache_entry *e, const uint8_t *row, int g3)
{
#ifdef __SSE2__
        const __m128i zero = _mm_setzero_si128(), one = _mm_set1_epi8(1);
        __m128i *acc = (__m128i *)e->acc, *hits = (__m128i *)e->hits;
        for (unsigned h = 0; h < 2; h++) {
                __m128i r = _mm_loadu_si128((const __m128i *)(row + 16 * h));
                acc[2 * h] = _mm_add_epi16(acc[2 * h], _mm_unpacklo_epi8(r, zero));
                acc[2 * h + 1] = _mm_add_epi16(acc[2 * h + 1], _mm_unpackhi_epi8(r, zero));
                if (g3)
                        hits[h] =
                            _mm_add_epi8(hits[h], _mm_andnot_si128(_mm_cmpeq_epi8(r, zero), one));
        }
#else
        for (unsigned l = 0; l < LANGID_MAX_LANGS; l++) {
                e->acc[l] = (uint16_t)(e->acc[l] + row[l]);
                e->hits[l] = (uint8_t)(e->hits[l] + (g3 && row[l]));
        }
#endif
}

/* One feature (slot value @p v, 0: unknown; its order) into a pending entry, the way
 * flush_batch adds it to the state. */
static inline void entry_add_feature(const struct langid_model *m, struct cache_entry *e,
                                     uint32_t v, unsigned order, unsigned g3)
{
        e->grams3 = (uint8_t)(e->grams3 + g3);
        if (!v)
                return;
        e->found[order - 1]++;
        switch (v & SLOT_KIND) {
        case SLOT_INLINE: {
                unsigned l = (v >> 8) & 0xff;
                e->acc[l] = (uint16_t)(e->acc[l] + (v & 0xff));
                e->hits[l] = (uint8_t)(e->hits[l] + g3);
                break;
        }
        case SLOT_INLINE2: {
                unsigned l1 = (v >> 21) & 31, q1 = (v >> 13) & 0xff;
                unsigned l2 = (v >> 8) & 31, q2 = v & 0xff;
                e->acc[l1] = (uint16_t)(e->acc[l1] + q1);
                e->hits[l1] = (uint8_t)(e->hits[l1] + (g3 && q1));
                e->acc[l2] = (uint16_t)(e->acc[l2] + q2);
                e->hits[l2] = (uint8_t)(e->hits[l2] + (g3 && q2));
                break;
        }
        case SLOT_DENSE:
                entry_add_row(e, m->rows[v & ~SLOT_KIND], (int)g3);
                break;
        default: {
                uint32_t n = v & 63;
                const uint8_t(*p)[2] = m->post + (v >> 6);
                for (uint32_t k = 0; k < n; k++) {
                        e->acc[p[k][0]] = (uint16_t)(e->acc[p[k][0]] + p[k][1]);
                        e->hits[p[k][0]] = (uint8_t)(e->hits[p[k][0]] + g3);
                }
        }
        }
}

/* A complete entry (a hit, or a pending entry whose word is flushed) into
 * the state. Its lanes go into the 16-bit ones: a feature adds at most 255 to
 * a lane (the loader rejects a language listed twice), as a dense row does,
 * so the entry counts as nfeat rows towards the spill. */
static inline void add_entry(struct detect_state *d, const struct cache_entry *e)
{
        if (d->dense_n + e->nfeat > 256)
                spill_dense(d);
        d->dense_n += e->nfeat;
#ifdef __SSE2__
        const __m128i zero = _mm_setzero_si128();
        __m128i *acc = (__m128i *)d->acc16, *hits = (__m128i *)d->hits16;
        const __m128i *eacc = (const __m128i *)e->acc, *ehits = (const __m128i *)e->hits;
        for (unsigned h = 0; h < 4; h++)
                acc[h] = _mm_add_epi16(acc[h], eacc[h]);
        for (unsigned h = 0; h < 2; h++) {
                hits[2 * h] = _mm_add_epi16(hits[2 * h], _mm_unpacklo_epi8(ehits[h], zero));
                hits[2 * h + 1] = _mm_add_epi16(hits[2 * h + 1], _mm_unpackhi_epi8(ehits[h], zero));
        }
#else
        for (unsigned l = 0; l < LANGID_MAX_LANGS; l++) {
                d->acc16[l] = (uint16_t)(d->acc16[l] + e->acc[l]);
                d->hits16[l] = (uint16_t)(d->hits16[l] + e->hits[l]);
        }
#endif
        for (unsigned o = 1; o <= LANGID_WORD_ORDER; o++)
                d->found[o] += e->found[o - 1];
        d->grams3 += e->grams3;
}

static void flush_batch(struct detect_state *d)
{
        const struct langid_model *m = d->m;
        const struct langid_slot *slots = m->slots;
        uint32_t val[BATCH]; /* home slot, then slot value of feature i (0: unknown) */
        unsigned nb = d->nb;

        /* Three passes so that the cache misses of a batch overlap: prefetch
         * the slots, probe them and prefetch the rows, then add the rows. */
        for (unsigned i = 0; i < nb; i++) {
                val[i] = (uint32_t)((uint64_t)d->kb[i] * m->nhome >> 32);
                __builtin_prefetch(&slots[val[i]]);
                __builtin_prefetch(&slots[val[i] + 3]); /* the run may cross a line */
        }
        for (unsigned i = 0; i < nb; i++) {
                uint32_t key = d->kb[i], j = val[i] + slot_skip(slots + val[i], key);
                uint32_t v = slots[j].key == key ? slots[j].val : 0;
                val[i] = v;
                if (!v)
                        continue;
                if ((v & SLOT_KIND) == SLOT_DENSE)
                        __builtin_prefetch(m->rows[v & ~SLOT_KIND]);
                else if (!(v & SLOT_KIND))
                        __builtin_prefetch(m->post + (v >> 6));
        }
        /* counted here rather than per feature in sink_detect, the hot path */
        d->flushed += nb;
        for (unsigned i = 0; i < nb; i++) {
                uint32_t v = val[i];
                unsigned o = d->ob[i], g3 = o >= 3 && o <= LANGID_MAX_ORDER;
                if (d->tb[i] != TARGET_STATE) {
                        entry_add_feature(m, &d->centry[d->tb[i]], v, o, g3);
                        continue;
                }
                d->grams3 += g3;
                if (!v)
                        continue;
                d->found[o]++; /* here, not in the probe pass: one branch on the target */
                switch (v & SLOT_KIND) {
                case SLOT_INLINE: {
                        unsigned l = (v >> 8) & 0xff;
                        d->acc[l] += v & 0xff;
                        d->hits[l] += g3;
                        break;
                }
                case SLOT_INLINE2: {
                        /* as the dense row of two postings was: a hit only
                         * where q != 0 */
                        unsigned l1 = (v >> 21) & 31, q1 = (v >> 13) & 0xff;
                        unsigned l2 = (v >> 8) & 31, q2 = v & 0xff;
                        d->acc[l1] += q1;
                        d->hits[l1] += g3 && q1;
                        d->acc[l2] += q2;
                        d->hits[l2] += g3 && q2;
                        break;
                }
                case SLOT_DENSE:
                        add_row(d, m->rows[v & ~SLOT_KIND], (int)g3);
                        if (++d->dense_n >= 256) /* 256 * 255 < 65536 */
                                spill_dense(d);
                        break;
                default: {
                        uint32_t n = v & 63;
                        const uint8_t(*p)[2] = m->post + (v >> 6);
                        for (uint32_t k = 0; k < n; k++) {
                                d->acc[p[k][0]] += p[k][1];
                                d->hits[p[k][0]] += g3;
                        }
                }
                }
        }
        d->nb = 0;
        /* Entries whose words have ended are complete now; the word still
         * being emitted, if it has one, keeps its entry pending. */
        unsigned keep = 0;
        for (unsigned k = 0; k < d->npend; k++) {
                if (d->pend[k] == d->target) {
                        d->pend[keep++] = d->pend[k];
                        continue;
                }
                struct cache_entry *e = &d->centry[d->pend[k]];
                e->pending = 0;
                add_entry(d, e);
        }
        d->npend = keep;
}

static int sink_signal(struct detect_state *d, unsigned order);

/* Small enough to be inlined where extract_features() calls it for every
 * feature (a call per feature cost ~10 % of detection); the rarer signals
 * stay out of line. */
static inline int sink_detect(void *ud, uint32_t key, unsigned order)
{
        struct detect_state *d = ud;

        if (!key)
                return sink_signal(d, order);
        d->kb[d->nb] = key;
        d->ob[d->nb] = (uint8_t)order;
        d->tb[d->nb] = (uint16_t)d->target;
        if (++d->nb == BATCH)
                flush_batch(d);
        return 0;
}

static int sink_signal(struct detect_state *d, unsigned order)
{
        const struct langid_model *m = d->m;

        if (order == 1) {
                d->in_body = 1;
                d->checked = d->flushed + d->nb;
                return 0;
        }
        if (d->target != TARGET_STATE) {
                /* a cache miss: its entry learns how many features it stands for */
                d->centry[d->target].nfeat = (uint8_t)(d->flushed + d->nb - d->word_start);
                d->target = TARGET_STATE;
        }
        /* Word end: stop once the margin between the two best candidates of
         * the dominant script makes the answer certain. Never on the title
         * alone (an English title over a Russian body), and only once one
         * script has 90 % of the letters. */
        if (!d->in_body || d->flushed + d->nb - d->checked < m->early_min || m->early_margin <= 0)
                return 0;
        enum langid_script dom = dominant_script(d->st);
        if (d->st->script[dom] * 10u < d->st->letters * 9u ||
            d->st->wordchars * 2u < d->st->visible)
                return 0;
        d->checked = d->flushed + d->nb;
        flush_batch(d);
        spill_dense(d);
        uint32_t cand = script_candidates(m, dom);
        double sc[LANGID_MAX_LANGS], b1 = -HUGE_VAL, b2 = -HUGE_VAL;
        final_scores(d, cand, sc);
        for (unsigned l = 0; l < m->nlang; l++) {
                if (sc[l] > b1) {
                        b2 = b1;
                        b1 = sc[l];
                } else if (sc[l] > b2) {
                        b2 = sc[l];
                }
        }
        return b2 == -HUGE_VAL || (b1 - b2) / m->temperature > m->early_margin;
}

/* Tree pseudo-LRU of a four-way set: bit 0 tells which half (ways 0-1 or
 * 2-3) was used last, bit 1 which way of the first half, bit 2 which of the
 * second. The victim is the other way of the other half. */
static inline unsigned plru_touch(unsigned bits, unsigned way)
{
        unsigned half = way >> 1, sub = way & 1;
        bits = (bits & ~1u) | half;
        return half ? (bits & ~4u) | sub << 2 : (bits & ~2u) | sub << 1;
}

static inline unsigned plru_victim(unsigned bits)
{
        return bits & 1 ? !(bits >> 1 & 1) : 2 + !(bits >> 2 & 1);
}

/* The word hook of detection: a cache hit adds the word's entry and counts
 * its features as sunk; a miss claims the entry for the word's features. */
static int word_detect(void *ud, const uint32_t *w, unsigned n)
{
        struct detect_state *d = ud;

        if (!d->centry || n > CACHE_KEY_BYTES)
                return 0;
        /* zero past the word, as in the entries: keys compare at full size;
         * two bytes more, so that the key is three whole 64-bit words */
        uint8_t key[CACHE_KEY_BYTES + 2] __attribute__((aligned(8))) = {0};
        uint32_t any = 0; /* the bits of all code points */
        for (unsigned i = 0; i < n; i++) {
                any |= w[i];
                key[i] = (uint8_t)w[i];
        }
        unsigned wide = any > 0xff, len = n;
        if (wide) {
                if (any > 0xffff || 2 * n > CACHE_KEY_BYTES)
                        return 0;
                for (unsigned i = 0; i < n; i++) {
                        key[2 * i] = (uint8_t)w[i];
                        key[2 * i + 1] = (uint8_t)(w[i] >> 8);
                }
                len = 2 * n;
        }
        /* The set comes from the key's words, not from the code points one
         * by one; equal keys have equal words, and only the set depends on it. */
        uint64_t k0, k1, k2, k14;
        memcpy(&k0, key, 8);
        memcpy(&k1, key + 8, 8);
        memcpy(&k2, key + 16, 8);
        memcpy(&k14, key + CACHE_KEY_BYTES - 8, 8);
        uint64_t h = k0 * 0x9e3779b97f4a7c15ULL ^ k1 * 0xc2b2ae3d27d4eb4fULL ^
                     k2 * 0x165667b19e3779f9ULL ^ wide;
        unsigned set = (unsigned)(hash_mix64(h) >> 32) & (CACHE_ENTRIES - CACHE_WAYS);
        struct cache_entry *s = &d->centry[set];
        if (s[0].pending || s[1].pending || s[2].pending || s[3].pending || d->npend == BATCH + 1)
                flush_batch(d); /* no word is open here: all pending entries complete */
        for (unsigned k = 0; k < CACHE_WAYS; k++) {
                /* the CACHE_KEY_BYTES key bytes as three words, the last
                 * overlapping the second (a memcmp call cost more) */
                uint64_t e0, e1, e14;
                memcpy(&e0, s[k].key, 8);
                memcpy(&e1, s[k].key + 8, 8);
                memcpy(&e14, s[k].key + CACHE_KEY_BYTES - 8, 8);
                if (s[k].n == len && s[k].wide == wide && e0 == k0 && e1 == k1 && e14 == k14) {
                        s[0].plru = plru_touch(s[0].plru, k);
                        add_entry(d, &s[k]);
                        d->flushed += s[k].nfeat;
                        return 1;
                }
        }
        /* the way the pseudo-LRU bits name makes room */
        unsigned way = plru_victim(s[0].plru), idx = set + way;
        struct cache_entry *e = &d->centry[idx];
        s[0].plru = plru_touch(s[0].plru, way);
        memcpy(e->key, key, CACHE_KEY_BYTES);
        e->n = (uint8_t)len;
        e->wide = wide & 1;
        memset(e->acc, 0, sizeof(e->acc));
        memset(e->hits, 0, sizeof(e->hits));
        memset(e->found, 0, sizeof(e->found));
        e->nfeat = 0;
        e->grams3 = 0;
        e->pending = 1;
        d->pend[d->npend++] = (uint16_t)idx;
        d->target = idx;
        d->word_start = d->flushed + d->nb;
        return 0;
}

/* A language we do not support but whose script we do, told by its own
 * letters (>= 1 % of the script's letters, at least 2): Polish, Czech, ...
 * in Latin; Ukrainian, Belarusian, Macedonian, Bulgarian in Cyrillic. */
static int foreign_language(const struct langid_text_stats *st, enum langid_script dom)
{
        uint32_t n = st->script[dom];
        if (dom == LANGID_SCRIPT_LATIN)
                return st->latin_foreign >= 2 && st->latin_foreign * 100u >= n;
        if (dom != LANGID_SCRIPT_CYRILLIC)
                return 0;
        if (st->cyrillic_foreign >= 2 && st->cyrillic_foreign * 100u >= n)
                return 1;
        /* Bulgarian: ъ at ~2 % of letters and no ы/э (Russian: ы ~2 %) */
        return n >= 40 && !st->cyrillic_ru && st->cyrillic_hard * 100u >= n;
}

static void set_code(struct langid_result *out, const char *code, double conf)
{
        /* a bounded copy without snprintf (~500 instructions per article) */
        size_t n = strnlen(code, sizeof(out->code) - 1);
        memcpy(out->code, code, n);
        out->code[n] = '\0';
        if (!(conf >= 0)) /* also NaN */
                conf = 0;
        out->confidence = conf > 1 ? 1 : conf;
}

static int hint_lang(const struct langid_model *m, const char *hint)
{
        char h[4];

        if (!hint || !hint[0] || !hint[1])
                return -1;
        h[0] = (char)(hint[0] | 0x20);
        h[1] = (char)(hint[1] | 0x20);
        h[2] = 0;
        if (hint[2] && hint[2] != '-' && hint[2] != '_')
                return -1; /* only ISO 639-1 with an optional region */
        if ((h[0] == 'n' && (h[1] == 'b' || h[1] == 'n')))
                h[1] = 'o';
        for (unsigned l = 0; l < m->nlang; l++)
                if (!strcmp(m->code[l], h))
                        return (int)l;
        return -1;
}

unsigned langid_detect_cached(const struct langid_model *m, struct langid_cache *cache,
                              const char *title, size_t title_len, const char *body,
                              size_t body_len, const char *hint, size_t max_bytes,
                              struct langid_result *out, double *scores)
{
        struct langid_text_stats st;
        struct detect_state d;
        double sc[LANGID_MAX_LANGS];

        memset(&d, 0, offsetof(struct detect_state, kb));
        d.m = m;
        d.st = &st;
        d.target = TARGET_STATE;
        if (scores)
                for (unsigned l = 0; l < LANGID_MAX_LANGS; l++)
                        scores[l] = -HUGE_VAL;
        if (!m) {
                memset(&st, 0, sizeof(st));
                set_code(out, "und", 0);
                return 0;
        }
        if (cache) {
                if (cache->serial != m->serial) {
                        /* filled from another model; a new cache is empty
                         * already, and its pages stay untouched until used */
                        if (cache->serial)
                                for (unsigned i = 0; i < CACHE_ENTRIES; i++)
                                        cache->entry[i].n = 0;
                        cache->serial = m->serial;
                }
                d.centry = cache->entry;
        }
        extract_features(title, title_len, body, body_len, max_bytes, m->order_mask, &st,
                         sink_detect, word_detect, &d);
        flush_batch(&d);
        spill_dense(&d);

        enum langid_script dom = dominant_script(&st);
        /* Mostly digits, symbols, emoji or broken bytes: not a language. */
        if (st.letters < 2 || dom == LANGID_SCRIPT_OTHER || st.wordchars * 2 < st.visible) {
                set_code(out, "und", 0);
                return m->nlang;
        }
        double frac = (double)st.script[dom] / st.letters;
        uint32_t cand = script_candidates(m, dom);
        if (!cand || foreign_language(&st, dom)) {
                set_code(out, "und", 0);
                return m->nlang;
        }
        final_scores(&d, cand, sc);
        if (scores)
                memcpy(scores, sc, sizeof(double) * m->nlang);

        if (!(cand & (cand - 1))) {
                /* One language writes this script: decisive, apart from the
                 * scripts other unsupported languages share. */
                unsigned l = (unsigned)__builtin_ctz(cand);
                double conf = 0.999 * frac;
                if (dom == LANGID_SCRIPT_ARABIC && st.arabic_non_arabic * 50u >= st.script[dom] &&
                    st.arabic_non_arabic >= 2) {
                        set_code(out, "und", 0); /* Persian, Urdu, ... */
                        return m->nlang;
                }
                if (dom == LANGID_SCRIPT_HEBREW && !st.hebrew_yiddish) {
                        /* Without Yiddish spelling marks, tell Hebrew (not ours)
                         * from Yiddish by how much of the text the Yiddish
                         * n-grams know: ~0.3 for Hebrew, > 0.5 for Yiddish. */
                        if (d.grams3 < 8) {
                                conf *= 0.5;
                        } else if (d.hits[l] < 0.45 * d.grams3) {
                                set_code(out, "und", 0);
                                return m->nlang;
                        }
                }
                set_code(out, m->code[l], conf);
                return m->nlang;
        }

        int h = hint_lang(m, hint);
        if (h >= 0 && (cand & (1u << h)))
                sc[h] += m->hint_bonus * m->temperature; /* a prior in calibrated odds */
        /* The candidates only, lowest index first: the others score -HUGE_VAL
         * and never win, so the best (the first of the highest) and z, summed
         * in the same order, are those of a loop over all languages. */
        unsigned best = 0;
        double bs = -HUGE_VAL;
        for (uint32_t c = cand; c; c &= c - 1) {
                unsigned l = (unsigned)__builtin_ctz(c);
                if (sc[l] > bs) {
                        bs = sc[l];
                        best = l;
                }
        }
        /* A term exp(x) with x < -40 is below 4.3e-18 < 2^-57, and once z >=
         * 2^-4 its half ulp is >= 2^-57: adding the term leaves z as it is,
         * bit for bit (round to nearest), so its exp() is skipped. Before z
         * gets there (languages before the best, whose term is 1) every term
         * counts. z is thus the sum of all terms, in the same order, as
         * before; ~half of the candidates of a short text are that far
         * behind. */
        double z = 0;
        for (uint32_t c = cand; c; c &= c - 1) {
                unsigned l = (unsigned)__builtin_ctz(c);
                double x = (sc[l] - bs) / m->temperature;
                if (x < -40 && z >= 0x1p-4)
                        continue;
                z += exp(x);
        }
        if (d.grams3 >= 8 && d.hits[best] < m->min_hit_rate * d.grams3) {
                set_code(out, "und", 0); /* letters, but no language we know */
                return m->nlang;
        }
        /* The text cannot decide (no language has the majority even with the
         * hint's prior) and does not rule the hinted language out: the
         * source's own language field does. */
        if (h >= 0 && (unsigned)h != best && (cand & (1u << h)) && frac / z < LANGID_HINT_DECIDES &&
            (sc[h] - bs) / m->temperature > -LANGID_HINT_PLAUSIBLE) {
                set_code(out, m->code[h], frac * exp((sc[h] - bs) / m->temperature) / z);
                return m->nlang;
        }
        set_code(out, m->code[best], frac / z);
        return m->nlang;
}

unsigned langid_detect_scores(const struct langid_model *m, const char *title, size_t title_len,
                              const char *body, size_t body_len, const char *hint, size_t max_bytes,
                              struct langid_result *out, double *scores)
{
        return langid_detect_cached(m, NULL, title, title_len, body, body_len, hint, max_bytes, out,
                                    scores);
}

void langid_detect(const struct langid_model *m, const char *title, size_t title_len,
                   const char *body, size_t body_len, const char *hint, size_t max_bytes,
                   struct langid_result *out)
{
        langid_detect_cached(m, NULL, title, title_len, body, body_len, hint, max_bytes, out, NULL);
}

/* ---------------------------------------------------------------- loading */

static uint32_t rd32(const unsigned char *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static double rdf(const unsigned char *p)
{
        uint32_t u = rd32(p);
        float f;
        memcpy(&f, &u, sizeof(f));
        return f;
}

static uint64_t rd64(const unsigned char *p)
{
        return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

void langid_model_destroy(struct langid_model *m)
{
        if (!m)
                return;
        free(m->slots);
        free(m->post);
        free(m->rows);
        free(m);
}

static atomic_uint_fast64_t model_serial; /* models loaded so far, in this process */

#define LOAD_FAIL(...)                                                                             \
        do {                                                                                       \
                snprintf(errstr, errstr_size, __VA_ARGS__);                                        \
                goto fail;                                                                         \
        } while (0)

struct langid_model *langid_model_load(const char *path, char *errstr, size_t errstr_size)
{
        struct langid_model *m = NULL;
        unsigned char *buf = NULL;
        FILE *f = fopen(path, "rb");
        long size;

        if (!f)
                LOAD_FAIL("%s: %s", path, strerror(errno));
        if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
                LOAD_FAIL("%s: cannot determine size", path);
        if ((unsigned long)size > LANGID_MAX_FILE || size < 60)
                LOAD_FAIL("%s: size %ld is not that of a language model", path, size);
        buf = malloc((size_t)size);
        if (!buf)
                LOAD_FAIL("%s: out of memory", path);
        if (fread(buf, 1, (size_t)size, f) != (size_t)size)
                LOAD_FAIL("%s: short read", path);
        fclose(f);
        f = NULL;

        size_t sz = (size_t)size;
        if (memcmp(buf, LANGID_MAGIC, 8))
                LOAD_FAIL("%s: not a stemtag language model (bad magic)", path);
        if (rd32(buf + 8) != LANGID_VERSION)
                LOAD_FAIL("%s: model format version %u, this build reads %u", path, rd32(buf + 8),
                          LANGID_VERSION);
        if (hash_fnv1a(buf, sz - 8, HASH_FNV_SEED) != rd64(buf + sz - 8))
                LOAD_FAIL("%s: checksum mismatch (truncated or corrupted)", path);
        m = calloc(1, sizeof(*m));
        if (!m)
                LOAD_FAIL("%s: out of memory", path);
        m->nlang = rd32(buf + 12);
        m->nfeat = rd32(buf + 16);
        m->npost = rd32(buf + 20);
        m->alpha = rdf(buf + 24);
        m->q_scale = rdf(buf + 28);
        m->temperature = rdf(buf + 32);
        m->hint_bonus = rdf(buf + 36);
        m->min_hit_rate = rdf(buf + 40);
        m->early_margin = rdf(buf + 44);
        m->early_min = 128;
        m->order_mask = rd32(buf + 48);
        if (m->nlang < 1 || m->nlang > LANGID_MAX_LANGS)
                LOAD_FAIL("%s: %u languages (1..%d allowed)", path, m->nlang, LANGID_MAX_LANGS);
        if (!(m->q_scale > 0) || !(m->temperature > 0))
                LOAD_FAIL("%s: q_scale and temperature must be positive", path);
        /* Sizes are bounded by the file size checked above, so no overflow. */
        size_t need = 52 + (size_t)m->nlang * 40 + (size_t)m->nfeat * 5 + (size_t)m->npost * 2 + 8;
        if (m->nfeat > sz || m->npost > sz || need != sz)
                LOAD_FAIL("%s: header counts (%u features, %u postings) do not match the size",
                          path, m->nfeat, m->npost);
        if (m->npost >= (1u << 25))
                LOAD_FAIL("%s: too many postings", path);
        const unsigned char *p = buf + 52;
        for (unsigned l = 0; l < m->nlang; l++, p += 40) {
                memcpy(m->code[l], p, 8);
                if (m->code[l][7] || !m->code[l][0])
                        LOAD_FAIL("%s: language %u: bad code", path, l);
                m->script_mask[l] = rd32(p + 8);
                for (unsigned sc = 0; sc < LANGID_SCRIPT_COUNT; sc++)
                        if (m->script_mask[l] & (1u << sc))
                                m->script_cand[sc] |= 1u << l;
                m->unseen[0][l] = 0;
                for (unsigned o = 1; o <= LANGID_WORD_ORDER; o++)
                        m->unseen[o][l] = rdf(p + 8 + 4 * o);
        }
        const unsigned char *keys = p, *cnt = p + (size_t)m->nfeat * 4;
        const unsigned char *post = cnt + m->nfeat;
        /* 80 % load; the slots past the last home take the run that spills
         * over the end, plus four empty slots that end every scan (read four
         * at a time). */
        m->nhome = m->nfeat + m->nfeat / 4 + 16;
        uint32_t nslots = m->nhome + 4;
        {
                uint32_t pos = 0;
                for (uint32_t i = 0; i < m->nfeat; i++) {
                        uint32_t h =
                            (uint32_t)((uint64_t)rd32(keys + 4 * (size_t)i) * m->nhome >> 32);
                        pos = (i && pos + 1 > h ? pos + 1 : h);
                }
                if (m->nfeat && pos + 5 > nslots)
                        nslots = pos + 5;
        }
        m->slots = malloc((size_t)nslots * sizeof(*m->slots));
        if (!m->slots)
                LOAD_FAIL("%s: out of memory", path);
        for (uint32_t s = 0; s < nslots; s++)
                m->slots[s] = (struct langid_slot){UINT32_MAX, 0};
        /* The postings stay in the file buffer; only those of features that
         * get neither inline values nor a dense row are copied (none with
         * DENSE_MIN 3, but the reader stays general). */
        const uint8_t(*fpost)[2] = (const uint8_t(*)[2])post;
        uint32_t ndense = 0, nspill = 0;
        for (uint32_t i = 0; i < m->nfeat; i++) {
                ndense += cnt[i] >= DENSE_MIN;
                nspill += cnt[i] > 2 && cnt[i] < DENSE_MIN ? cnt[i] : 0;
        }
        m->post = malloc((size_t)nspill * 2 + 2);
        m->rows = calloc((size_t)ndense + 1, sizeof(*m->rows));
        if (!m->rows || !m->post)
                LOAD_FAIL("%s: out of memory", path);
        uint32_t off = 0, prev = 0, spill = 0, pos = 0;
        for (uint32_t i = 0; i < m->nfeat; i++) {
                uint32_t key = rd32(keys + 4 * (size_t)i), n = cnt[i];
                if (!key || (i && key <= prev))
                        LOAD_FAIL("%s: feature %u: keys not strictly ascending", path, i);
                if (n < 1 || n > m->nlang || off + n > m->npost)
                        LOAD_FAIL("%s: feature %u: bad posting count %u", path, i, n);
                uint32_t langs = 0; /* a language listed twice would overflow a cache entry */
                for (uint32_t k = 0; k < n; k++) {
                        unsigned l = fpost[off + k][0];
                        if (l >= m->nlang)
                                LOAD_FAIL("%s: feature %u: language index out of range", path, i);
                        if (langs & (1u << l))
                                LOAD_FAIL("%s: feature %u: language %u listed twice", path, i, l);
                        langs |= 1u << l;
                }
                uint32_t h = (uint32_t)((uint64_t)key * m->nhome >> 32);
                pos = i && pos + 1 > h ? pos + 1 : h;
                struct langid_slot *slot = &m->slots[pos];
                slot->key = key;
                if (n == 1) {
                        slot->val = SLOT_INLINE | (uint32_t)fpost[off][0] << 8 | fpost[off][1];
                } else if (n == 2) {
                        slot->val = SLOT_INLINE2 | (uint32_t)fpost[off][0] << 21 |
                                    (uint32_t)fpost[off][1] << 13 |
                                    (uint32_t)fpost[off + 1][0] << 8 | fpost[off + 1][1];
                } else if (n >= DENSE_MIN) {
                        for (uint32_t k = 0; k < n; k++)
                                m->rows[m->nrows][fpost[off + k][0]] = fpost[off + k][1];
                        slot->val = SLOT_DENSE | m->nrows++;
                } else {
                        memcpy(m->post + spill, fpost + off, (size_t)n * 2);
                        slot->val = spill << 6 | n;
                        spill += n;
                }
                off += n;
                prev = key;
        }
        if (off != m->npost)
                LOAD_FAIL("%s: posting counts do not add up", path);
        m->serial = atomic_fetch_add(&model_serial, 1) + 1;
        snprintf(m->describe, sizeof(m->describe),
                 "stemtag.langid v%u, %u languages, %u features, %u postings", LANGID_VERSION,
                 m->nlang, m->nfeat, m->npost);
        free(buf);
        return m;
fail:
        if (f)
                fclose(f);
        free(buf);
        langid_model_destroy(m);
        return NULL;
}

unsigned langid_model_langs(const struct langid_model *m)
{
        return m ? m->nlang : 0;
}

const char *langid_model_code(const struct langid_model *m, unsigned i)
{
        return m && i < m->nlang ? m->code[i] : NULL;
}

const char *langid_model_describe(const struct langid_model *m)
{
        return m ? m->describe : "";
}
