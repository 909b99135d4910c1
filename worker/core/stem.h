/* stem: Snowball stemmers (libstemmer) for the 29 languages it ships, one
 * stemmer per language per pool, plus a bounded token -> stem cache.
 * A pool belongs to one thread: Snowball stemmers are not thread-safe. */
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

/** @brief New pool; @p cache_entries 0 disables the cache. Caller owns it. */
struct stem_pool *stem_pool_new(size_t cache_entries);
void stem_pool_destroy(struct stem_pool *p); /* NULL is a no-op */

/**
 * @brief Stems one normalised word.
 * @returns the stem, borrowed from the pool until the next call on it, with its
 *          length in @p out_len; NULL only when out of memory.
 */
const char *stem_word(struct stem_pool *p, int lang, const char *word, size_t len,
                      size_t *out_len);

/** @brief Sets stem_off/stem_len of every token in @p t. 0, or -1 out of memory. */
int stem_tokens(struct stem_pool *p, int lang, struct text_tokens *t);

/** Cache counters since the pool was made. */
void stem_pool_stats(const struct stem_pool *p, uint64_t *hits, uint64_t *misses);

#endif
