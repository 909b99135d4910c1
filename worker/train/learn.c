/* learn: one-vs-rest linear SVMs over classify_features (see learn.h).
 *
 * Features are (language, stem n-gram) pairs: the n-gram hash of
 * classify_features plus the language, with the stem text kept for the
 * model file. Values are scaled by 1/sqrt(CLASSIFY_NORM_REF) while training so
 * that a long article has unit norm (what the SVM's C is calibrated for); the
 * written weights are scaled back, so the model scores classify_run's x_f.
 *
 * Solver: dual coordinate descent for the L2-regularised squared-hinge loss
 * (Hsieh et al. 2008, LIBLINEAR -s 1), bias as a constant feature 1.
 * Topic thresholds: k-fold cross-validation on the training set gives an
 * out-of-fold score per (article, label); each label's threshold maximises
 * its F1 on those. Test data is never seen here. */
#define _GNU_SOURCE /* qsort_r */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learn.h"
#include "mem.h"
#include "taxonomy.h"

#define VALUE_SCALE 0.1 /* 1 / sqrt(CLASSIFY_NORM_REF) */

struct vocab_entry {
        uint64_t key; /* tx_slot_key(hash, lang); 0 empty */
        uint32_t str_off;
        uint32_t df;
        uint16_t str_len;
        uint8_t lang; /* tx lang slot */
};

struct learn {
        struct vocab_entry *vocab; /* open addressing; feature id = slot index */
        size_t vocab_mask, n_vocab;
        char *strs;
        size_t strs_len, strs_cap;
        /* documents, CSR */
        size_t *row;   /* n_docs + 1 */
        uint32_t *col; /* vocab slot */
        float *val;
        size_t n_docs, docs_cap, nnz, nnz_cap;
        /* labels per document, CSR */
        size_t *lrow;
        uint32_t *lcol;
        size_t n_lnz, lnz_cap;
        char **labels;
        size_t n_labels, labels_cap;
};

void learn_options_default(struct learn_options *o)
{
        memset(o, 0, sizeof(*o));
        o->kind = TAXONOMY_SECTION;
        o->c = 1.0;
        o->epochs = 40;
        o->seed = 1;
        o->min_df = 2;
        o->max_features = 200000;
        o->max_postings = 150000;
        o->folds = 3;
        o->title_weight = 3.0;
}

struct learn *learn_new(void)
{
        struct learn *l = calloc(1, sizeof(*l));
        if (!l)
                return NULL;
        l->vocab_mask = (1u << 16) - 1;
        l->vocab = calloc(l->vocab_mask + 1, sizeof(*l->vocab));
        l->row = calloc(1, sizeof(size_t));
        l->lrow = calloc(1, sizeof(size_t));
        l->docs_cap = 1;
        if (!l->vocab || !l->row || !l->lrow) {
                learn_destroy(l);
                return NULL;
        }
        return l;
}

void learn_destroy(struct learn *l)
{
        if (!l)
                return;
        free(l->vocab);
        free(l->strs);
        free(l->row);
        free(l->col);
        free(l->val);
        free(l->lrow);
        free(l->lcol);
        for (size_t i = 0; i < l->n_labels; i++)
                free(l->labels[i]);
        free(l->labels);
        free(l);
}

size_t learn_count(const struct learn *l)
{
        return l->n_docs;
}

/* Doubles the vocabulary table; feature ids (slots) change, so the CSR
 * columns written so far are remapped. */
static int vocab_grow(struct learn *l)
{
        size_t old_n = l->vocab_mask + 1, n = old_n * 2;
        struct vocab_entry *nv = calloc(n, sizeof(*nv));
        uint32_t *remap = malloc(old_n * sizeof(uint32_t));
        if (!nv || !remap || n > UINT32_MAX) {
                free(nv);
                free(remap);
                return -1;
        }
        for (size_t i = 0; i < old_n; i++) {
                if (!l->vocab[i].key)
                        continue;
                size_t s = l->vocab[i].key & (n - 1);
                while (nv[s].key)
                        s = (s + 1) & (n - 1);
                nv[s] = l->vocab[i];
                remap[i] = (uint32_t)s;
        }
        for (size_t i = 0; i < l->nnz; i++)
                l->col[i] = remap[l->col[i]];
        free(remap);
        free(l->vocab);
        l->vocab = nv;
        l->vocab_mask = n - 1;
        return 0;
}

