/* fuzz_taxonomy: bytes -> taxonomy_load (format stemtag.taxonomy.v1).
 * A taxonomy file is edited by people and may arrive by a ConfigMap: a bad one
 * must give an error naming file/label/keyword, never a crash or a leak.
 * When the file loads, it is loaded a second time together with itself: that
 * takes the "label ids unique across files" path and must not crash either. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "stem.h"

#include "fuzz_memfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct stem_pool *fz_pool;
static struct fuzz_memfile fz_file;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char errstr[512];
        struct taxonomy *tx;

        if (!fz_pool) {
                fz_pool = stem_pool_new(1024);
                if (!fz_pool)
                        abort();
                fuzz_memfile_open(&fz_file, "taxonomy.json");
        }
        fuzz_memfile_set(&fz_file, data, size);

        const char *one[] = {fz_file.path, NULL};
        errstr[0] = '\0';
        tx = taxonomy_load(one, fz_pool, errstr, sizeof(errstr));
        if (!tx) {
                /* An error must say what is wrong (the contract of classify.h). */
                if (errstr[0] == '\0')
                        abort();
                return 0;
        }
        if (!taxonomy_version(tx))
                abort();
        taxonomy_destroy(tx);

        const char *two[] = {fz_file.path, fz_file.path, NULL};
        tx = taxonomy_load(two, fz_pool, errstr, sizeof(errstr));
        taxonomy_destroy(tx);
        return 0;
}
