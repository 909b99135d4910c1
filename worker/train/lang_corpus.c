/* lang_corpus: corpus, split, transliteration and calibration of the language
 * model's training (lang_corpus.h). */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <utf8proc.h>

#include "hash.h"
#include "lang_corpus.h"
#include "langid.h"

static int corpus_lang(struct lang_corpus *c, const char *code)
{
        for (unsigned l = 0; l < c->nlang; l++)
                if (!strcmp(c->code[l], code))
                        return (int)l;
        if (c->nlang >= LANGID_MAX_LANGS)
                return -1;
        snprintf(c->code[c->nlang], sizeof(c->code[0]), "%s", code);
        return (int)c->nlang++;
}

static int corpus_push(struct lang_corpus *c, char *s, size_t len, int lang)
{
        if (c->n == c->cap) {
                size_t ncap = c->cap ? c->cap * 2 : 4096;
                struct line *nv = realloc(c->v, ncap * sizeof(*nv));
                if (!nv)
                        return -1;
                c->v = nv;
                c->cap = ncap;
        }
        c->v[c->n].s = s;
        c->v[c->n].len = len;
        c->v[c->n].lang = lang;
        c->v[c->n].h = hash_fnv1a(s, len, HASH_FNV_SEED);
        c->n++;
        return 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static int read_file_lines(struct lang_corpus *c, const char *path, int lang)
{
        FILE *f = fopen(path, "r");
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;

        if (!f) {
                fprintf(stderr, "train-lang: %s: %s\n", path, strerror(errno));
                return -1;
        }
        while ((n = getline(&line, &cap, f)) >= 0) {
                while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                        line[--n] = 0;
                if (!n)
                        continue;
                char *dup = strndup(line, (size_t)n);
                if (!dup || corpus_push(c, dup, (size_t)n, lang)) {
                        free(dup);
                        free(line);
                        fclose(f);
                        return -1;
                }
        }
        free(line);
        fclose(f);
        return 0;
}

/* Adds the "body" of every JSON line of @p path ({"lang": "ca", "body": ...},
 * e.g. the shared sib200-all/train.jsonl) under its "lang". */
int lang_corpus_read_jsonl(struct lang_corpus *c, const char *path)
{
        FILE *f = fopen(path, "r");
        char *line = NULL;
        size_t cap = 0, lineno = 0;
        ssize_t n;
        int rc = -1;

        if (!f) {
                fprintf(stderr, "train-lang: %s: %s\n", path, strerror(errno));
                return -1;
        }
        while ((n = getline(&line, &cap, f)) >= 0) {
                json_error_t jerr;
                lineno++;
                if (n <= 1)
                        continue;
                json_t *o = json_loadb(line, (size_t)n, 0, &jerr);
                if (!o) {
                        fprintf(stderr, "train-lang: %s:%zu: %s\n", path, lineno, jerr.text);
                        goto out;
                }
                const char *lang = json_string_value(json_object_get(o, "lang"));
                const char *body = json_string_value(json_object_get(o, "body"));
                char code[8];
                if (!lang || !body || strlen(lang) < 2 || strlen(lang) >= sizeof(code)) {
                        fprintf(stderr,
                                "train-lang: %s:%zu: needs a JSON object with string fields "
                                "\"lang\" (ISO code) and \"body\"\n",
                                path, lineno);
                        json_decref(o);
                        goto out;
                }
                snprintf(code, sizeof(code), "%s", lang);
                if (!strcmp(code, "nb") || !strcmp(code, "nn"))
                        strcpy(code, "no");
                int l = corpus_lang(c, code);
                size_t len = json_string_length(json_object_get(o, "body"));
                char *dup = len ? malloc(len + 1) : NULL;
                /* one line per sentence, as in the <iso>.txt files */
                if (dup) {
                        memcpy(dup, body, len);
                        dup[len] = 0;
                        for (size_t i = 0; i < len; i++)
                                if (dup[i] == '\n' || dup[i] == '\r')
                                        dup[i] = ' ';
                }
                json_decref(o);
                if (!len)
                        continue;
                if (l < 0 || !dup || corpus_push(c, dup, len, l)) {
                        fprintf(stderr, "train-lang: %s:%zu: %s\n", path, lineno,
                                l < 0 ? "more than 32 languages" : "out of memory");
                        free(dup);
                        goto out;
                }
        }
        rc = 0;
out:
        free(line);
        fclose(f);
        return rc;
}

/* ---- Serbian transliteration (1:1 apart from the digraphs lj, nj, dž) ---- */

/* UTF-8 through utf8proc, as everywhere else: one code point at s[*i], *i
 * moved past it; an ill-formed byte is skipped as U+FFFD. */
static uint32_t get_utf8(const unsigned char *s, size_t len, size_t *i)
{
        utf8proc_int32_t c;
        utf8proc_ssize_t n = utf8proc_iterate(s + *i, (utf8proc_ssize_t)(len - *i), &c);
        if (n <= 0) {
                (*i)++;
                return 0xfffd;
        }
        *i += (size_t)n;
        return (uint32_t)c;
}

static size_t put_utf8(char *o, uint32_t c)
{
        return (size_t)utf8proc_encode_char((utf8proc_int32_t)c, (utf8proc_uint8_t *)o);
}

/* Serbian Cyrillic alphabet in Gaj's Latin order; index = Cyrillic lowercase. */
static const struct {
        uint32_t cyr, cyr_up;
        const char *lat, *lat_up;
} sr_map[] = {
    {0x0430, 0x0410, "a", "A"},   {0x0431, 0x0411, "b", "B"},   {0x0446, 0x0426, "c", "C"},
    {0x0447, 0x0427, "č", "Č"},   {0x045b, 0x040b, "ć", "Ć"},   {0x0434, 0x0414, "d", "D"},
    {0x045f, 0x040f, "dž", "Dž"}, {0x0452, 0x0402, "đ", "Đ"},   {0x0435, 0x0415, "e", "E"},
    {0x0444, 0x0424, "f", "F"},   {0x0433, 0x0413, "g", "G"},   {0x0445, 0x0425, "h", "H"},
    {0x0438, 0x0418, "i", "I"},   {0x0458, 0x0408, "j", "J"},   {0x043a, 0x041a, "k", "K"},
    {0x043b, 0x041b, "l", "L"},   {0x0459, 0x0409, "lj", "Lj"}, {0x043c, 0x041c, "m", "M"},
    {0x043d, 0x041d, "n", "N"},   {0x045a, 0x040a, "nj", "Nj"}, {0x043e, 0x041e, "o", "O"},
    {0x043f, 0x041f, "p", "P"},   {0x0440, 0x0420, "r", "R"},   {0x0441, 0x0421, "s", "S"},
    {0x0448, 0x0428, "š", "Š"},   {0x0442, 0x0422, "t", "T"},   {0x0443, 0x0423, "u", "U"},
    {0x0432, 0x0412, "v", "V"},   {0x0437, 0x0417, "z", "Z"},   {0x0436, 0x0416, "ž", "Ž"},
};
#define SR_N (sizeof(sr_map) / sizeof(sr_map[0]))

static int sr_is_cyrillic(const char *s, size_t len)
{
        size_t cyr = 0, lat = 0, i = 0;
        while (i < len) {
                uint32_t c = get_utf8((const unsigned char *)s, len, &i);
                if (c >= 0x400 && c < 0x530)
                        cyr++;
                else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
                        lat++;
        }
        return cyr > lat;
}

/* Returns a new string (caller frees) in the other script, or NULL (OOM). */
static char *sr_transliterate(const char *s, size_t len, size_t *olen)
{
        const unsigned char *u = (const unsigned char *)s;
        int to_latin = sr_is_cyrillic(s, len);
        char *o = malloc(len * 2 + 4);
        size_t i = 0, n = 0;

        if (!o)
                return NULL;
        while (i < len) {
                size_t start = i;
                uint32_t c = get_utf8(u, len, &i);
                int done = 0;
                if (to_latin) {
                        for (size_t k = 0; k < SR_N && !done; k++) {
                                const char *t = c == sr_map[k].cyr      ? sr_map[k].lat
                                                : c == sr_map[k].cyr_up ? sr_map[k].lat_up
                                                                        : NULL;
                                if (t) {
                                        memcpy(o + n, t, strlen(t));
                                        n += strlen(t);
                                        done = 1;
                                }
                        }
                } else {
                        /* digraphs first: lj nj dž (any case) */
                        size_t j = i;
                        uint32_t c2 = j < len ? get_utf8(u, len, &j) : 0;
                        uint32_t lc = c | 0x20, lc2 = c2 == 0x17d ? 0x17e : (c2 | 0x20);
                        uint32_t out = 0;
                        int up = !(c & 0x20);
                        if (lc == 'l' && lc2 == 'j')
                                out = up ? 0x0409 : 0x0459;
                        else if (lc == 'n' && lc2 == 'j')
                                out = up ? 0x040a : 0x045a;
                        else if (lc == 'd' && lc2 == 0x17e)
                                out = up ? 0x040f : 0x045f;
                        if (out) {
                                n += put_utf8(o + n, out);
                                i = j;
                                done = 1;
                        }
                        for (size_t k = 0; k < SR_N && !done; k++) {
                                uint32_t lu = 0;
                                size_t q = 0;
                                const char *t = sr_map[k].lat;
                                lu = get_utf8((const unsigned char *)t, strlen(t), &q);
                                if (q != strlen(t))
                                        continue; /* digraph entries handled above */
                                const char *tu = sr_map[k].lat_up;
                                size_t q2 = 0;
                                uint32_t uu = get_utf8((const unsigned char *)tu, strlen(tu), &q2);
                                if (c == lu)
                                        out = sr_map[k].cyr;
                                else if (c == uu)
                                        out = sr_map[k].cyr_up;
                                if (out) {
                                        n += put_utf8(o + n, out);
                                        done = 1;
                                }
                        }
                }
                if (!done) {
                        memcpy(o + n, s + start, i - start);
                        n += i - start;
                }
        }
        o[n] = 0;
        *olen = n;
        return o;
}

/* ---- training ---- */

enum split { SPLIT_DEV, SPLIT_CALIB, SPLIT_FIT };

static enum split split_of(const struct line *l, unsigned dev_every)
{
        if (l->h % dev_every == 0)
                return SPLIT_DEV;
        if ((l->h / dev_every) % 10 == 1)
                return SPLIT_CALIB;
        return SPLIT_FIT;
}

int lang_corpus_train(const struct lang_corpus *c, unsigned dev_every, int with_calib,
                      const struct langid_build_params *p, const char *path, size_t *bytes)
{
        char err[512];
        struct langid_builder *b = langid_builder_new();
        if (!b) {
                fprintf(stderr, "train-lang: out of memory\n");
                return -1;
        }
        for (unsigned l = 0; l < c->nlang; l++)
                if (langid_builder_lang(b, c->code[l]) != (int)l) {
                        fprintf(stderr, "train-lang: bad language code '%s'\n", c->code[l]);
                        langid_builder_destroy(b);
                        return -1;
                }
        *bytes = 0;
        for (size_t i = 0; i < c->n; i++) {
                const struct line *l = &c->v[i];
                enum split sp = split_of(l, dev_every);
                if (sp == SPLIT_DEV || (sp == SPLIT_CALIB && !with_calib))
                        continue;
                if (langid_builder_add(b, l->lang, l->s, l->len))
                        goto oom;
                *bytes += l->len;
                if (!strcmp(c->code[l->lang], "sr")) {
                        size_t tl;
                        char *t = sr_transliterate(l->s, l->len, &tl);
                        if (!t || langid_builder_add(b, l->lang, t, tl)) {
                                free(t);
                                goto oom;
                        }
                        free(t);
                }
        }
        if (langid_builder_write(b, p, path, err, sizeof(err))) {
                fprintf(stderr, "train-lang: %s\n", err);
                langid_builder_destroy(b);
                return -1;
        }
        langid_builder_destroy(b);
        return 0;
oom:
        fprintf(stderr, "train-lang: out of memory\n");
        langid_builder_destroy(b);
        return -1;
}

/* Calibration samples: the whole line and one word pair per calibration line. */
struct sample {
        double sc[LANGID_MAX_LANGS];
        int lang;
};

static size_t word_pair(const char *s, size_t len, uint64_t h, size_t *start)
{
        size_t words[256], nw = 0;
        int in = 0;
        for (size_t i = 0; i < len && nw < 256; i++) {
                int sp = s[i] == ' ';
                if (!sp && !in)
                        words[nw++] = i;
                in = !sp;
        }
        if (nw < 2)
                return 0;
        size_t w = (size_t)(h >> 20) % (nw - 1);
        *start = words[w];
        size_t end = *start;
        int spaces = 0;
        while (end < len && !(s[end] == ' ' && ++spaces == 2))
                end++;
        return end - *start;
}

static double nll_at(const struct sample *v, size_t n, double t)
{
        double nll = 0;
        for (size_t i = 0; i < n; i++) {
                double best = -HUGE_VAL, z = 0;
                for (unsigned l = 0; l < LANGID_MAX_LANGS; l++)
                        if (v[i].sc[l] > best)
                                best = v[i].sc[l];
                for (unsigned l = 0; l < LANGID_MAX_LANGS; l++)
                        if (v[i].sc[l] > -HUGE_VAL)
                                z += exp((v[i].sc[l] - best) / t);
                nll -= (v[i].sc[v[i].lang] - best) / t - log(z);
        }
        return nll / (double)(n ? n : 1);
}

int lang_corpus_calibrate(const struct lang_corpus *c, unsigned dev_every, const char *path,
                          double *temp)
{
        char err[512];
        struct langid_model *m = langid_model_load(path, err, sizeof(err));
        if (!m) {
                fprintf(stderr, "train-lang: %s\n", err);
                return -1;
        }
        size_t cap = 0, n = 0;
        for (size_t i = 0; i < c->n; i++)
                cap += split_of(&c->v[i], dev_every) == SPLIT_CALIB ? 2 : 0;
        struct sample *v = calloc(cap + 1, sizeof(*v));
        if (!v) {
                langid_model_destroy(m);
                return -1;
        }
        for (size_t i = 0; i < c->n; i++) {
                const struct line *l = &c->v[i];
                struct langid_result r = {{0}, 0};
                size_t ws, wl;
                if (split_of(l, dev_every) != SPLIT_CALIB)
                        continue;
                /* raw scores only matter for languages sharing a script */
                langid_detect_scores(m, NULL, 0, l->s, l->len, NULL, (size_t)-1, &r, v[n].sc);
                v[n].lang = l->lang;
                if (v[n].sc[l->lang] > -HUGE_VAL && strcmp(r.code, "und"))
                        n++;
                wl = word_pair(l->s, l->len, l->h, &ws);
                if (!wl)
                        continue;
                langid_detect_scores(m, NULL, 0, l->s + ws, wl, NULL, (size_t)-1, &r, v[n].sc);
                v[n].lang = l->lang;
                if (v[n].sc[l->lang] > -HUGE_VAL && strcmp(r.code, "und"))
                        n++;
        }
        double best_t = 1, best = HUGE_VAL;
        for (int step = 0; step < 160; step++) { /* 0.25 .. ~600, 5 % apart */
                double t = 0.25 * pow(1.05, step);
                double x = nll_at(v, n, t);
                if (x < best) {
                        best = x;
                        best_t = t;
                }
        }
        fprintf(stderr,
                "train-lang: calibration on %zu samples: temperature %.3f (nll %.4f, "
                "nll at T=1 %.4f)\n",
                n, best_t, best, nll_at(v, n, 1.0));
        *temp = best_t;
        free(v);
        langid_model_destroy(m);
        return 0;
}

int lang_corpus_write_split(const struct lang_corpus *c, unsigned dev_every, const char *dir,
                            int dev)
{
        if (mkdir(dir, 0777) && errno != EEXIST) {
                fprintf(stderr, "train-lang: %s: %s\n", dir, strerror(errno));
                return -1;
        }
        for (unsigned l = 0; l < c->nlang; l++) {
                char path[4096];
                snprintf(path, sizeof(path), "%s/%s.txt", dir, c->code[l]);
                FILE *f = fopen(path, "w");
                if (!f) {
                        fprintf(stderr, "train-lang: %s: %s\n", path, strerror(errno));
                        return -1;
                }
                for (size_t i = 0; i < c->n; i++) {
                        const struct line *ln = &c->v[i];
                        if (ln->lang != (int)l || (split_of(ln, dev_every) == SPLIT_DEV) != dev)
                                continue;
                        fprintf(f, "%s\n", ln->s);
                        if (dev && !strcmp(c->code[l], "sr")) {
                                /* dev covers both scripts, like training */
                                size_t tl;
                                char *t = sr_transliterate(ln->s, ln->len, &tl);
                                if (t)
                                        fprintf(f, "%s\n", t);
                                free(t);
                        }
                }
                if (fclose(f)) {
                        fprintf(stderr, "train-lang: %s: %s\n", path, strerror(errno));
                        return -1;
                }
        }
        return 0;
}

/* Adds every <iso>.txt of folder @p dir (in name order). */
int lang_corpus_read_dir(struct lang_corpus *c, const char *dir)
{
        DIR *d = opendir(dir);
        if (!d) {
                fprintf(stderr, "train-lang: %s: %s\n", dir, strerror(errno));
                return -1;
        }
        char *names[256] = {0};
        size_t nn = 0;
        int rc = -1;
        struct dirent *e;
        while ((e = readdir(d)) && nn < 256) {
                size_t len = strlen(e->d_name);
                if (len > 4 && len < 12 && !strcmp(e->d_name + len - 4, ".txt"))
                        names[nn++] = strdup(e->d_name);
        }
        closedir(d);
        qsort(names, nn, sizeof(names[0]), cmp_str);
        for (size_t i = 0; i < nn; i++) {
                char code[8], path[4096];
                if (!names[i])
                        goto out;
                snprintf(code, sizeof(code), "%.*s", (int)(strlen(names[i]) - 4), names[i]);
                if (!strcmp(code, "nb") || !strcmp(code, "nn"))
                        strcpy(code, "no");
                int lang = corpus_lang(c, code);
                snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
                if (lang < 0 || read_file_lines(c, path, lang))
                        goto out;
        }
        if (!nn)
                fprintf(stderr, "train-lang: %s: no <iso>.txt files\n", dir);
        rc = nn ? 0 : -1;
out:
        for (size_t i = 0; i < nn; i++)
                free(names[i]);
        return rc;
}

void lang_corpus_free(struct lang_corpus *c)
{
        for (size_t i = 0; i < c->n; i++)
                free(c->v[i].s);
        free(c->v);
        memset(c, 0, sizeof(*c));
}
