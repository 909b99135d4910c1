/* text: UTF-8 checks, NFC + casefold through utf8proc, word segmentation.
 *
 * Speed matters here (every byte of every article passes through):
 *  - pure ASCII words are lower-cased with a table and never reach utf8proc;
 *  - two-byte UTF-8 characters (U+0080..U+07FF: Latin-1 and Latin Extended,
 *    Greek, Cyrillic, Armenian, Hebrew, Arabic) use a per-text_tokens table
 *    that is computed from utf8proc itself on first use (class, and the NFC +
 *    casefold result of each letter), so no Unicode data is written by hand;
 *    a word made only of ASCII and such "simple" letters is folded by lookup;
 *  - everything else (marks, 3-byte scripts, Turkish I, apostrophes U+2019)
 *    is normalised per word by utf8proc into the reusable ucs scratch.
 * A warm text_tokens does not allocate. */
#include "text.h"
#include "hash.h"
#include "mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

/* Character classes of the segmenter. */
enum cc {
        CC_SEP = 0, /* punctuation, symbols, controls: ends a word */
        CC_SPACE,   /* whitespace: ends a word and a chunk (URL/e-mail scope) */
        CC_LETTER,
        CC_DIGIT,
        CC_MARK,
        CC_APOS,   /* apostrophes: inside a word between letters */
        CC_NUMSEP, /* '.' ',': inside a number between digits */
        CC_JOIN,   /* ZWJ, ZWNJ, soft hyphen, geresh, gershayim, middle dot */
        CC_AT,
};

#define A_L CC_LETTER
#define A_D CC_DIGIT
#define A_S CC_SEP
#define A_W CC_SPACE
/* ASCII classes; bytes >= 0x80 are classified through utf8proc. */
static const uint8_t ascii_class[128] = {
    A_S,   A_S, A_S, A_S, A_S,       A_S, A_S,       A_S,
    A_S,   A_W, A_W, A_W, A_W,       A_W, A_S,       A_S, /* 0x00 */
    A_S,   A_S, A_S, A_S, A_S,       A_S, A_S,       A_S,
    A_S,   A_S, A_S, A_S, A_S,       A_S, A_S,       A_S, /* 0x10 */
    A_W,   A_S, A_S, A_S, A_S,       A_S, A_S,       CC_APOS,
    A_S,   A_S, A_S, A_S, CC_NUMSEP, A_S, CC_NUMSEP, A_S, /* 0x20 */
    A_D,   A_D, A_D, A_D, A_D,       A_D, A_D,       A_D,
    A_D,   A_D, A_S, A_S, A_S,       A_S, A_S,       A_S, /* 0x30 */
    CC_AT, A_L, A_L, A_L, A_L,       A_L, A_L,       A_L,
    A_L,   A_L, A_L, A_L, A_L,       A_L, A_L,       A_L, /* 0x40 */
    A_L,   A_L, A_L, A_L, A_L,       A_L, A_L,       A_L,
    A_L,   A_L, A_L, A_S, A_S,       A_S, A_S,       A_S, /* 0x50 */
    A_S,   A_L, A_L, A_L, A_L,       A_L, A_L,       A_L,
    A_L,   A_L, A_L, A_L, A_L,       A_L, A_L,       A_L, /* 0x60 */
    A_L,   A_L, A_L, A_L, A_L,       A_L, A_L,       A_L,
    A_L,   A_L, A_L, A_S, A_S,       A_S, A_S,       A_S, /* 0x70 */
};
#undef A_L
#undef A_D
#undef A_S
#undef A_W

/* The word-run loop's test in one load: 1 ASCII letter, 2 ASCII digit, 0
 * anything else (including every byte >= 0x80). Agrees with ascii_class. */
