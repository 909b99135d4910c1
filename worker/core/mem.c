#include "mem.h"

#include <stdint.h>
#include <stdlib.h>

int mem_grow_slow(void **v, size_t *cap, size_t need, size_t elem)
{
        if (need <= *cap)
                return 0;
        size_t n = *cap ? *cap : 16;
        while (n < need) {
                if (n > SIZE_MAX / 2)
                        return -1;
                n *= 2;
        }
        if (elem == 0 || n > SIZE_MAX / elem)
                return -1;
        void *p = realloc(*v, n * elem);
        if (!p)
                return -1;
        *v = p;
        *cap = n;
        return 0;
}