static int label_id(struct learn *l, const char *s, uint32_t *id)
{
        for (size_t i = 0; i < l->n_labels; i++)
                if (!strcmp(l->labels[i], s)) {
                        *id = (uint32_t)i;
                        return 0;
                }
        if (mem_grow((void **)&l->labels, &l->labels_cap, l->n_labels + 1, sizeof(char *)) ||
            !(l->labels[l->n_labels] = strdup(s)))
                return -1;
        *id = (uint32_t)l->n_labels++;
        return 0;
}

static const char *stem_at(const struct text_tokens *t, size_t i, uint32_t *len)
{
        if (t->v[i].stem_len) {
                *len = t->v[i].stem_len;
                return t->buf + t->v[i].stem_off;
        }
        *len = t->v[i].norm_len;
        return t->buf + t->v[i].norm_off;
}

int learn_add(struct learn *l, struct classify_ctx *c, int lang, const struct text_tokens *toks,
              double title_weight, const char *const *labels, size_t n_labels)
{
        const struct classify_feature *fv;
        long n = classify_features(c, toks, title_weight, &fv);
        if (n < 0)
                return -1;
        unsigned slot = tx_lang_slot(lang);
        if (l->nnz + (size_t)n > l->nnz_cap) {
                /* col and val share one capacity. */
                size_t cap = l->nnz_cap;
                if (mem_grow((void **)&l->col, &cap, l->nnz + (size_t)n, sizeof(uint32_t)))
                        return -1;
                float *p = realloc(l->val, cap * sizeof(float));
                if (!p)
                        return -1;
                l->val = p;
                l->nnz_cap = cap;
        }
        if (l->n_docs + 2 > l->docs_cap) {
                size_t cap = l->docs_cap;
                if (mem_grow((void **)&l->row, &cap, l->n_docs + 2, sizeof(size_t)))
                        return -1;
                size_t *p = realloc(l->lrow, cap * sizeof(size_t));
                if (!p)
                        return -1;
                l->lrow = p;
                l->docs_cap = cap;
        }
        for (long i = 0; i < n; i++) {
                if (2 * (l->n_vocab + 1) > l->vocab_mask + 1 && vocab_grow(l))
                        return -1;
                uint64_t key = tx_slot_key(fv[i].hash, slot);
                size_t s = key & l->vocab_mask;
                while (l->vocab[s].key && l->vocab[s].key != key)
                        s = (s + 1) & l->vocab_mask;
                struct vocab_entry *v = &l->vocab[s];
                if (!v->key) {
                        char buf[1024];
                        size_t blen = 0;
                        for (uint32_t k = 0; k < fv[i].ntok; k++) {
                                uint32_t len;
                                const char *st = stem_at(toks, fv[i].first_token + k, &len);
                                if (blen + len + 2 > sizeof(buf))
                                        break;
                                if (k)
                                        buf[blen++] = ' ';
                                memcpy(buf + blen, st, len);
                                blen += len;
                        }
                        if (l->strs_len + blen + 1 > UINT32_MAX ||
                            mem_grow((void **)&l->strs, &l->strs_cap, l->strs_len + blen + 1, 1))
                                return -1;
                        memcpy(l->strs + l->strs_len, buf, blen);
                        l->strs[l->strs_len + blen] = '\0';
                        v->key = key;
                        v->str_off = (uint32_t)l->strs_len;
                        v->str_len = (uint16_t)blen;
                        v->lang = (uint8_t)slot;
                        l->strs_len += blen + 1;
                        l->n_vocab++;
                }
                v->df++;
                l->col[l->nnz] = (uint32_t)s;
                l->val[l->nnz] = (float)fv[i].value;
                l->nnz++;
        }
        if (mem_grow((void **)&l->lcol, &l->lnz_cap, l->n_lnz + n_labels + 1, sizeof(uint32_t)))
                return -1;
        for (size_t i = 0; i < n_labels; i++) {
                uint32_t id;
                if (label_id(l, labels[i], &id))
                        return -1;
                l->lcol[l->n_lnz++] = id;
        }
        l->n_docs++;
        l->row[l->n_docs] = l->nnz;
        l->lrow[l->n_docs] = l->n_lnz;
        return 0;
}

