/* langid_eval.h: shared by bench_langid.c (C) and bench_langid_cld2.cc (C++):
 * loads a folder of <iso>.txt files (one sentence per line) and builds the
 * three evaluation sets:
 *   sentences  lines of 10..40 words
 *   pairs      two consecutive words (punctuation and digits stripped),
 *              at most 5 per line, from different positions
 *   words1/3   the same with one and with three consecutive words (the
 *              false-positive table of bench_langid)
 *   articles   consecutive lines of one language joined until >= 500 characters
 * Written in the common subset of C and C++; every function is static. */
#ifndef STEMTAG_LANGID_EVAL_H
#define STEMTAG_LANGID_EVAL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dirent.h>

#define EV_MAX_LANGS 64

struct ev_item {
        char *s;
        size_t len;
        int lang;
};

struct ev_set {
        struct ev_item *v;
        size_t n, cap;
};

struct ev_corpus {
        char code[EV_MAX_LANGS][8];
        int nlang;
        struct ev_set lines, sentences, pairs, articles, words1, words3;
};

/* Command line shared by the langid benches: [--model FILE] [--seconds S] DIR.
 * The model defaults to $STEMTAG_SOURCE_DIR/config/langid.model (written into
 * defmodel). Returns 0, or 2 after printing the usage for a bad option. */
static int ev_parse_args(int argc, char **argv, const char **model, const char **dir, double *secs,
                         char *defmodel, size_t defmodel_size)
{
        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--model") && i + 1 < argc)
                        *model = argv[++i];
                else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
                        *secs = atof(argv[++i]);
                else if (argv[i][0] == '-') {
                        fprintf(stderr, "usage: %s [--model FILE] [--seconds S] DIR\n", argv[0]);
                        return 2;
                } else
                        *dir = argv[i];
        }
        if (!*model) {
                const char *src = getenv("STEMTAG_SOURCE_DIR");
                snprintf(defmodel, defmodel_size, "%s/config/langid.model", src ? src : ".");
                *model = defmodel;
        }
        return 0;
}

static int ev_push(struct ev_set *s, char *str, size_t len, int lang)
{
        if (s->n == s->cap) {
                size_t ncap = s->cap ? s->cap * 2 : 1024;
                struct ev_item *nv = (struct ev_item *)realloc(s->v, ncap * sizeof(*nv));
                if (!nv)
                        return -1;
                s->v = nv;
                s->cap = ncap;
        }
        s->v[s->n].s = str;
        s->v[s->n].len = len;
        s->v[s->n].lang = lang;
        s->n++;
        return 0;
}

static int ev_cmp_code(const void *a, const void *b)
{
        return strcmp((const char *)a, (const char *)b);
}

static size_t ev_words(const char *s, size_t len)
{
        size_t n = 0;
        int in = 0;
        for (size_t i = 0; i < len; i++) {
                int sp = s[i] == ' ' || s[i] == '\t';
                if (!sp && !in)
                        n++;
                in = !sp;
        }
        return n;
}

static size_t ev_chars(const char *s, size_t len)
{
        size_t n = 0;
        for (size_t i = 0; i < len; i++)
                n += ((unsigned char)s[i] & 0xc0) != 0x80;
        return n;
}

/* A word with ASCII punctuation/digits stripped from both ends; 0 if it
 * contains a digit or nothing is left. */
static size_t ev_clean_word(const char *w, size_t len, const char **out)
{
        const char *strip = ".,;:!?\"'()[]{}-\xc2\xab\xc2\xbb";
        while (len && strchr(strip, w[0]))
                w++, len--;
        while (len && strchr(strip, w[len - 1]))
                len--;
        for (size_t i = 0; i < len; i++)
                if (w[i] >= '0' && w[i] <= '9')
                        return 0;
        *out = w;
        return len;
}

/* Snippets of @p k consecutive clean words (k = 1..3), at most 5 per line,
 * taken at positions 0, k, 2k, ... into @p out. */
static int ev_make_snippets(struct ev_set *out, const struct ev_item *it, size_t k)
{
        const char *ws[512];
        size_t wl[512], nw = 0, i = 0;
        while (i < it->len && nw < 512) {
                while (i < it->len && it->s[i] == ' ')
                        i++;
                size_t st = i;
                while (i < it->len && it->s[i] != ' ')
                        i++;
                if (i > st) {
                        const char *w;
                        size_t l = ev_clean_word(it->s + st, i - st, &w);
                        ws[nw] = l ? w : NULL;
                        wl[nw] = l;
                        nw++;
                }
        }
        int made = 0;
        for (size_t p0 = 0; p0 + k <= nw && made < 5; p0 += k) {
                size_t len = k - 1, j;
                for (j = 0; j < k && ws[p0 + j]; j++)
                        len += wl[p0 + j];
                if (j < k)
                        continue;
                char *p = (char *)malloc(len + 1), *q = p;
                if (!p)
                        return -1;
                for (j = 0; j < k; j++) {
                        if (j)
                                *q++ = ' ';
                        memcpy(q, ws[p0 + j], wl[p0 + j]);
                        q += wl[p0 + j];
                }
                *q = 0;
                if (ev_push(out, p, len, it->lang))
                        return -1;
                made++;
        }
        return 0;
}

