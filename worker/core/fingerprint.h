/* fingerprint: the record's near-duplicate fingerprint, a 64-bit SimHash over
 * stem shingles of title + body (docs/formats.md "Fingerprint"). Owns the
 * algorithm and its version number; reads the stems the pipeline already made
 * and allocates nothing.
 *
 * Algorithm "simhash64" v1, fixed so that records written by any process or
 * release with the same v compare:
 *  1. Each token's stem (the normalised word for numbers and languages without
 *     a stemmer) is hashed: h = FINGERPRINT_SEED ^ len * 0x9e3779b97f4a7c15,
 *     then for each 8-byte little-endian word w of the stem (the last one
 *     zero-padded) h = m(h ^ w), where m(x) = y ^ (y >> 32), y = x * 0xff51afd7ed558ccd
 *     (hash_stem in hash.h, which the classifier keys on too).
 *  2. Shingles are FINGERPRINT_SHINGLE consecutive stems within one field
 *     (title and body are separate runs, so a new headline leaves the body's
 *     shingles alone); a run shorter than that is one shingle of all its stems.
 *     A shingle's hash is splitmix64(h0 ^ rotl(h1, 21) ^ rotl(h2, 42)) over its
 *     stem hashes in order (missing ones count as 0).
 *  3. Every shingle occurrence votes +1 on each of the 64 bit positions where
 *     its hash has a 1 and -1 where it has a 0; the fingerprint has bit b set
 *     when the vote of b is positive.
 * Similar texts share most shingles and so most votes: the Hamming distance of
 * two fingerprints (popcount of their XOR) is small for light edits and near
 * 32 for unrelated texts. Changing any step above means a new version. */
#ifndef STEMTAG_FINGERPRINT_H
#define STEMTAG_FINGERPRINT_H

#include <stdint.h>

#include "text.h"

/** The algorithm version written as the record's "fingerprint.v". */
#define FINGERPRINT_VERSION 1
/** Stems per shingle. */
#define FINGERPRINT_SHINGLE 3
/** Seed of the stem hashes: the FNV offset basis xor "simhash1". */
#define FINGERPRINT_SEED (0xcbf29ce484222325ULL ^ 0x73696d6861736831ULL)

/**
 * @brief SimHash v1 of the stems of @p t (after stem_tokens).
 * @returns 0 with the fingerprint in @p out, or -1 when @p t has no token
 *          (then there is nothing to fingerprint and @p out is 0).
 */
int fingerprint_simhash(const struct text_tokens *t, uint64_t *out);

/** @brief Writes @p fp as 16 lowercase hex digits and a NUL into @p out. */
void fingerprint_hex(uint64_t fp, char out[17]);

/** Hamming distance of two fingerprints (0..64). */
static inline int fingerprint_distance(uint64_t a, uint64_t b)
{
        return __builtin_popcountll(a ^ b);
}

#endif
