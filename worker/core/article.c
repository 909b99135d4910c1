/* article: raw bytes -> struct article: the entry point (article_parse),
 * what every format shares, HTML pages and NUL repair. JSON, plain-text
 * layout and dates live beside it (article_internal.h lists them).
 *
 * All strings of a parsed article live in one arena that is sized once per
 * message (decoded JSON strings and text lines never exceed the input), so
 * pointers handed out stay valid while the arena is filled. */
#include "article.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "article_internal.h"
#include "hash.h"
#include "text.h"

/* Room for the NULs, a derived id and an ISO date on top of the input size. */
#define ARENA_SLACK 256

static const char *const reason_names[] = {
    [ARTICLE_OK] = "ok",
    [ARTICLE_EMPTY] = "empty",
    [ARTICLE_TOO_LARGE] = "too_large",
    [ARTICLE_INVALID_UTF8] = "invalid_utf8",
    [ARTICLE_JSON_SYNTAX] = "json_syntax",
    [ARTICLE_JSON_NOT_OBJECT] = "json_not_object",
    [ARTICLE_FIELD_TYPE] = "field_type",
    [ARTICLE_NO_TEXT] = "no_text",
};

const char *article_reason_name(enum article_reason r)
{
        if ((unsigned)r >= sizeof(reason_names) / sizeof(reason_names[0]))
                return "unknown";
        return reason_names[r];
}

void article_options_default(struct article_options *opts)
{
        memset(opts, 0, sizeof(*opts));
        opts->format = ARTICLE_FORMAT_AUTO;
        opts->utf8_policy = ARTICLE_UTF8_REJECT;
        opts->max_bytes = 1048576;
        opts->fields.id = "id";
        opts->fields.url = "url";
        opts->fields.title = "title";
        opts->fields.section = "section";
        opts->fields.published_at = "published_at";
        opts->fields.source = "source";
        opts->fields.language = "language";
        opts->fields.body[0] = "body";
        opts->fields.body[1] = "text";
        opts->fields.body[2] = "content";
        opts->fields.body[3] = NULL;
}

void article_init(struct article *a)
{
        memset(a, 0, sizeof(*a));
}

static void article_clear(struct article *a)
{
        json_decref(a->source_fields);
        json_decref(a->root);
        article_items_release(a, 0, a->source_nitems);
        char *arena = a->arena, *fix = a->fix;
        size_t arena_cap = a->arena_cap, fix_cap = a->fix_cap, items_cap = a->items_cap;
        struct article_item *items = a->items;
        struct html_page html = a->html;
        memset(a, 0, sizeof(*a));
        a->html = html;
        a->arena = arena;
        a->arena_cap = arena_cap;
        a->fix = fix;
        a->fix_cap = fix_cap;
        a->items = items;
        a->items_cap = items_cap;
}

void article_free(struct article *a)
{
        if (!a)
                return;
        json_decref(a->source_fields);
        json_decref(a->root);
        article_items_release(a, 0, a->source_nitems);
        free(a->arena);
        free(a->fix);
        free(a->items);
        html_page_free(&a->html);
        article_init(a);
}

int article_reject(struct article *a, enum article_reason r, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(a->message, sizeof(a->message), fmt, ap);
        va_end(ap);
        a->reason = r;
        return 1;
}

void article_derive_id(const char *data, size_t len, char out[17])
{
        uint64_t h = hash_fnv1a(data, len, HASH_FNV_SEED);
        snprintf(out, 17, "%016llx", (unsigned long long)h);
}

/* ---- entry point ---------------------------------------------------------- */

/* ---- HTML ------------------------------------------------------------------------ */

/* A whole page: its main text is the body; the page's metadata fills title,
 * url, date, language hint, section label and source. */
static int parse_html(struct article *a, const struct article_options *o, const char *data,
                      size_t len)
{
        char err[160];
        enum html_status rc = html_read_page(
            &a->html, data, len, o->utf8_policy == ARTICLE_UTF8_REPLACE, err, sizeof(err));
        if (rc == HTML_NOMEM)
                return -1;
        if (rc == HTML_ILL_FORMED)
                return article_reject(a, ARTICLE_INVALID_UTF8, "%s", err);
        const struct html_page *h = &a->html;
        a->body = h->text;
        a->body_len = h->text_len;
        a->title = h->title;
        a->title_len = h->title ? strlen(h->title) : 0;
        a->url = h->url;
        a->language = h->lang;
        a->section = h->section;
        a->source = h->site;
        a->utf8_repaired = h->repaired;
        if (h->published) {
                char iso[40];
                a->published_at =
                    article_date_iso(h->published, strlen(h->published), iso, sizeof(iso)) == 0
                        ? article_arena_put(a, iso, strlen(iso))
                        : h->published;
        }
        return 0;
}

/* A JSON body (and title) with markup: the fragment's text, whole. */
static int json_fields_from_html(struct article *a, const struct article_options *o)
{
        if (o->body_format == ARTICLE_BODY_TEXT || !a->body)
                return 0;
        if (o->body_format == ARTICLE_BODY_AUTO && !html_has_markup(a->body, a->body_len))
                return 0;
        if (html_read_fragment(&a->html, a->body, a->body_len) != HTML_OK)
                return -1;
        a->body = a->html.text;
        a->body_len = a->html.text_len;
        return 0;
}

static int article_finish(struct article *a);

/* utf8.policy = replace: each NUL byte becomes U+FFFD, like an ill-formed
 * sequence. Works in place when *data is already a->fix (copies backwards). */
