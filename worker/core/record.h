/* record: the enriched record, schema "stemtag.article.v1" (docs/formats.md
 * "formats"): one compact JSON object without a trailing newline, written into
 * a reusable buffer by hand (no Jansson tree for the fixed part) because every
 * message builds one. Owns the field order and the schema name. */
#ifndef STEMTAG_RECORD_H
#define STEMTAG_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "article.h"

#define RECORD_SCHEMA "stemtag.article.v1"

/** A growable output buffer, reused across records. */
struct record_buf {
        char *p;
        size_t len, cap;
};

void record_buf_init(struct record_buf *b);
void record_buf_free(struct record_buf *b);

/** Where the input came from: Kafka coordinates, or a line number (CLI). */
struct record_input {
        const char *topic; /**< NULL: use line */
        int32_t partition;
        int64_t offset;
        int64_t line; /**< -1: "input" is null */
};

/** The tags; every pointer is borrowed and may be NULL (written as null). */
struct record_tags {
        const char *language; /**< ISO 639-1 code, NULL: "language": null */
        double language_confidence;
        const json_t *section; /**< {"id",...} */
        const json_t *topics;  /**< [...] */
        const json_t *explain; /**< NULL: no "explain" member */
        const char *classifier_version;
        const char *taxonomy_version;
        /* [classify] Compact JSON text written as-is instead of section /
         * topics when non-NULL (classify_run with options.json_text: no json_t
         * tree per article on the hot path). */
        const char *section_text;
        size_t section_text_len;
        const char *topics_text;
        size_t topics_text_len;
        /* "fingerprint" (fingerprint.h): written when has_fingerprint, else null */
        uint64_t fingerprint;
        int has_fingerprint;
        /* record.body: the text that was classified, as "body"; NULL: no member */
        const char *body;
        size_t body_len;
};

/**
 * @brief Writes the record of @p a into @p out (replacing its content).
 * @p processed_at is an ISO 8601 timestamp. 0, or -1 when out of memory.
 */
int record_build(struct record_buf *out, const struct article *a, const struct record_tags *tags,
                 const struct record_input *in, const char *processed_at);

/** Appends @p n raw bytes (already JSON) to @p b. 0 / -1 (memory). */
int record_put_raw(struct record_buf *b, const char *s, size_t n);

/**
 * @brief Appends @p s as a JSON string literal (quotes included) to @p b.
 * @p s must be valid UTF-8. 0 / -1 (memory).
 */
int record_put_string(struct record_buf *b, const char *s, size_t len);

#endif