/* ---- training ---------------------------------------------------------- */

struct matrix {
        size_t n_docs, n_feat;
        const size_t *row;
        uint32_t *col; /* compact feature ids */
        float *val;
        double *sqnorm; /* ||x_i||^2 + 1 (bias) */
};

static uint64_t rng_next(uint64_t *s)
{
        /* xorshift64*: small, fast, and the same on every platform. */
        uint64_t x = *s;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        *s = x;
        return x * 0x2545f4914f6cdd1dULL;
}

static void shuffle(uint32_t *v, size_t n, uint64_t *rng)
{
        for (size_t i = n; i > 1; i--) {
                size_t j = rng_next(rng) % i;
                uint32_t t = v[i - 1];
                v[i - 1] = v[j];
                v[j] = t;
        }
}

/* Trains one binary SVM on the documents listed in @p docs (labels y[i] of
 * the i-th listed document, +1/-1). w has n_feat + 1 entries (last = bias). */
static void svm_train(const struct matrix *m, const uint32_t *docs, size_t n, const int8_t *y,
                      double c, int epochs, uint64_t seed, double *w, double *alpha,
                      uint32_t *order)
{
        const double diag = 0.5 / c;
        memset(w, 0, (m->n_feat + 1) * sizeof(double));
        memset(alpha, 0, n * sizeof(double));
        for (size_t i = 0; i < n; i++)
                order[i] = (uint32_t)i;
        uint64_t rng = seed * 0x9e3779b97f4a7c15ULL + 1;
        for (int it = 0; it < epochs; it++) {
                shuffle(order, n, &rng);
                double pg_max = -INFINITY, pg_min = INFINITY;
                for (size_t k = 0; k < n; k++) {
                        size_t i = order[k];
                        uint32_t d = docs[i];
                        double yi = y[i];
                        double s = w[m->n_feat];
                        for (size_t p = m->row[d]; p < m->row[d + 1]; p++)
                                s += w[m->col[p]] * m->val[p];
                        double g = yi * s - 1.0 + diag * alpha[i];
                        double pg = alpha[i] == 0.0 ? (g < 0.0 ? g : 0.0) : g;
                        if (pg > pg_max)
                                pg_max = pg;
                        if (pg < pg_min)
                                pg_min = pg;
                        if (fabs(pg) < 1e-12)
                                continue;
                        double old = alpha[i];
                        double q = m->sqnorm[d] + diag;
                        double a = old - g / q;
                        alpha[i] = a > 0.0 ? a : 0.0;
                        double delta = (alpha[i] - old) * yi;
                        for (size_t p = m->row[d]; p < m->row[d + 1]; p++)
                                w[m->col[p]] += delta * m->val[p];
                        w[m->n_feat] += delta;
                }
                if (pg_max - pg_min < 0.1)
                        break;
        }
}

static double svm_score(const struct matrix *m, const double *w, uint32_t d)
{
        double s = w[m->n_feat];
        for (size_t p = m->row[d]; p < m->row[d + 1]; p++)
                s += w[m->col[p]] * m->val[p];
        return s;
}

struct weight {
        uint32_t label, feat;
        float w;
};

