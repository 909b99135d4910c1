/* taxonomy files: structural checks of the shipped default taxonomy
 * (config/taxonomy/labels.json with the label definitions, and one keyword
 * file per language in config/taxonomy/lang/<iso>.json; format
 * stemtag.taxonomy.v1) that do not need the classifier engine: format header,
 * unique label ids, kinds, IPTC code syntax, keyword syntax and weights,
 * language keys that Snowball knows, a keyword file for each of the 28 news
 * languages, stem collisions inside one label/language (two entries an editor
 * thinks are different but that the loader would merge) and the alias table.
 * Keyword counts per language and label are guarded by `stemtag taxonomy
 * stats --check` (ctest cli.taxonomy_coverage). Every failure message names the
 * file, label, language and keyword so that an editor can fix the data. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <libstemmer.h>
#include <utf8proc.h>

#define MAX_FILES             64
#define MAX_KEYWORDS_PER_LIST 4096

/* fail_msg() longjmps out of the test; the return only tells static analysers so. */
#define FAIL(...)                                                                                  \
        do {                                                                                       \
                fail_msg(__VA_ARGS__);                                                             \
                return;                                                                            \
        } while (0)

/* The 28 news languages: each has a keyword file lang/<iso>.json. */
static const char *const required_langs[] = {
    "ar", "hy", "eu", "ca", "da", "nl", "en", "fi", "fr", "de", "el", "hi", "hu", "id", "ga",
    "it", "lt", "ne", "no", "pt", "ro", "ru", "sr", "es", "sv", "ta", "tr", "yi", NULL};

/* The IPTC Media Topics top level the default sections must carry, with codes. */
static const char *const required_sections[][2] = {
    {"politics", "medtop:11000000"},
    {"economy-business-finance", "medtop:04000000"},
    {"sport", "medtop:15000000"},
    {"arts-culture-entertainment", "medtop:01000000"},
    {"science-technology", "medtop:13000000"},
    {"health", "medtop:07000000"},
    {"environment", "medtop:06000000"},
    {"crime-law-justice", "medtop:02000000"},
    {"conflict-war-peace", "medtop:16000000"},
    {"disaster-accident", "medtop:03000000"},
    {"education", "medtop:05000000"},
    {"lifestyle-leisure", "medtop:10000000"},
    {"society", "medtop:14000000"},
    {"religion", "medtop:12000000"},
    {"weather", "medtop:17000000"},
    {"labour", "medtop:09000000"},
};

struct tx_file {
        char path[1024];
        json_t *root;
};

struct tx_set {
        struct tx_file files[MAX_FILES];
        size_t n;
};

static struct tx_set g_set;
static char g_dir[512];

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int load_one(const char *path)
{
        if (g_set.n == MAX_FILES) {
                fprintf(stderr, "more than %d taxonomy files\n", MAX_FILES);
                return -1;
        }
        struct tx_file *f = &g_set.files[g_set.n];
        int w = snprintf(f->path, sizeof(f->path), "%s", path);
        if (w < 0 || (size_t)w >= sizeof(f->path)) {
                fprintf(stderr, "%s: path too long\n", path);
                return -1;
        }
        json_error_t err;
        f->root = json_load_file(f->path, JSON_REJECT_DUPLICATES, &err);
        if (!f->root) {
                fprintf(stderr, "%s:%d:%d: %s\n", f->path, err.line, err.column, err.text);
                return -1;
        }
        g_set.n++;
        return 0;
}

/* labels.json first, then lang/<iso>.json sorted: the layout config/taxonomy/README.md describes.
 */
