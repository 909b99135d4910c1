/* classify: scores one article's stems against a compiled taxonomy (see the
 * scoring comment in classify.h).
 *
 * One pass over the tokens hashes each stem once, counts every stem and stem
 * bigram in a per-article open-addressing table (for the length norm) and
 * looks each distinct n-gram up in the taxonomy only the first time it is
 * seen. All buffers live in the per-thread ctx and only grow, so a run
 * allocates nothing per token; the JSON result is built per article. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "mem.h"
#include "jscan.h"
#include "taxonomy.h"

struct doc_feat {
        uint64_t hash;
        float count;
        int32_t entry; /* taxonomy entry index or -1 */
        uint32_t first_token;
        uint8_t ntok;
        uint8_t max_follow; /* of the taxonomy entry (unigrams) */
};

struct doc_slot {
        uint64_t hash;
        uint32_t feat;
        uint32_t gen; /* slot is in use for the current article iff gen == ctx->gen */
};

struct contrib {
        uint32_t feat;
        uint32_t slot; /* collect: the position of the label it speaks for */
        double value;
};

/* What speaks for one label in the current article (the evidence standard). */
struct label_evidence {
        uint16_t n;       /* distinct matched keywords (n-grams) with a positive weight */
        uint8_t learned;  /* a learned stem (no keyword) contributed: the standard is waived */
        uint8_t strong;   /* one of them is a strong keyword (CLASSIFY_STRONG_WEIGHT) */
        float max_weight; /* largest keyword weight among them */
};

struct classify_ctx {
        uint64_t *tok_hash;
        size_t tok_cap;
        struct doc_feat *feats;
        size_t n_feats, feats_cap;
        struct doc_slot *slots; /* open addressing over feats; live when gen matches */
        size_t slot_cap;        /* power of two */
        uint32_t gen;
        uint32_t *matched; /* feats with a taxonomy entry */
        size_t n_matched, matched_cap;
        double *score;
        size_t score_cap;
        uint8_t *hit; /* label had a matched feature or the alias prior */
        size_t hit_cap;
        struct label_evidence *ev; /* per touched label, reset by touch() */
        size_t ev_cap;
        uint32_t *touched; /* labels with hit set, to clear them cheaply */
        size_t n_touched, touched_cap;
        struct classify_tag *tags;
        size_t tags_cap;
        struct contrib *contrib;
        size_t contrib_cap;
        struct contrib *ev_list; /* collect: per label position, strongest first */
        size_t ev_list_cap;
        size_t *ev_start; /* ev_list range of position k: [ev_start[k], ev_start[k + 1]) */
        size_t ev_start_cap;
        uint32_t *slot_of; /* collect: label -> 1 + its position, 0 for the other labels */
        size_t slot_of_cap;
        uint32_t *ev_labels; /* collect_reported: the section, then the topics */
        size_t ev_labels_cap;
        struct classify_feature *out_feats;
        size_t out_cap;
        char *jbuf; /* options.json_text output */
        size_t jlen, jcap;
        int joom; /* an append failed: out of memory */
        double scale;
        double section_conf; /* confidence of the section of the current article */
};

void classify_options_default(struct classify_options *o)
{
        memset(o, 0, sizeof(*o));
        o->title_weight = 3.0;
        o->section_min_score = 1.0;
        o->topic_min_score = 1.0;
        o->topics_top_k = 8;
        o->alias_prior = 2.0;
        o->topic_margin = CLASSIFY_TOPIC_MARGIN;
        o->min_confidence = 0.0;
}

struct classify_ctx *classify_ctx_new(void)
{
        return calloc(1, sizeof(struct classify_ctx));
}

void classify_ctx_destroy(struct classify_ctx *c)
{
        if (!c)
                return;
        free(c->tok_hash);
        free(c->feats);
        free(c->slots);
        free(c->matched);
        free(c->score);
        free(c->hit);
        free(c->ev);
        free(c->touched);
        free(c->tags);
        free(c->contrib);
        free(c->ev_list);
        free(c->ev_start);
        free(c->slot_of);
        free(c->ev_labels);
        free(c->out_feats);
        free(c->jbuf);
        free(c);
}

/* 1 + ln c for the small whole counts most features have, without log(). */
static const double tf_small[17] = {
    0.0,           1.0,           1.69314718056, 2.09861228867, 2.38629436112, 2.60943791243,
    2.79175946923, 2.94591014906, 3.07944154168, 3.19722457734, 3.30258509299, 3.3978952728,
    3.48490664979, 3.56494935746, 3.63905732962, 3.7080502011,  3.77258872224};

static double tf(double c)
{
        if (c <= 1.0)
                return c;
        if (c <= 16.0 && c == (double)(int)c)
                return tf_small[(int)c];
        return 1.0 + log(c);
}

