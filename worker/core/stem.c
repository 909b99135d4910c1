/* stem: lazily created Snowball stemmers and a small token -> stem cache.
 *
 * Why a cache: news text repeats words (Zipf), and a Snowball call costs far
 * more than hashing a short word, so a hit saves most of the stemming time.
 * Why this layout: one 64-byte entry per word holds key and stem inline, so a
 * lookup touches one cache line and the cache never allocates after creation. */
#include "stem.h"

#include <stdlib.h>
#include <string.h>

#include <libstemmer.h>

#include "hash.h"
#include "mem.h"

static const struct {
        const char *iso;
        const char *algo;
} langs[STEM_LANG_COUNT] = {
    {"ar", "arabic"},     {"hy", "armenian"},   {"eu", "basque"},    {"ca", "catalan"},
    {"da", "danish"},     {"nl", "dutch"},      {"en", "english"},   {"fi", "finnish"},
    {"fr", "french"},     {"de", "german"},     {"el", "greek"},     {"hi", "hindi"},
    {"hu", "hungarian"},  {"id", "indonesian"}, {"ga", "irish"},     {"it", "italian"},
    {"lt", "lithuanian"}, {"ne", "nepali"},     {"no", "norwegian"}, {"pt", "portuguese"},
    {"ro", "romanian"},   {"ru", "russian"},    {"sr", "serbian"},   {"es", "spanish"},
    {"sv", "swedish"},    {"ta", "tamil"},      {"tr", "turkish"},   {"yi", "yiddish"},
    {"porter", "porter"},
};

#define SLOT_DATA   44
#define SLOT_PREFIX 0x01 /* the stem is the first stem_len bytes of the key */

struct cache_slot {
        uint64_t hash;      /* 0: empty */
        uint64_t stem_hash; /* hash_stem() of the stem: the classifier's key, so a
                               cached token is hashed once (for this cache) per article */
        uint8_t lang;
        uint8_t key_len;
        uint8_t stem_len;
        uint8_t flags;
        char data[SLOT_DATA]; /* key, then the stem unless SLOT_PREFIX */
};

struct stem_pool {
        struct sb_stemmer *st[STEM_LANG_COUNT];
        struct cache_slot *slots; /* nsets * 2; slot 0 of a set is the most recent */
        size_t nsets;
        uint64_t hits, misses;
};

/* Word-at-a-time hash for the cache index: FNV-1a goes byte by byte, and
 * this lookup runs once per token. Only has to be stable within a process. */
static inline uint64_t word_hash(const char *p, size_t n, uint64_t seed)
{
        uint64_t h = seed ^ ((uint64_t)n * 0x9e3779b97f4a7c15ULL);
        while (n >= 8) {
                uint64_t w;
                memcpy(&w, p, 8);
                h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
                h ^= h >> 29;
                p += 8;
                n -= 8;
        }
        /* The 1..7-byte tail with fixed-size loads (a variable-length memcpy
         * was a quarter of the hash): two overlapping 4-byte reads, or the
         * first, middle and last byte. n is mixed in above, so these
         * overlapping forms cannot make two tails of different length equal. */
        if (n) {
                uint64_t w;
                if (n >= 4) {
                        uint32_t a, b;
                        memcpy(&a, p, 4);
                        memcpy(&b, p + n - 4, 4);
                        w = (uint64_t)a << 32 | b;
                } else {
                        w = (uint64_t)(unsigned char)p[0] << 16 |
                            (uint64_t)(unsigned char)p[n >> 1] << 8 | (unsigned char)p[n - 1];
                }
                h = (h ^ w) * 0x94d049bb133111ebULL;
        }
        return hash_mix64(h);
}

