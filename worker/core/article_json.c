/* article_json: a JSON message -> struct article: a fast scanner for the
 * usual flat object of strings, and Jansson for everything else (and as the
 * reference the fast path is tested against). */
#include "article.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "article_internal.h"
#include "jscan.h"

static int field_is_known(const struct article_options *o, const char *key)
{
        const struct article_fields *f = &o->fields;
        const char *names[] = {f->id,     f->url,          f->title,   f->section,
                               f->source, f->published_at, f->language};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (names[i] && names[i][0] == key[0] && !strcmp(names[i], key))
                        return 1;
        for (int i = 0; i < 4 && f->body[i]; i++)
                if (f->body[i][0] == key[0] && !strcmp(f->body[i], key))
                        return 1;
        return 0;
}

/* A string field: absent/null -> NULL; wrong type -> reject. 0 / 1. */
static int json_str(struct article *a, json_t *root, const char *name, const char **out,
                    size_t *out_len)
{
        *out = NULL;
        if (out_len)
                *out_len = 0;
        if (!name)
                return 0;
        json_t *v = json_object_get(root, name);
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_string(v))
                return article_reject(a, ARTICLE_FIELD_TYPE, "field \"%s\" must be a string", name);
        *out = json_string_value(v); /* borrowed: a->root lives until the next parse */
        if (out_len)
                *out_len = json_string_length(v);
        return 0;
}

/* ---- JSON fast path --------------------------------------------------------
 * Jansson builds a tree of every value (~60 MB/s here), which made parsing the
 * slowest step of the whole pipeline. Articles are flat objects of strings, so
 * this scanner validates the JSON, decodes the configured string fields into
 * the arena and only hands unknown members to Jansson. It is deliberately
 * partial: anything unusual (a known field that is not a string or null, a
 * \u0000, a lone surrogate, deep nesting, any syntax error) returns "not
 * handled" and the Jansson path above decides, with its error message. So the
 * fast path can only ever accept what Jansson accepts, with the same values
 * (checked by test_article_json_fast). */

struct article_unknown {
        const char *key;   /* decoded, in the arena */
        const char *value; /* decoded string (in the arena) or raw JSON span */
        size_t value_len;
        int is_string;
};

#define FAST_BAIL      ((size_t)-1)
#define FAST_MAX_DEPTH 32
#define FAST_SLOTS     11 /* id url title section published_at source language body[0..3] */