/* A fresh, empty table of at least @p need slots (a new article, or a rehash). */
static int slots_reset(struct classify_ctx *c, size_t need)
{
        if (need > c->slot_cap) {
                size_t n = c->slot_cap ? c->slot_cap : 256;
                while (n < need) {
                        if (n > SIZE_MAX / 2 / sizeof(struct doc_slot))
                                return -1;
                        n *= 2;
                }
                struct doc_slot *p = calloc(n, sizeof(*p));
                if (!p)
                        return -1;
                free(c->slots);
                c->slots = p;
                c->slot_cap = n;
                c->gen = 0;
        }
        if (++c->gen == 0) { /* wrapped: stamps of 2^32 articles ago would look live */
                memset(c->slots, 0, c->slot_cap * sizeof(*c->slots));
                c->gen = 1;
        }
        return 0;
}

static int slots_grow(struct classify_ctx *c)
{
        if (slots_reset(c, c->slot_cap * 2))
                return -1;
        size_t mask = c->slot_cap - 1;
        for (size_t i = 0; i < c->n_feats; i++) {
                size_t s = c->feats[i].hash & mask;
                while (c->slots[s].gen == c->gen)
                        s = (s + 1) & mask;
                c->slots[s] = (struct doc_slot){c->feats[i].hash, (uint32_t)i, c->gen};
        }
        return 0;
}

/* Finds or adds the feature with this hash; *is_new tells which. NULL: out of memory. */
static struct doc_feat *feat_upsert(struct classify_ctx *c, uint64_t hash, int *is_new)
{
        size_t mask = c->slot_cap - 1, s = hash & mask;
        for (; c->slots[s].gen == c->gen; s = (s + 1) & mask) {
                if (c->slots[s].hash == hash) {
                        *is_new = 0;
                        return &c->feats[c->slots[s].feat];
                }
        }
        if (2 * (c->n_feats + 1) > c->slot_cap) {
                if (slots_grow(c))
                        return NULL;
                return feat_upsert(c, hash, is_new);
        }
        if (c->n_feats >= UINT32_MAX - 1 ||
            mem_grow((void **)&c->feats, &c->feats_cap, c->n_feats + 1, sizeof(*c->feats)))
                return NULL;
        struct doc_feat *f = &c->feats[c->n_feats];
        memset(f, 0, sizeof(*f));
        f->hash = hash;
        f->entry = -1;
        c->slots[s] = (struct doc_slot){hash, (uint32_t)c->n_feats, c->gen};
        c->n_feats++;
        *is_new = 1;
        return f;
}

static inline const char *tok_stem(const struct text_tokens *t, size_t i, uint32_t *len)
{
        const struct text_token *k = &t->v[i];
        if (k->stem_len) {
                *len = k->stem_len;
                return t->buf + k->stem_off;
        }
        *len = k->norm_len;
        return t->buf + k->norm_off;
}

static int32_t lookup(const struct taxonomy *tx, unsigned lang, uint64_t hash,
                      const struct text_tokens *t, size_t first, unsigned n, unsigned *follow)
{
        size_t key_len = n - 1;
        for (unsigned k = 0; k < n; k++) {
                const struct text_token *tk = &t->v[first + k];
                key_len += tk->stem_len ? tk->stem_len : tk->norm_len;
        }
        return tx_find(tx, lang, hash, n, key_len, follow);
}

/* Counts the article's n-grams; with @p tx also resolves them to taxonomy entries. */
static int extract(struct classify_ctx *c, const struct taxonomy *tx, unsigned lang,
                   const struct text_tokens *t, double title_weight)
{
        size_t n = t->n;
        c->n_feats = 0;
        c->n_matched = 0;
        if (mem_grow((void **)&c->tok_hash, &c->tok_cap, n + 1, sizeof(uint64_t)))
                return -1; /* Learning counts every stem and bigram; classifying only the stems
                            * that pass the taxonomy's bit filter, a small fraction. */
        if (slots_reset(c, tx ? 256 : 4 * n + 16))
                return -1;
        /* stem_tokens leaves each stem's hash beside it (from the stem cache):
         * use those rather than hashing every token a second time. */
        const uint64_t *tok_hash = c->tok_hash;
        if (t->stem_hash_n == n && n) {
                tok_hash = t->stem_hash;
        } else {
                for (size_t i = 0; i < n; i++) {
                        uint32_t len;
                        const char *s = tok_stem(t, i, &len);
                        c->tok_hash[i] = tx_hash_stem(s, len);
                }
        }
        double n_eff = 0.0;
        for (size_t i = 0; i < n; i++) {
                uint8_t field = t->v[i].field;
                float fw = field == TEXT_FIELD_TITLE ? (float)title_weight : 1.0f;
                n_eff += fw;
                if (tx && !tx_filter_has(tx, lang, tok_hash[i]))
                        continue;
                int is_new;
                struct doc_feat *f = feat_upsert(c, tok_hash[i], &is_new);
                if (!f)
                        return -1;
                if (is_new) {
                        f->first_token = (uint32_t)i;
                        f->ntok = 1;
                        if (tx) {
                                unsigned mf = 0;
                                f->entry = lookup(tx, lang, f->hash, t, i, 1, &mf);
                                f->max_follow = (uint8_t)mf;
                        }
                }
                f->count += fw;
                /* Classifying, n-grams are counted only where the taxonomy has
                 * one starting with this stem; learning (no taxonomy), every
                 * bigram is a feature. */
                int follow = tx ? f->max_follow : 2;
                uint64_t h = tok_hash[i];
                for (size_t k = 2; i + k <= n && t->v[i + k - 1].field == field; k++) {
                        if ((int)k > follow)
                                break;
                        h = tx_hash_combine(h, tok_hash[i + k - 1]);
                        struct doc_feat *g = feat_upsert(c, h, &is_new);
                        if (!g)
                                return -1;
                        if (is_new) {
                                g->first_token = (uint32_t)i;
                                g->ntok = (uint8_t)k;
                                unsigned mf;
                                if (tx)
                                        g->entry = lookup(tx, lang, h, t, i, (unsigned)k, &mf);
                        }
                        g->count += fw;
                }
        }
        for (size_t i = 0; i < c->n_feats; i++) {
                const struct doc_feat *f = &c->feats[i];
                if (f->entry >= 0) {
                        if (mem_grow((void **)&c->matched, &c->matched_cap, c->n_matched + 1,
                                     sizeof(uint32_t)))
                                return -1;
                        c->matched[c->n_matched++] = (uint32_t)i;
                }
        }
        double r = sqrt(n_eff / CLASSIFY_NORM_REF);
        c->scale = r > 1.0 ? 1.0 / r : 1.0;
        return 0;
}

