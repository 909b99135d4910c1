/* langid_train: counts (feature, language) pairs and writes the model file
 * (format in langid.c). Training only: allocates freely, never on the hot path. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "langid_train.h"

struct langid_builder {
        unsigned nlang;
        char code[LANGID_MAX_LANGS][8];
        double total[LANGID_MAX_LANGS][LANGID_WORD_ORDER + 1];
        double letters[LANGID_MAX_LANGS][LANGID_SCRIPT_COUNT];
        /* open addressing: key = feature << 16 | order << 8 | lang (never 0) */
        uint64_t *keys;
        uint32_t *counts;
        size_t cap, used;
        int cur_lang;
        int oom;
};

void langid_build_params_default(struct langid_build_params *p)
{
        p->alpha = 0.1; /* tuned on a split of the training lines (docs/langid.md) */
        p->min_count = 2;
        p->min_count_word = 1;
        p->temperature = 1.0;
        p->hint_bonus = 1.6; /* ln 5: the hint is worth 5:1 odds */
        p->min_hit_rate = 0.25;
        p->early_margin = 20.0;
        p->word_balance = 1.0; /* tuned with the weights above */
        /* Orders 1 and 2 add nothing the longer n-grams do not already say
         * (measured on a tuning split) and cost a lookup per character each;
         * whole words, even those seen once, separate close pairs (ca/es,
         * da/no) in short text best at weight 3. */
        for (unsigned o = 0; o <= LANGID_WORD_ORDER; o++)
                p->order_weight[o] = o >= 3 ? 1.0 : 0.0;
        p->order_weight[LANGID_WORD_ORDER] = 3.0;
}

struct langid_builder *langid_builder_new(void)
{
        struct langid_builder *b = calloc(1, sizeof(*b));
        if (!b)
                return NULL;
        b->cap = 1u << 20;
        b->keys = calloc(b->cap, sizeof(*b->keys));
        b->counts = calloc(b->cap, sizeof(*b->counts));
        if (!b->keys || !b->counts) {
                langid_builder_destroy(b);
                return NULL;
        }
        return b;
}

void langid_builder_destroy(struct langid_builder *b)
{
        if (!b)
                return;
        free(b->keys);
        free(b->counts);
        free(b);
}

int langid_builder_lang(struct langid_builder *b, const char *code)
{
        for (unsigned l = 0; l < b->nlang; l++)
                if (!strcmp(b->code[l], code))
                        return (int)l;
        if (b->nlang >= LANGID_MAX_LANGS || !code[0] || strlen(code) >= 8)
                return -1;
        snprintf(b->code[b->nlang], sizeof(b->code[0]), "%s", code);
        return (int)b->nlang++;
}

static size_t slot_of(uint64_t key, size_t mask)
{
        return (size_t)hash_mix64(key) & mask;
}

static int grow(struct langid_builder *b)
{
        if (b->cap > SIZE_MAX / 2 / sizeof(uint64_t))
                return -1;
        size_t ncap = b->cap * 2, mask = ncap - 1;
        uint64_t *nk = calloc(ncap, sizeof(*nk));
        uint32_t *nc = calloc(ncap, sizeof(*nc));
        if (!nk || !nc) {
                free(nk);
                free(nc);
                return -1;
        }
        for (size_t i = 0; i < b->cap; i++) {
                if (!b->keys[i])
                        continue;
                size_t s = slot_of(b->keys[i], mask);
                while (nk[s])
                        s = (s + 1) & mask;
                nk[s] = b->keys[i];
                nc[s] = b->counts[i];
        }
        free(b->keys);
        free(b->counts);
        b->keys = nk;
        b->counts = nc;
        b->cap = ncap;
        return 0;
}

static void count_feature(void *ud, uint32_t key, unsigned order)
{
        struct langid_builder *b = ud;
        uint64_t k = (uint64_t)key << 16 | (uint64_t)order << 8 | (uint64_t)b->cur_lang;

        if (b->oom)
                return;
        b->total[b->cur_lang][order] += 1;
        size_t mask = b->cap - 1, s = slot_of(k, mask);
        while (b->keys[s] && b->keys[s] != k)
                s = (s + 1) & mask;
        if (b->keys[s]) {
                b->counts[s]++;
                return;
        }
        b->keys[s] = k;
        b->counts[s] = 1;
        if (++b->used * 2 > b->cap && grow(b))
                b->oom = 1;
}

