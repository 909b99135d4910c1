/* hash: small, stable, non-cryptographic hashes shared by the core (ids derived
 * from content, stem hash tables). Stable across versions: derived article ids
 * depend on them. */
#ifndef STEMTAG_HASH_H
#define STEMTAG_HASH_H

#include <stddef.h>
#include <stdint.h>

/** FNV-1a 64-bit of @p len bytes, continuing from @p seed (use HASH_FNV_SEED). */
#define HASH_FNV_SEED 0xcbf29ce484222325ULL
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

#endif