long classify_features(struct classify_ctx *c, const struct text_tokens *toks, double title_weight,
                       const struct classify_feature **out)
{
        if (extract(c, NULL, TX_LANG_UNKNOWN, toks, title_weight))
                return -1;
        if (mem_grow((void **)&c->out_feats, &c->out_cap, c->n_feats + 1, sizeof(*c->out_feats)))
                return -1;
        size_t m = 0;
        for (size_t i = 0; i < c->n_feats; i++) {
                const struct doc_feat *f = &c->feats[i];
                if (f->ntok > 2)
                        continue;
                c->out_feats[m].hash = f->hash;
                c->out_feats[m].value = tf(f->count) * c->scale;
                c->out_feats[m].first_token = f->first_token;
                c->out_feats[m].ntok = f->ntok;
                m++;
        }
        *out = c->out_feats;
        return (long)m;
}

static double label_threshold(const struct taxonomy *tx, const struct classify_options *o,
                              uint32_t l)
{
        const struct tx_label *L = &tx->labels[l];
        if (L->has_threshold)
                return L->threshold;
        return L->kind == TAXONOMY_SECTION ? o->section_min_score : o->topic_min_score;
}

/* Better = higher score, then smaller id. */
static int tag_better(const struct classify_tag *a, const struct classify_tag *b)
{
        if (a->score != b->score)
                return a->score > b->score;
        return strcmp(a->id, b->id) < 0;
}

static int cmp_tag(const void *pa, const void *pb)
{
        const struct classify_tag *a = pa, *b = pb;
        if (tag_better(a, b))
                return -1;
        return tag_better(b, a) ? 1 : 0;
}

/* Best first. tag_better is a total order (ids are unique), so any sort gives
 * these bytes; the passing topics of an article are few, and an insertion
 * sort of them costs a tenth of qsort's call and merge set-up. */
static void tags_sort(struct classify_tag *t, size_t n)
{
        if (n > 32) {
                qsort(t, n, sizeof(*t), cmp_tag);
                return;
        }
        for (size_t i = 1; i < n; i++) {
                struct classify_tag x = t[i];
                size_t j = i;
                for (; j > 0 && tag_better(&x, &t[j - 1]); j--)
                        t[j] = t[j - 1];
                t[j] = x;
        }
}

static double round4(double x)
{
        return round(x * 10000.0) / 10000.0;
}

/* Strongest first; equal strength by feature text. Insertion sort: these
 * lists are short (the features of one label) and it is stable. */
static void contrib_sort(const struct classify_ctx *c, const struct taxonomy *tx,
                         struct contrib *list, size_t n)
{
        for (size_t i = 1; i < n; i++) {
                struct contrib x = list[i];
                size_t j = i;
                while (j > 0) {
                        const struct contrib *y = &list[j - 1];
                        int before =
                            fabs(x.value) > fabs(y->value) ||
                            (fabs(x.value) == fabs(y->value) &&
                             strcmp(tx->strs + tx->entries[c->feats[x.feat].entry].key_off,
                                    tx->strs + tx->entries[c->feats[y->feat].entry].key_off) < 0);
                        if (!before)
                                break;
                        list[j] = list[j - 1];
                        j--;
                }
                list[j] = x;
        }
}

/* A position of collect()'s label list that stands for no label. */
#define NO_LABEL UINT32_MAX

/* Contributions of the matched features to each of the @p nl distinct
 * @p labels (NO_LABEL: none), the positive ones only when @p positive_only:
 * position k's, strongest first, are ev_list[ev_start[k], ev_start[k + 1]).
 * One pass over the matched features for all of them: the ~9 labels an
 * article reports would otherwise walk them ~9 times. */
