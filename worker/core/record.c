/* record: the enriched record, written field by field into a reused buffer. */
#include "record.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprint.h"
#include "jscan.h"

void record_buf_init(struct record_buf *b)
{
        memset(b, 0, sizeof(*b));
}

void record_buf_free(struct record_buf *b)
{
        if (!b)
                return;
        free(b->p);
        record_buf_init(b);
}

static int reserve_slow(struct record_buf *b, size_t more)
{
        if (more > SIZE_MAX - b->len - 1)
                return -1;
        size_t need = b->len + more + 1; /* +1: keep room for a NUL */
        if (need <= b->cap)
                return 0;
        size_t ncap = b->cap ? b->cap : 1024;
        while (ncap < need) {
                if (ncap > SIZE_MAX / 2)
                        return -1;
                ncap *= 2;
        }
        char *np = realloc(b->p, ncap);
        if (!np)
                return -1;
        b->p = np;
        b->cap = ncap;
        return 0;
}

/* Inlined: a record is ~40 small writes, and the buffer is warm after the
 * first records, so the common case is one comparison. */
static inline int reserve(struct record_buf *b, size_t more)
{
        if (b->cap > b->len && more < b->cap - b->len)
                return 0;
        return reserve_slow(b, more);
}

static inline __attribute__((always_inline)) int put(struct record_buf *b, const char *s, size_t n)
{
        if (reserve(b, n) < 0)
                return -1;
        memcpy(b->p + b->len, s, n);
        b->len += n;
        b->p[b->len] = '\0';
        return 0;
}

int record_put_raw(struct record_buf *b, const char *s, size_t n)
{
        return put(b, s, n);
}

/* always_inline so that strlen of a literal folds to a constant */
static inline __attribute__((always_inline)) int puts_lit(struct record_buf *b, const char *s)
{
        return put(b, s, strlen(s));
}

/* Decimal of v at the end of b: the same digits as "%" PRId64, without the
 * ~1k instructions snprintf costs per call on a path run for every record. */
static int put_int(struct record_buf *b, int64_t v)
{
        char d[24];
        size_t i = sizeof(d);
        /* via unsigned so INT64_MIN does not overflow */
        uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
        do {
                d[--i] = (char)('0' + u % 10);
                u /= 10;
        } while (u);
        if (v < 0)
                d[--i] = '-';
        return put(b, d + i, sizeof(d) - i);
}

/* ",\"confidence\":%.4g}" of x into num (size >= 32), by integers when x is
 * in [0.1, 1) and not within 1e-6 of a rounding tie (then the digits are
 * certainly printf's), else by snprintf. Most confidences are such values,
 * and printf's float formatting cost ~1.7k instructions per record. */
static void format_confidence(char *num, size_t size, double x)
{
        if (x >= 0.1 && x < 1.0) {
                double y = x * 10000.0, f = floor(y), frac = y - f;
                if (fabs(frac - 0.5) > 1e-6) {
                        unsigned k = (unsigned)f + (frac > 0.5);
                        if (k >= 10000) { /* rounds up to 1.000: %g prints "1" */
                                memcpy(num, ",\"confidence\":1}", sizeof(",\"confidence\":1}"));
                                return;
                        }
                        char *p = num;
                        memcpy(p, ",\"confidence\":0.", 16);
                        p += 16;
                        char d[4] = {(char)('0' + k / 1000), (char)('0' + k / 100 % 10),
                                     (char)('0' + k / 10 % 10), (char)('0' + k % 10)};
                        int nd = 4;
                        while (nd > 1 && d[nd - 1] == '0') /* %g drops trailing zeros */
                                nd--;
                        memcpy(p, d, (size_t)nd);
                        p += nd;
                        *p++ = '}';
                        *p = '\0';
                        return;
                }
        }
        snprintf(num, size, ",\"confidence\":%.4g}", x);
}

/* always_inline (with put_str_or_null): every key is a literal, so its
 * strlen folds and the three pieces become fixed-size copies; called out of
 * line they cost ~100 instructions each, a few hundred per record. */