static int nul_replace(struct article *a, const char **data, size_t *len)
{
        size_t n = *len, k = 0;
        for (size_t i = 0; i < n; i++)
                k += (*data)[i] == '\0';
        if (!k)
                return 0;
        if (k > (SIZE_MAX - 1 - n) / 2)
                return -1;
        size_t out = n + 2 * k, in_fix = *data == a->fix ? 1 : 0;
        if (article_reserve(&a->fix, &a->fix_cap, out + 1) < 0)
                return -1;
        const char *src = in_fix ? a->fix : *data;
        for (size_t i = n, o = out; i > 0;) {
                char c = src[--i];
                if (c) {
                        a->fix[--o] = c;
                } else {
                        a->fix[--o] = (char)0xBD;
                        a->fix[--o] = (char)0xBF;
                        a->fix[--o] = (char)0xEF;
                }
        }
        *data = a->fix;
        *len = out;
        a->utf8_repaired = 1;
        return 0;
}

static int has_text(const char *s, size_t n)
{
        if (!s)
                return 0;
        article_trim(&s, &n);
        return n > 0;
}

static int is_blank_message(const char *data, size_t len)
{
        article_trim(&data, &len);
        return len == 0;
}

static int reject_blank(struct article *a, size_t len)
{
        return article_reject(a, ARTICLE_EMPTY,
                              len ? "message holds only whitespace" : "message is empty");
}

int article_parse(struct article *a, const struct article_options *o, const char *data, size_t len)
{
        article_clear(a);
        if (o->max_bytes && len > o->max_bytes)
                return article_reject(a, ARTICLE_TOO_LARGE,
                                      "message of %zu bytes exceeds the limit of %zu", len,
                                      o->max_bytes);
        /* A page declares its own charset: it is decoded before any UTF-8 check. */
        if (o->format == ARTICLE_FORMAT_HTML ||
            (o->format == ARTICLE_FORMAT_AUTO && html_is_page(data, len))) {
                if (is_blank_message(data, len))
                        return reject_blank(a, len);
                if (article_reserve(&a->arena, &a->arena_cap, ARENA_SLACK) < 0)
                        return -1;
                /* NUL bytes: the answer of every format, unless the page is UTF-16
                 * (whose bytes hold NULs by nature) */
                int utf16 =
                    len >= 2 && ((unsigned char)data[0] == 0xFF || (unsigned char)data[0] == 0xFE);
                const char *nul = utf16 ? NULL : memchr(data, 0, len);
                if (nul && o->utf8_policy == ARTICLE_UTF8_REJECT)
                        return article_reject(a, ARTICLE_INVALID_UTF8, "NUL byte at byte %zu",
                                              (size_t)(nul - data));
                if (nul && nul_replace(a, &data, &len) < 0)
                        return -1;
                a->format = ARTICLE_FORMAT_HTML;
                int rc = parse_html(a, o, data, len);
                if (rc)
                        return rc;
                return article_finish(a);
        }
        const char *nul = memchr(data, 0, len);
        if (nul && o->utf8_policy == ARTICLE_UTF8_REJECT)
                return article_reject(a, ARTICLE_INVALID_UTF8, "NUL byte at byte %zu",
                                      (size_t)(nul - data));
        size_t bad;
        if (text_utf8_validate(data, len, &bad) < 0) {
                if (o->utf8_policy == ARTICLE_UTF8_REJECT)
                        return article_reject(a, ARTICLE_INVALID_UTF8, "invalid UTF-8 at byte %zu",
                                              bad);
                if (len > SIZE_MAX / 3 || article_reserve(&a->fix, &a->fix_cap, len * 3 + 1) < 0)
                        return -1;
                len = text_utf8_repair(a->fix, data, len);
                data = a->fix;
                a->utf8_repaired = 1;
        }
        if (nul && nul_replace(a, &data, &len) < 0)
                return -1;
        if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) { /* byte order mark */
                data += 3;
                len -= 3;
        }
        if (is_blank_message(data, len))
                return reject_blank(a, len);
        const char *t = data;
        size_t tlen = len;
        article_trim(&t, &tlen);
        if (len > SIZE_MAX - ARENA_SLACK ||
            article_reserve(&a->arena, &a->arena_cap, len + ARENA_SLACK) < 0)
                return -1;

        enum article_format fmt = o->format;
        if (fmt == ARTICLE_FORMAT_AUTO)
                fmt = t[0] == '{' || article_is_json_value(t, tlen) ? ARTICLE_FORMAT_JSON
                                                                    : ARTICLE_FORMAT_TEXT;
        a->format = fmt;
        int rc = fmt == ARTICLE_FORMAT_JSON ? article_parse_json(a, o, data, len)
                                            : article_parse_text(a, data, len);
        if (rc)
                return rc;
        if (fmt == ARTICLE_FORMAT_JSON && json_fields_from_html(a, o) < 0)
                return -1;
        return article_finish(a);
}

/* The checks and the derived id every format shares. */
static int article_finish(struct article *a)
{
        if (!has_text(a->title, a->title_len) && !has_text(a->body, a->body_len))
                return article_reject(a, ARTICLE_NO_TEXT,
                                      "article has neither title nor body text");

        if (!a->id || !a->id[0]) {
                char id[17];
                if (a->url && a->url[0]) {
                        article_derive_id(a->url, strlen(a->url), id);
                } else {
                        uint64_t h = HASH_FNV_SEED;
                        if (a->title)
                                h = hash_fnv1a(a->title, a->title_len, h);
                        h = hash_fnv1a("\n", 1, h);
                        if (a->body)
                                h = hash_fnv1a(a->body, a->body_len, h);
                        snprintf(id, sizeof(id), "%016llx", (unsigned long long)h);
                }
                a->id = article_arena_put(a, id, 16);
                a->id_derived = 1;
        }
        return 0;
}