static int setup(void **state)
{
        (void)state;
        char path[1024];
        snprintf(path, sizeof(path), "%s/labels.json", g_dir);
        if (load_one(path))
                return -1;
        snprintf(path, sizeof(path), "%s/lang", g_dir);
        DIR *d = opendir(path);
        if (!d) {
                fprintf(stderr, "%s: %s\n", path, strerror(errno));
                return -1;
        }
        char *names[MAX_FILES] = {NULL};
        size_t n = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
                size_t len = strlen(e->d_name);
                if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0 && n < MAX_FILES)
                        names[n++] = strdup(e->d_name);
        }
        closedir(d);
        qsort(names, n, sizeof(names[0]), cmp_str);
        int rc = 0;
        for (size_t i = 0; i < n; i++) {
                snprintf(path, sizeof(path), "%s/lang/%s", g_dir, names[i]);
                if (rc == 0)
                        rc = load_one(path);
                free(names[i]);
        }
        return rc;
}

static int is_keyword_file(const struct tx_file *f)
{
        return json_object_get(f->root, "language") != NULL;
}

static int teardown(void **state)
{
        (void)state;
        for (size_t i = 0; i < g_set.n; i++)
                json_decref(g_set.files[i].root);
        g_set.n = 0;
        return 0;
}

static const struct tx_file *find_file(const char *base)
{
        for (size_t i = 0; i < g_set.n; i++) {
                const char *slash = strrchr(g_set.files[i].path, '/');
                if (strcmp(slash ? slash + 1 : g_set.files[i].path, base) == 0)
                        return &g_set.files[i];
        }
        return NULL;
}

static json_t *find_label(const char *id, const char **file)
{
        for (size_t i = 0; i < g_set.n; i++) {
                json_t *labels = json_object_get(g_set.files[i].root, "labels");
                size_t k;
                json_t *l;
                json_array_foreach(labels, k, l)
                {
                        if (strcmp(json_string_value(json_object_get(l, "id")), id) == 0) {
                                if (file)
                                        *file = g_set.files[i].path;
                                return l;
                        }
                }
        }
        return NULL;
}

/* NFC + casefold, as the engine does for article text and keywords. Caller frees. */
static char *fold(const char *s)
{
        utf8proc_uint8_t *out = NULL;
        utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)s, 0, &out,
                                          UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE |
                                              UTF8PROC_CASEFOLD);
        return r < 0 ? NULL : (char *)out;
}

static int is_word_cp(utf8proc_int32_t cp)
{
        switch (utf8proc_category(cp)) {
        case UTF8PROC_CATEGORY_LU:
        case UTF8PROC_CATEGORY_LL:
        case UTF8PROC_CATEGORY_LT:
        case UTF8PROC_CATEGORY_LM:
        case UTF8PROC_CATEGORY_LO:
        case UTF8PROC_CATEGORY_MN:
        case UTF8PROC_CATEGORY_MC:
        case UTF8PROC_CATEGORY_ND:
        case UTF8PROC_CATEGORY_NL:
        case UTF8PROC_CATEGORY_NO:
                return 1;
        default:
                return 0;
        }
}

/* Splits folded text into words and stems each with @p st (NULL: not stemmed);
 * writes the space-joined stems to @p out. Returns the number of words. */
static int stem_phrase(struct sb_stemmer *st, const char *folded, char *out, size_t out_size)
{
        const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)folded;
        utf8proc_ssize_t len = (utf8proc_ssize_t)strlen(folded), i = 0;
        size_t o = 0;
        int words = 0;
        out[0] = '\0';
        while (i < len) {
                utf8proc_int32_t cp;
                utf8proc_ssize_t n = utf8proc_iterate(p + i, len - i, &cp);
                if (n <= 0)
                        return -1;
                if (!is_word_cp(cp)) {
                        i += n;
                        continue;
                }
                utf8proc_ssize_t start = i;
                while (i < len) {
                        n = utf8proc_iterate(p + i, len - i, &cp);
                        if (n <= 0 || !is_word_cp(cp))
                                break;
                        i += n;
                }
                const char *w = (const char *)p + start;
                int wlen = (int)(i - start);
                if (st) {
                        const sb_symbol *s = sb_stemmer_stem(st, (const sb_symbol *)w, wlen);
                        /* an empty stem (Greek "ιού") keeps the word, as the loader does */
                        if (s && sb_stemmer_length(st) > 0) {
                                w = (const char *)s;
                                wlen = sb_stemmer_length(st);
                        }
                }
                if (wlen == 0 || o + (size_t)wlen + 2 > out_size)
                        return -1;
                if (o)
                        out[o++] = ' ';
                memcpy(out + o, w, (size_t)wlen);
                o += (size_t)wlen;
                out[o] = '\0';
                words++;
        }
        return words;
}