static inline __attribute__((always_inline)) int put_key(struct record_buf *b, const char *key)
{
        /* one reserve and one length update for the three pieces ,"key": */
        size_t n = strlen(key);
        if (reserve(b, n + 4) < 0)
                return -1;
        char *o = b->p + b->len;
        o[0] = ',';
        o[1] = '"';
        memcpy(o + 2, key, n);
        o[n + 2] = '"';
        o[n + 3] = ':';
        b->len += n + 4;
        b->p[b->len] = '\0';
        return 0;
}

static inline __attribute__((always_inline)) int put_str_or_null(struct record_buf *b,
                                                                 const char *key, const char *s)
{
        if (put_key(b, key) < 0)
                return -1;
        return s ? record_put_string(b, s, strlen(s)) : puts_lit(b, "null");
}

static int dump_cb(const char *buffer, size_t size, void *data)
{
        return put(data, buffer, size);
}

#define DUMP_FLAGS (JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(6))

/* Strings are written as json_dump() writes them with DUMP_FLAGS (UTF-8 kept,
 * only '"', '\\' and controls escaped, \u escapes in upper-case hex), so record
 * fields and pass-through source_fields look alike. */
int record_put_string(struct record_buf *b, const char *s, size_t len)
{
        static const char hex[] = "0123456789ABCDEF";
        if (len > (SIZE_MAX - 2) / 6 || reserve(b, len * 6 + 2) < 0)
                return -1;
        char *o = b->p + b->len;
        *o++ = '"';
        for (size_t i = 0; i < len; i++) {
                size_t e = jscan_plain_end(s, i, len);
                memcpy(o, s + i, e - i);
                o += e - i;
                if ((i = e) >= len)
                        break;
                unsigned char c = (unsigned char)s[i];
                *o++ = '\\';
                switch (c) {
                case '"':
                case '\\':
                        *o++ = (char)c;
                        break;
                case '\b':
                        *o++ = 'b';
                        break;
                case '\f':
                        *o++ = 'f';
                        break;
                case '\n':
                        *o++ = 'n';
                        break;
                case '\r':
                        *o++ = 'r';
                        break;
                case '\t':
                        *o++ = 't';
                        break;
                default:
                        *o++ = 'u';
                        *o++ = '0';
                        *o++ = '0';
                        *o++ = hex[c >> 4];
                        *o++ = hex[c & 15];
                }
        }
        *o++ = '"';
        b->len = (size_t)(o - b->p);
        b->p[b->len] = '\0';
        return 0;
}

/* The text json_dump_callback(j, DUMP_FLAGS) gives, written directly:
 * through the callback it cost ~4 % of the pipeline for source_fields
 * alone. Reals (and anything unexpected) still go through Jansson so
 * their formatting stays Jansson's. */
static int put_json_value(struct record_buf *b, const json_t *j, int depth)
{
        switch (json_typeof(j)) {
        case JSON_STRING:
                return record_put_string(b, json_string_value(j), json_string_length(j));
        case JSON_INTEGER:
                return put_int(b, (int64_t)json_integer_value(j));
        case JSON_TRUE:
                return puts_lit(b, "true");
        case JSON_FALSE:
                return puts_lit(b, "false");
        case JSON_NULL:
                return puts_lit(b, "null");
        case JSON_OBJECT:
        case JSON_ARRAY:
                if (depth >= 32) /* deep: Jansson's own depth and cycle checks */
                        return json_dump_callback(j, dump_cb, b, DUMP_FLAGS);
                break;
        default:
                return json_dump_callback(j, dump_cb, b, DUMP_FLAGS);
        }
        if (json_is_array(j)) {
                size_t n = json_array_size(j);
                if (puts_lit(b, "[") < 0)
                        return -1;
                for (size_t i = 0; i < n; i++)
                        if ((i && puts_lit(b, ",") < 0) ||
                            put_json_value(b, json_array_get(j, i), depth + 1) < 0)
                                return -1;
                return puts_lit(b, "]");
        }
        if (puts_lit(b, "{") < 0)
                return -1;
        /* the iterator visits keys in the order json_dump does (insertion
         * order, without JSON_SORT_KEYS); keys may hold NULs, hence key_len */
        int first = 1;
        for (void *it = json_object_iter((json_t *)j); it;
             it = json_object_iter_next((json_t *)j, it), first = 0) {
                const char *k = json_object_iter_key(it);
                size_t klen = json_object_iter_key_len(it);
                if ((!first && puts_lit(b, ",") < 0) || record_put_string(b, k, klen) < 0 ||
                    puts_lit(b, ":") < 0 ||
                    put_json_value(b, json_object_iter_value(it), depth + 1) < 0)
                        return -1;
        }
        return puts_lit(b, "}");
}

