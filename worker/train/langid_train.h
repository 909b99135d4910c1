/* langid_train: the language model builder (stemtag train-lang; not on the
 * hot path). Owns the n-gram and word counts per language and writes the
 * model file that langid_model_load (worker/core/langid.h) reads. */
#ifndef STEMTAG_LANGID_TRAIN_H
#define STEMTAG_LANGID_TRAIN_H

#include <stddef.h>

#include "langid.h"

struct langid_builder;

/** Parameters written into the model header. */
struct langid_build_params {
        double alpha;            /**< additive smoothing of n-gram counts */
        unsigned min_count;      /**< (n-gram, language) pairs seen fewer times are dropped */
        unsigned min_count_word; /**< the same for whole words: a rare word still tells
                                    close languages apart in a two-word title */
        double temperature;      /**< softmax temperature for calibrated confidence */
        double hint_bonus;       /**< log-odds prior of the hinted language (after temperature) */
        double min_hit_rate;     /**< below this share of known 3..5-grams: "und" (noise) */
        double early_margin;     /**< stop reading once the calibrated margin exceeds this */
        double word_balance;     /**< 0..1: word counts of language l scaled by (mean word total /
                                    word total of l)^word_balance, so rare words seen once
                                    in a big corpus do not pull short text its way */
        double order_weight[LANGID_WORD_ORDER + 1]; /**< evidence weight per order (1..6),
                                                       baked into the stored values */
};

void langid_build_params_default(struct langid_build_params *p);

/** @brief New empty builder (owned by the caller). NULL when out of memory. */
struct langid_builder *langid_builder_new(void);
void langid_builder_destroy(struct langid_builder *b); /* NULL is a no-op */
/** Returns the index of language @p code (adding it), or -1 if too many/bad code. */
int langid_builder_lang(struct langid_builder *b, const char *code);
/** Counts the features of @p s as language @p lang. 0, or -1 when out of memory. */
int langid_builder_add(struct langid_builder *b, int lang, const char *s, size_t len);
/** Writes the model file. 0, or -1 with @p errstr naming the file. */
int langid_builder_write(struct langid_builder *b, const struct langid_build_params *p,
                         const char *path, char *errstr, size_t errstr_size);

#endif
