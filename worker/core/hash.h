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

/**
 * Hash of one stem (or unstemmed token), 8 bytes at a time (stems are short;
 * this runs once per token). The taxonomy's n-gram keys are built from it
 * (tx_hash_stem), and the stem cache stores it beside each stem so a cached
 * token is never hashed again. Internal to a process: nothing stores it.
 */
static inline uint64_t hash_stem(const char *s, size_t len)
{
        uint64_t h = (uint64_t)len * 0x9e3779b97f4a7c15ULL;
        while (len >= 8) {
                uint64_t v;
                memcpy(&v, s, 8);
                h = (h ^ hash_mix64(v)) * 0xff51afd7ed558ccdULL;
                s += 8;
                len -= 8;
        } /* Tail of 0..7 bytes with fixed-size (inlined) loads, as wyhash does:
           * two overlapping 4-byte reads, or first/middle/last byte. */
        uint64_t v = 0;
        if (len >= 4) {
                uint32_t a, b;
                memcpy(&a, s, 4);
                memcpy(&b, s + len - 4, 4);
                v = (uint64_t)a | (uint64_t)b << 32;
        } else if (len) {
                v = (uint64_t)(unsigned char)s[0] | (uint64_t)(unsigned char)s[len >> 1] << 8 |
                    (uint64_t)(unsigned char)s[len - 1] << 16;
        }
        return hash_mix64(h ^ v ^ 0xc4ceb9fe1a85ec53ULL);
}

#endif
