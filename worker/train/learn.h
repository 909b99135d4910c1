/* learn: labelled articles -> a taxonomy (format v1) with learned `stems`
 * weights. A keyword list with weights is a sparse linear model over stems;
 * this module makes that literal: one-vs-rest L2-regularised linear SVMs
 * (squared hinge, dual coordinate descent as in LIBLINEAR) over exactly the
 * feature vector classify_run scores (classify_features), so a learned model
 * and a hand-written taxonomy are interchangeable and can be combined.
 * Deterministic for a given input order, options and seed. Pure: the caller
 * reads files and writes the returned JSON. */
#ifndef STEMTAG_LEARN_H
#define STEMTAG_LEARN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "taxonomy.h"

#include "classify.h"
#include "text.h"

/* Bumped whenever the features or the scoring they are learned for change:
 * part of a learned file's "version", so files from different code differ. */
#define LEARN_REVISION "svm-dcd/tokennorm-1"

struct learn;

struct learn_options {
        enum taxonomy_label_kind kind; /**< section: one label per article; topic: label lists */
        double c;                      /**< SVM cost (inverse regularisation) */
        int epochs;                    /**< max passes of coordinate descent per label */
        uint64_t seed;       /**< order of coordinate descent and of cross-validation folds */
        int min_df;          /**< features in fewer training articles are dropped */
        size_t max_features; /**< keep at most this many features (most frequent) */
        size_t max_postings; /**< keep at most this many (label, stem) weights (largest |w|) */
        int folds;           /**< topic kind: folds of cross-validation to tune thresholds */
        double title_weight; /**< must equal classify.title.weight at classify time */
};

void learn_options_default(struct learn_options *o);

/** @brief New learner; caller owns it (learn_destroy). NULL when out of memory. */
struct learn *learn_new(void);
void learn_destroy(struct learn *l); /* NULL is a no-op */

/**
 * @brief Adds one labelled article: its stemmed tokens in language @p lang
 * (stem_lang index, or -1 for unknown) and its @p n_labels labels (copied).
 * @p c is scratch for the feature extraction. 0, or -1 when out of memory.
 */
int learn_add(struct learn *l, struct classify_ctx *c, int lang, const struct text_tokens *toks,
              double title_weight, const char *const *labels, size_t n_labels);

/** Articles added so far. */
size_t learn_count(const struct learn *l);

/**
 * @brief Trains on everything added and builds the taxonomy document.
 * @p name and @p version go into the file's "name"/"version"; @p log (may be
 * NULL) receives one line of progress per stage.
 * @returns a new JSON object (caller owns the reference), or NULL with @p errstr.
 */
json_t *learn_train(struct learn *l, const struct learn_options *o, const char *name,
                    const char *version, void (*log)(const char *line), char *errstr,
                    size_t errstr_size);

#endif
