/* hash: small, stable, non-cryptographic hashes shared by the core (ids derived
 * from content, stem hash tables). Stable across versions: derived article ids
 * depend on them. */
#ifndef STEMTAG_HASH_H
#define STEMTAG_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/** FNV-1a 64-bit of @p len bytes, continuing from @p seed (use HASH_FNV_SEED). */
#define HASH_FNV_SEED  0xcbf29ce484222325ULL
#define HASH_FNV_PRIME 0x100000001b3ULL
uint64_t hash_fnv1a(const void *data, size_t len, uint64_t seed);

/** A 64-bit mix (splitmix64 finaliser) to spread weak hashes over table slots. */
static inline uint64_t hash_mix64(uint64_t x)
{
        x ^= x >> 30;
        x *= 0xbf58476d1ce4e5b9ULL;
        x ^= x >> 27;
        x *= 0x94d049bb133111ebULL;
        x ^= x >> 31;
        return x;
}

/* Little-endian 64/32-bit loads whatever the host (hash_stem's words are
 * defined as little-endian: the record fingerprint depends on them). */
static inline uint64_t hash_load64_le(const char *s)
{
        uint64_t w;
        memcpy(&w, s, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        w = __builtin_bswap64(w);
#endif
        return w;
}

static inline uint32_t hash_load32_le(const char *s)
{
        uint32_t w;
        memcpy(&w, s, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        w = __builtin_bswap32(w);
#endif
        return w;
}

/**
 * Last step of the stem cache's key hash (stem.c key_hash): @p h is
 * len * 0x9e3779b97f4a7c15 for a word of at most 8 bytes (else the state
 * after its leading 8-byte words), @p w its last 1..8 bytes as a zero-padded
 * little-endian word. Never 0. Here so that text_tokenize can give each ASCII
 * word its key while the word is in a register (text_token.norm_key).
 */
static inline uint32_t hash_key_final(uint64_t h, uint64_t w)
{
        return (uint32_t)(((h ^ w) * 0x94d049bb133111ebULL) >> 32) | 1;
}

/** Seed of hash_stem: the FNV offset basis xor "simhash1". */
#define HASH_STEM_SEED (0xcbf29ce484222325ULL ^ 0x73696d6861736831ULL)

/* hash_stem's step: one multiply and a shift, a bijection of the word. */
static inline uint64_t hash_stem_mix(uint64_t x)
{
        x *= 0xff51afd7ed558ccdULL;
        return x ^ (x >> 32);
}

/**
 * Hash of one stem (or unstemmed token): h = HASH_STEM_SEED ^ len *
 * 0x9e3779b97f4a7c15, then h = hash_stem_mix(h ^ w) for each 8-byte
 * little-endian word w of the stem, the last one zero-padded. Stable: it is
 * step 1 of the record fingerprint (fingerprint.h), which reads it from
 * text_tokens.stem_hash. The taxonomy's n-gram keys are built from it too
 * (tx_hash_stem, mixed again before any table index), and the stem cache
 * stores it beside each stem so a cached token is never hashed again.
 */
static inline uint64_t hash_stem(const char *s, size_t len)
{
        uint64_t h = HASH_STEM_SEED ^ (uint64_t)len * 0x9e3779b97f4a7c15ULL;
        while (len >= 8) {
                h = hash_stem_mix(h ^ hash_load64_le(s));
                s += 8;
                len -= 8;
        }
        if (!len)
                return h;
        /* The zero-padded tail with fixed-size loads, never past s + len: two
         * overlapping 4-byte reads (OR of equal bytes where they overlap), or
         * the first, middle and last byte. */
        uint64_t w;
        if (len >= 4)
                w = (uint64_t)hash_load32_le(s) | (uint64_t)hash_load32_le(s + len - 4)
                                                      << (8 * (len - 4));
        else
                w = (uint64_t)(unsigned char)s[0] |
                    (uint64_t)(unsigned char)s[len >> 1] << (8 * (len >> 1)) |
                    (uint64_t)(unsigned char)s[len - 1] << (8 * (len - 1));
        return hash_stem_mix(h ^ w);
}

#endif
