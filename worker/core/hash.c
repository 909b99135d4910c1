#include "hash.h"

uint64_t hash_fnv1a(const void *data, size_t len, uint64_t seed)
{
        const unsigned char *p = data;
        uint64_t h = seed;

        for (size_t i = 0; i < len; i++) {
                h ^= p[i];
                h *= HASH_FNV_PRIME;
        }
        return h;
}
