/* labelled: labelled JSON-lines corpora for `train` and `eval`
 * ({"title","body","label","lang"} per line; label a string or a list; raw
 * articles' "text"/"content" and "language" are read when "body"/"lang" are not), and the
 * tokenise + stem step they share with the pipeline (title tokens tagged as
 * title, body tokens as body). */
#ifndef STEMTAG_LABELLED_H
#define STEMTAG_LABELLED_H

#include <stddef.h>

#include "stem.h"
#include "text.h"

struct labelled_doc {
        char *title, *body, *lang; /* owned; lang may be NULL */
        char **labels;             /* owned */
        size_t n_labels;
};

struct labelled_set {
        struct labelled_doc *docs;
        size_t n;
        size_t cap;   /* docs allocated */
        size_t bytes; /* title + body bytes of all documents */
};

/**
 * @brief Reads every line of @p path. Lines without the label field are an
 * error naming the line. 0, or -1 with @p errstr.
 */
int labelled_read(const char *path, const char *label_field, struct labelled_set *set, char *errstr,
                  size_t errstr_size);
/** As labelled_read, but a line without the label field (or with null) is
 *  kept with no label (n_labels 0) when @p allow_missing: raw articles, whose
 *  section field is optional. */
int labelled_read_ex(const char *path, const char *label_field, int allow_missing,
                     struct labelled_set *set, char *errstr, size_t errstr_size);
/**
 * @brief Adds one JSON object (@p len bytes of @p text: a line of a file, a
 * Kafka message) to @p set, read as labelled_read_ex reads a line; @p set
 * starts zeroed and labelled_free frees it, also after an error. @p where
 * names the object in errors ("file:12", "topic[0]@12").
 * @returns 0, or -1 with @p errstr.
 */
int labelled_add_json(struct labelled_set *set, const char *text, size_t len,
                      const char *label_field, int allow_missing, const char *where, char *errstr,
                      size_t errstr_size);
void labelled_free(struct labelled_set *set);
/** Frees what @p d owns and zeroes it (to drop one document from a set). */
void labelled_doc_free(struct labelled_doc *d);

/**
 * @brief Tokenises title + body of @p d into @p toks (reset first) and stems
 * them in @p lang_override, else the document's "lang", else und, through
 * pipeline_tokenize_stem: the same steps serving runs.
 * @returns the stem_lang index used (-1 for und), or -2 when out of memory.
 */
int labelled_tokenize(const struct labelled_doc *d, const char *lang_override,
                      struct stem_pool *pool, struct text_tokens *toks);

#endif
