/* langid: text -> ISO 639-1 language code (or "und") with a calibrated
 * confidence, over the 29 languages libstemmer stems. Owns the model file
 * format (config/langid.model, documented in langid.c) and its loader. */
#ifndef STEMTAG_LANGID_H
#define STEMTAG_LANGID_H

#include <stddef.h>

struct langid_model; /* immutable after load: share it across threads freely */

struct langid_result {
        char code[8];      /**< "de", "sr", ... or "und" */
        double confidence; /**< calibrated probability in [0,1] */
};

/** @brief Loads a model file. NULL on error with @p errstr naming file and problem. */
struct langid_model *langid_model_load(const char *path, char *errstr, size_t errstr_size);
void langid_model_destroy(struct langid_model *m); /* NULL is a no-op */

/**
 * @brief Detects the language of title + body, reading at most @p max_bytes.
 * @p hint is the article's own "language" field or NULL: a prior that breaks
 * near-ties only. Pure and thread-safe; allocates nothing.
 */
void langid_detect(const struct langid_model *m, const char *title, size_t title_len,
                   const char *body, size_t body_len, const char *hint, size_t max_bytes,
                   struct langid_result *out);

#endif
