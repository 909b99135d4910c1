/* fuzz_memfile: the fuzz input as a file path, for loaders that take paths
 * (taxonomy_load, config_load_file). An anonymous memfd rewritten per input
 * and named /proc/self/fd/N: no disk I/O, nothing left behind. */
#ifndef STEMTAG_FUZZ_MEMFILE_H
#define STEMTAG_FUZZ_MEMFILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

struct fuzz_memfile {
        int fd;
        char path[64];
};

/** Opens the memfd once; aborts when the kernel has no memfd_create. */
static inline void fuzz_memfile_open(struct fuzz_memfile *m, const char *name)
{
        m->fd = memfd_create(name, 0);
        if (m->fd < 0) {
                perror("memfd_create");
                abort();
        }
        snprintf(m->path, sizeof(m->path), "/proc/self/fd/%d", m->fd);
}

/** Replaces the file's contents with @p data; aborts on I/O failure. */
static inline void fuzz_memfile_set(struct fuzz_memfile *m, const uint8_t *data, size_t size)
{
        size_t done = 0;

        if (ftruncate(m->fd, 0) != 0) {
                perror("ftruncate");
                abort();
        }
        while (done < size) {
                ssize_t n = pwrite(m->fd, data + done, size - done, (off_t)done);
                if (n <= 0) {
                        perror("pwrite");
                        abort();
                }
                done += (size_t)n;
        }
}

#endif
