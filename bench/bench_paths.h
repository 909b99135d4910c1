/* bench_paths: the default inputs the pure-path benchmarks share (config/
 * under $STEMTAG_SOURCE_DIR, else .; the shared news corpora beside it) and
 * the pipeline options they run with. Header-only: each bench is one file. */
#ifndef STEMTAG_BENCH_PATHS_H
#define STEMTAG_BENCH_PATHS_H

#include <stdio.h>
#include <stdlib.h>

#include "pipeline.h"

struct bench_paths {
        char root[1024], langid[1200], taxonomy[1200], shared[1200];
};

static inline void bench_paths_init(struct bench_paths *p)
{
        const char *src = getenv("STEMTAG_SOURCE_DIR");
        snprintf(p->root, sizeof(p->root), "%s", src ? src : ".");
        snprintf(p->langid, sizeof(p->langid), "%s/config/langid.model", p->root);
        snprintf(p->taxonomy, sizeof(p->taxonomy), "%s/config/taxonomy", p->root);
        snprintf(p->shared, sizeof(p->shared), "%s/../shared/corpora/news", p->root);
}

/* Defaults plus the model paths; a fixed processed_at keeps clock calls out
 * of the timed loop. */
static inline void bench_options_init(struct pipeline_options *o, const char *langid,
                                      const char **taxonomy_paths)
{
        pipeline_options_default(o);
        o->langid_model_path = langid;
        o->taxonomy_paths = taxonomy_paths;
        o->processed_at = "2026-01-01T00:00:00.000Z";
}

#endif