static size_t json_ws(const char *s, size_t n, size_t i)
{
        while (i < n && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t'))
                i++;
        return i;
}

static int hex4(const char *s, size_t n, size_t i, unsigned *out)
{
        if (i + 4 > n)
                return -1;
        unsigned v = 0;
        for (size_t k = 0; k < 4; k++) {
                char c = s[i + k];
                v <<= 4;
                if (c >= '0' && c <= '9')
                        v |= (unsigned)(c - '0');
                else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
                        v |= (unsigned)((c | 0x20) - 'a' + 10);
                else
                        return -1;
        }
        *out = v;
        return 0;
}

/* The string starting at s[i] == '"': validated, and decoded into out (when not
 * NULL; room for the raw length is guaranteed by the caller). Returns the index
 * after the closing quote, or FAST_BAIL. */
static size_t json_string_scan(const char *s, size_t n, size_t i, char *out, size_t *out_len)
{
        size_t o = 0;
        i++;
        for (;;) {
                size_t run = i;
                i = jscan_plain_end(s, i, n);
                if (out) {
                        memcpy(out + o, s + run, i - run);
                        o += i - run;
                }
                if (i >= n || (unsigned char)s[i] < 0x20)
                        return FAST_BAIL;
                if (s[i] == '"')
                        break;
                /* backslash */
                if (i + 1 >= n)
                        return FAST_BAIL;
                char e = s[i + 1], d;
                i += 2;
                switch (e) {
                case '"':
                        d = '"';
                        break;
                case '\\':
                        d = '\\';
                        break;
                case '/':
                        d = '/';
                        break;
                case 'b':
                        d = '\b';
                        break;
                case 'f':
                        d = '\f';
                        break;
                case 'n':
                        d = '\n';
                        break;
                case 'r':
                        d = '\r';
                        break;
                case 't':
                        d = '\t';
                        break;
                case 'u': {
                        unsigned u, lo;
                        if (hex4(s, n, i, &u) < 0 || u == 0)
                                return FAST_BAIL;
                        i += 4;
                        if (u >= 0xDC00 && u <= 0xDFFF)
                                return FAST_BAIL;
                        if (u >= 0xD800 && u <= 0xDBFF) {
                                if (i + 2 > n || s[i] != '\\' || s[i + 1] != 'u' ||
                                    hex4(s, n, i + 2, &lo) < 0 || lo < 0xDC00 || lo > 0xDFFF)
                                        return FAST_BAIL;
                                i += 6;
                                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                        }
                        /* 6 or 12 escape bytes always cover the 1-4 UTF-8 bytes */
                        if (out)
                                o += (size_t)utf8proc_encode_char((utf8proc_int32_t)u,
                                                                  (utf8proc_uint8_t *)out + o);
                        continue;
                }
                default:
                        return FAST_BAIL;
                }
                if (out)
                        out[o++] = d;
        }
        if (out_len)
                *out_len = o;
        return i + 1;
}

/* Decodes the JSON string at s[i] into the arena (NUL-terminated) as *v, *vlen;
 * returns the index after it, or FAST_BAIL. */
static size_t json_string_to_arena(struct article *a, const char *s, size_t n, size_t i,
                                   const char **v, size_t *vlen)
{
        char *d = a->arena + a->arena_len;
        i = json_string_scan(s, n, i, d, vlen);
        if (i == FAST_BAIL)
                return FAST_BAIL;
        d[*vlen] = '\0';
        a->arena_len += *vlen + 1;
        *v = d;
        return i;
}

static size_t json_number_scan(const char *s, size_t n, size_t i)
{
        if (i < n && s[i] == '-')
                i++;
        if (i >= n)
                return FAST_BAIL;
        if (s[i] == '0') {
                i++;
        } else if (s[i] >= '1' && s[i] <= '9') {
                while (i < n && s[i] >= '0' && s[i] <= '9')
                        i++;
        } else {
                return FAST_BAIL;
        }
        if (i < n && s[i] == '.') {
                i++;
                if (i >= n || s[i] < '0' || s[i] > '9')
                        return FAST_BAIL;
                while (i < n && s[i] >= '0' && s[i] <= '9')
                        i++;
        }
        if (i < n && (s[i] == 'e' || s[i] == 'E')) {
                i++;
                if (i < n && (s[i] == '+' || s[i] == '-'))
                        i++;
                if (i >= n || s[i] < '0' || s[i] > '9')
                        return FAST_BAIL;
                while (i < n && s[i] >= '0' && s[i] <= '9')
                        i++;
        }
        return i;
}

/* Validates any JSON value at s[i]; returns the index after it or FAST_BAIL. */
static size_t json_value_skip(const char *s, size_t n, size_t i, int depth)
{
        if (i >= n)
                return FAST_BAIL;
        switch (s[i]) {
        case '"':
                return json_string_scan(s, n, i, NULL, NULL);
        case 't':
                return n - i >= 4 && !memcmp(s + i, "true", 4) ? i + 4 : FAST_BAIL;
        case 'f':
                return n - i >= 5 && !memcmp(s + i, "false", 5) ? i + 5 : FAST_BAIL;
        case 'n':
                return n - i >= 4 && !memcmp(s + i, "null", 4) ? i + 4 : FAST_BAIL;
        case '[':
        case '{': {
                char close = s[i] == '[' ? ']' : '}';
                int object = close == '}';
                if (depth >= FAST_MAX_DEPTH)
                        return FAST_BAIL;
                i = json_ws(s, n, i + 1);
                if (i < n && s[i] == close)
                        return i + 1;
                for (;;) {
                        if (object) {
                                if (i >= n || s[i] != '"')
                                        return FAST_BAIL;
                                i = json_string_scan(s, n, i, NULL, NULL);
                                if (i == FAST_BAIL)
                                        return FAST_BAIL;
                                i = json_ws(s, n, i);
                                if (i >= n || s[i] != ':')
                                        return FAST_BAIL;
                                i = json_ws(s, n, i + 1);
                        }
                        i = json_value_skip(s, n, i, depth + 1);
                        if (i == FAST_BAIL)
                                return FAST_BAIL;
                        i = json_ws(s, n, i);
                        if (i < n && s[i] == ',') {
                                i = json_ws(s, n, i + 1);
                                continue;
                        }
                        return i < n && s[i] == close ? i + 1 : FAST_BAIL;
                }
        }
        default:
                return json_number_scan(s, n, i);
        }
}

static int unknown_push(struct article *a, size_t n, const struct article_unknown *u)
{
        if (n >= a->unknown_cap) {
                size_t cap = a->unknown_cap ? a->unknown_cap * 2 : 8;
                struct article_unknown *nu = realloc(a->unknown, cap * sizeof(*nu));
                if (!nu)
                        return -1;
                a->unknown = nu;
                a->unknown_cap = cap;
        }
        a->unknown[n] = *u;
        return 0;
}

/* 0: parsed into a; 1: not handled (a untouched, use Jansson); -1: memory. */
static int parse_json_fast(struct article *a, const struct article_options *o, const char *s,
                           size_t n)
{
        const struct article_fields *f = &o->fields;
        const char *names[FAST_SLOTS] = {f->id,     f->url,          f->title,   f->section,
                                         f->source, f->published_at, f->language};
        for (int k = 0; k < 4; k++)
                names[7 + k] = f->body[k];
        const char *val[FAST_SLOTS] = {0};
        size_t val_len[FAST_SLOTS] = {0};
        size_t nunknown = 0, arena_mark = a->arena_len;

        size_t i = json_ws(s, n, 0);
        if (i >= n || s[i] != '{')
                return 1;
        i = json_ws(s, n, i + 1);
        if (i < n && s[i] == '}') {
                i++;
                goto end;
        }
        for (;;) {
                if (i >= n || s[i] != '"')
                        goto bail;
                char *key = a->arena + a->arena_len;
                size_t klen;
                i = json_string_scan(s, n, i, key, &klen);
                if (i == FAST_BAIL)
                        goto bail;
                key[klen] = '\0';
                i = json_ws(s, n, i);
                if (i >= n || s[i] != ':')
                        goto bail;
                i = json_ws(s, n, i + 1);
                if (i >= n)
                        goto bail;

                int known = 0, body_stop = 0;
                for (int k = 0; k < FAST_SLOTS; k++) {
                        if (k >= 7 && (body_stop || !names[k])) {
                                body_stop = 1;
                                continue;
                        }
                        /* first byte first: most keys match no slot */
                        if (names[k] && names[k][0] == key[0] && !strcmp(names[k], key))
                                known |= 1 << k;
                }
                if (known) {
                        /* the key is not kept; its value takes its place in the arena */
                        if (s[i] == 'n' && n - i >= 4 && !memcmp(s + i, "null", 4)) {
                                for (int k = 0; k < FAST_SLOTS; k++)
                                        if (known & (1 << k)) {
                                                val[k] = NULL;
                                                val_len[k] = 0;
                                        }
                                i += 4;
                        } else if (s[i] == '"') {
                                const char *v;
                                size_t vlen;
                                i = json_string_to_arena(a, s, n, i, &v, &vlen);
                                if (i == FAST_BAIL)
                                        goto bail;
                                for (int k = 0; k < FAST_SLOTS; k++)
                                        if (known & (1 << k)) {
                                                val[k] = v;
                                                val_len[k] = vlen;
                                        }
                        } else {
                                goto bail; /* ints, field_type errors: Jansson's path */
                        }
                } else {
                        struct article_unknown u = {.key = key};
                        a->arena_len += klen + 1;
                        if (s[i] == '"') {
                                i = json_string_to_arena(a, s, n, i, &u.value, &u.value_len);
                                if (i == FAST_BAIL)
                                        goto bail;
                                u.is_string = 1;
                        } else {
                                size_t st = i;
                                i = json_value_skip(s, n, i, 1);
                                if (i == FAST_BAIL)
                                        goto bail;
                                u.value = s + st;
                                u.value_len = i - st;
                        }
                        if (unknown_push(a, nunknown++, &u) < 0)
                                return -1;
                }
                i = json_ws(s, n, i);
                if (i < n && s[i] == ',') {
                        i = json_ws(s, n, i + 1);
                        continue;
                }
                if (i < n && s[i] == '}') {
                        i++;
                        break;
                }
                goto bail;
        }
end:
        if (json_ws(s, n, i) != n)
                goto bail;
        /* Unknown members pass through; building them is the only Jansson work. */
        json_t *extra = NULL;
        for (size_t k = 0; k < nunknown; k++) {
                const struct article_unknown *u = &a->unknown[k];
                json_t *v = u->is_string
                                ? json_stringn_nocheck(u->value, u->value_len)
                                : json_loadb(u->value, u->value_len, JSON_DECODE_ANY, NULL);
                if (!v || (!extra && !(extra = json_object())) ||
                    json_object_set_new(extra, u->key, v) < 0) {
                        /* a number Jansson cannot hold, or no memory: let Jansson decide */
                        json_decref(v);
                        json_decref(extra);
                        goto bail;
                }
        }
        a->source_fields = extra;
        a->id = val[0];
        a->url = val[1];
        a->title = val[2];
        a->title_len = val_len[2];
        a->section = val[3];
        a->source = val[4];
        a->language = val[6];
        for (int k = 7; k < FAST_SLOTS && names[k]; k++)
                if (val[k]) {
                        a->body = val[k];
                        a->body_len = val_len[k];
                        break;
                }
        char tmp[40];
        if (val[5] && article_date_iso(val[5], val_len[5], tmp, sizeof(tmp)) == 0)
                a->published_at = article_arena_put(a, tmp, strlen(tmp));
        else
                a->published_at = val[5]; /* kept as given: better than losing it */
        return 0;
bail:
        a->arena_len = arena_mark;
        return 1;
}

/* Index of the first '[' or '{' that opens level ARTICLE_JSON_MAX_DEPTH + 1
 * (strings skipped), or SIZE_MAX. Jansson's own limit (2048) would answer
 * differently by depth and, in auto format, let a deeper array pass as text. */
static size_t json_too_deep(const char *s, size_t n)
{
        int depth = 0, in_str = 0;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (in_str) {
                        if (c == '\\')
                                i++;
                        else if (c == '"')
                                in_str = 0;
                } else if (c == '"') {
                        in_str = 1;
                } else if (c == '[' || c == '{') {
                        if (++depth > ARTICLE_JSON_MAX_DEPTH)
                                return i;
                } else if (c == ']' || c == '}') {
                        depth--;
                }
        }
        return SIZE_MAX;
}

