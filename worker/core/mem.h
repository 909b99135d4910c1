/* mem: overflow-checked growth of heap arrays, shared by the core modules that
 * keep reusable buffers (tokens, taxonomy tables, score accumulators, learner). */
#ifndef STEMTAG_MEM_H
#define STEMTAG_MEM_H

#include <stddef.h>

/**
 * @brief Makes the array *@p v (capacity *@p cap elements of @p elem bytes) hold at
 * least @p need elements, doubling; contents are kept. *@p v stays owned by the caller
 * (free() it). 0, or -1 when the size would overflow or realloc fails (*v unchanged).
 */
int mem_grow_slow(void **v, size_t *cap, size_t need, size_t elem);

/* Inline so the common case (already big enough) costs a compare, not a call:
 * the tokenizer and the classifier ask once per token. */
static inline int mem_grow(void **v, size_t *cap, size_t need, size_t elem)
{
        return need <= *cap ? 0 : mem_grow_slow(v, cap, need, elem);
}

#endif
