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

/* Four-way sets: with two ways, a set that three words of a text share
 * (which, at sib200's 18 k distinct words in 65536 entries, ~1,900 words
 * do) misses on all three every time, 5.2 k Snowball calls a pass of
 * sib200 in a cache big enough for all of it. */
#define CACHE_WAYS  4
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
        struct cache_slot *slots; /* nsets * CACHE_WAYS, each set most recent first */
        size_t nsets;
        uint64_t hits, misses;
};

/* Words stem_tokens hashes and compares may be read as whole 8-byte words
 * up to this far past their end: it keeps that much room after t->buf_len,
 * and stem_word copies its argument into a padded buffer. Saves the tail
 * branches of a word-at-a-time hash and compare, once per token. */
#define WORD_SLACK 8

/* The first n (0..8) bytes of p as a little-endian word, zero-padded; 8
 * bytes of p must be readable. */
static inline uint64_t load_masked(const char *p, size_t n)
{
        static const uint64_t keep[9] = {0,
                                         0xff,
                                         0xffff,
                                         0xffffff,
                                         0xffffffff,
                                         0xffffffffff,
                                         0xffffffffffff,
                                         0xffffffffffffff,
                                         0xffffffffffffffff};
        return hash_load64_le(p) & keep[n];
}

/* Hash of a cache key, the index of its set: hash_key_final over the word's
 * 8-byte words (the same value text_tokenize gives short ASCII words as
 * norm_key). Not the language: entries compare it. Reads up to WORD_SLACK
 * bytes past p + n. Only has to be stable within a process. */
static inline uint64_t key_hash(const char *p, size_t n)
{
        uint64_t h = (uint64_t)n * 0x9e3779b97f4a7c15ULL;
        while (n > 8) {
                h = (h ^ hash_load64_le(p)) * 0xbf58476d1ce4e5b9ULL;
                h ^= h >> 29;
                p += 8;
                n -= 8;
        }
        return hash_key_final(h, load_masked(p, n));
}

/* Equality of a cache entry's key with a word of the same length n (<=
 * SLOT_DATA), whole words at a time: both may be read up to WORD_SLACK
 * bytes past n (the word by the slack rule, the entry by the padding slot
 * after the last set). */
