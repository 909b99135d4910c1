/* fingerprint: SimHash v1 (the algorithm is in fingerprint.h). */
#include "fingerprint.h"

#include "hash.h"

_Static_assert(FINGERPRINT_SHINGLE == 3, "fingerprint_simhash keeps three stem hashes");

static inline uint64_t rotl64(uint64_t x, int r)
{
        return (x << r) | (x >> (64 - r));
}

/* One shingle's hash from its stem hashes in order; positions are told apart
 * by rotation so "a b c" and "c b a" differ. */
static inline uint64_t shingle_hash(uint64_t h0, uint64_t h1, uint64_t h2)
{
        return hash_mix64(h0 ^ rotl64(h1, 21) ^ rotl64(h2, 42));
}

/* ones[b] counts the shingles whose hash has bit b set: a vote of
 * ones - (n - ones), kept as a count so the loop is a plain vector add. */
static inline void vote(uint32_t ones[64], uint64_t h)
{
        for (int b = 0; b < 64; b++)
                ones[b] += (uint32_t)(h >> b) & 1u;
}

int fingerprint_simhash(const struct text_tokens *t, uint64_t *out)
{
        uint32_t ones[64] = {0};
        uint32_t n = 0;
        /* h[] holds the last stem hashes of the current field run; run counts them */
        uint64_t h0 = 0, h1 = 0, h2 = 0;
        size_t run = 0;
        *out = 0;
        if (!t->n)
                return -1;
        for (size_t i = 0; i < t->n; i++) {
                const struct text_token *tk = &t->v[i];
                if (i && tk->field != t->v[i - 1].field) {
                        if (run && run < FINGERPRINT_SHINGLE) { /* a short run: one shingle */
                                vote(ones, shingle_hash(h0, h1, h2));
                                n++;
                        }
                        run = 0;
                        h0 = h1 = h2 = 0;
                }
                uint64_t h = hash_fnv1a(t->buf + tk->stem_off, tk->stem_len, FINGERPRINT_SEED);
                /* the run's first stems fill h0, h1, h2 in order; then the window slides */
                if (run < FINGERPRINT_SHINGLE) {
                        if (run == 0)
                                h0 = h;
                        else if (run == 1)
                                h1 = h;
                        else
                                h2 = h;
                } else {
                        h0 = h1;
                        h1 = h2;
                        h2 = h;
                }
                run++;
                if (run >= FINGERPRINT_SHINGLE) {
                        vote(ones, shingle_hash(h0, h1, h2));
                        n++;
                }
        }
        if (run && run < FINGERPRINT_SHINGLE) {
                vote(ones, shingle_hash(h0, h1, h2));
                n++;
        }
        uint64_t fp = 0;
        for (int b = 0; b < 64; b++)
                if (2 * (uint64_t)ones[b] > n)
                        fp |= 1ULL << b;
        *out = fp;
        return 0;
}

void fingerprint_hex(uint64_t fp, char out[17])
{
        static const char hex[] = "0123456789abcdef";
        for (int i = 15; i >= 0; i--, fp >>= 4)
                out[i] = hex[fp & 15];
        out[16] = '\0';
}