/* "[-]text[:weight]" -> text and weight. 0, or -1 with a reason. */
static int parse_keyword(const char *kw, char *text, size_t text_size, double *weight,
                         const char **why)
{
        const char *s = kw;
        int neg = 0;
        if (*s == '-') {
                neg = 1;
                s++;
        }
        size_t len = strlen(s);
        *weight = 1.0;
        const char *colon = strrchr(s, ':');
        if (colon) {
                char *end;
                errno = 0;
                double w = strtod(colon + 1, &end);
                if (colon[1] == '\0' || *end != '\0' || errno || !(w > 0.0) || w > 10.0) {
                        *why = "weight after ':' is not a number in (0, 10]";
                        return -1;
                }
                *weight = w;
                len = (size_t)(colon - s);
        }
        if (len == 0 || len >= text_size) {
                *why = "empty or overlong keyword";
                return -1;
        }
        if (isspace((unsigned char)s[0]) || isspace((unsigned char)s[len - 1])) {
                *why = "leading or trailing space";
                return -1;
        }
        memcpy(text, s, len);
        text[len] = '\0';
        if (neg)
                *weight = -*weight;
        return 0;
}

static int id_ok(const char *id)
{
        if (!*id)
                return 0;
        if (strncmp(id, "geo:", 4) == 0) {
                return strlen(id) == 6 && isupper((unsigned char)id[4]) &&
                       isupper((unsigned char)id[5]);
        }
        for (const char *c = id; *c; c++)
                if (!(islower((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '-'))
                        return 0;
        return id[0] != '-';
}

static int iptc_ok(const char *code)
{
        if (strncmp(code, "medtop:", 7) != 0 || strlen(code) != 15)
                return 0;
        for (const char *c = code + 7; *c; c++)
                if (!isdigit((unsigned char)*c))
                        return 0;
        return 1;
}

static void test_headers(void **state)
{
        (void)state;
        assert_true(g_set.n >= 1);
        for (size_t i = 0; i < g_set.n; i++) {
                const struct tx_file *f = &g_set.files[i];
                json_t *r = f->root;
                if (!json_is_object(r))
                        FAIL("%s: top level is not an object", f->path);
                const char *fmt = json_string_value(json_object_get(r, "format"));
                if (!fmt || strcmp(fmt, "stemtag.taxonomy.v1") != 0)
                        FAIL("%s: format is not stemtag.taxonomy.v1", f->path);
                if (is_keyword_file(f)) {
                        /* lang/<iso>.json holds the keywords of language <iso>, nothing else;
                         * lang/any.json those of "*" (names that do not change). */
                        const char *lang = json_string_value(json_object_get(r, "language"));
                        const char *base = strrchr(f->path, '/');
                        char want[16];
                        snprintf(want, sizeof(want), "%s.json",
                                 lang && !strcmp(lang, "*") ? "any"
                                 : lang                     ? lang
                                                            : "");
                        if (!lang || !base || strcmp(base + 1, want) != 0)
                                FAIL("%s: \"language\" must name the file (%s)", f->path,
                                     lang ? lang : "missing");
                        if (json_object_get(r, "labels") || json_object_get(r, "aliases"))
                                FAIL("%s: a keyword file defines no labels or aliases", f->path);
                        if (!json_is_object(json_object_get(r, "keywords")))
                                FAIL("%s: keywords must be an object", f->path);
                        continue;
                }
                if (!json_is_string(json_object_get(r, "name")) ||
                    !json_is_string(json_object_get(r, "version")))
                        FAIL("%s: name/version missing", f->path);
                json_t *labels = json_object_get(r, "labels");
                if (!json_is_array(labels) || json_array_size(labels) == 0)
                        FAIL("%s: labels missing or empty", f->path);
        }
        /* Every news language has its file. */
        for (const char *const *rl = required_langs; *rl; rl++) {
                char base[16];
                snprintf(base, sizeof(base), "%s.json", *rl);
                if (!find_file(base))
                        FAIL("config/taxonomy/lang/%s missing", base);
        }
}

/* Ids unique across all files (the loader rejects duplicates), ids well formed,
 * kind/name/iptc/threshold/bias types. */
static void test_labels(void **state)
{
        (void)state;
        const char *seen[4096];
        size_t nseen = 0;
        for (size_t i = 0; i < g_set.n; i++) {
                const char *path = g_set.files[i].path;
                size_t k;
                json_t *l;
                json_array_foreach(json_object_get(g_set.files[i].root, "labels"), k, l)
                {
                        const char *id = json_string_value(json_object_get(l, "id"));
                        if (!id || !id_ok(id))
                                FAIL("%s: label #%zu: bad id", path, k);
                        for (size_t s = 0; s < nseen; s++)
                                if (strcmp(seen[s], id) == 0)
                                        FAIL("%s: label %s: duplicate id", path, id);
                        assert_true(nseen < sizeof(seen) / sizeof(seen[0]));
                        seen[nseen++] = id;
                        const char *kind = json_string_value(json_object_get(l, "kind"));
                        if (!kind || (strcmp(kind, "section") && strcmp(kind, "topic")))
                                FAIL("%s: label %s: kind must be section or topic", path, id);
                        if (strncmp(id, "geo:", 4) == 0 && strcmp(kind, "topic") != 0)
                                FAIL("%s: label %s: geo labels are topics", path, id);
                        const char *name = json_string_value(json_object_get(l, "name"));
                        if (!name || !*name)
                                FAIL("%s: label %s: name missing", path, id);
                        json_t *iptc = json_object_get(l, "iptc");
                        if (iptc && (!json_is_string(iptc) || !iptc_ok(json_string_value(iptc))))
                                FAIL("%s: label %s: iptc must look like medtop:NNNNNNNN", path, id);
                        if (strcmp(kind, "section") == 0 && !iptc)
                                FAIL("%s: label %s: sections carry an IPTC code", path, id);
                        json_t *v = json_object_get(l, "threshold");
                        if (v && !json_is_number(v))
                                FAIL("%s: label %s: threshold is not a number", path, id);
                        v = json_object_get(l, "bias");
                        if (v && !json_is_number(v))
                                FAIL("%s: label %s: bias is not a number", path, id);
                }
        }
}

/* One keyword list: syntax, weights, phrase length, no two entries that stem alike. */
static void check_list(const char *path, const char *id, const char *lang, json_t *list,
                       size_t *total)
{
        struct sb_stemmer *st = NULL;
        if (strcmp(lang, "*") != 0) {
                st = sb_stemmer_new(lang, "UTF_8");
                if (!st || strlen(lang) != 2)
                        FAIL("%s: label %s: language %s has no Snowball stemmer", path, id, lang);
        }
        if (!json_is_array(list))
                FAIL("%s: label %s: keywords.%s is not an array", path, id, lang);
        size_t n = json_array_size(list);
        /* Stems of the keywords seen so far in this list. */
        static char stems[MAX_KEYWORDS_PER_LIST][256];
        if (n > MAX_KEYWORDS_PER_LIST)
                FAIL("%s: label %s: more than %d %s keywords", path, id, MAX_KEYWORDS_PER_LIST,
                     lang);
        size_t j;
        json_t *kw;
        json_array_foreach(list, j, kw)
        {
                const char *s = json_string_value(kw);
                char text[256];
                double w;
                const char *why = NULL;
                if (!s)
                        FAIL("%s: label %s: %s[%zu] is not a string", path, id, lang, j);
                if (parse_keyword(s, text, sizeof(text), &w, &why) < 0)
                        FAIL("%s: label %s: %s keyword \"%s\": %s", path, id, lang, s, why);
                char *f = fold(text);
                assert_non_null(f);
                int words = stem_phrase(st, f, stems[j], sizeof(stems[j]));
                free(f);
                if (words < 1 || words > 6)
                        FAIL("%s: label %s: %s keyword \"%s\": needs 1..6 words", path, id, lang,
                             s);
                for (size_t p = 0; p < j; p++)
                        if (strcmp(stems[p], stems[j]) == 0)
                                FAIL("%s: label %s: %s keyword \"%s\" stems to \"%s\" like \"%s\"",
                                     path, id, lang, s, stems[j],
                                     json_string_value(json_array_get(list, p)));
                (*total)++;
        }
        sb_stemmer_delete(st);
}

/* Keyword syntax, Snowball language keys, stem collisions; keyword files name
 * only labels that labels.json defines. */
static void test_keywords(void **state)
{
        (void)state;
        size_t total = 0;
        for (size_t i = 0; i < g_set.n; i++) {
                const struct tx_file *f = &g_set.files[i];
                const char *path = f->path;
                if (is_keyword_file(f)) {
                        const char *lang = json_string_value(json_object_get(f->root, "language"));
                        const char *id;
                        json_t *list;
                        json_object_foreach(json_object_get(f->root, "keywords"), id, list)
                        {
                                if (!find_label(id, NULL))
                                        FAIL("%s: label %s is not defined in labels.json", path,
                                             id);
                                check_list(path, id, lang, list, &total);
                        }
                        continue;
                }
                size_t k;
                json_t *l;
                json_array_foreach(json_object_get(f->root, "labels"), k, l)
                {
                        const char *id = json_string_value(json_object_get(l, "id"));
                        json_t *kws = json_object_get(l, "keywords");
                        if (!kws)
                                continue; /* keywords live in lang/<iso>.json */
                        if (!json_is_object(kws))
                                FAIL("%s: label %s: keywords is not an object", path, id);
                        const char *lang;
                        json_t *list;
                        json_object_foreach(kws, lang, list)
                        {
                                check_list(path, id, lang, list, &total);
                        }
                }
        }
        assert_true(total > 1000);
}

static void test_sections_iptc_top_level(void **state)
{
        (void)state;
        size_t n = sizeof(required_sections) / sizeof(required_sections[0]);
        for (size_t i = 0; i < n; i++) {
                const char *file = NULL;
                json_t *l = find_label(required_sections[i][0], &file);
                if (!l)
                        FAIL("section %s missing", required_sections[i][0]);
                assert_string_equal(json_string_value(json_object_get(l, "kind")), "section");
                assert_string_equal(json_string_value(json_object_get(l, "iptc")),
                                    required_sections[i][1]);
        }
}

/* Aliases point at existing sections; a source label maps to one section only. */
static void test_aliases(void **state)
{
        (void)state;
        char *seen[2048];
        const char *seen_id[2048];
        size_t nseen = 0, with_aliases = 0;
        for (size_t i = 0; i < g_set.n; i++) {
                const char *path = g_set.files[i].path;
                json_t *al = json_object_get(g_set.files[i].root, "aliases");
                if (!al)
                        continue;
                if (!json_is_object(al))
                        FAIL("%s: aliases is not an object", path);
                const char *id;
                json_t *list;
                json_object_foreach(al, id, list)
                {
                        json_t *l = find_label(id, NULL);
                        if (!l)
                                FAIL("%s: aliases.%s: no such label", path, id);
                        if (!json_is_array(list) || json_array_size(list) == 0)
                                FAIL("%s: aliases.%s: not a non-empty array", path, id);
                        with_aliases++;
                        size_t j;
                        json_t *a;
                        json_array_foreach(list, j, a)
                        {
                                if (!json_is_string(a) || !*json_string_value(a))
                                        FAIL("%s: aliases.%s[%zu]: not a string", path, id, j);
                                char *f = fold(json_string_value(a));
                                assert_non_null(f);
                                for (size_t s = 0; s < nseen; s++)
                                        if (strcmp(seen[s], f) == 0)
                                                FAIL("%s: alias \"%s\" maps to %s and %s", path,
                                                     json_string_value(a), seen_id[s], id);
                                assert_true(nseen < sizeof(seen) / sizeof(seen[0]));
                                seen_id[nseen] = id;
                                seen[nseen++] = f;
                        }
                }
        }
        for (size_t s = 0; s < nseen; s++)
                free(seen[s]);
        /* Every section has source labels that map to it. */
        assert_int_equal(with_aliases, sizeof(required_sections) / sizeof(required_sections[0]));
}

/* Issue 5: "~40 finer subjects that news desks route on". */
static void test_topics_file(void **state)
{
        (void)state;
        const struct tx_file *f = find_file("labels.json");
        assert_non_null(f);
        json_t *labels = json_object_get(f->root, "labels");
        size_t k, topics = 0;
        json_t *l;
        json_array_foreach(labels, k, l)
        {
                const char *id = json_string_value(json_object_get(l, "id"));
                const char *kind = json_string_value(json_object_get(l, "kind"));
                topics += strncmp(id, "geo:", 4) != 0 && strcmp(kind, "topic") == 0;
        }
        assert_true(topics >= 40);
        /* The topics the seed article and the issue name explicitly. */
        static const char *const named[] = {
            "elections", "armed-conflict",         "diplomacy", "migration",
            "energy",    "climate-change",         "markets",   "central-banks",
            "football",  "artificial-intelligence"};
        for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
                if (!find_label(named[i], NULL))
                        FAIL("topic %s missing", named[i]);
}

/* At least 60 countries, including the G20 members and the ones the issue names. */
static void test_geo_file(void **state)
{
        (void)state;
        const struct tx_file *f = find_file("labels.json");
        assert_non_null(f);
        json_t *labels = json_object_get(f->root, "labels");
        size_t k, countries = 0;
        json_t *l;
        json_array_foreach(labels, k, l)
        {
                const char *id = json_string_value(json_object_get(l, "id"));
                countries += strncmp(id, "geo:", 4) == 0;
        }
        assert_true(countries >= 60);
        static const char *const required[] = {
            /* G20 countries */
            "AR", "AU", "BR", "CA", "CN", "FR", "DE", "IN", "ID", "IT", "JP", "KR", "MX", "RU",
            "SA", "ZA", "TR", "GB", "US",
            /* EU members not in the G20 */
            "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "GR", "HU", "IE", "LV", "LT",
            "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
            /* named in issue 5 / the brief */
            "UA", "KP", "PK", "IR", "IQ", "IL", "PS", "SY", "LB", "AE", "QA", "EG", "NG", "KE",
            "ET", "VE", "CO", "TW", "AF", "BY", "RS", "CH", "NO"};
        for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
                char id[8];
                snprintf(id, sizeof(id), "geo:%s", required[i]);
                if (!find_label(id, NULL))
                        FAIL("%s missing", id);
        }
}

int main(void)
{
        const char *src = getenv("STEMTAG_SOURCE_DIR");
        if (!src) {
                fprintf(stderr, "STEMTAG_SOURCE_DIR not set: skipped\n");
                return 77;
        }
        snprintf(g_dir, sizeof(g_dir), "%s/config/taxonomy", src);
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_headers),  cmocka_unit_test(test_labels),
            cmocka_unit_test(test_keywords), cmocka_unit_test(test_sections_iptc_top_level),
            cmocka_unit_test(test_aliases),  cmocka_unit_test(test_topics_file),
            cmocka_unit_test(test_geo_file),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
