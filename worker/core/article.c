/* article: raw bytes -> struct article.
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
#include <time.h>

#include <utf8proc.h>

#include "hash.h"
#include "jscan.h"
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
        char *arena = a->arena, *fix = a->fix;
        size_t arena_cap = a->arena_cap, fix_cap = a->fix_cap, unknown_cap = a->unknown_cap;
        struct article_unknown *unknown = a->unknown;
        struct html_page html = a->html;
        memset(a, 0, sizeof(*a));
        a->html = html;
        a->arena = arena;
        a->arena_cap = arena_cap;
        a->fix = fix;
        a->fix_cap = fix_cap;
        a->unknown = unknown;
        a->unknown_cap = unknown_cap;
}

void article_free(struct article *a)
{
        if (!a)
                return;
        json_decref(a->source_fields);
        json_decref(a->root);
        free(a->arena);
        free(a->fix);
        free(a->unknown);
        html_page_free(&a->html);
        article_init(a);
}

static int reject(struct article *a, enum article_reason r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int reject(struct article *a, enum article_reason r, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(a->message, sizeof(a->message), fmt, ap);
        va_end(ap);
        a->reason = r;
        return 1;
}

static int reserve(char **p, size_t *cap, size_t need)
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
static const char *arena_put(struct article *a, const char *s, size_t n)
{
        char *d = a->arena + a->arena_len;
        memcpy(d, s, n);
        d[n] = '\0';
        a->arena_len += n + 1;
        return d;
}

static int is_blank(unsigned char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* Trims ASCII whitespace and no-break spaces (U+00A0) at both ends. */
static void trim(const char **s, size_t *n)
{
        const char *p = *s;
        size_t len = *n;
        for (;;) {
                if (len && is_blank((unsigned char)p[0])) {
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
                if (len && is_blank((unsigned char)p[len - 1]))
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

void article_derive_id(const char *data, size_t len, char out[17])
{
        uint64_t h = hash_fnv1a(data, len, HASH_FNV_SEED);
        snprintf(out, 17, "%016llx", (unsigned long long)h);
}

/* ---- dates ---------------------------------------------------------------- */

struct month_name {
        const char *name; /* lower case as utf8proc_tolower gives it */
        int month;
};

/* English, German, French, Spanish, Italian; common abbreviations too. */
static const struct month_name month_names[] = {
    {"january", 1},    {"jan", 1},       {"januar", 1},    {"jänner", 1},     {"janvier", 1},
    {"janv", 1},       {"enero", 1},     {"ene", 1},       {"gennaio", 1},    {"gen", 1},
    {"february", 2},   {"feb", 2},       {"februar", 2},   {"feber", 2},      {"février", 2},
    {"fevrier", 2},    {"févr", 2},      {"fevr", 2},      {"febrero", 2},    {"febbraio", 2},
    {"march", 3},      {"mar", 3},       {"märz", 3},      {"maerz", 3},      {"mär", 3},
    {"mrz", 3},        {"mars", 3},      {"marzo", 3},     {"april", 4},      {"apr", 4},
    {"avril", 4},      {"avr", 4},       {"abril", 4},     {"abr", 4},        {"aprile", 4},
    {"may", 5},        {"mai", 5},       {"mayo", 5},      {"maggio", 5},     {"mag", 5},
    {"june", 6},       {"jun", 6},       {"juni", 6},      {"juin", 6},       {"junio", 6},
    {"giugno", 6},     {"giu", 6},       {"july", 7},      {"jul", 7},        {"juli", 7},
    {"juillet", 7},    {"juil", 7},      {"julio", 7},     {"luglio", 7},     {"lug", 7},
    {"august", 8},     {"aug", 8},       {"août", 8},      {"aout", 8},       {"agosto", 8},
    {"ago", 8},        {"september", 9}, {"sep", 9},       {"sept", 9},       {"septembre", 9},
    {"septiembre", 9}, {"setiembre", 9}, {"settembre", 9}, {"set", 9},        {"october", 10},
    {"oct", 10},       {"oktober", 10},  {"okt", 10},      {"octobre", 10},   {"octubre", 10},
    {"ottobre", 10},   {"ott", 10},      {"november", 11}, {"nov", 11},       {"novembre", 11},
    {"noviembre", 11}, {"december", 12}, {"dec", 12},      {"dezember", 12},  {"dez", 12},
    {"décembre", 12},  {"decembre", 12}, {"déc", 12},      {"diciembre", 12}, {"dic", 12},
    {"dicembre", 12},
};

/* Words a date may contain besides day, month and year: weekdays, "de", "le". */
static const char *const date_fillers[] = {
    "de",        "del",        "le",        "der",      "den",     "am",        "the",
    "of",        "on",         "el",        "il",       "er",      "st",        "nd",
    "rd",        "th",         "o",         "º",        "ª",       "monday",    "tuesday",
    "wednesday", "thursday",   "friday",    "saturday", "sunday",  "mon",       "tue",
    "wed",       "thu",        "fri",       "sat",      "sun",     "montag",    "dienstag",
    "mittwoch",  "donnerstag", "freitag",   "samstag",  "sonntag", "sonnabend", "mo",
    "di",        "mi",         "do",        "fr",       "sa",      "so",        "lundi",
    "mardi",     "mercredi",   "jeudi",     "vendredi", "samedi",  "dimanche",  "lunes",
    "martes",    "miércoles",  "miercoles", "jueves",   "viernes", "sábado",    "sabado",
    "domingo",   "lunedì",     "lunedi",    "martedì",  "martedi", "mercoledì", "mercoledi",
    "giovedì",   "giovedi",    "venerdì",   "venerdi",  "sabato",  "domenica",
};

static int days_in_month(int y, int m)
{
        static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
                return 29;
        return d[m - 1];
}

static int valid_ymd(int y, int m, int d)
{
        return y >= 1000 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

static int parse_digits(const char *s, size_t n, size_t *i, int max_digits, int *out)
{
        int v = 0, k = 0;
        while (*i < n && k < max_digits && s[*i] >= '0' && s[*i] <= '9') {
                v = v * 10 + (s[*i] - '0');
                (*i)++;
                k++;
        }
        *out = v;
        return k;
}

/* ISO 8601: YYYY-MM-DD[(T| )hh:mm[:ss[.f+]][Z|(+|-)hh[:]mm]]. */
static int date_iso(const char *s, size_t n, char *out, size_t out_size)
{
        size_t i = 0;
        int y, mo, d, h = 0, mi = 0, se = 0;
        if (parse_digits(s, n, &i, 4, &y) != 4 || i >= n || s[i++] != '-' ||
            parse_digits(s, n, &i, 2, &mo) != 2 || i >= n || s[i++] != '-' ||
            parse_digits(s, n, &i, 2, &d) != 2 || !valid_ymd(y, mo, d))
                return -1;
        if (i == n) {
                snprintf(out, out_size, "%04d-%02d-%02d", y, mo, d);
                return 0;
        }
        if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
                return -1;
        i++;
        if (parse_digits(s, n, &i, 2, &h) != 2 || i >= n || s[i++] != ':' ||
            parse_digits(s, n, &i, 2, &mi) != 2 || h > 23 || mi > 59)
                return -1;
        if (i < n && s[i] == ':') {
                i++;
                if (parse_digits(s, n, &i, 2, &se) != 2 || se > 60)
                        return -1;
                if (i < n && (s[i] == '.' || s[i] == ',')) {
                        i++;
                        int frac;
                        while (i < n && parse_digits(s, n, &i, 9, &frac) > 0)
                                ;
                }
        }
        char zone[8] = "";
        if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
                strcpy(zone, "Z");
                i++;
        } else if (i < n && (s[i] == '+' || s[i] == '-')) {
                char sign = s[i++];
                int zh, zm = 0;
                if (parse_digits(s, n, &i, 2, &zh) != 2 || zh > 14)
                        return -1;
                if (i < n && s[i] == ':')
                        i++;
                if (i < n && parse_digits(s, n, &i, 2, &zm) != 2)
                        return -1;
                if (zm > 59)
                        return -1;
                snprintf(zone, sizeof(zone), "%c%02d:%02d", sign, zh, zm);
        }
        if (i != n)
                return -1;
        snprintf(out, out_size, "%04d-%02d-%02dT%02d:%02d:%02d%s", y, mo, d, h, mi, se, zone);
        return 0;
}

/* Lower-cases one UTF-8 word into out (NUL-terminated); -1 if it does not fit. */
static int word_lower(const char *s, size_t n, char *out, size_t out_size)
{
        size_t o = 0, i = 0;
        while (i < n) {
                utf8proc_int32_t cp;
                utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
                                                      (utf8proc_ssize_t)(n - i), &cp);
                if (k <= 0)
                        return -1;
                i += (size_t)k;
                if (o + 5 > out_size)
                        return -1;
                o +=
                    (size_t)utf8proc_encode_char(utf8proc_tolower(cp), (utf8proc_uint8_t *)out + o);
        }
        out[o] = '\0';
        return 0;
}

static int month_of(const char *w)
{
        for (size_t i = 0; i < sizeof(month_names) / sizeof(month_names[0]); i++)
                if (!strcmp(w, month_names[i].name))
                        return month_names[i].month;
        return 0;
}

static int is_filler(const char *w)
{
        for (size_t i = 0; i < sizeof(date_fillers) / sizeof(date_fillers[0]); i++)
                if (!strcmp(w, date_fillers[i]))
                        return 1;
        return 0;
}

/* Locale-independent, unlike isalpha(). */
static int is_ascii_alpha(unsigned char c)
{
        return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

/* "28. April, 2025", "April 28, 2025", "Montag, 28. April 2025", "28.04.2025". */
static int date_words(const char *s, size_t n, char *out, size_t out_size)
{
        int nums[3], nnum = 0, month = 0, nmonth = 0;
        char numsep[3] = {0};
        size_t i = 0;
        while (i < n) {
                unsigned char c = (unsigned char)s[i];
                if (c >= '0' && c <= '9') {
                        int v;
                        int k = parse_digits(s, n, &i, 5, &v);
                        if (k > 4 || nnum == 3)
                                return -1;
                        numsep[nnum] = i < n ? s[i] : '\0';
                        nums[nnum++] = k == 4 ? -v : v; /* negative: a 4-digit year */
                        continue;
                }
                if (c < 0x80 && !is_ascii_alpha(c)) {
                        if (c != ' ' && c != ',' && c != '.' && c != '/' && c != '-' && c != '\t')
                                return -1;
                        i++;
                        continue;
                }
                size_t st = i;
                while (i < n &&
                       ((unsigned char)s[i] >= 0x80 || is_ascii_alpha((unsigned char)s[i])))
                        i++;
                char w[32];
                if (word_lower(s + st, i - st, w, sizeof(w)) < 0)
                        return -1;
                int m = month_of(w);
                if (m) {
                        month = m;
                        nmonth++;
                } else if (!is_filler(w)) {
                        return -1;
                }
        }
        int y = 0, d = 0;
        if (nmonth == 1 && nnum == 2) {
                /* day and year in either order */
                if (nums[0] < 0 && nums[1] > 0) {
                        y = -nums[0];
                        d = nums[1];
                } else if (nums[1] < 0 && nums[0] > 0) {
                        y = -nums[1];
                        d = nums[0];
                } else {
                        return -1;
                }
        } else if (nmonth == 0 && nnum == 3 && nums[2] < 0 && nums[0] > 0 && nums[1] > 0 &&
                   numsep[0] == numsep[1] &&
                   (numsep[0] == '.' || numsep[0] == '/' || numsep[0] == '-')) {
                /* dd.mm.yyyy; mm/dd/yyyy only when the first number cannot be a month */
                y = -nums[2];
                d = nums[0];
                month = nums[1];
                if (month > 12 && d <= 12) {
                        int t = d;
                        d = month;
                        month = t;
                }
        } else if (nmonth == 0 && nnum == 3 && nums[0] < 0 && nums[1] > 0 && nums[2] > 0) {
                y = -nums[0]; /* yyyy/mm/dd, yyyy.mm.dd */
                month = nums[1];
                d = nums[2];
        } else {
                return -1;
        }
        if (!valid_ymd(y, month, d))
                return -1;
        snprintf(out, out_size, "%04d-%02d-%02d", y, month, d);
        return 0;
}

int article_date_iso(const char *s, size_t len, char *out, size_t out_size)
{
        trim(&s, &len);
        if (len == 0 || len > 64 || out_size < 32)
                return -1;
        if (date_iso(s, len, out, out_size) == 0)
                return 0;
        return date_words(s, len, out, out_size);
}

static int epoch_iso(json_int_t v, char *out, size_t out_size)
{
        if (v > 100000000000LL || v < -100000000000LL) /* milliseconds */
                v /= 1000;
        time_t t = (time_t)v;
        struct tm tm;
        if (!gmtime_r(&t, &tm))
                return -1;
        strftime(out, out_size, "%Y-%m-%dT%H:%M:%SZ", &tm);
        return 0;
}

/* ---- JSON ----------------------------------------------------------------- */

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
                return reject(a, ARTICLE_FIELD_TYPE, "field \"%s\" must be a string", name);
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
                        if (out) { /* 6 or 12 escape bytes always cover the 1-4 UTF-8 bytes */
                                if (u < 0x80) {
                                        out[o++] = (char)u;
                                } else if (u < 0x800) {
                                        out[o++] = (char)(0xC0 | (u >> 6));
                                        out[o++] = (char)(0x80 | (u & 0x3F));
                                } else if (u < 0x10000) {
                                        out[o++] = (char)(0xE0 | (u >> 12));
                                        out[o++] = (char)(0x80 | ((u >> 6) & 0x3F));
                                        out[o++] = (char)(0x80 | (u & 0x3F));
                                } else {
                                        out[o++] = (char)(0xF0 | (u >> 18));
                                        out[o++] = (char)(0x80 | ((u >> 12) & 0x3F));
                                        out[o++] = (char)(0x80 | ((u >> 6) & 0x3F));
                                        out[o++] = (char)(0x80 | (u & 0x3F));
                                }
                        }
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
                                char *v = a->arena + a->arena_len;
                                size_t vlen;
                                i = json_string_scan(s, n, i, v, &vlen);
                                if (i == FAST_BAIL)
                                        goto bail;
                                v[vlen] = '\0';
                                a->arena_len += vlen + 1;
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
                                char *v = a->arena + a->arena_len;
                                size_t vlen;
                                i = json_string_scan(s, n, i, v, &vlen);
                                if (i == FAST_BAIL)
                                        goto bail;
                                v[vlen] = '\0';
                                a->arena_len += vlen + 1;
                                u.value = v;
                                u.value_len = vlen;
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
                a->published_at = arena_put(a, tmp, strlen(tmp));
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
static int auto_is_json_value(const char *t, size_t n)
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

static int parse_json(struct article *a, const struct article_options *o, const char *data,
                      size_t len)
{
        if (!o->json_reference) {
                int rc = parse_json_fast(a, o, data, len);
                if (rc <= 0)
                        return rc;
        }
        size_t deep = json_too_deep(data, len);
        if (deep != SIZE_MAX)
                return reject(a, ARTICLE_JSON_SYNTAX,
                              "JSON nested deeper than %d levels at byte %zu",
                              ARTICLE_JSON_MAX_DEPTH, deep);
        json_error_t err;
        json_t *root = json_loadb(data, len, JSON_DECODE_ANY, &err);
        if (!root)
                return reject(a, ARTICLE_JSON_SYNTAX, "JSON syntax error at line %d column %d: %s",
                              err.line, err.column, err.text);
        a->root = root;
        if (!json_is_object(root))
                return reject(a, ARTICLE_JSON_NOT_OBJECT, "JSON value is not an object");
        const struct article_fields *f = &o->fields;
        int rc = 0;
        char tmp[40];

        /* id: a string, or an integer written in decimal */
        json_t *id = f->id ? json_object_get(root, f->id) : NULL;
        if (id && json_is_integer(id)) {
                int n = snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT, json_integer_value(id));
                a->id = arena_put(a, tmp, (size_t)n);
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
                if (epoch_iso(json_integer_value(pub), tmp, sizeof(tmp)) == 0)
                        a->published_at = arena_put(a, tmp, strlen(tmp));
        } else {
                const char *p;
                if ((rc = json_str(a, root, f->published_at, &p, NULL)))
                        return rc;
                if (p && article_date_iso(p, strlen(p), tmp, sizeof(tmp)) == 0)
                        a->published_at = arena_put(a, tmp, strlen(tmp));
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

/* ---- plain text ----------------------------------------------------------- */

/* A block: lines up to a blank line. */
struct block {
        const char *s;
        size_t len;
        int lines;
};

/* Next block at or after *pos; 0 when none is left. */
static int next_block(const char *s, size_t n, size_t *pos, struct block *b)
{
        size_t i = *pos;
        /* skip blank lines */
        for (;;) {
                size_t j = i;
                while (j < n && s[j] != '\n' && is_blank((unsigned char)s[j]))
                        j++;
                if (j >= n) {
                        *pos = n;
                        return 0;
                }
                if (s[j] != '\n') {
                        break;
                }
                i = j + 1;
        }
        size_t start = i;
        int lines = 0;
        for (;;) {
                size_t eol = i;
                while (eol < n && s[eol] != '\n')
                        eol++;
                const char *ln = s + i;
                size_t lnlen = eol - i;
                trim(&ln, &lnlen);
                if (lnlen == 0)
                        break;
                lines++;
                i = eol < n ? eol + 1 : n;
                if (i >= n)
                        break;
        }
        b->s = s + start;
        b->len = i - start;
        trim(&b->s, &b->len);
        b->lines = lines;
        *pos = i;
        return 1;
}

static size_t count_words(const char *s, size_t n)
{
        size_t words = 0;
        int in = 0;
        for (size_t i = 0; i < n; i++) {
                int sp = is_blank((unsigned char)s[i]);
                if (!sp && !in)
                        words++;
                in = !sp;
        }
        return words;
}

/* A section label: one short line of at most 4 words, no sentence punctuation. */
static int is_label(const struct block *b)
{
        if (b->lines != 1 || b->len > 48 || count_words(b->s, b->len) > 4)
                return 0;
        for (size_t i = 0; i < b->len; i++)
                if (strchr(".!?:;", b->s[i]))
                        return 0;
        return 1;
}

/* A headline: one line of at most 300 bytes. */
static int is_title(const struct block *b)
{
        return b->lines == 1 && b->len <= 300;
}

/* Layout of ../shared/examples/seed-article-de.txt, read leniently:
 *   [date]  [section]  title  body...   (blocks separated by blank lines)
 * A section needs a title after it; a title needs a body after it. Without a
 * date, a one-line first block not ending in '.' is still read as the title.
 * Anything else: the whole text is the body. */
static int parse_text(struct article *a, const char *s, size_t n)
{
        struct block b[4];
        size_t pos = 0, after[4] = {0};
        int nb = 0;
        while (nb < 4 && next_block(s, n, &pos, &b[nb])) {
                after[nb] = pos;
                nb++;
        }
        int i = 0;
        char iso[40];
        if (nb >= 2 && b[0].lines == 1 &&
            article_date_iso(b[0].s, b[0].len, iso, sizeof(iso)) == 0) {
                a->published_at = arena_put(a, iso, strlen(iso));
                i = 1;
        }
        int dated = i == 1;
        if (nb - i >= 3 && is_label(&b[i]) && is_title(&b[i + 1])) {
                a->section = arena_put(a, b[i].s, b[i].len);
                i++;
        }
        if (nb - i >= 2 && is_title(&b[i]) && (dated || b[i].s[b[i].len - 1] != '.')) {
                a->title = arena_put(a, b[i].s, b[i].len);
                a->title_len = b[i].len;
                i++;
        }
        const char *body = i == 0 ? s : s + after[i - 1];
        size_t body_len = (size_t)(s + n - body);
        trim(&body, &body_len);
        if (body_len) {
                a->body = arena_put(a, body, body_len);
                a->body_len = body_len;
        }
        return 0;
}

/* ---- entry point ---------------------------------------------------------- */

/* ---- HTML ------------------------------------------------------------------------ */

/* A whole page: its main text is the body; the page's metadata fills title,
 * url, date, language hint, section label and source. */
static int parse_html(struct article *a, const struct article_options *o, const char *data,
                      size_t len)
{
        char err[160];
        enum html_status rc = html_read_page(&a->html, data, len,
                                             o->utf8_policy == ARTICLE_UTF8_REPLACE, err,
                                             sizeof(err));
        if (rc == HTML_NOMEM)
                return -1;
        if (rc == HTML_ILL_FORMED)
                return reject(a, ARTICLE_INVALID_UTF8, "%s", err);
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
                a->published_at = article_date_iso(h->published, strlen(h->published), iso,
                                                   sizeof(iso)) == 0
                                      ? arena_put(a, iso, strlen(iso))
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
        if (reserve(&a->fix, &a->fix_cap, out + 1) < 0)
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
        trim(&s, &n);
        return n > 0;
}

static int is_blank_message(const char *data, size_t len)
{
        trim(&data, &len);
        return len == 0;
}

static int reject_blank(struct article *a, size_t len)
{
        return reject(a, ARTICLE_EMPTY, len ? "message holds only whitespace" : "message is empty");
}

int article_parse(struct article *a, const struct article_options *o, const char *data, size_t len)
{
        article_clear(a);
        if (o->max_bytes && len > o->max_bytes)
                return reject(a, ARTICLE_TOO_LARGE, "message of %zu bytes exceeds the limit of %zu",
                              len, o->max_bytes);
        /* A page declares its own charset: it is decoded before any UTF-8 check. */
        if (o->format == ARTICLE_FORMAT_HTML ||
            (o->format == ARTICLE_FORMAT_AUTO && html_is_page(data, len))) {
                if (is_blank_message(data, len))
                        return reject_blank(a, len);
                if (reserve(&a->arena, &a->arena_cap, ARENA_SLACK) < 0)
                        return -1;
                /* NUL bytes: the answer of every format, unless the page is UTF-16
                 * (whose bytes hold NULs by nature) */
                int utf16 = len >= 2 && ((unsigned char)data[0] == 0xFF ||
                                         (unsigned char)data[0] == 0xFE);
                const char *nul = utf16 ? NULL : memchr(data, 0, len);
                if (nul && o->utf8_policy == ARTICLE_UTF8_REJECT)
                        return reject(a, ARTICLE_INVALID_UTF8, "NUL byte at byte %zu",
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
                return reject(a, ARTICLE_INVALID_UTF8, "NUL byte at byte %zu",
                              (size_t)(nul - data));
        size_t bad;
        if (text_utf8_validate(data, len, &bad) < 0) {
                if (o->utf8_policy == ARTICLE_UTF8_REJECT)
                        return reject(a, ARTICLE_INVALID_UTF8, "invalid UTF-8 at byte %zu", bad);
                if (len > SIZE_MAX / 3 || reserve(&a->fix, &a->fix_cap, len * 3 + 1) < 0)
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
        trim(&t, &tlen);
        if (len > SIZE_MAX - ARENA_SLACK ||
            reserve(&a->arena, &a->arena_cap, len + ARENA_SLACK) < 0)
                return -1;

        enum article_format fmt = o->format;
        if (fmt == ARTICLE_FORMAT_AUTO)
                fmt = t[0] == '{' || auto_is_json_value(t, tlen) ? ARTICLE_FORMAT_JSON
                                                                 : ARTICLE_FORMAT_TEXT;
        a->format = fmt;
        int rc =
            fmt == ARTICLE_FORMAT_JSON ? parse_json(a, o, data, len) : parse_text(a, data, len);
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
                return reject(a, ARTICLE_NO_TEXT, "article has neither title nor body text");

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
                a->id = arena_put(a, id, 16);
                a->id_derived = 1;
        }
        return 0;
}
