/* article_json: a JSON message -> struct article: a fast scanner for the
 * usual flat object of strings, and Jansson for everything else (and as the
 * reference the fast path is tested against). */
#include "article.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "article_internal.h"
#include "mem.h"
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
 * the arena and keeps unknown members as items (article.h) that the record
 * writes directly: no Jansson tree, and no allocation once the reused buffers
 * have grown. Only a member holding an object is read by Jansson. It is
 * deliberately partial: anything unusual (a known field that is not a string,
 * null or, for id and published_at, an integer; a \u0000, a lone surrogate,
 * deep nesting, a repeated unknown key, a number Jansson cannot hold, any
 * syntax error) returns "not handled" and the Jansson path below decides,
 * with its error message. So the fast path can only ever accept what Jansson
 * accepts, with the same values (checked by test_article_json_fast). */

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

void article_items_release(struct article *a, size_t from, size_t to)
{
        for (size_t k = from; a->items_json && k < to; k++)
                if (a->items[k].kind == ARTICLE_ITEM_JSON) {
                        json_decref(a->items[k].v.json);
                        a->items_json--;
                }
}

/* A new item at a->items[(*nitems)++]; NULL when out of memory. Growth only:
 * the array is reused, so after the first messages this allocates nothing. */
static struct article_item *item_push(struct article *a, size_t *nitems,
                                      enum article_item_kind kind)
{
        if (mem_grow((void **)&a->items, &a->items_cap, *nitems + 1, sizeof(*a->items)) < 0)
                return NULL;
        struct article_item *it = &a->items[(*nitems)++];
        it->kind = kind;
        it->len = 0;
        return it;
}

/* s[st, e) is a valid JSON integer: its value, or -1 when json_int_t cannot
 * hold it (Jansson rejects those: "too big integer"). strtoll's answer without
 * its cost. */
static int int_parse(const char *s, size_t st, size_t e, json_int_t *out)
{
        int neg = s[st] == '-';
        uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, v = 0;
        for (size_t k = st + (size_t)neg; k < e; k++) {
                unsigned d = (unsigned)(s[k] - '0');
                if (v > (lim - d) / 10)
                        return -1;
                v = v * 10 + d;
        }
        *out = neg ? (json_int_t)(0 - v) : (json_int_t)v;
        return 0;
}

/* s[st, e) is a valid JSON number with a fraction or exponent: its value as
 * Jansson reads it (strtod; an overflow to infinity is an error, -1). */