static int collect(struct classify_ctx *c, const struct taxonomy *tx, const uint32_t *labels,
                   size_t nl, int positive_only)
{
        size_t n = 0, old_cap = c->slot_of_cap, n_scan = 0;
        int rc = 0;

        if (mem_grow((void **)&c->slot_of, &c->slot_of_cap, tx->n_labels + 1,
                     sizeof(*c->slot_of)) ||
            mem_grow((void **)&c->ev_start, &c->ev_start_cap, 2 * (nl + 1), sizeof(size_t)))
                return -1;
        if (c->slot_of_cap != old_cap)
                memset(c->slot_of, 0, c->slot_of_cap * sizeof(*c->slot_of));
        size_t *count = c->ev_start + nl + 1;
        memset(count, 0, nl * sizeof(*count));
        for (size_t k = 0; k < nl; k++)
                if (labels[k] != NO_LABEL) {
                        c->slot_of[labels[k]] = (uint32_t)k + 1;
                        n_scan = c->n_matched; /* no label, nothing to scan for */
                }
        for (size_t m = 0; m < n_scan; m++) {
                const struct doc_feat *f = &c->feats[c->matched[m]];
                const struct tx_entry *e = &tx->entries[f->entry];
                const double t = tf(f->count);
                for (uint32_t p = 0; p < e->post_n; p++) {
                        const struct tx_posting *P = &tx->postings[e->post_off + p];
                        uint32_t s = c->slot_of[P->label];
                        if (!s)
                                continue;
                        double v = P->weight * t * c->scale;
                        if (positive_only && v <= 0.0)
                                continue;
                        if (mem_grow((void **)&c->contrib, &c->contrib_cap, n + 1,
                                     sizeof(*c->contrib))) {
                                rc = -1;
                                goto clear;
                        }
                        c->contrib[n++] =
                            (struct contrib){.feat = c->matched[m], .slot = s - 1, .value = v};
                        count[s - 1]++;
                }
        }
clear:
        for (size_t k = 0; k < nl; k++)
                if (labels[k] != NO_LABEL)
                        c->slot_of[labels[k]] = 0;
        if (rc || mem_grow((void **)&c->ev_list, &c->ev_list_cap, n + 1, sizeof(*c->ev_list)))
                return -1;
        /* stable counting sort by position, then each label's list by strength */
        c->ev_start[0] = 0;
        for (size_t k = 0; k < nl; k++) {
                c->ev_start[k + 1] = c->ev_start[k] + count[k];
                count[k] = c->ev_start[k];
        }
        for (size_t i = 0; i < n; i++)
                c->ev_list[count[c->contrib[i].slot]++] = c->contrib[i];
        for (size_t k = 0; k < nl; k++)
                contrib_sort(c, tx, c->ev_list + c->ev_start[k],
                             c->ev_start[k + 1] - c->ev_start[k]);
        return 0;
}

/* collect()'s positive evidence for what the article reports: position 0 its
 * section (NO_LABEL when none), position k + 1 its topic k. */
static int collect_reported(struct classify_ctx *c, const struct taxonomy *tx, int section_label,
                            size_t n_topics)
{
        if (mem_grow((void **)&c->ev_labels, &c->ev_labels_cap, n_topics + 1,
                     sizeof(*c->ev_labels)))
                return -1;
        c->ev_labels[0] = section_label >= 0 ? (uint32_t)section_label : NO_LABEL;
        for (size_t i = 0; i < n_topics; i++)
                c->ev_labels[i + 1] = c->tags[i].label;
        return collect(c, tx, c->ev_labels, n_topics + 1, 1);
}

/* The evidence of reported position @p k (collect_reported) as a json_t. */
static json_t *evidence_json(const struct classify_ctx *c, const struct taxonomy *tx, size_t k)
{
        json_t *a = json_array();
        for (size_t i = c->ev_start[k];
             a && i < c->ev_start[k + 1] && i - c->ev_start[k] < CLASSIFY_EVIDENCE_MAX; i++) {
                const struct tx_entry *e = &tx->entries[c->feats[c->ev_list[i].feat].entry];
                if (json_array_append_new(a, json_stringn(tx->strs + e->key_off, e->key_len))) {
                        json_decref(a);
                        return NULL;
                }
        }
        return a;
}

/* ---- JSON text (options.json_text) ----------------------------------- */

/* Inlined with a one-comparison common case: the tags are built from many
 * small pieces for every article. (n < jcap - jlen keeps room for the NUL
 * written at the end, as reserve's + 1 does.) */
static inline void jb_put(struct classify_ctx *c, const char *s, size_t n)
{
        if (!c->joom && c->jlen < c->jcap && n < c->jcap - c->jlen) {
                memcpy(c->jbuf + c->jlen, s, n);
                c->jlen += n;
                return;
        }
        if (c->joom || mem_grow((void **)&c->jbuf, &c->jcap, c->jlen + n + 1, 1)) {
                c->joom = 1;
                return;
        }
        memcpy(c->jbuf + c->jlen, s, n);
        c->jlen += n;
}

/* always_inline so that strlen of a literal folds to a constant */
static inline __attribute__((always_inline)) void jb_lit(struct classify_ctx *c, const char *s)
{
        jb_put(c, s, strlen(s));
}