static inline int key_equal(const char *a, const char *b, size_t n)
{
        while (n > 8) {
                if (hash_load64_le(a) != hash_load64_le(b))
                        return 0;
                a += 8;
                b += 8;
                n -= 8;
        }
        return load_masked(a, n) == load_masked(b, n);
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
                while (nsets * CACHE_WAYS < cache_entries)
                        nsets *= 2;
                /* + 1: key_equal may read a few bytes past the last entry's data */
                p->slots = calloc(nsets * CACHE_WAYS + 1, sizeof(*p->slots));
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

/* The first slot of the set of key hash @p h. The key hash is the high half
 * of a product, whose low bits (what a mask would take) depend on the low
 * input bytes only: words of 7 or 8 letters sharing their first six
 * ("ministro", "ministra", "ministre") all landed in one two-way set and
 * evicted each other. Multiplying again spreads every bit of h over the
 * bits the mask takes. */
static inline size_t set_first_slot(uint64_t h, size_t set_mask)
{
        return (size_t)(((uint64_t)(uint32_t)h * 0x9e3779b97f4a7c15ULL) >> 32 & set_mask) *
               CACHE_WAYS;
}

static inline struct cache_slot *cache_set(const struct stem_pool *p, uint64_t h)
{
        return &p->slots[set_first_slot(h, p->nsets - 1)];
}

static inline int slot_matches(const struct cache_slot *e, uint64_t h, int lang, const char *word,
                               size_t len)
{
        return e->hash == h && e->lang == lang && e->key_len == len &&
               key_equal(e->data, word, len);
}

/* What a cache lookup gives a token. */
struct stem_hit {
        const char *stem; /* borrowed from the cache or the stemmer */
        size_t len;
        int prefix;         /* the stem is the first len bytes of the word */
        uint64_t stem_hash; /* hash_stem() of the stem */
};

/* The lookup past slot 0 of the set: the other ways (a hit moves to the
 * front), else Snowball, whose result goes to the front when key and stem fit,
 * the least recent way making room. 0, or -1 out of memory. Kept out of line:
 * stem_tokens inlines the slot 0 hit. */
static __attribute__((noinline)) int cache_lookup_slow(struct stem_pool *p, int lang,
                                                       const char *word, size_t len, uint64_t h,
                                                       struct stem_hit *out)
{
        struct cache_slot *set = cache_set(p, h);
        for (unsigned k = 1; k < CACHE_WAYS; k++) {
                if (!slot_matches(&set[k], h, lang, word, len))
                        continue;
                p->hits++;
                struct cache_slot tmp = set[k]; /* to the front: most recent first */
                memmove(&set[1], &set[0], k * sizeof(*set));
                set[0] = tmp;
                const struct cache_slot *e = &set[0];
                out->len = e->stem_len;
                out->prefix = (e->flags & SLOT_PREFIX) != 0;
                out->stem_hash = e->stem_hash;
                out->stem = out->prefix ? e->data : e->data + e->key_len;
                return 0;
        }
        p->misses++;
        size_t slen;
        const char *s = stem_uncached(p, lang, word, len, &slen);
        if (!s)
                return -1;
        int prefix = slen <= len && !memcmp(s, word, slen);
        out->len = slen;
        out->prefix = prefix;
        out->stem_hash = hash_stem(s, slen);
        out->stem = s;
        if (!prefix && len + slen > SLOT_DATA)
                return 0;
        memmove(&set[1], &set[0], (CACHE_WAYS - 1) * sizeof(*set)); /* the last goes */
        struct cache_slot *e = &set[0];
        e->hash = h;
        e->stem_hash = out->stem_hash;
        e->lang = (uint8_t)lang;
        e->key_len = (uint8_t)len;
        e->stem_len = (uint8_t)slen;
        e->flags = prefix ? SLOT_PREFIX : 0;
        memcpy(e->data, word, len);
        if (!prefix)
                memcpy(e->data + len, s, slen);
        out->stem = prefix ? e->data : e->data + len;
        return 0;
}

/* The whole lookup of a word that fits an entry, @p h its key_hash, @p e
 * slot 0 of its set. A slot-0 hit adds to *hits (a local of the caller: the
 * compiler cannot keep p->hits in a register across the token stores). */
static inline int cache_lookup(struct stem_pool *p, const struct cache_slot *e, int lang,
                               const char *word, size_t len, uint64_t h, struct stem_hit *out,
                               uint64_t *hits)
{
        if (!slot_matches(e, h, lang, word, len))
                return cache_lookup_slow(p, lang, word, len, h, out);
        (*hits)++;
        out->len = e->stem_len;
        out->prefix = (e->flags & SLOT_PREFIX) != 0;
        out->stem_hash = e->stem_hash;
        out->stem = out->prefix ? e->data : e->data + e->key_len;
        return 0;
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
        char padded[SLOT_DATA + WORD_SLACK] = {0}; /* the slack key_hash/key_equal read */
        memcpy(padded, word, len);
        struct stem_hit hit;
        uint64_t h = key_hash(padded, len);
        if (cache_lookup(p, cache_set(p, h), lang, padded, len, h, &hit, &p->hits))
                return NULL;
        *out_len = hit.len;
        return hit.stem; /* in the cache or the stemmer, never in padded */
}

/* Tokens looked up this far ahead have their cache set prefetched: the cache
 * is megabytes, so a lookup is a memory access, and overlapping them is what
 * makes a hit cheap. */
#define PREFETCH_AHEAD 8

static int token_cacheable(const struct text_token *tok)
{
        return !(tok->flags & TEXT_TOKEN_NUMERIC) && tok->norm_len <= SLOT_DATA;
}

static int buf_append(struct text_tokens *t, const char *s, size_t n)
{
        if (n > SIZE_MAX - WORD_SLACK - t->buf_len || t->buf_len + n > UINT32_MAX)
                return -1;
        if (mem_grow((void **)&t->buf, &t->buf_cap, t->buf_len + n + WORD_SLACK, 1) < 0)
                return -1;
        memcpy(t->buf + t->buf_len, s, n);
        t->buf_len += n;
        return 0;
}

int stem_tokens(struct stem_pool *p, int lang, struct text_tokens *t)
{
        t->stem_hash_n = 0;
        if (mem_grow((void **)&t->stem_hash, &t->stem_hash_cap, t->n + 1, sizeof(uint64_t)))
                return -1;
        /* the slack key_hash and key_equal read past the last word */
        if (t->buf_len + WORD_SLACK > t->buf_cap &&
            mem_grow((void **)&t->buf, &t->buf_cap, t->buf_len + WORD_SLACK, 1))
                return -1;
        int use_cache = lang >= 0 && lang < STEM_LANG_COUNT && p->slots;
        /* locals: stores to the tokens could alias p's fields for the compiler */
        struct cache_slot *const slots = p->slots;
        const size_t set_mask = p->nsets - 1;
        uint64_t hits = 0;
        /* First pass: each cacheable token's key hash, parked in stem_hash[i]
         * (0: not cacheable) until the second pass puts the stem hash there;
         * the second pass prefetches the set PREFETCH_AHEAD tokens ahead. */
        for (size_t i = 0; use_cache && i < t->n; i++) {
                const struct text_token *tok = &t->v[i];
                t->stem_hash[i] = !token_cacheable(tok) ? 0
                                  : tok->norm_key       ? tok->norm_key
                                                  : key_hash(t->buf + tok->norm_off, tok->norm_len);
                if (i < PREFETCH_AHEAD && t->stem_hash[i])
                        __builtin_prefetch(&slots[set_first_slot(t->stem_hash[i], set_mask)]);
        }
        for (size_t i = 0; i < t->n; i++) {
                struct text_token *tok = &t->v[i];
                tok->stem_off = tok->norm_off;
                tok->stem_len = tok->norm_len;
                const char *word = t->buf + tok->norm_off;
                if (lang < 0 || lang >= STEM_LANG_COUNT || (tok->flags & TEXT_TOKEN_NUMERIC)) {
                        t->stem_hash[i] = hash_stem(word, tok->norm_len);
                        continue;
                }
                struct stem_hit hit;
                uint64_t h = use_cache ? t->stem_hash[i] : 0;
                if (use_cache && i + PREFETCH_AHEAD < t->n && t->stem_hash[i + PREFETCH_AHEAD])
                        __builtin_prefetch(
                            &slots[set_first_slot(t->stem_hash[i + PREFETCH_AHEAD], set_mask)]);
                if (h) {
                        if (cache_lookup(p, &slots[set_first_slot(h, set_mask)], lang, word,
                                         tok->norm_len, h, &hit, &hits)) {
                                p->hits += hits;
                                return -1;
                        }
                } else {
                        p->misses++;
                        hit.stem = stem_uncached(p, lang, word, tok->norm_len, &hit.len);
                        if (!hit.stem) {
                                p->hits += hits;
                                return -1;
                        }
                        hit.prefix = hit.len <= tok->norm_len && !memcmp(hit.stem, word, hit.len);
                        hit.stem_hash = hash_stem(hit.stem, hit.len);
                }
                /* an empty stem stands for the normal form (classify's tok_stem) */
                t->stem_hash[i] = hit.len ? hit.stem_hash : hash_stem(word, tok->norm_len);
                if (hit.prefix) {
                        tok->stem_len = (uint32_t)hit.len;
                        continue;
                }
                /* hit.stem lives in the pool, never in t->buf, so growing t->buf is safe. */
                size_t off = t->buf_len;
                if (buf_append(t, hit.stem, hit.len)) {
                        p->hits += hits;
                        return -1;
                }
                tok->stem_off = (uint32_t)off;
                tok->stem_len = (uint32_t)hit.len;
        }
        p->hits += hits;
        t->stem_hash_n = t->n;
        return 0;
}