static int cmp_weight_mag(const void *pa, const void *pb)
{
        const struct weight *a = pa, *b = pb;
        float x = fabsf(a->w), y = fabsf(b->w);
        if (x != y)
                return x > y ? -1 : 1;
        if (a->label != b->label)
                return a->label < b->label ? -1 : 1;
        return a->feat < b->feat ? -1 : (a->feat > b->feat);
}

struct scored {
        float score;
        int8_t pos;
};

static int cmp_scored(const void *pa, const void *pb)
{
        const struct scored *a = pa, *b = pb;
        if (a->score != b->score)
                return a->score > b->score ? -1 : 1;
        return a->pos > b->pos ? -1 : (a->pos < b->pos);
}

/* Threshold maximising F1 of one label over out-of-fold scores; 0 (the SVM's
 * own margin) when the label has too few positives to tell. */
static double tune_threshold(struct scored *s, size_t n, size_t positives)
{
        if (positives < 2)
                return 0.0;
        qsort(s, n, sizeof(*s), cmp_scored);
        size_t tp = 0;
        double best_f1 = -1.0, best_t = 0.0;
        for (size_t k = 0; k < n; k++) {
                tp += s[k].pos;
                if (k + 1 < n && s[k + 1].score == s[k].score)
                        continue;
                double f1 = 2.0 * (double)tp / (double)(k + 1 + positives);
                double t = k + 1 < n ? 0.5 * (s[k].score + s[k + 1].score) : s[k].score - 0.1;
                if (f1 > best_f1 + 1e-12 ||
                    (fabs(f1 - best_f1) <= 1e-12 && fabs(t) < fabs(best_t))) {
                        best_f1 = f1;
                        best_t = t;
                }
        }
        /* Cut-offs far from the margin come from a handful of articles: bound them. */
        if (best_t > 0.5)
                best_t = 0.5;
        if (best_t < -0.7)
                best_t = -0.7;
        return best_t;
}