static int ev_load(struct ev_corpus *c, const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        memset(c, 0, sizeof(*c));
        if (!d)
                return -1;
        while ((e = readdir(d)) && c->nlang < EV_MAX_LANGS) {
                size_t l = strlen(e->d_name);
                if (l > 4 && l < 12 && !strcmp(e->d_name + l - 4, ".txt"))
                        snprintf(c->code[c->nlang++], 8, "%.*s", (int)(l - 4), e->d_name);
        }
        closedir(d);
        qsort(c->code, (size_t)c->nlang, sizeof(c->code[0]), ev_cmp_code);
        for (int lang = 0; lang < c->nlang; lang++) {
                char path[4096], *line = NULL;
                size_t cap = 0;
                ssize_t n;
                snprintf(path, sizeof(path), "%s/%s.txt", dir, c->code[lang]);
                FILE *f = fopen(path, "r");
                if (!f)
                        return -1;
                char *art = NULL;
                size_t art_len = 0;
                while ((n = getline(&line, &cap, f)) >= 0) {
                        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                                line[--n] = 0;
                        if (!n)
                                continue;
                        char *dup = strdup(line);
                        if (!dup || ev_push(&c->lines, dup, (size_t)n, lang))
                                return -1;
                        size_t w = ev_words(line, (size_t)n);
                        if (w >= 10 && w <= 40 && ev_push(&c->sentences, dup, (size_t)n, lang))
                                return -1;
                        const struct ev_item *it = &c->lines.v[c->lines.n - 1];
                        if (ev_make_snippets(&c->pairs, it, 2) ||
                            ev_make_snippets(&c->words1, it, 1) ||
                            ev_make_snippets(&c->words3, it, 3))
                                return -1;
                        char *na = (char *)realloc(art, art_len + (size_t)n + 2);
                        if (!na)
                                return -1;
                        art = na;
                        if (art_len)
                                art[art_len++] = ' ';
                        memcpy(art + art_len, line, (size_t)n);
                        art_len += (size_t)n;
                        art[art_len] = 0;
                        if (ev_chars(art, art_len) >= 500) {
                                if (ev_push(&c->articles, art, art_len, lang))
                                        return -1;
                                art = NULL;
                                art_len = 0;
                        }
                }
                free(art); /* a short tail is not an article */
                free(line);
                fclose(f);
        }
        return 0;
}

/* Accuracy bookkeeping for one detector on one set. */
struct ev_score {
        size_t total[EV_MAX_LANGS], right[EV_MAX_LANGS];
        size_t conf[EV_MAX_LANGS][EV_MAX_LANGS + 1]; /* [truth][answer]; nlang = other/und */
        double seconds;
        size_t bytes;
};

static int ev_lang_index(const struct ev_corpus *c, const char *code)
{
        for (int l = 0; l < c->nlang; l++)
                if (!strcmp(c->code[l], code))
                        return l;
        return c->nlang;
}

static double ev_now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: "per core", load-proof */
        return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef const char *(*ev_detect_fn)(void *ud, const char *s, size_t len);

/* Runs @p fn over @p set (accuracy) and repeats the run until >= min_seconds
 * elapsed (throughput). */
static void ev_run(const struct ev_corpus *c, const struct ev_set *set, ev_detect_fn fn, void *ud,
                   double min_seconds, struct ev_score *sc)
{
        memset(sc, 0, sizeof(*sc));
        for (size_t i = 0; i < set->n; i++) {
                const struct ev_item *it = &set->v[i];
                int a = ev_lang_index(c, fn(ud, it->s, it->len));
                sc->total[it->lang]++;
                sc->right[it->lang] += a == it->lang;
                sc->conf[it->lang][a]++;
        }
        double t0 = ev_now(), t;
        size_t bytes = 0;
        do {
                for (size_t i = 0; i < set->n; i++) {
                        fn(ud, set->v[i].s, set->v[i].len);
                        bytes += set->v[i].len;
                }
                t = ev_now() - t0;
        } while (t < min_seconds && set->n);
        sc->seconds = t;
        sc->bytes = bytes;
}

static double ev_acc(const struct ev_score *sc, int l)
{
        return sc->total[l] ? 100.0 * (double)sc->right[l] / (double)sc->total[l] : 0;
}

static double ev_macro(const struct ev_corpus *c, const struct ev_score *sc)
{
        double s = 0;
        int n = 0;
        for (int l = 0; l < c->nlang; l++)
                if (sc->total[l]) {
                        s += ev_acc(sc, l);
                        n++;
                }
        return n ? s / n : 0;
}

static void ev_print_confusions(const struct ev_corpus *c, const char *who,
                                const struct ev_score *sc, int top)
{
        static size_t conf[EV_MAX_LANGS][EV_MAX_LANGS + 1]; /* bench only: not reentrant */
        memcpy(conf, sc->conf, sizeof(conf));
        printf("  top confusions (%s): ", who);
        for (int k = 0; k < top; k++) {
                size_t best = 0;
                int bt = -1, ba = -1;
                for (int t = 0; t < c->nlang; t++)
                        for (int a = 0; a <= c->nlang; a++)
                                if (a != t && conf[t][a] > best) {
                                        best = conf[t][a];
                                        bt = t;
                                        ba = a;
                                }
                if (bt < 0)
                        break;
                printf("%s%s->%s %zu", k ? ", " : "", c->code[bt],
                       ba == c->nlang ? "und/other" : c->code[ba], best);
                conf[bt][ba] = 0;
        }
        printf("\n");
}

#endif
