/* classify: stemmed tokens -> one section + many topics, each with a score and
 * the stems that earned it. Owns the compiled taxonomy (taxonomy.c loads the
 * JSON format) and the per-thread score accumulators. */
#ifndef STEMTAG_CLASSIFY_H
#define STEMTAG_CLASSIFY_H

#include <stddef.h>

#include <jansson.h>

#include "stem.h"
#include "text.h"

struct taxonomy;     /* compiled, immutable after load, shared by threads */
struct classify_ctx; /* per-thread scratch */

struct classify_options {
        double title_weight;
        double section_min_score;
        double topic_min_score;
        int topics_top_k;
        int explain;
};

/**
 * @brief Loads and compiles one or more taxonomy files (NULL-terminated list);
 * keywords are stemmed at load time with @p pool.
 * @returns new taxonomy or NULL with @p errstr naming file, label and keyword.
 */
struct taxonomy *taxonomy_load(const char *const *paths, struct stem_pool *pool,
                               char *errstr, size_t errstr_size);
void taxonomy_destroy(struct taxonomy *tx); /* NULL is a no-op */
/** Version string for the record's "classifier.taxonomy" (borrowed). */
const char *taxonomy_version(const struct taxonomy *tx);

struct classify_ctx *classify_ctx_new(void);
void classify_ctx_destroy(struct classify_ctx *c); /* NULL is a no-op */

/** Result of one article; all pointers borrowed from ctx/taxonomy until the next run. */
struct classify_result {
        json_t *section;    /**< new reference: {"id","iptc","score","source_label"} or json null */
        json_t *topics;     /**< new reference: [{"id","score","evidence":[...]}] */
        json_t *explain;    /**< new reference or NULL (only with options.explain) */
        const char *section_id; /**< borrowed from the taxonomy, or NULL */
};

/**
 * @brief Scores the stemmed tokens of one article (language @p lang, a
 * stem_lang index or -1) against the taxonomy. @p section_hint is the
 * source's own section label or NULL. 0, or -1 when out of memory.
 */
int classify_run(struct classify_ctx *c, const struct taxonomy *tx,
                 const struct classify_options *opts, int lang, const struct text_tokens *toks,
                 const char *section_hint, struct classify_result *out);

#endif