/* A JSON string literal; s is valid UTF-8 (taxonomy strings, stems, and the
 * article's section field, all validated before they get here). */
static void jb_str(struct classify_ctx *c, const char *s, size_t n)
{
        static const char hex[] = "0123456789abcdef";
        jb_put(c, "\"", 1);
        size_t run = 0;
        for (size_t i = 0; i < n; i++) {
                if ((i = jscan_plain_end(s, i, n)) >= n)
                        break; /* the rest is plain */
                unsigned char ch = (unsigned char)s[i];
                jb_put(c, s + run, i - run);
                run = i + 1;
                char esc[7] = {'\\', (char)ch, 0};
                if (ch < 0x20) {
                        esc[1] = 'u';
                        esc[2] = '0';
                        esc[3] = '0';
                        esc[4] = hex[ch >> 4];
                        esc[5] = hex[ch & 15];
                        jb_put(c, esc, 6);
                } else {
                        jb_put(c, esc, 2);
                }
        }
        jb_put(c, s + run, n - run);
        jb_put(c, "\"", 1);
}

/* Scores as the json_t path prints them after round4: at most 4 decimals,
 * trailing zeros dropped but one kept ("2.0", "21.0051"). */
static void jb_score(struct classify_ctx *c, double x)
{
        /* round4 then "%.4f" with trailing zeros trimmed, in integers: the
         * digits of llround(x * 10^4) are exactly what printf would print. */
        double r = round(x * 10000.0);
        if (!(fabs(r) < 9e15)) { /* NaN or absurdly large: not from real scores */
                jb_lit(c, "0.0");
                return;
        }
        long long k = (long long)r;
        char num[32], *p = num + sizeof(num);
        unsigned long long u = k < 0 ? (unsigned long long)(-k) : (unsigned long long)k;
        int frac = (int)(u % 10000);
        u /= 10000;
        int digits = 4;
        while (digits > 1 && frac % 10 == 0) {
                frac /= 10;
                digits--;
        }
        for (int i = 0; i < digits; i++) {
                *--p = (char)('0' + frac % 10);
                frac /= 10;
        }
        *--p = '.';
        do {
                *--p = (char)('0' + u % 10);
                u /= 10;
        } while (u);
        if (k < 0)
                *--p = '-';
        jb_put(c, p, (size_t)(num + sizeof(num) - p));
}

/* The evidence of reported position @p k (collect_reported) as JSON text. */
static void jb_evidence(struct classify_ctx *c, const struct taxonomy *tx, size_t k)
{
        const struct contrib *list = c->ev_list + c->ev_start[k];
        size_t n = c->ev_start[k + 1] - c->ev_start[k];

        jb_lit(c, ",\"evidence\":[");
        for (size_t i = 0; i < n && i < CLASSIFY_EVIDENCE_MAX; i++) {
                const struct tx_entry *e = &tx->entries[c->feats[list[i].feat].entry];
                if (i)
                        jb_put(c, ",", 1);
                jb_str(c, tx->strs + e->key_off, e->key_len);
        }
        jb_put(c, "]", 1);
}

/* Writes "{section}\0[topics]" into jbuf; offsets in *sec_len / *top_off. */
static int write_json_text(struct classify_ctx *c, const struct taxonomy *tx, int section_label,
                           const char *section_hint, size_t n_topics, struct classify_result *out)
{
        c->jlen = 0;
        c->joom = 0;
        if (collect_reported(c, tx, section_label, n_topics))
                return -1;
        if (section_label >= 0) {
                const struct tx_label *L = &tx->labels[section_label];
                jb_lit(c, "{\"id\":");
                jb_str(c, L->id, strlen(L->id));
                jb_lit(c, ",\"iptc\":");
                if (L->iptc)
                        jb_str(c, L->iptc, strlen(L->iptc));
                else
                        jb_lit(c, "null");
                jb_lit(c, ",\"score\":");
                jb_score(c, c->score[section_label]);
                jb_lit(c, ",\"confidence\":");
                jb_score(c, round(c->section_conf * 1000.0) / 1000.0);
                jb_lit(c, ",\"source_label\":");
                if (section_hint)
                        jb_str(c, section_hint, strlen(section_hint));
                else
                        jb_lit(c, "null");
                jb_evidence(c, tx, 0);
                jb_put(c, "}", 1);
        } else {
                jb_lit(c, "null");
        }
        size_t sec_len = c->jlen;
        jb_put(c, "", 1);
        jb_put(c, "[", 1);
        for (size_t i = 0; i < n_topics; i++) {
                jb_lit(c, i ? ",{\"id\":" : "{\"id\":");
                jb_str(c, c->tags[i].id, strlen(c->tags[i].id));
                jb_lit(c, ",\"score\":");
                jb_score(c, c->tags[i].score);
                jb_lit(c, ",\"confidence\":");
                jb_score(c, round(c->tags[i].confidence * 1000.0) / 1000.0);
                jb_evidence(c, tx, i + 1);
                jb_put(c, "}", 1);
        }
        jb_put(c, "]", 1);
        if (c->joom)
                return -1;
        c->jbuf[c->jlen] = '\0';
        out->section_text = c->jbuf;
        out->section_text_len = sec_len;
        out->topics_text = c->jbuf + sec_len + 1;
        out->topics_text_len = c->jlen - sec_len - 1;
        return 0;
}

