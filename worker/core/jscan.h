/* jscan: finding the next byte of a JSON string body that is not copied as
 * is ('"', '\\', or a control below 0x20). Shared by the article parser and
 * the record writer, which both run it over every byte of titles/bodies.
 * Internal to the core; header-only so it inlines. */
#ifndef STEMTAG_JSCAN_H
#define STEMTAG_JSCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/** First index j in [i, n) with s[j] == '"', '\\' or < 0x20; n if none. */
static inline size_t jscan_plain_end(const char *s, size_t i, size_t n)
{
#ifdef __SSE2__
        /* Sixteen bytes at a time (SSE2 is part of x86-64): a byte is below
         * 0x20 when max(byte, 0x1F) is 0x1F. Bodies are long runs of plain
         * text, so this is most of the bytes. */
        const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
                      ctl = _mm_set1_epi8(0x1F);
        while (i < n && n - i >= 16) {
                __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
                __m128i m =
                    _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)),
                                 _mm_cmpeq_epi8(_mm_max_epu8(x, ctl), ctl));
                unsigned mask = (unsigned)_mm_movemask_epi8(m);
                if (mask)
                        return i + (size_t)__builtin_ctz(mask);
                i += 16;
        }
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        /* Eight bytes at a time: (x - 0x01..) & ~x & 0x80.. flags bytes below
         * the subtrahend. A borrow can only flag bytes above a true hit, so
         * the lowest flag (little-endian: first byte) is exact. */
        const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
        while (i < n && n - i >= 8) {
                uint64_t x, q, b;
                memcpy(&x, s + i, 8);
                q = x ^ (ones * '"'); /* zero bytes where x has '"' */
                b = x ^ (ones * '\\');
                uint64_t m =
                    (((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b)) & high;
                if (m)
                        return i + (size_t)(__builtin_ctzll(m) >> 3);
                i += 8;
        }
#endif
        while (i < n && s[i] != '"' && s[i] != '\\' && (unsigned char)s[i] >= 0x20)
                i++;
        return i;
}

#endif