/* A real as json_dump writes it with JSON_REAL_PRECISION(6) (Jansson's
 * jsonp_dtostr): "%.6g", ".0" appended when that has neither '.' nor 'e',
 * and the exponent without '+' or leading zeros. No json_real per value. */
static int put_real(struct record_buf *b, double r)
{
        char buf[40];
        int n = snprintf(buf, sizeof(buf), "%.6g", r);
        if (n < 0 || (size_t)n + 3 > sizeof(buf))
                return -1;
        size_t len = (size_t)n;
        if (!strchr(buf, '.') && !strchr(buf, 'e')) {
                memcpy(buf + len, ".0", 3);
                len += 2;
        }
        char *start = strchr(buf, 'e');
        if (start) {
                char *end = ++start + 1;
                if (*start == '-')
                        start++;
                while (*end == '0')
                        end++;
                if (end != start) {
                        memmove(start, end, len - (size_t)(end - buf));
                        len -= (size_t)(end - start);
                }
        }
        return put(b, buf, len);
}

/* The items of the JSON fast path (article.h) as the object json_dump would
 * write for them: members in order, a comma before every value or key that
 * is not the first in its object or array. */
static int put_items(struct record_buf *b, const struct article_item *items, size_t n)
{
        int first = 1, rc = puts_lit(b, "{");
        for (size_t k = 0; k < n && rc == 0; k++) {
                const struct article_item *it = &items[k];
                if (it->kind == ARTICLE_ITEM_ARRAY_END) {
                        rc = puts_lit(b, "]");
                        first = 0;
                        continue;
                }
                if (!first && puts_lit(b, ",") < 0)
                        return -1;
                first = 0;
                switch (it->kind) {
                case ARTICLE_ITEM_KEY:
                        rc = record_put_string(b, it->v.str, it->len) < 0 ? -1 : puts_lit(b, ":");
                        first = 1; /* its value follows without a comma */
                        break;
                case ARTICLE_ITEM_STRING:
                        rc = record_put_string(b, it->v.str, it->len);
                        break;
                case ARTICLE_ITEM_INT:
                        rc = put_int(b, (int64_t)it->v.i);
                        break;
                case ARTICLE_ITEM_REAL:
                        rc = put_real(b, it->v.r);
                        break;
                case ARTICLE_ITEM_TRUE:
                        rc = puts_lit(b, "true");
                        break;
                case ARTICLE_ITEM_FALSE:
                        rc = puts_lit(b, "false");
                        break;
                case ARTICLE_ITEM_NULL:
                        rc = puts_lit(b, "null");
                        break;
                case ARTICLE_ITEM_ARRAY:
                        rc = puts_lit(b, "[");
                        first = 1;
                        break;
                case ARTICLE_ITEM_JSON:
                        rc = put_json_value(b, it->v.json, 1);
                        break;
                default:
                        return -1;
                }
        }
        return rc < 0 ? -1 : puts_lit(b, "}");
}

static int put_json(struct record_buf *b, const char *key, const json_t *j)
{
        if (put_key(b, key) < 0)
                return -1;
        if (!j)
                return puts_lit(b, "null");
        return put_json_value(b, j, 0);
}

