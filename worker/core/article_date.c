/* article_date: dates as articles write them (ISO 8601 and numeric forms,
 * en/de/fr/es/it month names) and Unix times -> ISO 8601. */
#include "article.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <utf8proc.h>

#include "article_internal.h"

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

/* v as exactly @p width decimal digits (0 <= v < 10^width): printf's %0Nd
 * for the checked fields below, without snprintf, which cost as much as the
 * rest of parsing a dated article. */
static char *put_fixed(char *p, int v, int width)
{
        for (int k = width - 1; k >= 0; k--) {
                p[k] = (char)('0' + v % 10);
                v /= 10;
        }
        return p + width;
}

/* ISO 8601: YYYY-MM-DD[(T| )hh:mm[:ss[.f+]][Z|(+|-)hh[:]mm]]. Parsed whole
 * first, then written: YYYY-MM-DD or YYYY-MM-DDThh:mm:ss[Z|(+|-)hh:mm], at
 * most 26 bytes (article_date_iso asks for 32), @p out untouched on failure. */
static int date_iso(const char *s, size_t n, char *out)
{
        size_t i = 0;
        int y, mo, d, h = 0, mi = 0, se = 0, zh = 0, zm = 0;
        char zone = 0; /* 0 none, 'Z', '+' or '-' */
        if (parse_digits(s, n, &i, 4, &y) != 4 || i >= n || s[i++] != '-' ||
            parse_digits(s, n, &i, 2, &mo) != 2 || i >= n || s[i++] != '-' ||
            parse_digits(s, n, &i, 2, &d) != 2 || !valid_ymd(y, mo, d))
                return -1;
        int timed = i < n;
        if (timed) {
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
                if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
                        zone = 'Z';
                        i++;
                } else if (i < n && (s[i] == '+' || s[i] == '-')) {
                        zone = s[i++];
                        if (parse_digits(s, n, &i, 2, &zh) != 2 || zh > 14)
                                return -1;
                        if (i < n && s[i] == ':')
                                i++;
                        if ((i < n && parse_digits(s, n, &i, 2, &zm) != 2) || zm > 59)
                                return -1;
                }
                if (i != n)
                        return -1;
        }
        char *o = put_fixed(out, y, 4);
        *o++ = '-';
        o = put_fixed(o, mo, 2);
        *o++ = '-';
        o = put_fixed(o, d, 2);
        if (timed) {
                *o++ = 'T';
                o = put_fixed(o, h, 2);
                *o++ = ':';
                o = put_fixed(o, mi, 2);
                *o++ = ':';
                o = put_fixed(o, se, 2);
                if (zone)
                        *o++ = zone;
                if (zone == '+' || zone == '-') {
                        o = put_fixed(o, zh, 2);
                        *o++ = ':';
                        o = put_fixed(o, zm, 2);
                }
        }
        *o = '\0';
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
        article_trim(&s, &len);
        if (len == 0 || len > 64 || out_size < 32)
                return -1;
        if (date_iso(s, len, out) == 0)
                return 0;
        return date_words(s, len, out, out_size);
}

int article_epoch_iso(json_int_t v, char *out, size_t out_size)
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