static json_t *explain_label(struct classify_ctx *c, const struct taxonomy *tx,
                             const struct classify_options *o, uint32_t l, int prior_label,
                             int assigned)
{
        const struct tx_label *L = &tx->labels[l];
        if (collect(c, tx, &l, 1, 0))
                return NULL;
        json_t *contribs = json_array();
        for (size_t i = 0; contribs && i < c->ev_start[1]; i++) {
                const struct doc_feat *f = &c->feats[c->ev_list[i].feat];
                const struct tx_entry *e = &tx->entries[f->entry];
                const struct tx_posting *P = NULL;
                for (uint32_t p = 0; p < e->post_n; p++)
                        if (tx->postings[e->post_off + p].label == l)
                                P = &tx->postings[e->post_off + p];
                json_t *k =
                    json_pack("{s:s%, s:s, s:f, s:f, s:f}", "feature", tx->strs + e->key_off,
                              (size_t)e->key_len, "lang",
                              e->lang == TX_LANG_UNKNOWN ? "und" : stem_lang_iso(e->lang), "count",
                              (double)f->count, "weight", round4(P ? P->weight : 0.0),
                              "contribution", round4(c->ev_list[i].value));
                if (k && P && P->src_off != TX_NO_SRC)
                        json_object_set_new(k, "keyword", json_string(tx->strs + P->src_off));
                if (!k || json_array_append_new(contribs, k)) {
                        json_decref(contribs);
                        return NULL;
                }
        }
        if (!contribs)
                return NULL;
        return json_pack("{s:s, s:s, s:f, s:f, s:f, s:f, s:b, s:o}", "id", L->id, "kind",
                         L->kind == TAXONOMY_SECTION ? "section" : "topic", "score",
                         round4(c->score[l]), "threshold", label_threshold(tx, o, l), "bias",
                         L->bias, "prior", (int)l == prior_label ? o->alias_prior : 0.0, "assigned",
                         assigned, "contributions", contribs);
}

static json_t *build_explain(struct classify_ctx *c, const struct taxonomy *tx,
                             const struct classify_options *o, const struct text_tokens *toks,
                             int lang, int prior_label, int section_label, size_t n_topics)
{
        /* Assigned tags first, then the next best labels: why it is not those. */
        json_t *labels = json_array();
        if (!labels)
                return NULL;
        if (section_label >= 0)
                json_array_append_new(
                    labels, explain_label(c, tx, o, (uint32_t)section_label, prior_label, 1));
        for (size_t i = 0; i < n_topics; i++)
                json_array_append_new(labels,
                                      explain_label(c, tx, o, c->tags[i].label, prior_label, 1));
        size_t shown = 0;
        for (size_t i = n_topics; i < tx->n_labels && shown < 5; i++) {
                uint32_t l = c->tags[i].label;
                if ((int)l == section_label)
                        continue;
                json_array_append_new(labels, explain_label(c, tx, o, l, prior_label, 0));
                shown++;
        }
        return json_pack("{s:s, s:I, s:f, s:f, s:o}", "language",
                         lang >= 0 ? stem_lang_iso(lang) : "und", "tokens", (json_int_t)toks->n,
                         "length_scale", round4(c->scale), "title_weight", o->title_weight,
                         "labels", labels);
}

static inline void touch(struct classify_ctx *c, const struct taxonomy *tx, uint32_t l)
{
        if (c->hit[l])
                return;
        c->hit[l] = 1;
        c->score[l] = tx->labels[l].bias;
        c->ev[l] = (struct label_evidence){0};
        c->touched[c->n_touched++] = l;
}

/* A keyword that can carry a tag alone: weighted strong by its editor, and a
 * phrase or a stem of at least CLASSIFY_STRONG_MIN_CHARS characters (a short
 * stem is too often another word's stem too). */
static inline int keyword_strong(const struct tx_entry *e, float weight)
{
        return weight >= CLASSIFY_STRONG_WEIGHT &&
               (e->ntok >= 2 || e->key_chars >= CLASSIFY_STRONG_MIN_CHARS);
}

/* The evidence standard: a tag needs two distinct keywords, or one strong
 * keyword; sections may also rest on one keyword of weight >=
 * CLASSIFY_SECTION_SINGLE_WEIGHT. Learned models are exempt (their weights
 * and thresholds were fitted together). */
static int evidence_ok(const struct label_evidence *ev, enum taxonomy_label_kind kind)
{
        if (ev->learned || ev->n >= 2 || ev->strong)
                return 1;
        return kind == TAXONOMY_SECTION && ev->n == 1 &&
               ev->max_weight >= CLASSIFY_SECTION_SINGLE_WEIGHT;
}

static double sigmoid(double x)
{
        return 1.0 / (1.0 + exp(-x));
}