static const uint8_t ascii_alnum[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

void text_tokens_init(struct text_tokens *t)
{
        memset(t, 0, sizeof(*t));
}

void text_tokens_reset(struct text_tokens *t)
{
        t->n = 0;
        t->buf_len = 0;
        t->stem_hash_n = 0;
}

void text_tokens_free(struct text_tokens *t)
{
        if (!t)
                return;
        free(t->v);
        free(t->buf);
        free(t->ucs);
        free(t->fold2);
        free(t->stem_hash);
        text_tokens_init(t);
}

/* Decodes one code point. Returns the bytes consumed; *cp is -1 when the
 * sequence is ill-formed, and then the return value is the length of its
 * maximal subpart (>= 1), as Unicode's substitution practice wants. */
static size_t utf8_decode(const unsigned char *p, size_t n, int32_t *cp)
{
        unsigned c = p[0];
        if (c < 0x80) {
                *cp = (int32_t)c;
                return 1;
        }
        unsigned lo = 0x80, hi = 0xBF;
        size_t need;
        int32_t v;
        if (c >= 0xC2 && c <= 0xDF) {
                need = 1;
                v = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
                need = 2;
                v = c & 0x0F;
                if (c == 0xE0)
                        lo = 0xA0; /* overlong */
                else if (c == 0xED)
                        hi = 0x9F; /* surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
                need = 3;
                v = c & 0x07;
                if (c == 0xF0)
                        lo = 0x90; /* overlong */
                else if (c == 0xF4)
                        hi = 0x8F; /* above U+10FFFF */
        } else {
                *cp = -1;
                return 1;
        }
        for (size_t i = 1; i <= need; i++) {
                if (i >= n || p[i] < lo || p[i] > hi) {
                        *cp = -1;
                        return i;
                }
                lo = 0x80;
                hi = 0xBF;
                v = (v << 6) | (p[i] & 0x3F);
        }
        *cp = v;
        return need + 1;
}

int text_utf8_validate(const char *s, size_t len, size_t *bad_off)
{
        const unsigned char *p = (const unsigned char *)s;
        size_t i = 0;
        while (i < len) {
                /* Skip ASCII eight bytes at a time: most news text is mostly ASCII. */
                while (i + 8 <= len) {
                        uint64_t w;
                        memcpy(&w, p + i, 8);
                        if (w & 0x8080808080808080ULL)
                                break;
                        i += 8;
                }
                if (i >= len)
                        break;
                if (p[i] < 0x80) {
                        i++;
                        continue;
                }
                int32_t cp;
                size_t n = utf8_decode(p + i, len - i, &cp);
                if (cp < 0) {
                        if (bad_off)
                                *bad_off = i;
                        return -1;
                }
                i += n;
        }
        return 0;
}

size_t text_utf8_repair(char *dst, const char *s, size_t len)
{
        const unsigned char *p = (const unsigned char *)s;
        size_t i = 0, o = 0;
        while (i < len) {
                int32_t cp;
                size_t n = utf8_decode(p + i, len - i, &cp);
                if (cp < 0) {
                        dst[o++] = (char)0xEF; /* U+FFFD */
                        dst[o++] = (char)0xBF;
                        dst[o++] = (char)0xBD;
                } else {
                        memcpy(dst + o, p + i, n);
                        o += n;
                }
                i += n;
        }
        return o;
}

static enum cc class_of(int32_t cp)
{
        if (cp < 0x80)
                return cp < 0 ? CC_SEP : (enum cc)ascii_class[cp];
        switch (cp) {
        case 0x2019: /* right single quotation mark, the typographic apostrophe */
        case 0x02BC: /* modifier letter apostrophe */
                return CC_APOS;
        case 0x00AD: /* soft hyphen */
        case 0x200C: /* ZWNJ */
        case 0x200D: /* ZWJ */
        case 0x05F3: /* Hebrew geresh */
        case 0x05F4: /* Hebrew gershayim */
        case 0x00B7: /* middle dot (Catalan l·l) */
                return CC_JOIN;
        case 0xFF20: /* fullwidth @ */
                return CC_AT;
        default:
                break;
        }
        switch (utf8proc_category(cp)) {
        case UTF8PROC_CATEGORY_LU:
        case UTF8PROC_CATEGORY_LL:
        case UTF8PROC_CATEGORY_LT:
        case UTF8PROC_CATEGORY_LM:
        case UTF8PROC_CATEGORY_LO:
                return CC_LETTER;
        case UTF8PROC_CATEGORY_MN:
        case UTF8PROC_CATEGORY_MC:
        case UTF8PROC_CATEGORY_ME:
                return CC_MARK;
        case UTF8PROC_CATEGORY_ND:
                return CC_DIGIT;
        case UTF8PROC_CATEGORY_ZS:
        case UTF8PROC_CATEGORY_ZL:
        case UTF8PROC_CATEGORY_ZP:
                return CC_SPACE;
        default:
                return CC_SEP;
        }
}

/* One entry per code point U+0080..U+07FF. */
struct fold2_entry {
        uint8_t cls;    /* enum cc */
        uint8_t simple; /* 1: NFC + casefold of this letter/digit is out[0, len) in any context */
        uint8_t len;
        char out[5];
};

struct text_fold2 {
        struct fold2_entry e[0x800];
};

/* Is folded code point @cp safe to emit without seeing its neighbours? A
 * starter letter or digit (combining class 0) never composes with another
 * starter below U+0800, so the word's NFC is the concatenation. */
static int fold2_safe_cp(utf8proc_int32_t cp)
{
        const utf8proc_property_t *p = utf8proc_get_property(cp);
        if (p->combining_class != 0)
                return 0;
        switch (p->category) {
        case UTF8PROC_CATEGORY_LU:
        case UTF8PROC_CATEGORY_LL:
        case UTF8PROC_CATEGORY_LT:
        case UTF8PROC_CATEGORY_LM:
        case UTF8PROC_CATEGORY_LO:
        case UTF8PROC_CATEGORY_ND:
                return 1;
        default:
                return 0;
        }
}

static struct text_fold2 *fold2_build(void)
{
        struct text_fold2 *f = calloc(1, sizeof(*f));
        if (!f)
                return NULL;
        const utf8proc_option_t opts = UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD;
        for (int32_t cp = 0x80; cp < 0x800; cp++) {
                struct fold2_entry *e = &f->e[cp];
                e->cls = (uint8_t)class_of(cp);
                if ((e->cls != CC_LETTER && e->cls != CC_DIGIT) || cp == 0x0130)
                        continue; /* U+0130 has its own folding (fold_custom) */
                utf8proc_int32_t buf[8];
                utf8proc_uint8_t in[4];
                utf8proc_ssize_t inlen = utf8proc_encode_char(cp, in);
                utf8proc_ssize_t n = utf8proc_decompose(in, inlen, buf, 8, opts);
                if (n <= 0 || n > 8)
                        continue;
                n = utf8proc_normalize_utf32(buf, n, opts);
                if (n <= 0)
                        continue;
                size_t len = 0;
                int ok = 1;
                char out[32];
                for (utf8proc_ssize_t i = 0; i < n && ok; i++) {
                        ok = fold2_safe_cp(buf[i]) || buf[i] < 0x80;
                        len += (size_t)utf8proc_encode_char(buf[i], (utf8proc_uint8_t *)out + len);
                }
                if (!ok || len > sizeof(e->out))
                        continue;
                memcpy(e->out, out, len);
                e->len = (uint8_t)len;
                e->simple = 1;
        }
        return f;
}

/* Class of the character at s[i] (CC_SPACE past the end), its code point and
 * size; *simple (may be NULL) says whether fold2 can fold it. */
static enum cc class_at(const struct text_fold2 *f, const char *s, size_t len, size_t i,
                        int32_t *cp, size_t *n, int *simple)
{
        int dummy;
        if (!simple)
                simple = &dummy;
        if (i >= len) {
                *cp = -1;
                *n = 0;
                *simple = 0;
                return CC_SPACE;
        }
        const unsigned char *p = (const unsigned char *)s + i;
        if (p[0] < 0x80) {
                *cp = p[0];
                *n = 1;
                *simple = 1;
                return (enum cc)ascii_class[p[0]];
        }
        if (p[0] >= 0xC2 && p[0] <= 0xDF && i + 1 < len && (p[1] & 0xC0) == 0x80) {
                *cp = ((p[0] & 0x1F) << 6) | (p[1] & 0x3F);
                *n = 2;
                *simple = f->e[*cp].simple;
                return (enum cc)f->e[*cp].cls;
        }
        *n = utf8_decode(p, len - i, cp);
        *simple = 0;
        return class_of(*cp);
}

static int is_word_class(enum cc c)
{
        return c == CC_LETTER || c == CC_DIGIT || c == CC_MARK;
}

static enum text_script script_of(int32_t cp)
{
        if (cp < 0x250 || (cp >= 0x1E00 && cp <= 0x1EFF) || (cp >= 0xFF21 && cp <= 0xFF5A))
                return TEXT_SCRIPT_LATIN;
        if ((cp >= 0x370 && cp <= 0x3FF) || (cp >= 0x1F00 && cp <= 0x1FFF))
                return TEXT_SCRIPT_GREEK;
        if ((cp >= 0x400 && cp <= 0x52F) || (cp >= 0x1C80 && cp <= 0x1C8F) ||
            (cp >= 0x2DE0 && cp <= 0x2DFF) || (cp >= 0xA640 && cp <= 0xA69F))
                return TEXT_SCRIPT_CYRILLIC;
        if ((cp >= 0x530 && cp <= 0x58F) || (cp >= 0xFB13 && cp <= 0xFB17))
                return TEXT_SCRIPT_ARMENIAN;
        if ((cp >= 0x590 && cp <= 0x5FF) || (cp >= 0xFB1D && cp <= 0xFB4F))
                return TEXT_SCRIPT_HEBREW;
        if ((cp >= 0x600 && cp <= 0x6FF) || (cp >= 0x750 && cp <= 0x77F) ||
            (cp >= 0x8A0 && cp <= 0x8FF) || (cp >= 0xFB50 && cp <= 0xFDFF) ||
            (cp >= 0xFE70 && cp <= 0xFEFF))
                return TEXT_SCRIPT_ARABIC;
        if ((cp >= 0x900 && cp <= 0x97F) || (cp >= 0xA8E0 && cp <= 0xA8FF))
                return TEXT_SCRIPT_DEVANAGARI;
        if (cp >= 0xB80 && cp <= 0xBFF)
                return TEXT_SCRIPT_TAMIL;
        return TEXT_SCRIPT_OTHER;
}

/* Language-dependent rules, decided once per call. */
struct lang_rules {
        int turkish;  /* I -> ı; apostrophe ends the word (Ankara'da) */
        int elision;  /* fr/it/ca/ga: drop l', d', qu', ... */
        int italian;  /* it: also dell', nell', sull', ... */
        int irish;    /* ga: t-, n-, h- before a vowel stay on the word (the stemmer drops them) */
        int romanian; /* ro: comma-below ș ț fold to the cedilla ş ţ that libstemmer's
                         Romanian stemmer (Debian 12 and 13) strips suffixes with */
        int nukta; /* hi/ne: the nukta is dropped (फ़िल्म and फिल्म are one word in print) */
        int arabic; /* ar: the conjunction و/ف before an article goes (والحكومة -> الحكومة) */
};

static void lang_rules_of(const char *lang, struct lang_rules *r)
{
        memset(r, 0, sizeof(*r));
        if (!lang || !lang[0] || !lang[1] || (lang[2] && lang[2] != '-' && lang[2] != '_'))
                return;
        char a = (char)(lang[0] | 0x20), b = (char)(lang[1] | 0x20);
        if ((a == 't' && b == 'r') || (a == 'a' && b == 'z'))
                r->turkish = 1;
        else if ((a == 'f' && b == 'r') || (a == 'c' && b == 'a') || (a == 'g' && b == 'a'))
                r->elision = 1;
        if (a == 'g' && b == 'a')
                r->irish = 1;
        else if (a == 'i' && b == 't')
                r->elision = r->italian = 1;
        else if (a == 'r' && b == 'o')
                r->romanian = 1;
        else if ((a == 'h' && b == 'i') || (a == 'n' && b == 'e'))
                r->nukta = 1;
        else if (a == 'a' && b == 'r')
                r->arabic = 1;
}

static utf8proc_int32_t fold_custom(utf8proc_int32_t cp, void *data)
{
        const struct lang_rules *r = data;
        if (cp == 0x2019 || cp == 0x02BC)
                return '\'';
        if (cp == 0x0130) /* İ: casefold would give i + U+0307, which no stemmer wants */
                return 'i';
        if (r->turkish && cp == 'I')
                return 0x0131;
        if (r->romanian) {
                if (cp == 0x0218 || cp == 0x0219) /* Ș ș -> ş */
                        return 0x015F;
                if (cp == 0x021A || cp == 0x021B) /* Ț ț -> ţ */
                        return 0x0163;
        }
        return cp;
}

/* Is [a, b) of s an elided prefix ("l", "qu", "dell", ...) to drop? */
static int is_elided_prefix(const char *s, size_t a, size_t b, const struct lang_rules *r)
{
        size_t chars = 0;
        for (size_t i = a; i < b; i++)
                chars += ((unsigned char)s[i] & 0xC0) != 0x80;
        if (chars <= 2)
                return 1;
        char last = (char)(s[b - 1] | 0x20), prev = (char)(s[b - 2] | 0x20);
        if (prev == 'q' && last == 'u') /* jusqu', lorsqu', puisqu', quoiqu', quelqu' */
                return 1;
        if (r->italian && last == 'l' && chars <= 5) /* dell', nell', sull', quell' */
                return 1;
        return 0;
}

static int buf_reserve(struct text_tokens *t, size_t more)
{
        if (more > SIZE_MAX - t->buf_len)
                return -1;
        return mem_grow((void **)&t->buf, &t->buf_cap, t->buf_len + more, 1);
}

/* Writes the normal form of s[a, b) at the end of t->buf. @simple: the word
 * holds only ASCII and fold2-simple characters. @s_len: length of the whole
 * text (bytes past b may be read, never used). 0 / -1 (memory). */
static int normalise(struct text_tokens *t, const char *s, size_t s_len, size_t a, size_t b,
                     int simple, const struct lang_rules *r)
{
        size_t n = b - a;
        if (simple) {
                /* a fold2 output is at most 5 bytes for 2 input bytes; +8 for
                 * the whole-word store below */
                if (n > SIZE_MAX / 3 - 8 || buf_reserve(t, n * 3 + 8) < 0)
                        return -1;
                char *o = t->buf + t->buf_len;
                const unsigned char *p = (const unsigned char *)s + a, *end = p + n;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                /* Most words are ASCII and at most 8 bytes: lower-case them as
                 * one 64-bit word ('A'..'Z' get 0x20) instead of byte by byte.
                 * The bytes after the word are loaded and stored too, past
                 * buf_len, where the next write lands anyway. */
                if (n <= 8 && s_len - a >= 8) {
                        const uint64_t high = 0x8080808080808080ULL;
                        uint64_t x, in_word = n == 8 ? ~0ULL : (1ULL << (8 * n)) - 1;
                        memcpy(&x, p, 8);
                        if (!(x & in_word & high)) {
                                uint64_t ge_a = x + 0x3f3f3f3f3f3f3f3fULL; /* 0x80 - 'A' */
                                uint64_t gt_z = x + 0x2525252525252525ULL; /* 0x80 - 'Z' - 1 */
                                x |= (ge_a & ~gt_z & high) >> 2;
                                memcpy(o, &x, 8);
                                t->buf_len += n;
                                return 0;
                        }
                }
#else
                (void)s_len;
#endif
                while (p < end) {
                        unsigned char c = *p;
                        if (c < 0x80) {
                                *o++ = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
                                p++;
                                continue;
                        }
                        const struct fold2_entry *e =
                            &t->fold2->e[((c & 0x1F) << 6) | (p[1] & 0x3F)];
                        memcpy(o, e->out, e->len);
                        o += e->len;
                        p += 2;
                }
                t->buf_len = (size_t)(o - t->buf);
                return 0;
        }
        const utf8proc_option_t opts = UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD;
        if (t->ucs_cap < n + 8 && mem_grow((void **)&t->ucs, &t->ucs_cap, n + 8, 4) < 0)
                return -1;
        utf8proc_ssize_t m;
        for (;;) {
                m = utf8proc_decompose_custom((const utf8proc_uint8_t *)s + a, (utf8proc_ssize_t)n,
                                              t->ucs, (utf8proc_ssize_t)t->ucs_cap, opts,
                                              fold_custom, (void *)r);
                if (m < 0) { /* cannot happen on validated input; keep the bytes */
                        if (buf_reserve(t, n) < 0)
                                return -1;
                        memcpy(t->buf + t->buf_len, s + a, n);
                        t->buf_len += n;
                        return 0;
                }
                if ((size_t)m <= t->ucs_cap)
                        break;
                if (mem_grow((void **)&t->ucs, &t->ucs_cap, (size_t)m, 4) < 0)
                        return -1;
        }
        utf8proc_ssize_t k = 0;
        for (utf8proc_ssize_t i = 0; i < m; i++)
                if (t->ucs[i] != 0x00AD && !(r->nukta && t->ucs[i] == 0x093C))
                        t->ucs[k++] = t->ucs[i];
        utf8proc_ssize_t bytes = utf8proc_reencode(t->ucs, k, opts);
        if (bytes < 0)
                return -1;
        if (buf_reserve(t, (size_t)bytes) < 0)
                return -1;
        memcpy(t->buf + t->buf_len, t->ucs, (size_t)bytes);
        t->buf_len += (size_t)bytes;
        return 0;
}

/* What the scanner knows about the word being read. */
/* What the scanner knows about the word being read. */
struct word {
        size_t start;
        size_t apos;     /* offset of the first apostrophe, or SIZE_MAX */
        size_t apos_len; /* its byte length */
        int simple;      /* only ASCII and fold2-simple characters */
        int has_letter;
};

/* Script of the first letter of s[a, b). */
static enum text_script word_script(const char *s, size_t a, size_t b)
{
        for (size_t i = a; i < b;) {
                unsigned char c = (unsigned char)s[i];
                if (c < 0x80) {
                        if (ascii_class[c] == CC_LETTER)
                                return TEXT_SCRIPT_LATIN;
                        i++;
                        continue;
                }
                int32_t cp;
                i += utf8_decode((const unsigned char *)s + i, b - i, &cp);
                if (cp >= 0 && class_of(cp) == CC_LETTER)
                        return script_of(cp);
        }
        return TEXT_SCRIPT_OTHER;
}

/* Letters (code points) in s[a, b). */
static size_t count_chars(const char *s, size_t a, size_t b)
{
        size_t n = 0;
        for (size_t i = a; i < b; i++)
                n += ((unsigned char)s[i] & 0xC0) != 0x80;
        return n;
}

/* Arabic: bytes of a leading conjunction و or ف written onto an article
 * (ال, لل) or onto بال, when at least three letters follow the article; the
 * Snowball stemmer strips the article but not the conjunction in front of it,
 * so والحكومة would miss الحكومة. Words like والد (father) keep their و. */
static size_t arabic_conjunction(const char *s, size_t a, size_t b)
{
        static const char waw[] = "\xD9\x88", fa[] = "\xD9\x81";
        static const char al[] = "\xD8\xA7\xD9\x84", ll[] = "\xD9\x84\xD9\x84",
                          bal[] = "\xD8\xA8\xD8\xA7\xD9\x84";
        if (b - a < 2 + 4 + 6 || (memcmp(s + a, waw, 2) && memcmp(s + a, fa, 2)))
                return 0;
        const char *p = s + a + 2;
        size_t rest = b - a - 2, art = 0;
        if (!memcmp(p, al, 4) || !memcmp(p, ll, 4))
                art = 4;
        else if (rest >= 6 && !memcmp(p, bal, 6))
                art = 6;
        if (!art || count_chars(s, a + 2 + art, b) < 3)
                return 0;
        return 2;
}

static int emit(struct text_tokens *t, const char *s, size_t s_len, size_t b, const struct word *w,
                enum text_field field, const struct lang_rules *r)
{
        size_t a = w->start;
        if (r->arabic)
                a += arabic_conjunction(s, a, b);
        if (w->apos != SIZE_MAX) {
                if (r->turkish)
                        b = w->apos;
                else if (r->elision && is_elided_prefix(s, a, w->apos, r))
                        a = w->apos + w->apos_len;
        }
        if (a >= b || b - a > TEXT_TOKEN_MAX_BYTES)
                return 0;
        if (t->n == t->cap && mem_grow((void **)&t->v, &t->cap, t->n + 1, sizeof(*t->v)) < 0)
                return -1;
        size_t norm_off = t->buf_len;
        /* Turkish I and Romanian commas-below (U+0218..U+021B, lead byte 0xC8)
         * need utf8proc's custom mapping */
        int simple = w->simple && !(r->turkish && memchr(s + a, 'I', b - a)) &&
                     !(r->romanian && memchr(s + a, 0xC8, b - a));
        if (normalise(t, s, s_len, a, b, simple, r) < 0)
                return -1;
        if (t->buf_len > UINT32_MAX)
                return -1;
        struct text_token *tok = &t->v[t->n++];
        tok->off = (uint32_t)a;
        tok->len = (uint32_t)(b - a);
        tok->norm_off = (uint32_t)norm_off;
        tok->norm_len = (uint32_t)(t->buf_len - norm_off);
        tok->stem_off = tok->norm_off;
        tok->stem_len = tok->norm_len;
        tok->field = (uint8_t)field;
        unsigned char c0 = (unsigned char)s[a];
        if (!w->has_letter)
                tok->script = TEXT_SCRIPT_COMMON;
        else if (c0 < 0x80 && ascii_class[c0] == CC_LETTER)
                tok->script = TEXT_SCRIPT_LATIN; /* most words: no need to re-scan */
        else
                tok->script = (uint8_t)word_script(s, a, b);
        tok->flags = w->has_letter ? 0 : TEXT_TOKEN_NUMERIC;
        tok->norm_key = 0; /* stem_tokens hashes it */
        return 0;
}

/* ---- the all-ASCII word fast path ----------------------------------------
 * Most words of most news text are ASCII letters and digits ended by a space
 * or punctuation. text_tokenize finds such a run eight bytes at a time and
 * emits it here without the general scanner's per-character classes, the
 * language rules (none applies to such a word, save tr/az I and ga's t-,
 * which keep the general path) or utf8proc. */

#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* High bit of each byte of x (bytes < 0x80) that lies in [lo, hi]. */
static inline uint64_t swar_in_range(uint64_t x, unsigned lo, unsigned hi)
{
        return (x + (0x80 - lo) * ONES) & ~(x + (0x80 - hi - 1) * ONES) & HIGHS;
}

/* End of the run of ASCII letters and digits at u[i] (u[i] is one); *alpha:
 * whether it holds a letter. */
static inline size_t ascii_alnum_run(const unsigned char *u, size_t i, size_t len, int *alpha)
{
        uint64_t letters = 0;
        while (len - i >= 8) {
                uint64_t x = hash_load64_le((const char *)u + i);
                uint64_t x7 = x & ~HIGHS; /* no carries between bytes below */
                uint64_t a = swar_in_range(x7 | 0x2020202020202020ULL, 'a', 'z');
                uint64_t ok = (a | swar_in_range(x7, '0', '9')) & ~x;
                uint64_t bad = ~ok & HIGHS;
                if (bad) {
                        unsigned k = (unsigned)__builtin_ctzll(bad) >> 3;
                        letters |= a & ((1ULL << (8 * k)) - 1); /* k < 8: bad has a bit */
                        *alpha = letters != 0;
                        return i + k;
                }
                letters |= a;
                i += 8;
        }
        unsigned f, seen = 0;
        while (i < len && (f = ascii_alnum[u[i]]) != 0) {
                seen |= f;
                i++;
        }
        *alpha = letters != 0 || (seen & 1);
        return i;
}

/* Appends the token of the ASCII letters and digits s[a, b) (lower-cased). */
static int emit_ascii(struct text_tokens *t, const char *s, size_t s_len, size_t a, size_t b,
                      int alpha, enum text_field field)
{
        size_t n = b - a;
        if (n > TEXT_TOKEN_MAX_BYTES)
                return 0;
        if (t->n == t->cap && mem_grow((void **)&t->v, &t->cap, t->n + 1, sizeof(*t->v)) < 0)
                return -1;
        /* + 8: whole 8-byte stores may pass the end; the next word overwrites them */
        if (t->buf_len + n + 8 > t->buf_cap && buf_reserve(t, n + 8) < 0)
                return -1;
        if (t->buf_len + n > UINT32_MAX)
                return -1;
        char *o = t->buf + t->buf_len;
        const char *p = s + a;
        size_t left = n;
        uint32_t key = 0; /* norm_key */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        /* 'A'..'Z' get 0x20, eight bytes at a time (bytes past the word too:
         * a carry only runs towards later bytes, so the word's are exact).
         * Most words are one such store. */
        if (n <= 8 && s_len - a >= 8) {
                uint64_t x;
                memcpy(&x, p, 8);
                x |= swar_in_range(x, 'A', 'Z') >> 2;
                memcpy(o, &x, 8);
                left = 0;
                /* the stem cache key, while the word is at hand */
                key = hash_key_final((uint64_t)n * 0x9e3779b97f4a7c15ULL,
                                     n == 8 ? x : x & ((1ULL << (8 * n)) - 1));
        }
        while (left && s_len - (size_t)(p - s) >= 8) {
                uint64_t x;
                memcpy(&x, p, 8);
                x |= swar_in_range(x, 'A', 'Z') >> 2;
                memcpy(o, &x, 8);
                size_t step = left < 8 ? left : 8;
                o += step;
                p += step;
                left -= step;
        }
#else
        (void)s_len;
#endif
        for (; left; left--, p++)
                *o++ = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        struct text_token *tok = &t->v[t->n++];
        tok->off = (uint32_t)a;
        tok->len = (uint32_t)n;
        tok->norm_off = (uint32_t)t->buf_len;
        tok->norm_len = (uint32_t)n;
        tok->stem_off = tok->norm_off;
        tok->stem_len = tok->norm_len;
        tok->field = (uint8_t)field;
        tok->script = alpha ? TEXT_SCRIPT_LATIN : TEXT_SCRIPT_COMMON;
        tok->flags = alpha ? 0 : TEXT_TOKEN_NUMERIC;
        tok->norm_key = key;
        t->buf_len += n;
        return 0;
}

/* Does the ASCII byte c end a word whose last byte is the ASCII letter or
 * digit @p last, whatever follows c? Separators and spaces do; '.' and ','
 * after a letter do (they join digits only); apostrophes and '@' depend on
 * what follows, so the general scanner decides. */
static inline int ascii_ends_word(unsigned char c, unsigned char last)
{
        enum cc k = (enum cc)ascii_class[c];
        return k == CC_SEP || k == CC_SPACE || (k == CC_NUMSEP && ascii_alnum[last] == 1);
}

static size_t skip_to_space(const char *s, size_t len, size_t i)
{
        while (i < len && (unsigned char)s[i] > ' ')
                i++;
        return i;
}

static int starts_with_ci(const char *s, size_t len, const char *lit)
{
        size_t n = strlen(lit);
        if (len < n)
                return 0;
        for (size_t i = 0; i < n; i++)
                if ((char)(s[i] | 0x20) != lit[i])
                        return 0;
        return 1;
}

static int is_url_start(const char *s, size_t len)
{
        char c = (char)(s[0] | 0x20);
        if (c == 'h')
                return starts_with_ci(s, len, "http://") || starts_with_ci(s, len, "https://");
        if (c == 'w')
                return starts_with_ci(s, len, "www.") && len > 4 && (unsigned char)s[4] > ' ';
        if (c == 'f')
                return starts_with_ci(s, len, "ftp://");
        return 0;
}

int text_tokenize(struct text_tokens *t, const char *s, size_t len, enum text_field field,
                  const char *lang)
{
        if (len > UINT32_MAX)
                return -1;
        t->stem_hash_n = 0; /* new tokens: stem_tokens must run (again) */
        if (!t->fold2 && !(t->fold2 = fold2_build()))
                return -1;
        const struct text_fold2 *f2 = t->fold2;
        struct lang_rules r;
        lang_rules_of(lang, &r);
        /* tr/az fold I by language, ga keeps "t-" on a word: the general path */
        int ascii_fast = !r.turkish && !r.irish;
        const unsigned char *u = (const unsigned char *)s;

        size_t chunk_tok = t->n; /* first token of the whitespace-delimited chunk */
        size_t chunk_buf = t->buf_len;
        size_t i = 0;
        while (i < len) {
                /* Between words: find the start of the next one. */
                int32_t cp;
                size_t n;
                int simple;
                enum cc k;
                if (u[i] < 0x80) {
                        k = (enum cc)ascii_class[u[i]];
                        n = 1;
                        simple = 1;
                        /* is_url_start only for the letters a URL can start with */
                        if (k == CC_LETTER &&
                            ((u[i] | 0x20) == 'h' || (u[i] | 0x20) == 'w' ||
                             (u[i] | 0x20) == 'f') &&
                            is_url_start(s + i, len - i)) {
                                i = skip_to_space(s, len, i);
                                continue;
                        }
                        if (ascii_fast && (k == CC_LETTER || k == CC_DIGIT)) {
                                int alpha;
                                size_t end = ascii_alnum_run(u, i, len, &alpha);
                                if (end >= len ||
                                    (u[end] < 0x80 && ascii_ends_word(u[end], u[end - 1]))) {
                                        if (emit_ascii(t, s, len, i, end, alpha, field) < 0)
                                                return -1;
                                        /* Between words only spaces matter (they end
                                         * an e-mail's chunk): skip the ASCII ones and
                                         * the separators here rather than one turn of
                                         * the outer loop each. */
                                        for (i = end; i < len && u[i] < 0x80 && !ascii_alnum[u[i]];
                                             i++) {
                                                if (ascii_class[u[i]] == CC_SPACE) {
                                                        chunk_tok = t->n;
                                                        chunk_buf = t->buf_len;
                                                }
                                        }
                                        continue;
                                }
                        }
                } else {
                        k = class_at(f2, s, len, i, &cp, &n, &simple);
                }
                if (!is_word_class(k)) {
                        if (k == CC_SPACE) {
                                chunk_tok = t->n;
                                chunk_buf = t->buf_len;
                        }
                        i += n;
                        continue;
                }

                /* In a word: runs of ASCII letters/digits first, then the rest. */
                struct word w = {
                    .start = i, .apos = SIZE_MAX, .simple = simple, .has_letter = k == CC_LETTER};
                enum cc last = k;
                i += n;
                for (;;) {
                        size_t run = i;
                        unsigned letters = 0, f;
                        while (i < len && (f = ascii_alnum[u[i]]) != 0) {
                                letters |= f;
                                i++;
                        }
                        if (i > run) {
                                w.has_letter |= (int)(letters & 1);
                                last = (enum cc)ascii_class[u[i - 1]];
                        }
                        if (i >= len)
                                break;
                        if (u[i] < 0x80) { /* what ended the run, most often ASCII */
                                k = (enum cc)ascii_class[u[i]];
                                cp = u[i];
                                n = 1;
                                simple = 1;
                        } else {
                                k = class_at(f2, s, len, i, &cp, &n, &simple);
                        }
                        if (is_word_class(k)) {
                                w.has_letter |= k == CC_LETTER;
                                w.simple &= simple;
                                last = k;
                                i += n;
                                continue;
                        }
                        if (r.irish && u[i] == '-' && i == w.start + 1 &&
                            strchr("nthNTH", s[w.start]) &&
                            class_at(f2, s, len, i + 1, &cp, &n, NULL) == CC_LETTER) {
                                i++; /* "an t-uisce": Snowball Irish removes the t- itself */
                                continue;
                        }
                        if (k != CC_APOS && k != CC_NUMSEP && k != CC_JOIN)
                                break;
                        /* A connector stays inside the word only if a word character follows. */
                        int32_t ncp;
                        size_t nn;
                        enum cc next = class_at(f2, s, len, i + n, &ncp, &nn, NULL);
                        int keep;
                        if (k == CC_APOS)
                                keep = (last == CC_LETTER || last == CC_MARK) && next == CC_LETTER;
                        else if (k == CC_NUMSEP)
                                keep = last == CC_DIGIT && next == CC_DIGIT;
                        else
                                keep = is_word_class(next);
                        if (!keep)
                                break;
                        if (k == CC_APOS && w.apos == SIZE_MAX) {
                                w.apos = i;
                                w.apos_len = n;
                        }
                        /* non-ASCII connectors (U+2019, soft hyphen, ZWJ...) need utf8proc */
                        w.simple &= u[i] < 0x80;
                        i += n;
                }
                if (emit(t, s, len, i, &w, field, &r) < 0)
                        return -1;
                if (i < len && k == CC_AT) {
                        int32_t ncp;
                        size_t nn;
                        if (is_word_class(class_at(f2, s, len, i + n, &ncp, &nn, NULL))) {
                                /* An e-mail address: forget its words, skip the rest. */
                                t->n = chunk_tok;
                                t->buf_len = chunk_buf;
                                i = skip_to_space(s, len, i);
                        }
                }
                /* the character that ended the word is looked at again above */
        }
        return 0;
}