int record_build(struct record_buf *out, const struct article *a, const struct record_tags *tags,
                 const struct record_input *in, const char *processed_at)
{
        char num[96];
        int rc;
        out->len = 0;
        if (puts_lit(out, "{\"schema\":\"" RECORD_SCHEMA "\"") < 0 ||
            put_str_or_null(out, "id", a->id) < 0)
                return -1;
        if (a->id_derived && puts_lit(out, ",\"id_derived\":true") < 0)
                return -1;
        if (put_str_or_null(out, "url", a->url) < 0 ||
            put_str_or_null(out, "title", a->title) < 0 ||
            put_str_or_null(out, "published_at", a->published_at) < 0)
                return -1;
        if (a->source && put_str_or_null(out, "source", a->source) < 0)
                return -1;

        if (put_key(out, "language") < 0)
                return -1;
        if (tags->language) {
                if (puts_lit(out, "{\"code\":") < 0 ||
                    record_put_string(out, tags->language, strlen(tags->language)) < 0)
                        return -1;
                /* 1 and 0 (one-script languages, "und") are most records;
                 * other values keep printf's %.4g rounding. */
                if (tags->language_confidence == 1.0)
                        rc = puts_lit(out, ",\"confidence\":1}");
                else if (tags->language_confidence == 0.0 && !signbit(tags->language_confidence))
                        rc = puts_lit(out, ",\"confidence\":0}");
                else {
                        format_confidence(num, sizeof(num), tags->language_confidence);
                        rc = puts_lit(out, num);
                }
                if (rc < 0)
                        return -1;
        } else if (puts_lit(out, "null") < 0) {
                return -1;
        }
        /* [classify] pre-rendered text when the classifier gives it */
        if (tags->section_text
                ? put_key(out, "section") < 0 ||
                      record_put_raw(out, tags->section_text, tags->section_text_len) < 0
                : put_json(out, "section", tags->section) < 0)
                return -1;
        if (tags->topics_text
                ? put_key(out, "topics") < 0 ||
                      record_put_raw(out, tags->topics_text, tags->topics_text_len) < 0
                : put_json(out, "topics", tags->topics) < 0)
                return -1;
        if (tags->has_fingerprint) {
                char hex[17];
                fingerprint_hex(tags->fingerprint, hex);
                if (puts_lit(out, ",\"fingerprint\":{\"simhash\":\"") < 0 ||
                    put(out, hex, 16) < 0 || puts_lit(out, "\",\"v\":") < 0 ||
                    put_int(out, FINGERPRINT_VERSION) < 0 || puts_lit(out, "}") < 0)
                        return -1;
        } else if (puts_lit(out, ",\"fingerprint\":null") < 0) {
                return -1;
        }
        if (tags->explain && put_json(out, "explain", tags->explain) < 0)
                return -1;
        if (tags->body &&
            (put_key(out, "body") < 0 || record_put_string(out, tags->body, tags->body_len) < 0))
                return -1;
        if (a->source_fields && put_json(out, "source_fields", a->source_fields) < 0)
                return -1;
        if (!a->source_fields && a->source_nitems &&
            (put_key(out, "source_fields") < 0 ||
             put_items(out, a->source_items, a->source_nitems) < 0))
                return -1;
        if (a->utf8_repaired && puts_lit(out, ",\"utf8_repaired\":true") < 0)
                return -1;

        if (put_key(out, "input") < 0)
                return -1;
        if (in && in->topic) {
                if (puts_lit(out, "{\"topic\":") < 0 ||
                    record_put_string(out, in->topic, strlen(in->topic)) < 0)
                        return -1;
                if (puts_lit(out, ",\"partition\":") < 0 || put_int(out, in->partition) < 0 ||
                    puts_lit(out, ",\"offset\":") < 0 || put_int(out, in->offset) < 0 ||
                    puts_lit(out, "}") < 0)
                        return -1;
        } else if (in && in->line >= 0) {
                if (puts_lit(out, "{\"line\":") < 0 || put_int(out, in->line) < 0 ||
                    puts_lit(out, "}") < 0)
                        return -1;
        } else if (puts_lit(out, "null") < 0) {
                return -1;
        }
        if (put_key(out, "classifier") < 0 || puts_lit(out, "{\"version\":") < 0)
                return -1;
        if (tags->classifier_version
                ? record_put_string(out, tags->classifier_version, strlen(tags->classifier_version))
                : puts_lit(out, "null"))
                return -1;
        if (put_str_or_null(out, "taxonomy", tags->taxonomy_version) < 0 || puts_lit(out, "}") < 0)
                return -1;
        if (put_str_or_null(out, "processed_at", processed_at) < 0 || puts_lit(out, "}") < 0)
                return -1;
        return 0;
}