/* Calibrated confidences (classify.h "Confidence"). */
static double section_confidence(double score, double runner_up, const struct label_evidence *ev,
                                 size_t n_tokens)
{
        double margin = score > 0.0 ? (score - (runner_up > 0.0 ? runner_up : 0.0)) / score : 0.0;
        unsigned n_ev = ev->n < 1 ? 1u : ev->n > CONF_EVIDENCE_CAP ? CONF_EVIDENCE_CAP : ev->n;
        double x = CONF_SECTION_B0 + CONF_SECTION_B_SCORE * log1p(score) +
                   CONF_SECTION_B_MARGIN * margin + CONF_SECTION_B_EVIDENCE * log((double)n_ev) +
                   CONF_SECTION_B_SHORT * (n_tokens < CONF_SHORT_TOKENS ? 1.0 : 0.0);
        return sigmoid(x);
}

static double topic_confidence(double score, double threshold, double best,
                               const struct label_evidence *ev)
{
        double rel = best > 0.0 ? score / best : 1.0;
        double over = threshold > 0.0 ? score / threshold : score;
        double x = CONF_TOPIC_B0 + CONF_TOPIC_B_SCORE * log(over > 1e-9 ? over : 1e-9) +
                   CONF_TOPIC_B_REL * rel +
                   CONF_TOPIC_B_EVIDENCE * (ev->n >= 3   ? 2.0
                                            : ev->n >= 2 ? 1.0
                                                         : 0.0);
        return sigmoid(x);
}

