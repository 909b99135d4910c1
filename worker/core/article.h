/* article: raw message bytes -> struct article (JSON object or plain text).
 * Owns the input contract (docs/formats.md): field names, size limit, UTF-8 policy,
 * and the stable rejection reasons that the dead-letter topic carries.
 *
 * JSON: an object; configured fields must be strings (id and published_at may
 * also be integers: an id number, a Unix time in s or ms). Unknown fields are
 * kept, untouched, in source_fields (the record carries them as "source_fields").
 * A raw NUL byte is never text: invalid_utf8 (with the replace policy, U+FFFD).
 * Plain text: blocks separated by blank lines; an optional first block that is
 * a date, an optional short section label, a one-line title, then the body
 * (see article_parse_text in article_text.c). Unrecognised layout: all of it is body.
 * HTML: a whole page (auto: when the message opens like one) gives the main
 * text and the page's metadata where the message has no field for it; a JSON
 * body with markup is an HTML fragment (html.h).
 * Dates (en/de/fr/es/it month names, numeric and ISO 8601 forms) become ISO 8601. */
#ifndef STEMTAG_ARTICLE_H
#define STEMTAG_ARTICLE_H

#include <stddef.h>

#include <jansson.h>

#include "html.h"

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

/** JSON nested deeper than this (arrays and objects together, the top level
 *  counting 1) is rejected as json_syntax, at any depth and in any position;
 *  in auto format a message opening with '[' that nests deeper is JSON too.
 *  Articles are flat: the limit only stops hostile input. */
#define ARTICLE_JSON_MAX_DEPTH 64

enum article_format {
        ARTICLE_FORMAT_AUTO = 0,
        ARTICLE_FORMAT_JSON,
        ARTICLE_FORMAT_TEXT,
        ARTICLE_FORMAT_HTML /**< a whole page: main text and page metadata (html.h) */
};
/** How a JSON body field is read: auto = as HTML when it holds markup. */
enum article_body_format { ARTICLE_BODY_AUTO = 0, ARTICLE_BODY_TEXT, ARTICLE_BODY_HTML };
enum article_utf8_policy { ARTICLE_UTF8_REJECT = 0, ARTICLE_UTF8_REPLACE };

/** Configurable JSON field names (borrowed strings; must outlive the options). */
struct article_fields {
        const char *id, *url, *title, *section, *published_at, *source, *language;
        const char *body[4]; /**< tried in order; NULL-terminated ("body","text","content") */
};

struct article_options {
        enum article_format format;
        enum article_utf8_policy utf8_policy;
        enum article_body_format body_format;
        size_t max_bytes; /**< larger messages: too_large; 0: no limit */
        struct article_fields fields;
        int json_reference; /**< 1: Jansson only, no fast path (tests, benchmarks) */
};

void article_options_default(struct article_options *opts);

/** Unknown members as the JSON fast path keeps them: no Jansson tree, a flat
 *  list read in order. Each member is a KEY item followed by its value; an
 *  array is ARRAY, its values, ARRAY_END. A value holding an object is one
 *  JSON item (Jansson keeps those: they are rare). Strings are decoded UTF-8
 *  without NULs, NUL-terminated, in the article's arena; keys are distinct. */
enum article_item_kind {
        ARTICLE_ITEM_KEY,
        ARTICLE_ITEM_STRING,
        ARTICLE_ITEM_INT,
        ARTICLE_ITEM_REAL,
        ARTICLE_ITEM_TRUE,
        ARTICLE_ITEM_FALSE,
        ARTICLE_ITEM_NULL,
        ARTICLE_ITEM_ARRAY,
        ARTICLE_ITEM_ARRAY_END,
        ARTICLE_ITEM_JSON,
};

struct article_item {
        enum article_item_kind kind;
        size_t len; /**< KEY, STRING: bytes */
        union {
                const char *str; /**< KEY, STRING */
                json_int_t i;    /**< INT */
                double r;        /**< REAL */
                json_t *json;    /**< JSON (owned by the article) */
        } v;
};

/** One parsed article. Strings are NUL-terminated, NULL when absent, and
 *  borrowed from the struct until the next article_parse/article_free. */
struct article {
        const char *id, *url, *title, *body, *section, *published_at, *source, *language;
        size_t title_len, body_len;
        int id_derived;             /**< 1: id is a hash of url (else title+body) */
        int utf8_repaired;          /**< 1: invalid UTF-8 was replaced by U+FFFD */
        enum article_format format; /**< how it was read: JSON, TEXT or HTML */
        /* Unknown JSON fields: as a Jansson object (owned) or as items, or
         * neither when there are none; article_source_json() gives either as
         * an object. The record writes them as "source_fields". */
        json_t *source_fields;
        const struct article_item *source_items;
        size_t source_nitems;
        enum article_reason reason; /**< ARTICLE_OK or why it was rejected */
        char message[256];          /**< human-readable rejection message */
        /* private: reusable storage */
        json_t *root; /* the parsed JSON; its strings are lent out */
        char *arena, *fix;
        size_t arena_len, arena_cap, fix_cap;
        struct article_item *items;   /* fast JSON path: storage of source_items */
        size_t items_cap, items_json; /* items_json: JSON items to release */
        struct html_page html;        /* HTML pages and body fragments: text lent out */
};

void article_init(struct article *a);
/** Frees what the article holds; it may be re-initialised or reused. */
void article_free(struct article *a);

/**
 * @brief Parses one raw message into @p a (reusing its storage).
 * @returns 0 when parsed, 1 when rejected (a->reason and a->message say why),
 *          -1 when out of memory.
 */
int article_parse(struct article *a, const struct article_options *opts, const char *data,
                  size_t len);

/**
 * @brief Normalises a date: "28. April, 2025", "April 28, 2025", "28 avril 2025",
 * "28 de abril de 2025", "28.04.2025", "2025-04-28T10:00:00Z" ... into ISO 8601
 * ("2025-04-28", or "2025-04-28T10:00:00Z" when a time is given in ISO form).
 * @returns 0 with the result in @p out, or -1 when @p s is not a date we know.
 */
int article_date_iso(const char *s, size_t len, char *out, size_t out_size);

/** The unknown fields of @p a as a new Jansson object (a new reference to
 *  source_fields, or built from source_items); NULL when there are none or
 *  out of memory. For callers that want a tree; the record does without. */
json_t *article_source_json(const struct article *a);

/** The 16-hex-digit id derived from @p data (FNV-1a 64); @p out holds 17 bytes. */
void article_derive_id(const char *data, size_t len, char out[17]);

#endif