static int real_parse(const char *s, size_t st, size_t e, double *out)
{
        char buf[64];
        if (e - st >= sizeof(buf))
                return -1; /* no article has these: Jansson's path decides */
        memcpy(buf, s + st, e - st);
        buf[e - st] = '\0';
        errno = 0;
        double d = strtod(buf, NULL);
        if ((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE)
                return -1;
        *out = d;
        return 0;
}

#define FAST_OBJECT ((size_t)-2) /* item_value: an object inside, see there */
#define FAST_NOMEM  ((size_t)-3)

/* The value at s[i] of an unknown member, appended as items (strings decoded
 * into the arena). Returns the index after it; FAST_BAIL (not handled),
 * FAST_NOMEM, or FAST_OBJECT when it holds an object: then the caller keeps
 * the value as Jansson reads it, which settles duplicate keys inside. */
static size_t item_value(struct article *a, const char *s, size_t n, size_t i, size_t *nitems,
                         int depth)
{
        struct article_item *it;
        if (i >= n)
                return FAST_BAIL;
        switch (s[i]) {
        case '"':
                if (!(it = item_push(a, nitems, ARTICLE_ITEM_STRING)))
                        return FAST_NOMEM;
                return json_string_to_arena(a, s, n, i, &it->v.str, &it->len);
        case 't':
        case 'f':
        case 'n': {
                size_t e = json_value_skip(s, n, i, depth);
                if (e == FAST_BAIL)
                        return FAST_BAIL;
                if (!item_push(a, nitems,
                               s[i] == 't'   ? ARTICLE_ITEM_TRUE
                               : s[i] == 'f' ? ARTICLE_ITEM_FALSE
                                             : ARTICLE_ITEM_NULL))
                        return FAST_NOMEM;
                return e;
        }
        case '{':
                return FAST_OBJECT;
        case '[':
                if (depth >= FAST_MAX_DEPTH)
                        return FAST_BAIL;
                if (!item_push(a, nitems, ARTICLE_ITEM_ARRAY))
                        return FAST_NOMEM;
                i = json_ws(s, n, i + 1);
                if (i < n && s[i] == ']')
                        return item_push(a, nitems, ARTICLE_ITEM_ARRAY_END) ? i + 1 : FAST_NOMEM;
                for (;;) {
                        i = item_value(a, s, n, i, nitems, depth + 1);
                        if (i >= FAST_NOMEM) /* any of the three answers */
                                return i;
                        i = json_ws(s, n, i);
                        if (i < n && s[i] == ',') {
                                i = json_ws(s, n, i + 1);
                                continue;
                        }
                        if (i >= n || s[i] != ']')
                                return FAST_BAIL;
                        return item_push(a, nitems, ARTICLE_ITEM_ARRAY_END) ? i + 1 : FAST_NOMEM;
                }
        default: {
                size_t e = json_number_scan(s, n, i);
                if (e == FAST_BAIL)
                        return FAST_BAIL;
                int real = 0;
                for (size_t k = i; k < e; k++)
                        real |= s[k] == '.' || s[k] == 'e' || s[k] == 'E';
                if (!(it = item_push(a, nitems, real ? ARTICLE_ITEM_REAL : ARTICLE_ITEM_INT)))
                        return FAST_NOMEM;
                if (real ? real_parse(s, i, e, &it->v.r) : int_parse(s, i, e, &it->v.i))
                        return FAST_BAIL;
                return e;
        }
        }
}

/* The unknown member "key" (decoded at the arena's end, klen bytes) whose
 * value starts at s[i], appended as items. Returns the index after the value,
 * FAST_BAIL or FAST_NOMEM. */
static size_t unknown_member(struct article *a, const char *s, size_t n, size_t i, char *key,
                             size_t klen, size_t *nitems)
{
        /* Jansson keeps a repeated key at its first place with its last
         * value; that is rare enough to leave to Jansson's path. */
        for (size_t k = 0; k < *nitems; k++) {
                const struct article_item *o = &a->items[k];
                if (o->kind == ARTICLE_ITEM_KEY && o->len == klen && !memcmp(o->v.str, key, klen))
                        return FAST_BAIL;
        }
        struct article_item *it = item_push(a, nitems, ARTICLE_ITEM_KEY);
        if (!it)
                return FAST_NOMEM;
        it->v.str = key;
        it->len = klen;
        a->arena_len += klen + 1;
        size_t mark = *nitems, arena_mark = a->arena_len;
        size_t e = item_value(a, s, n, i, nitems, 1);
        if (e != FAST_OBJECT)
                return e;
        /* an object somewhere inside: this one value is a Jansson tree */
        *nitems = mark;
        a->arena_len = arena_mark;
        e = json_value_skip(s, n, i, 1);
        if (e == FAST_BAIL)
                return FAST_BAIL;
        json_t *v = json_loadb(s + i, e - i, JSON_DECODE_ANY, NULL);
        if (!v)
                return FAST_BAIL; /* e.g. a number Jansson cannot hold: its path decides */
        if (!(it = item_push(a, nitems, ARTICLE_ITEM_JSON))) {
                json_decref(v);
                return FAST_NOMEM;
        }
        it->v.json = v;
        a->items_json++;
        return e;
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
        /* id and published_at may be integers (scrapers send numeric ids and
         * Unix times): 1 while the slot's last value was one, held in ival */
        int is_int[FAST_SLOTS] = {0};
        json_int_t ival[FAST_SLOTS] = {0};
        size_t nitems = 0, arena_mark = a->arena_len;

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
                                                is_int[k] = 0;
                                        }
                                i += 4;
                        } else if ((s[i] == '-' || (s[i] >= '0' && s[i] <= '9')) &&
                                   !(known & ~(1 << 0 | 1 << 5))) {
                                /* an integer id or published_at; a real, or a
                                 * number in another field, is Jansson's error */
                                size_t e = json_number_scan(s, n, i);
                                json_int_t v;
                                if (e == FAST_BAIL || memchr(s + i, '.', e - i) ||
                                    memchr(s + i, 'e', e - i) || memchr(s + i, 'E', e - i) ||
                                    int_parse(s, i, e, &v) < 0)
                                        goto bail;
                                for (int k = 0; k < FAST_SLOTS; k++)
                                        if (known & (1 << k)) {
                                                val[k] = NULL;
                                                val_len[k] = 0;
                                                is_int[k] = 1;
                                                ival[k] = v;
                                        }
                                i = e;
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
                                                is_int[k] = 0;
                                        }
                        } else {
                                goto bail; /* field_type errors: Jansson's path */
                        }
                } else {
                        i = unknown_member(a, s, n, i, key, klen, &nitems);
                        if (i == FAST_NOMEM) {
                                article_items_release(a, 0, nitems);
                                a->arena_len = arena_mark;
                                return -1;
                        }
                        if (i == FAST_BAIL)
                                goto bail;
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
        /* unknown members pass through as items: no tree, no allocation */
        a->source_items = nitems ? a->items : NULL;
        a->source_nitems = nitems;
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
        if (is_int[0]) { /* as Jansson's path writes it: decimal */
                int len = snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT, ival[0]);
                a->id = article_arena_put(a, tmp, (size_t)len);
        }
        if (is_int[5]) {
                if (article_epoch_iso(ival[5], tmp, sizeof(tmp)) == 0)
                        a->published_at = article_arena_put(a, tmp, strlen(tmp));
        } else if (val[5] && article_date_iso(val[5], val_len[5], tmp, sizeof(tmp)) == 0) {
                a->published_at = article_arena_put(a, tmp, strlen(tmp));
        } else {
                a->published_at = val[5]; /* kept as given: better than losing it */
        }
        return 0;
