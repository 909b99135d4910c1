/* article: raw message bytes -> struct article (JSON object or plain text).
 * Owns the input contract of DESIGN.md: field names, size limit, UTF-8 policy,
 * and the stable rejection reasons that the dead-letter topic carries. */
#ifndef STEMTAG_ARTICLE_H
#define STEMTAG_ARTICLE_H

#include <stddef.h>

#include <jansson.h>

/** Stable rejection reasons; article_reason_name() gives the wire string. */
enum article_reason {
        ARTICLE_OK = 0,
        ARTICLE_EMPTY,           /* "empty" */
        ARTICLE_TOO_LARGE,       /* "too_large" */
        ARTICLE_INVALID_UTF8,    /* "invalid_utf8" */
        ARTICLE_JSON_SYNTAX,     /* "json_syntax" */
        ARTICLE_JSON_NOT_OBJECT, /* "json_not_object" */
        ARTICLE_FIELD_TYPE,      /* "field_type" */
        ARTICLE_NO_TEXT,         /* "no_text" */
};

const char *article_reason_name(enum article_reason r);

enum article_format { ARTICLE_FORMAT_AUTO = 0, ARTICLE_FORMAT_JSON, ARTICLE_FORMAT_TEXT };
enum article_utf8_policy { ARTICLE_UTF8_REJECT = 0, ARTICLE_UTF8_REPLACE };

/** Configurable JSON field names (borrowed strings; must outlive the options). */
struct article_fields {
        const char *id, *url, *title, *section, *published_at, *source, *language;
        const char *body[4]; /**< tried in order; NULL-terminated ("body","text","content") */
};

struct article_options {
        enum article_format format;
        enum article_utf8_policy utf8_policy;
        size_t max_bytes;
        struct article_fields fields;
};

void article_options_default(struct article_options *opts);

#endif