/* auto format: one complete non-object JSON value ([...], "...", a number,
 * true/false/null) comes from a JSON producer gone wrong, not from a scraper's
 * plain text, so it is read as JSON (and rejected as json_not_object) rather
 * than tagged as a tiny text article. Only such openings pay for the parse. */
int article_is_json_value(const char *t, size_t n)
{
        if (t[0] != '[' && t[0] != '"' && t[0] != '-' && !(t[0] >= '0' && t[0] <= '9') &&
            !(n == 4 && (!memcmp(t, "null", 4) || !memcmp(t, "true", 4))) &&
            !(n == 5 && !memcmp(t, "false", 5)))
                return 0;
        if (t[0] == '[' && json_too_deep(t, n) != SIZE_MAX)
                return 1; /* nesting no text has: JSON, rejected as too deep */
        json_t *j = json_loadb(t, n, JSON_DECODE_ANY, NULL);
        json_decref(j);
        return j != NULL;
}

int article_parse_json(struct article *a, const struct article_options *o, const char *data,
                       size_t len)
{
        if (!o->json_reference) {
                int rc = parse_json_fast(a, o, data, len);
                if (rc <= 0)
                        return rc;
        }
        size_t deep = json_too_deep(data, len);
        if (deep != SIZE_MAX)
                return article_reject(a, ARTICLE_JSON_SYNTAX,
                                      "JSON nested deeper than %d levels at byte %zu",
                                      ARTICLE_JSON_MAX_DEPTH, deep);
        json_error_t err;
        json_t *root = json_loadb(data, len, JSON_DECODE_ANY, &err);
        if (!root)
                return article_reject(a, ARTICLE_JSON_SYNTAX,
                                      "JSON syntax error at line %d column %d: %s", err.line,
                                      err.column, err.text);
        a->root = root;
        if (!json_is_object(root))
                return article_reject(a, ARTICLE_JSON_NOT_OBJECT, "JSON value is not an object");
        const struct article_fields *f = &o->fields;
        int rc = 0;
        char tmp[40];

        /* id: a string, or an integer written in decimal */
        json_t *id = f->id ? json_object_get(root, f->id) : NULL;
        if (id && json_is_integer(id)) {
                int n = snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT, json_integer_value(id));
                a->id = article_arena_put(a, tmp, (size_t)n);
        } else if ((rc = json_str(a, root, f->id, &a->id, NULL)) != 0) {
                return rc;
        }
        if ((rc = json_str(a, root, f->url, &a->url, NULL)) ||
            (rc = json_str(a, root, f->title, &a->title, &a->title_len)) ||
            (rc = json_str(a, root, f->section, &a->section, NULL)) ||
            (rc = json_str(a, root, f->source, &a->source, NULL)) ||
            (rc = json_str(a, root, f->language, &a->language, NULL)))
                return rc;
        for (int i = 0; i < 4 && f->body[i]; i++) {
                json_t *b = json_object_get(root, f->body[i]);
                if (!b || json_is_null(b))
                        continue;
                if ((rc = json_str(a, root, f->body[i], &a->body, &a->body_len)))
                        return rc;
                break;
        }
        json_t *pub = f->published_at ? json_object_get(root, f->published_at) : NULL;
        if (pub && json_is_integer(pub)) {
                if (article_epoch_iso(json_integer_value(pub), tmp, sizeof(tmp)) == 0)
                        a->published_at = article_arena_put(a, tmp, strlen(tmp));
        } else {
                const char *p;
                if ((rc = json_str(a, root, f->published_at, &p, NULL)))
                        return rc;
                if (p && article_date_iso(p, strlen(p), tmp, sizeof(tmp)) == 0)
                        a->published_at = article_arena_put(a, tmp, strlen(tmp));
                else
                        a->published_at = p; /* kept as given: better than losing it */
        }

        const char *key;
        json_t *val;
        json_object_foreach(root, key, val)
        {
                if (field_is_known(o, key))
                        continue;
                if (!a->source_fields && !(a->source_fields = json_object()))
                        return -1;
                if (json_object_set(a->source_fields, key, val) < 0)
                        return -1;
        }
        return 0;
}