int classify_run(struct classify_ctx *c, const struct taxonomy *tx,
                 const struct classify_options *opts, int lang, const struct text_tokens *toks,
                 const char *section_hint, struct classify_result *out)
{
        memset(out, 0, sizeof(*out));
        unsigned slot = tx_lang_slot(lang);
        if (extract(c, tx, slot, toks, opts->title_weight))
                return -1;
        size_t nl = tx->n_labels;
        /* Only the labels a matched feature (or the prior) touches are set up,
         * decided and cleared: a run costs what the article matches, not the
         * size of the taxonomy. */
        for (size_t i = 0; i < c->n_touched; i++)
                c->hit[c->touched[i]] = 0;
        c->n_touched = 0;
        size_t old_hit_cap = c->hit_cap;
        if (mem_grow((void **)&c->score, &c->score_cap, nl + 1, sizeof(double)) ||
            mem_grow((void **)&c->hit, &c->hit_cap, nl + 1, 1) ||
            mem_grow((void **)&c->ev, &c->ev_cap, nl + 1, sizeof(*c->ev)) ||
            mem_grow((void **)&c->touched, &c->touched_cap, nl + 1, sizeof(uint32_t)) ||
            mem_grow((void **)&c->tags, &c->tags_cap, nl + 1, sizeof(*c->tags)))
                return -1;
        if (c->hit_cap != old_hit_cap)
                memset(c->hit, 0, c->hit_cap);
        for (size_t m = 0; m < c->n_matched; m++) {
                const struct doc_feat *f = &c->feats[c->matched[m]];
                const struct tx_entry *e = &tx->entries[f->entry];
                double x = tf(f->count) * c->scale;
                for (uint32_t p = 0; p < e->post_n; p++) {
                        const struct tx_posting *P = &tx->postings[e->post_off + p];
                        touch(c, tx, P->label);
                        c->score[P->label] += P->weight * x;
                        if (P->weight <= 0.0f)
                                continue;
                        struct label_evidence *ev = &c->ev[P->label];
                        if (ev->n < UINT16_MAX)
                                ev->n++;
                        if (P->src_off == TX_NO_SRC)
                                ev->learned = 1;
                        if (P->weight > ev->max_weight)
                                ev->max_weight = P->weight;
                        ev->strong |= (uint8_t)keyword_strong(e, P->weight);
                }
        }
        int prior_label = -1;
        if (section_hint && *section_hint && tx->n_aliases) {
                char *folded = tx_fold(section_hint);
                if (folded)
                        prior_label = tx_alias_find(tx, folded);
                free(folded);
                if (prior_label >= 0) {
                        touch(c, tx, (uint32_t)prior_label);
                        c->score[prior_label] += opts->alias_prior;
                }
        }

        /* A label nothing in the article speaks for is never assigned,
         * whatever its bias and threshold (learned section models have
         * threshold -1000 so that the best label always wins). Passing
         * topics go first in tags, best first. */
        int section_label = -1;
        size_t n_topics = 0;
        double runner_up = 0.0; /* best score of another section (any threshold) */
        for (size_t i = 0; i < c->n_touched; i++) {
                uint32_t l = c->touched[i];
                const struct tx_label *L = &tx->labels[l];
                if (c->score[l] < label_threshold(tx, opts, l) ||
                    (c->ev[l].n == 0 && (int)l != prior_label) ||
                    (!opts->any_evidence && !evidence_ok(&c->ev[l], L->kind) &&
                     (int)l != prior_label))
                        continue;
                struct classify_tag tg = {
                    .label = l, .id = L->id, .score = c->score[l], .kind = L->kind};
                if (L->kind == TAXONOMY_TOPIC)
                        c->tags[n_topics++] = tg;
                else if (section_label < 0 ||
                         tag_better(&tg,
                                    &(struct classify_tag){.score = c->score[section_label],
                                                           .id = tx->labels[section_label].id}))
                        section_label = (int)l;
        }
        tags_sort(c->tags, n_topics);
        if (section_label >= 0) {
                for (size_t i = 0; i < c->n_touched; i++) {
                        uint32_t l = c->touched[i];
                        if ((int)l != section_label && tx->labels[l].kind == TAXONOMY_SECTION &&
                            c->score[l] > runner_up)
                                runner_up = c->score[l];
                }
                c->section_conf = section_confidence(c->score[section_label], runner_up,
                                                     &c->ev[section_label], toks->n);
        }
        /* Topics far below the strongest one are its echo, not a subject of
         * their own (labels with "margin": 0, the countries, are exempt). */
        if (n_topics) {
                double best = c->tags[0].score;
                size_t w = 0;
                for (size_t i = 0; i < n_topics; i++) {
                        const struct tx_label *L = &tx->labels[c->tags[i].label];
                        double margin = L->has_margin ? L->margin : opts->topic_margin;
                        /* learned topics: their thresholds were fitted without a margin */
                        if (!c->ev[c->tags[i].label].learned && c->tags[i].score < margin * best)
                                continue;
                        struct classify_tag tg = c->tags[i];
                        tg.confidence = topic_confidence(
                            tg.score, label_threshold(tx, opts, tg.label), best, &c->ev[tg.label]);
                        if (tg.confidence < opts->min_confidence)
                                continue;
                        c->tags[w++] = tg;
                        c->hit[tg.label] = 2;
                }
                n_topics = w;
        }
        if (section_label >= 0 && c->section_conf < opts->min_confidence)
                section_label = -1;
        if (opts->explain) {
                /* Every other label after them, best first: "why not that one". */
                size_t w = n_topics;
                for (size_t l = 0; l < nl; l++) {
                        const struct tx_label *L = &tx->labels[l];
                        if (!c->hit[l])
                                c->score[l] = L->bias;
                        if (c->hit[l] == 2) /* an assigned topic, already listed */
                                continue;
                        c->tags[w++] = (struct classify_tag){.label = (uint32_t)l,
                                                             .id = L->id,
                                                             .score = c->score[l],
                                                             .kind = L->kind};
                }
                qsort(c->tags + n_topics, w - n_topics, sizeof(*c->tags), cmp_tag);
        }
        if (opts->topics_top_k >= 0 && n_topics > (size_t)opts->topics_top_k)
                n_topics = (size_t)opts->topics_top_k;

        out->section_id = section_label >= 0 ? tx->labels[section_label].id : NULL;
        out->section_score = section_label >= 0 ? c->score[section_label] : 0.0;
        out->section_confidence = section_label >= 0 ? c->section_conf : 0.0;
        out->topic_tags = c->tags;
        out->n_topics = n_topics;
        if (opts->skip_json && !opts->explain)
                return 0;
        if (opts->json_text) {
                if (write_json_text(c, tx, section_label, section_hint, n_topics, out))
                        return -1;
                if (opts->explain) {
                        out->explain = build_explain(c, tx, opts, toks, lang, prior_label,
                                                     section_label, n_topics);
                        if (!out->explain)
                                return -1;
                }
                return 0;
        }

        if (section_label >= 0) {
                const struct tx_label *L = &tx->labels[section_label];
                out->section = json_pack("{s:s, s:s?, s:f, s:f, s:s?}", "id", L->id, "iptc",
                                         L->iptc, "score", round4(c->score[section_label]),
                                         "confidence", round(c->section_conf * 1000.0) / 1000.0,
                                         "source_label", section_hint);
        } else {
                out->section = json_null();
        }
        out->topics = json_array();
        if (!out->section || !out->topics || collect_reported(c, tx, section_label, n_topics))
                goto oom;
        for (size_t i = 0; i < n_topics; i++) {
                json_t *ev = evidence_json(c, tx, i + 1);
                json_t *t =
                    ev ? json_pack("{s:s, s:f, s:f, s:o}", "id", c->tags[i].id, "score",
                                   round4(c->tags[i].score), "confidence",
                                   round(c->tags[i].confidence * 1000.0) / 1000.0, "evidence", ev)
                       : NULL;
                if (!t || json_array_append_new(out->topics, t))
                        goto oom;
        }
        if (section_label >= 0) {
                json_t *ev = evidence_json(c, tx, 0);
                if (!ev || json_object_set_new(out->section, "evidence", ev))
                        goto oom;
        }
        if (opts->explain) {
                out->explain =
                    build_explain(c, tx, opts, toks, lang, prior_label, section_label, n_topics);
                if (!out->explain)
                        goto oom;
        }
        return 0;
oom:
        json_decref(out->section);
        json_decref(out->topics);
        json_decref(out->explain);
        out->section = out->topics = out->explain = NULL;
        return -1;
}
