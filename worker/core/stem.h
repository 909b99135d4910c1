/* stem: Snowball stemmers (libstemmer) for the 29 languages it ships, one
 * stemmer per language per pool, plus a bounded token -> stem cache.
 * A pool belongs to one thread: Snowball stemmers are not thread-safe.
 *
 * Languages are named by ISO 639-1 code: ar hy eu ca da nl en fi fr de el hi
 * hu id ga it lt ne no pt ro ru sr es sv ta tr yi, plus "porter" (the original
 * Porter English stemmer, which has no code of its own). Lookups ignore case
 * and a region suffix ("pt-BR"); nb/nn map to no. Stemmers are created on
 * first use. The cache is 2-way set associative with 64-byte entries, so
 * cache_entries * 64 bytes is the memory it may use; words that do not fit an
 * entry are stemmed every time. */
#ifndef STEMTAG_STEM_H
#define STEMTAG_STEM_H

#include <stddef.h>
#include <stdint.h>

#include "text.h"

#define STEM_LANG_COUNT 29

struct stem_pool;

/** Language index 0..STEM_LANG_COUNT-1 for an ISO 639-1 code, or -1. */
int stem_lang_from_iso(const char *iso);
/** ISO 639-1 code of a language index (static string). */
const char *stem_lang_iso(int lang);

/** Snowball algorithm name of a language index ("german"; static string). */
const char *stem_lang_algorithm(int lang);

/** @brief New pool; @p cache_entries 0 disables the cache (rounded up to a
 *  power of two, at most 2^24). Caller owns it. NULL when out of memory. */
struct stem_pool *stem_pool_new(size_t cache_entries);
void stem_pool_destroy(struct stem_pool *p); /* NULL is a no-op */

/**
 * @brief Stems one normalised word (NFC + casefolded, as text_tokenize makes it).
 * @returns the stem, borrowed from the pool until the next call on it (or
 *          @p word itself when @p lang is not a language index), with its
 *          length in @p out_len; NULL only when out of memory.
 */
const char *stem_word(struct stem_pool *p, int lang, const char *word, size_t len, size_t *out_len);

/** @brief Sets stem_off/stem_len of every token in @p t. Numeric tokens, and
 *  all tokens when @p lang is -1, keep their normal form as stem. A stem that
 *  is a prefix of the normal form shares its bytes; others are appended to
 *  t->buf. 0, or -1 out of memory. */
int stem_tokens(struct stem_pool *p, int lang, struct text_tokens *t);

/** Cache counters since the pool was made. */
void stem_pool_stats(const struct stem_pool *p, uint64_t *hits, uint64_t *misses);

#endif