static void logf_(void (*log)(const char *), const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void logf_(void (*log)(const char *), const char *fmt, ...)
{
        if (!log)
                return;
        char buf[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        log(buf);
}

static int cmp_u32_by_df(const void *pa, const void *pb, void *ctx)
{
        const struct learn *l = ctx;
        uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
        if (l->vocab[a].df != l->vocab[b].df)
                return l->vocab[a].df > l->vocab[b].df ? -1 : 1;
        /* Equal df: by language then text, never by slot (slots depend on table size). */
        if (l->vocab[a].lang != l->vocab[b].lang)
                return l->vocab[a].lang < l->vocab[b].lang ? -1 : 1;
        return strcmp(l->strs + l->vocab[a].str_off, l->strs + l->vocab[b].str_off);
}

static int doc_has_label(const struct learn *l, size_t d, uint32_t label)
{
        for (size_t p = l->lrow[d]; p < l->lrow[d + 1]; p++)
                if (l->lcol[p] == label)
                        return 1;
        return 0;
}

/* 1. Feature selection: df >= min_df, then the most frequent. *feats (kept
 * vocabulary slots, most frequent first) and *slot2feat (slot -> feature id or
 * UINT32_MAX) are the caller's to free. 0, or -1 out of memory. */
static int learn_select_features(const struct learn *l, const struct learn_options *o,
                                 uint32_t **feats, uint32_t **slot2feat, size_t *n_feat)
{
        size_t nv = l->vocab_mask + 1, nf = 0;
        uint32_t *fs = *feats = malloc(l->n_vocab * sizeof(uint32_t) + 1);
        uint32_t *s2f = *slot2feat = malloc(nv * sizeof(uint32_t));
        if (!fs || !s2f)
                return -1;
        for (size_t s = 0; s < nv; s++) {
                s2f[s] = UINT32_MAX;
                if (l->vocab[s].key && l->vocab[s].df >= (uint32_t)o->min_df)
                        fs[nf++] = (uint32_t)s;
        }
        qsort_r(fs, nf, sizeof(uint32_t), cmp_u32_by_df, (void *)l);
        if (nf > o->max_features)
                nf = o->max_features;
        for (size_t f = 0; f < nf; f++)
                s2f[fs[f]] = (uint32_t)f;
        *n_feat = nf;
        return 0;
}

/* 2. The pruned matrix (features not kept still counted in the norm, exactly
 * as classify_run sees them). Freed with matrix_free. 0, or -1. */
static int learn_build_matrix(const struct learn *l, const uint32_t *slot2feat, size_t nf,
                              struct matrix *m)
{
        m->n_docs = l->n_docs;
        m->n_feat = nf;
        size_t *row = malloc((l->n_docs + 1) * sizeof(size_t));
        m->col = malloc((l->nnz + 1) * sizeof(uint32_t));
        m->val = malloc((l->nnz + 1) * sizeof(float));
        m->sqnorm = malloc(l->n_docs * sizeof(double));
        m->row = row;
        if (!row || !m->col || !m->val || !m->sqnorm)
                return -1;
        size_t nnz = 0;
        row[0] = 0;
        for (size_t d = 0; d < l->n_docs; d++) {
                double sq = 1.0;
                for (size_t p = l->row[d]; p < l->row[d + 1]; p++) {
                        uint32_t f = slot2feat[l->col[p]];
                        if (f == UINT32_MAX)
                                continue;
                        float v = (float)(l->val[p] * VALUE_SCALE);
                        m->col[nnz] = f;
                        m->val[nnz++] = v;
                        sq += (double)v * v;
                }
                row[d + 1] = nnz;
                m->sqnorm[d] = sq;
        }
        return 0;
}

static void matrix_free(struct matrix *m)
{
        free((void *)m->row);
        free(m->col);
        free(m->val);
        free(m->sqnorm);
}

/* Buffers svm_train works in, sized for every article and feature. */
struct svm_scratch {
        uint32_t *docs, *order;
        int8_t *y;
        double *w, *alpha;
};

static int svm_scratch_init(struct svm_scratch *s, size_t n, size_t nf)
{
        s->docs = malloc(n * sizeof(uint32_t));
        s->order = malloc(n * sizeof(uint32_t));
        s->y = malloc(n);
        s->w = malloc((nf + 1) * sizeof(double));
        s->alpha = malloc(n * sizeof(double));
        return s->docs && s->order && s->y && s->w && s->alpha ? 0 : -1;
}

static void svm_scratch_free(struct svm_scratch *s)
{
        free(s->docs);
        free(s->order);
        free(s->y);
        free(s->w);
        free(s->alpha);
}

/* 3. Topic thresholds from out-of-fold scores into @p thr (sections: -1000,
 * i.e. the best label wins). 0, or -1 out of memory. */
static int learn_tune_thresholds(const struct learn *l, const struct learn_options *o,
                                 const struct matrix *m, struct svm_scratch *s, double *thr,
                                 void (*log)(const char *))
{
        size_t n = l->n_docs, L = l->n_labels;
        for (size_t k = 0; k < L; k++)
                thr[k] = o->kind == TAXONOMY_SECTION ? -1000.0 : 0.0;
        if (o->kind != TAXONOMY_TOPIC || o->folds < 2 || n < (size_t)o->folds * 2)
                return 0;
        if (L > SIZE_MAX / sizeof(float) / n)
                return -1;
        float *oof = malloc(n * L * sizeof(float));
        uint32_t *fold = malloc(n * sizeof(uint32_t));
        struct scored *sc = malloc(n * sizeof(*sc));
        int rc = -1;
        if (!oof || !fold || !sc)
                goto out;
        for (size_t i = 0; i < n; i++)
                fold[i] = (uint32_t)i;
        uint64_t rng = o->seed ^ 0x5eedf01dULL;
        shuffle(fold, n, &rng);
        /* fold[i] is now a permutation; article fold[i] goes to fold i % K. */
        uint32_t *fold_of = s->order; /* reuse as scratch */
        for (size_t i = 0; i < n; i++)
                fold_of[fold[i]] = (uint32_t)(i % (size_t)o->folds);
        memcpy(fold, fold_of, n * sizeof(uint32_t));
        for (int f = 0; f < o->folds; f++) {
                size_t nd = 0;
                for (size_t d = 0; d < n; d++)
                        if (fold[d] != (uint32_t)f)
                                s->docs[nd++] = (uint32_t)d;
                for (size_t k = 0; k < L; k++) {
                        for (size_t i = 0; i < nd; i++)
                                s->y[i] = doc_has_label(l, s->docs[i], (uint32_t)k) ? 1 : -1;
                        svm_train(m, s->docs, nd, s->y, o->c, o->epochs, o->seed + k, s->w,
                                  s->alpha, s->order);
                        for (size_t d = 0; d < n; d++)
                                if (fold[d] == (uint32_t)f)
                                        oof[d * L + k] = (float)svm_score(m, s->w, (uint32_t)d);
                }
                logf_(log, "cross-validation fold %d/%d done", f + 1, o->folds);
        }
        for (size_t k = 0; k < L; k++) {
                size_t pos = 0;
                for (size_t d = 0; d < n; d++) {
                        sc[d].score = oof[d * L + k];
                        sc[d].pos = (int8_t)doc_has_label(l, d, (uint32_t)k);
                        pos += (size_t)sc[d].pos;
                }
                thr[k] = tune_threshold(sc, n, pos);
        }
        rc = 0;
out:
        free(oof);
        free(fold);
        free(sc);
        return rc;
}

/* 4. Final models on all articles: @p bias per label and the non-zero weights
 * (*ws, *n_ws; the caller frees *ws), at most max_postings of the largest.
 * 0, or -1 out of memory. */
static int learn_fit(const struct learn *l, const struct learn_options *o, const struct matrix *m,
                     struct svm_scratch *s, double *bias, struct weight **ws, size_t *n_ws,
                     void (*log)(const char *))
{
        size_t n = l->n_docs, L = l->n_labels, nf = m->n_feat, cap = 0;
        for (size_t d = 0; d < n; d++)
                s->docs[d] = (uint32_t)d;
        for (size_t k = 0; k < L; k++) {
                for (size_t d = 0; d < n; d++)
                        s->y[d] = doc_has_label(l, d, (uint32_t)k) ? 1 : -1;
                svm_train(m, s->docs, n, s->y, o->c, o->epochs, o->seed + k, s->w, s->alpha,
                          s->order);
                bias[k] = s->w[nf];
                for (size_t f = 0; f < nf; f++) {
                        double v = s->w[f] * VALUE_SCALE;
                        if (fabs(v) < 1e-5)
                                continue;
                        if (mem_grow((void **)ws, &cap, *n_ws + 1, sizeof(**ws)))
                                return -1;
                        (*ws)[(*n_ws)++] = (struct weight){
                            .label = (uint32_t)k, .feat = (uint32_t)f, .w = (float)v};
                }
        }
        size_t before = *n_ws;
        if (*n_ws > o->max_postings) {
                qsort(*ws, *n_ws, sizeof(**ws), cmp_weight_mag);
                *n_ws = o->max_postings;
        }
        logf_(log, "%zu labels trained, %zu weights, %zu kept", L, before, *n_ws);
        return 0;
}

/* 5. The taxonomy document; NULL when out of memory. */
static json_t *learn_document(const struct learn *l, const struct learn_options *o,
                              const char *name, const char *version, size_t nf,
                              const uint32_t *feats, const double *thr, const double *bias,
                              const struct weight *ws, size_t n_ws)
{
        size_t L = l->n_labels;
        json_t *root = json_pack("{s:s, s:s, s:s, s:o}", "format", "stemtag.taxonomy.v1", "name",
                                 name, "version", version, "labels", json_array());
        json_t *trained = json_pack(
            "{s:s, s:s, s:I, s:I, s:f, s:I, s:I, s:I, s:f, s:s}", "revision", LEARN_REVISION,
            "learner", "one-vs-rest linear SVM (L2, squared hinge, dual coordinate descent)",
            "articles", (json_int_t)l->n_docs, "features", (json_int_t)nf, "c", o->c, "epochs",
            (json_int_t)o->epochs, "seed", (json_int_t)o->seed, "folds",
            (json_int_t)(o->kind == TAXONOMY_TOPIC ? o->folds : 0), "title_weight", o->title_weight,
            "kind", o->kind == TAXONOMY_SECTION ? "section" : "topic");
        if (!root || !trained || json_object_set_new(root, "trained", trained))
                goto oom;
        json_t *labels = json_object_get(root, "labels");
        json_t **stems = calloc(L, sizeof(json_t *));
        if (!stems)
                goto oom;
        for (size_t k = 0; k < L; k++) {
                stems[k] = json_object();
                json_t *lab = json_pack("{s:s, s:s, s:s, s:f, s:f, s:O}", "id", l->labels[k],
                                        "kind", o->kind == TAXONOMY_SECTION ? "section" : "topic",
                                        "name", l->labels[k], "threshold", thr[k], "bias", bias[k],
                                        "stems", stems[k]);
                if (!stems[k] || !lab || json_array_append_new(labels, lab)) {
                        for (size_t j = 0; j <= k; j++)
                                json_decref(stems[j]);
                        free(stems);
                        goto oom;
                }
        }
        for (size_t i = 0; i < n_ws; i++) {
                const struct vocab_entry *v = &l->vocab[feats[ws[i].feat]];
                const char *lang = v->lang == TX_LANG_UNKNOWN ? "*" : stem_lang_iso(v->lang);
                json_t *per = json_object_get(stems[ws[i].label], lang);
                if (!per) {
                        per = json_object();
                        if (!per || json_object_set_new(stems[ws[i].label], lang, per))
                                break;
                }
                json_object_set_new(per, l->strs + v->str_off, json_real(ws[i].w));
        }
        for (size_t k = 0; k < L; k++)
                json_decref(stems[k]);
        free(stems);
        return root;
oom:
        json_decref(root);
        return NULL;
}

json_t *learn_train(struct learn *l, const struct learn_options *o, const char *name,
                    const char *version, void (*log)(const char *), char *errstr,
                    size_t errstr_size)
{
        json_t *root = NULL;
        uint32_t *feats = NULL, *slot2feat = NULL;
        double *thr = NULL, *bias = NULL;
        struct weight *ws = NULL;
        struct matrix m = {0};
        struct svm_scratch s = {0};
        size_t nf = 0, n_ws = 0;
        if (!l->n_docs || !l->n_labels) {
                snprintf(errstr, errstr_size, "no labelled articles");
                return NULL;
        }
        if (learn_select_features(l, o, &feats, &slot2feat, &nf))
                goto oom;
        logf_(log, "%zu articles, %zu labels, %zu features seen, %zu kept (df >= %d)", l->n_docs,
              l->n_labels, l->n_vocab, nf, o->min_df);
        thr = malloc(l->n_labels * sizeof(double));
        bias = malloc(l->n_labels * sizeof(double));
        if (!thr || !bias || learn_build_matrix(l, slot2feat, nf, &m) ||
            svm_scratch_init(&s, l->n_docs, nf) || learn_tune_thresholds(l, o, &m, &s, thr, log) ||
            learn_fit(l, o, &m, &s, bias, &ws, &n_ws, log) ||
            !(root = learn_document(l, o, name, version, nf, feats, thr, bias, ws, n_ws)))
                goto oom;
        goto done;
oom:
        snprintf(errstr, errstr_size, "out of memory");
done:
        free(feats);
        free(slot2feat);
        matrix_free(&m);
        svm_scratch_free(&s);
        free(thr);
        free(bias);
        free(ws);
        return root;
}