static char ascii_lower(char c)
{
        return (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
}

int stem_lang_from_iso(const char *iso)
{
        if (!iso)
                return -1;
        char code[16];
        size_t n = 0;
        while (n < sizeof(code) - 1 && iso[n] && iso[n] != '-' && iso[n] != '_') {
                code[n] = ascii_lower(iso[n]);
                n++;
        }
        code[n] = '\0';
        if (!strcmp(code, "nb") || !strcmp(code, "nn")) /* Bokmål, Nynorsk */
                strcpy(code, "no");
        /* Called for every article, nearly always with an ISO 639-1 code:
         * two bytes can only match a two-letter iso (every algo name is
         * longer), so compare those without strcmp. */
        if (n == 2) {
                for (int i = 0; i < STEM_LANG_COUNT; i++)
                        if (langs[i].iso[0] == code[0] && langs[i].iso[1] == code[1] &&
                            !langs[i].iso[2])
                                return i;
                return -1;
        }
        for (int i = 0; i < STEM_LANG_COUNT; i++)
                if (!strcmp(code, langs[i].iso) || !strcmp(code, langs[i].algo))
                        return i;
        return -1;
}

const char *stem_lang_iso(int lang)
{
        return lang >= 0 && lang < STEM_LANG_COUNT ? langs[lang].iso : "und";
}

const char *stem_lang_algorithm(int lang)
{
        return lang >= 0 && lang < STEM_LANG_COUNT ? langs[lang].algo : NULL;
}

struct stem_pool *stem_pool_new(size_t cache_entries)
{
        struct stem_pool *p = calloc(1, sizeof(*p));
        if (!p)
                return NULL;
        if (cache_entries) {
                if (cache_entries > (size_t)1 << 24)
                        cache_entries = (size_t)1 << 24;
                size_t nsets = 1;
                while (nsets * 2 < cache_entries)
                        nsets *= 2;
                p->slots = calloc(nsets * 2, sizeof(*p->slots));
                if (!p->slots) {
                        free(p);
                        return NULL;
                }
                p->nsets = nsets;
        }
        return p;
}

void stem_pool_destroy(struct stem_pool *p)
{
        if (!p)
                return;
        for (int i = 0; i < STEM_LANG_COUNT; i++)
                if (p->st[i])
                        sb_stemmer_delete(p->st[i]);
        free(p->slots);
        free(p);
}

void stem_pool_stats(const struct stem_pool *p, uint64_t *hits, uint64_t *misses)
{
        if (hits)
                *hits = p ? p->hits : 0;
        if (misses)
                *misses = p ? p->misses : 0;
}

static const char *stem_uncached(struct stem_pool *p, int lang, const char *word, size_t len,
                                 size_t *out_len)
{
        if (!p->st[lang]) {
                p->st[lang] = sb_stemmer_new(langs[lang].algo, "UTF_8");
                if (!p->st[lang])
                        return NULL;
        }
        if (len > INT32_MAX)
                return NULL;
        const sb_symbol *r = sb_stemmer_stem(p->st[lang], (const sb_symbol *)word, (int)len);
        if (!r)
                return NULL;
        *out_len = (size_t)sb_stemmer_length(p->st[lang]);
        return (const char *)r;
}

/* Equality of short byte strings without a libc call (keys are <= SLOT_DATA). */
static inline int bytes_equal(const char *a, const char *b, size_t n)
{
        while (n >= 8) {
                uint64_t x, y;
                memcpy(&x, a, 8);
                memcpy(&y, b, 8);
                if (x != y)
                        return 0;
                a += 8;
                b += 8;
                n -= 8;
        }
        if (n >= 4) { /* two overlapping 4-byte compares, not a byte loop */
                uint32_t x, y, u, v;
                memcpy(&x, a, 4);
                memcpy(&y, b, 4);
                memcpy(&u, a + n - 4, 4);
                memcpy(&v, b + n - 4, 4);
                return x == y && u == v;
        }
        while (n--)
                if (*a++ != *b++)
                        return 0;
        return 1;
}

static inline uint64_t cache_hash(const char *word, size_t len, int lang)
{
        return word_hash(word, len, (uint64_t)lang + 1) | 1;
}

static inline struct cache_slot *cache_set(const struct stem_pool *p, uint64_t h)
{
        return &p->slots[(h >> 1 & (p->nsets - 1)) * 2];
}

/* stem_word with the hash already known (stem_tokens computes it ahead). */
/* *prefix: whether the stem is the first *out_len bytes of word (the cache
 * entry knows, which saves stem_tokens comparing them again); *stem_hash:
 * hash_stem() of the stem (stored in the entry). */
static const char *stem_word_hashed(struct stem_pool *p, int lang, const char *word, size_t len,
                                    uint64_t h, size_t *out_len, int *prefix_out,
                                    uint64_t *stem_hash)
{
        struct cache_slot *set = cache_set(p, h);
        for (int w = 0; w < 2; w++) {
                struct cache_slot *e = &set[w];
                if (e->hash != h || e->lang != lang || e->key_len != len ||
                    !bytes_equal(e->data, word, len))
                        continue;
                p->hits++;
                if (w == 1) { /* keep the most recently used entry in slot 0 */
                        struct cache_slot tmp = set[0];
                        set[0] = set[1];
                        set[1] = tmp;
                        e = &set[0];
                }
                *out_len = e->stem_len;
                *prefix_out = (e->flags & SLOT_PREFIX) != 0;
                *stem_hash = e->stem_hash;
                return *prefix_out ? e->data : e->data + e->key_len;
        }
        p->misses++;
        size_t slen;
        const char *s = stem_uncached(p, lang, word, len, &slen);
        if (!s)
                return NULL;
        *out_len = slen;
        int prefix = slen <= len && !memcmp(s, word, slen);
        *prefix_out = prefix;
        *stem_hash = hash_stem(s, slen);
        if (!prefix && len + slen > SLOT_DATA)
                return s;
        set[1] = set[0];
        struct cache_slot *e = &set[0];
        e->hash = h;
        e->stem_hash = *stem_hash;
        e->lang = (uint8_t)lang;
        e->key_len = (uint8_t)len;
        e->stem_len = (uint8_t)slen;
        e->flags = prefix ? SLOT_PREFIX : 0;
        memcpy(e->data, word, len);
        if (prefix)
                return e->data;
        memcpy(e->data + len, s, slen);
        return e->data + len;
}

const char *stem_word(struct stem_pool *p, int lang, const char *word, size_t len, size_t *out_len)
{
        if (lang < 0 || lang >= STEM_LANG_COUNT) {
                *out_len = len;
                return word;
        }
        if (!p->slots || len > SLOT_DATA) {
                p->misses++;
                return stem_uncached(p, lang, word, len, out_len);
        }
        int prefix;
        uint64_t sh;
        return stem_word_hashed(p, lang, word, len, cache_hash(word, len, lang), out_len, &prefix,
                                &sh);
}

/* Tokens looked up this far ahead have their cache set prefetched: the cache
 * is megabytes, so a lookup is a memory access, and overlapping them is what
 * makes a hit cheap. */
#define PREFETCH_AHEAD 8

static int token_cacheable(const struct stem_pool *p, const struct text_token *tok)
{
        return p->slots && !(tok->flags & TEXT_TOKEN_NUMERIC) && tok->norm_len <= SLOT_DATA;
}

int stem_tokens(struct stem_pool *p, int lang, struct text_tokens *t)
{
        t->stem_hash_n = 0;
        if (mem_grow((void **)&t->stem_hash, &t->stem_hash_cap, t->n + 1, sizeof(uint64_t)))
                return -1;
        uint64_t ahead[PREFETCH_AHEAD] = {0};
        int use_cache = lang >= 0 && lang < STEM_LANG_COUNT && p->slots;
        for (size_t j = 0; use_cache && j < PREFETCH_AHEAD && j < t->n; j++) {
                const struct text_token *tok = &t->v[j];
                if (!token_cacheable(p, tok))
                        continue;
                ahead[j] = cache_hash(t->buf + tok->norm_off, tok->norm_len, lang);
                __builtin_prefetch(cache_set(p, ahead[j]));
        }
        for (size_t i = 0; i < t->n; i++) {
                struct text_token *tok = &t->v[i];
                tok->stem_off = tok->norm_off;
                tok->stem_len = tok->norm_len;
                uint64_t h = use_cache ? ahead[i % PREFETCH_AHEAD] : 0;
                if (use_cache && i + PREFETCH_AHEAD < t->n &&
                    token_cacheable(p, &t->v[i + PREFETCH_AHEAD])) {
                        const struct text_token *nx = &t->v[i + PREFETCH_AHEAD];
                        uint64_t nh = cache_hash(t->buf + nx->norm_off, nx->norm_len, lang);
                        ahead[i % PREFETCH_AHEAD] = nh;
                        __builtin_prefetch(cache_set(p, nh));
                }
                const char *word = t->buf + tok->norm_off;
                if (lang < 0 || (tok->flags & TEXT_TOKEN_NUMERIC)) {
                        t->stem_hash[i] = hash_stem(word, tok->norm_len);
                        continue;
                }
                size_t slen;
                int prefix;
                const char *s;
                if (token_cacheable(p, tok)) {
                        s = stem_word_hashed(p, lang, word, tok->norm_len, h, &slen, &prefix,
                                             &t->stem_hash[i]);
                } else {
                        s = stem_word(p, lang, word, tok->norm_len, &slen);
                        prefix = s && slen <= tok->norm_len && !memcmp(s, word, slen);
                        if (s)
                                t->stem_hash[i] = hash_stem(s, slen);
                }
                if (!s)
                        return -1;
                if (!slen) /* an empty stem stands for the normal form (classify's tok_stem) */
                        t->stem_hash[i] = hash_stem(word, tok->norm_len);
                if (prefix) {
                        tok->stem_len = (uint32_t)slen;
                        continue;
                }
                /* s lives in the pool, never in t->buf, so growing t->buf is safe. */
                if (slen > SIZE_MAX - t->buf_len || t->buf_len + slen > UINT32_MAX)
                        return -1;
                if (t->buf_len + slen > t->buf_cap) {
                        size_t ncap = t->buf_cap ? t->buf_cap : 256;
                        while (ncap < t->buf_len + slen)
                                ncap *= 2;
                        char *nb = realloc(t->buf, ncap);
                        if (!nb)
                                return -1;
                        t->buf = nb;
                        t->buf_cap = ncap;
                }
                memcpy(t->buf + t->buf_len, s, slen);
                tok->stem_off = (uint32_t)t->buf_len;
                tok->stem_len = (uint32_t)slen;
                t->buf_len += slen;
        }
        t->stem_hash_n = t->n;
        return 0;
}