bail:
        article_items_release(a, 0, nitems);
        a->arena_len = arena_mark;
        return 1;
}

/* items[*k] onwards: one value as a new Jansson value; *k moves past it. */
static json_t *item_to_json(const struct article_item *items, size_t n, size_t *k)
{
        const struct article_item *it = &items[(*k)++];
        switch (it->kind) {
        case ARTICLE_ITEM_STRING:
                return json_stringn_nocheck(it->v.str, it->len);
        case ARTICLE_ITEM_INT:
                return json_integer(it->v.i);
        case ARTICLE_ITEM_REAL:
                return json_real(it->v.r);
        case ARTICLE_ITEM_TRUE:
                return json_true();
        case ARTICLE_ITEM_FALSE:
                return json_false();
        case ARTICLE_ITEM_NULL:
                return json_null();
        case ARTICLE_ITEM_JSON:
                return json_incref(it->v.json);
        case ARTICLE_ITEM_ARRAY: {
                json_t *arr = json_array();
                while (arr && *k < n && items[*k].kind != ARTICLE_ITEM_ARRAY_END)
                        if (json_array_append_new(arr, item_to_json(items, n, k)) < 0) {
                                json_decref(arr);
                                return NULL;
                        }
                (*k)++; /* ARRAY_END */
                return arr;
        }
        default:
                return NULL;
        }
}

json_t *article_source_json(const struct article *a)
{
        if (a->source_fields)
                return json_incref(a->source_fields);
        if (!a->source_nitems)
                return NULL;
        json_t *obj = json_object();
        for (size_t k = 0; obj && k < a->source_nitems;) {
                const char *key = a->source_items[k++].v.str;
                if (json_object_set_new(obj, key,
                                        item_to_json(a->source_items, a->source_nitems, &k)) < 0) {
                        json_decref(obj);
                        return NULL;
                }
        }
        return obj;
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