int langid_builder_add(struct langid_builder *b, int lang, const char *s, size_t len)
{
        struct langid_text_stats st;

        if (lang < 0 || (unsigned)lang >= b->nlang)
                return -1;
        b->cur_lang = lang;
        langid_features(s, len, count_feature, b, &st);
        for (unsigned k = 0; k < LANGID_SCRIPT_COUNT; k++)
                b->letters[lang][k] += st.script[k];
        return b->oom ? -1 : 0;
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return x < y ? -1 : x > y;
}

static void put32(unsigned char *p, uint32_t v)
{
        p[0] = (unsigned char)v;
        p[1] = (unsigned char)(v >> 8);
        p[2] = (unsigned char)(v >> 16);
        p[3] = (unsigned char)(v >> 24);
}

static void putf(unsigned char *p, double d)
{
        float f = (float)d;
        uint32_t u;
        memcpy(&u, &f, sizeof(u));
        put32(p, u);
}

#define Q_SCALE 8.0

int langid_builder_write(struct langid_builder *b, const struct langid_build_params *p,
                         const char *path, char *errstr, size_t errstr_size)
{
        uint64_t *kept = NULL;
        uint32_t *kcount = NULL;
        unsigned char *out = NULL;
        FILE *f = NULL;
        size_t nk = 0;

        if (b->oom || !b->nlang) {
                snprintf(errstr, errstr_size,
                         "%s: nothing to write (no languages or out of memory)", path);
                return -1;
        }
        kept = malloc(sizeof(*kept) * (b->used + 1));
        kcount = malloc(sizeof(*kcount) * (b->used + 1));
        if (!kept || !kcount)
                goto oom;
        for (size_t i = 0; i < b->cap; i++)
                if (b->keys[i] &&
                    b->counts[i] >= (((b->keys[i] >> 8) & 0xff) == LANGID_WORD_ORDER
                                         ? p->min_count_word
                                         : p->min_count) &&
                    p->order_weight[(b->keys[i] >> 8) & 0xff] > 0)
                        kept[nk++] = b->keys[i];
        qsort(kept, nk, sizeof(*kept), cmp_u64);
        /* counts looked up again after sorting: keep it simple, it runs once */
        size_t mask = b->cap - 1;
        for (size_t i = 0; i < nk; i++) {
                size_t s = slot_of(kept[i], mask);
                while (b->keys[s] != kept[i])
                        s = (s + 1) & mask;
                kcount[i] = b->counts[s];
        }
        /* Group by 32-bit feature key; a key seen under two orders (a hash
         * collision) keeps its first order's postings only. */
        double vocab[LANGID_WORD_ORDER + 1] = {0};
        size_t nfeat = 0, npost = 0;
        for (size_t i = 0; i < nk;) {
                uint32_t key = (uint32_t)(kept[i] >> 16);
                unsigned order = (unsigned)(kept[i] >> 8) & 0xff;
                size_t j = i;
                while (j < nk && (uint32_t)(kept[j] >> 16) == key) {
                        if (((unsigned)(kept[j] >> 8) & 0xff) != order)
                                kcount[j] = 0; /* dropped */
                        else
                                npost++;
                        j++;
                }
                vocab[order] += 1;
                nfeat++;
                i = j;
        }
        size_t size = 52 + (size_t)b->nlang * 40 + nfeat * 5 + npost * 2 + 8;
        out = calloc(1, size);
        if (!out)
                goto oom;
        memcpy(out, "STLANGID", 8);
        put32(out + 8, 2);
        put32(out + 12, b->nlang);
        put32(out + 16, (uint32_t)nfeat);
        put32(out + 20, (uint32_t)npost);
        putf(out + 24, p->alpha);
        putf(out + 28, Q_SCALE);
        putf(out + 32, p->temperature);
        putf(out + 36, p->hint_bonus);
        putf(out + 40, p->min_hit_rate);
        putf(out + 44, p->early_margin);
        uint32_t order_mask = 0;
        for (unsigned o = 1; o <= LANGID_WORD_ORDER; o++)
                if (p->order_weight[o] > 0)
                        order_mask |= 1u << o;
        put32(out + 48, order_mask);
        /* Word balance: each language's whole-word counts are scaled to the
         * mean word total of all languages (to the power word_balance). With
         * words seen once kept, a language trained on 4x the text (Norwegian
         * vs Danish) knows many more rare words and would win every short
         * text that has one; n-gram counts stay raw (scaling them too moved
         * answers from the big languages to the small ones on the tuning
         * split: more Catalan false positives on English/Spanish/French). */
        double scale[LANGID_MAX_LANGS][LANGID_WORD_ORDER + 1];
        double mean = 0;
        unsigned nl = 0;
        for (unsigned l = 0; l < b->nlang; l++)
                if (b->total[l][LANGID_WORD_ORDER] > 0) {
                        mean += b->total[l][LANGID_WORD_ORDER];
                        nl++;
                }
        mean = nl ? mean / nl : 0;
        for (unsigned l = 0; l < b->nlang; l++) {
                for (unsigned o = 0; o <= LANGID_WORD_ORDER; o++)
                        scale[l][o] = 1.0;
                if (b->total[l][LANGID_WORD_ORDER] > 0)
                        scale[l][LANGID_WORD_ORDER] =
                            pow(mean / b->total[l][LANGID_WORD_ORDER], p->word_balance);
        }
        unsigned char *q = out + 52;
        for (unsigned l = 0; l < b->nlang; l++, q += 40) {
                double all = 0;
                uint32_t smask = 0;
                memcpy(q, b->code[l], strlen(b->code[l]));
                for (unsigned k = 0; k < LANGID_SCRIPT_COUNT; k++)
                        all += b->letters[l][k];
                for (unsigned k = 0; k < LANGID_SCRIPT_OTHER; k++)
                        if (all > 0 && b->letters[l][k] >= 0.05 * all)
                                smask |= 1u << k;
                put32(q + 8, smask);
                for (unsigned o = 1; o <= LANGID_WORD_ORDER; o++)
                        putf(q + 8 + 4 * o,
                             p->order_weight[o] * log(p->alpha / (b->total[l][o] * scale[l][o] +
                                                                  p->alpha * (vocab[o] + 1))));
        }
        unsigned char *keys = q, *cnt = q + nfeat * 4, *post = cnt + nfeat;
        size_t fi = 0, pi = 0;
        for (size_t i = 0; i < nk;) {
                uint32_t key = (uint32_t)(kept[i] >> 16);
                unsigned n = 0;
                put32(keys + 4 * fi, key);
                for (; i < nk && (uint32_t)(kept[i] >> 16) == key; i++) {
                        if (!kcount[i])
                                continue;
                        unsigned o = (unsigned)(kept[i] >> 8) & 0xff;
                        double v =
                            Q_SCALE * p->order_weight[o] *
                            log((kcount[i] * scale[kept[i] & 0xff][o] + p->alpha) / p->alpha);
                        long qv = lround(v);
                        post[2 * pi] = (unsigned char)(kept[i] & 0xff);
                        post[2 * pi + 1] = (unsigned char)(qv < 1 ? 1 : qv > 255 ? 255 : qv);
                        pi++;
                        n++;
                }
                cnt[fi++] = (unsigned char)n;
        }
        uint64_t h = hash_fnv1a(out, size - 8, HASH_FNV_SEED);
        put32(out + size - 8, (uint32_t)h);
        put32(out + size - 4, (uint32_t)(h >> 32));
        f = fopen(path, "wb");
        if (!f) {
                snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
                goto fail;
        }
        int werr = fwrite(out, 1, size, f) != size;
        if (fclose(f) || werr) {
                snprintf(errstr, errstr_size, "%s: write failed: %s", path, strerror(errno));
                goto fail;
        }
        free(kept);
        free(kcount);
        free(out);
        return 0;
oom:
        snprintf(errstr, errstr_size, "%s: out of memory", path);
fail:
        free(kept);
        free(kcount);
        free(out);
        return -1;
}
