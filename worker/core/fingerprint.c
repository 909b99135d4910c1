/* fingerprint: SimHash v1 (the algorithm is in fingerprint.h). Per token it
 * costs one load of the stem hash stem_tokens made, one 64-bit mix per shingle
 * and a 24-operation vote, so that the record's fingerprint stays a few per
 * cent of the pure path. */
#include "fingerprint.h"

#include <string.h>

#include "hash.h"

_Static_assert(FINGERPRINT_SHINGLE == 3, "fingerprint_simhash keeps three stem hashes");

static inline uint64_t rotl64(uint64_t x, int r)
{
        return (x << r) | (x >> (64 - r));
}

_Static_assert(FINGERPRINT_SEED == HASH_STEM_SEED, "step 1 of fingerprint.h is hash_stem");

/* Step 1 of fingerprint.h is hash_stem() of the stem, which stem_tokens has
 * already left in t->stem_hash (from its cache: most tokens are not hashed
 * at all). Those hash the normal form where the stem is empty, as the
 * classifier wants; the fingerprint hashes the empty stem. */
static inline uint64_t token_hash(const struct text_tokens *t, size_t i, int have)
{
        const struct text_token *tk = &t->v[i];
        if (have && tk->stem_len)
                return t->stem_hash[i];
        return hash_stem(t->buf + tk->stem_off, tk->stem_len);
}

/* One shingle's hash from its stem hashes in order; positions are told apart
 * by rotation so "a b c" and "c b a" differ. */
static inline uint64_t shingle_hash(uint64_t h0, uint64_t h1, uint64_t h2)
{
        return hash_mix64(h0 ^ rotl64(h1, 21) ^ rotl64(h2, 42));
}

/* Two 64-bit lanes; GCC/Clang vector extension (SSE2 on x86-64, NEON on arm64,
 * plain code elsewhere). */
typedef uint64_t fp_v2 __attribute__((vector_size(16)));
typedef uint8_t fp_u8 __attribute__((vector_size(16))); /* the same lanes as bytes */

#define LANE_ONES 0x0101010101010101ULL

/* Vote counters: byte k of lane j (j = 0..7: lane[j / 2][j % 2]) counts the
 * shingles whose hash has bit 8k + j set, eight counters per word, so a vote
 * is a dozen vector operations instead of 64 adds. The lanes are locals of
 * fingerprint_simhash (kept in registers) and are emptied into ones[] before
 * a byte can overflow. */
#define VOTE(h)                                                                                    \
        do {                                                                                       \
                fp_v2 x_ = {(h), (h) >> 1};                                                        \
                l0 += x_ & lane_ones;                                                              \
                l1 += (x_ >> 2) & lane_ones;                                                       \
                l2 += (x_ >> 4) & lane_ones;                                                       \
                l3 += (x_ >> 6) & lane_ones;                                                       \
                n++;                                                                               \
                if (++pending == 255) {                                                            \
                        lanes_empty(ones, l0, l1, l2, l3);                                         \
                        l0 = l1 = l2 = l3 = zero;                                                  \
                        pending = 0;                                                               \
                }                                                                                  \
        } while (0)

static void lanes_empty(uint32_t ones[64], fp_v2 l0, fp_v2 l1, fp_v2 l2, fp_v2 l3)
{
        const fp_v2 lane[4] = {l0, l1, l2, l3};
        for (int j = 0; j < 8; j++) {
                uint64_t w = lane[j / 2][j % 2];
                for (int k = 0; k < 8; k++)
                        ones[8 * k + j] += (uint32_t)(w >> (8 * k)) & 0xffu;
        }
}

int fingerprint_simhash(const struct text_tokens *t, uint64_t *out)
{
        const fp_v2 lane_ones = {LANE_ONES, LANE_ONES}, zero = {0, 0};
        fp_v2 l0 = zero, l1 = zero, l2 = zero, l3 = zero;
        uint32_t ones[64] = {0}, n = 0, pending = 0;
        uint64_t sh;
        *out = 0;
        if (!t->n)
                return -1;
        const struct text_token *v = t->v;
        const size_t nt = t->n;
        int have = t->stem_hash_n == nt;
        /* One field run at a time: a run of one or two stems is one shingle
         * (missing hashes 0); a longer one slides a window of three over it. */
        for (size_t i = 0; i < nt;) {
                uint8_t field = v[i].field;
                uint64_t h0 = token_hash(t, i, have), h1 = 0, h2 = 0;
                size_t k = i + 1;
                if (k < nt && v[k].field == field) {
                        h1 = token_hash(t, k, have);
                        k++;
                        if (k < nt && v[k].field == field) {
                                for (; k < nt && v[k].field == field; k++) {
                                        h2 = token_hash(t, k, have);
                                        sh = shingle_hash(h0, h1, h2);
                                        VOTE(sh);
                                        h0 = h1;
                                        h1 = h2;
                                }
                                i = k;
                                continue;
                        }
                }
                sh = shingle_hash(h0, h1, h2);
                VOTE(sh);
                i = k;
        }
        uint64_t fp = 0;
        if (n == pending) {
                /* Never emptied (fewer than 255 shingles: every short item):
                 * the lanes hold the counts themselves, so the majority is one
                 * byte compare per counter, 2 * count > n being count >= n / 2
                 * + 1. A byte of 0x01 per majority; lane j's byte k is bit
                 * 8k + j, which the shift by j puts in place. Saves the
                 * emptying and a 64-step loop, ~1,000 instructions an item. */
                const fp_u8 thr = (fp_u8){0} + (uint8_t)(n / 2 + 1);
                const fp_v2 lane[4] = {l0, l1, l2, l3};
                for (int m = 0; m < 4; m++) {
                        fp_v2 maj = (fp_v2)((fp_u8)lane[m] >= thr) & lane_ones;
                        fp |= maj[0] << (2 * m) | maj[1] << (2 * m + 1);
                }
                *out = fp;
                return 0;
        }
        lanes_empty(ones, l0, l1, l2, l3);
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
