/* article_internal: private to the article parser's files; nothing else
 * includes it. article.c (entry point, shared checks, HTML pages, NUL
 * repair), article_json.c (JSON: fast scanner and the Jansson reference path),
 * article_text.c (plain-text layout), article_date.c (dates -> ISO 8601).
 * UTF-8 validation and repair belong to text.h. The small helpers every format
 * uses are static inline here: they sit on the per-message path. */
#ifndef STEMTAG_ARTICLE_INTERNAL_H
#define STEMTAG_ARTICLE_INTERNAL_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "article.h"

/* Records why @p a is rejected; returns 1 (the "rejected" answer of every parser). */
int article_reject(struct article *a, enum article_reason r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline int article_reserve(char **p, size_t *cap, size_t need)
{
        if (need <= *cap)
                return 0;
        char *np = realloc(*p, need);
        if (!np)
                return -1;
        *p = np;
        *cap = need;
        return 0;
}

/* Copies s[0, n) into the arena (reserved beforehand) as a NUL-terminated string. */
static inline const char *article_arena_put(struct article *a, const char *s, size_t n)
{
        char *d = a->arena + a->arena_len;
        memcpy(d, s, n);
        d[n] = '\0';
        a->arena_len += n + 1;
        return d;
}

static inline int article_is_blank(unsigned char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* Trims ASCII whitespace and no-break spaces (U+00A0) at both ends. */
static inline void article_trim(const char **s, size_t *n)
{
        const char *p = *s;
        size_t len = *n;
        for (;;) {
                if (len && article_is_blank((unsigned char)p[0])) {
                        p++;
                        len--;
                } else if (len >= 2 && (unsigned char)p[0] == 0xC2 && (unsigned char)p[1] == 0xA0) {
                        p += 2;
                        len -= 2;
                } else {
                        break;
                }
        }
        for (;;) {
                if (len && article_is_blank((unsigned char)p[len - 1]))
                        len--;
                else if (len >= 2 && (unsigned char)p[len - 2] == 0xC2 &&
                         (unsigned char)p[len - 1] == 0xA0)
                        len -= 2;
                else
                        break;
        }
        *s = p;
        *n = len;
}

/* article_json.c: releases the JSON items among a->items[from, to). */
void article_items_release(struct article *a, size_t from, size_t to);
/* article_json.c: @p data is a JSON object (0), rejected (1) or out of memory (-1). */
int article_parse_json(struct article *a, const struct article_options *o, const char *data,
                       size_t len);
/* article_json.c: auto format reads @p t as JSON although it is no object. */
int article_is_json_value(const char *t, size_t n);
/* article_text.c: the plain-text layout (date, label, title, body blocks). */
int article_parse_text(struct article *a, const char *s, size_t n);
/* article_date.c: a Unix time in s or ms -> ISO 8601 UTC. */
int article_epoch_iso(json_int_t v, char *out, size_t out_size);

#endif
