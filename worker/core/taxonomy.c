/* taxonomy: loads taxonomy files (format stemtag.taxonomy.v1) and compiles
 * them into the flat tables of taxonomy.h.
 *
 * Loading collects one "raw feature" per (language slot, stem n-gram, label),
 * sorts them, and folds each run of equal (language, n-gram) into one entry
 * with contiguous postings. Keywords are tokenised and stemmed with the same
 * text.c/stem.c functions that process articles, so an editor's "Wahlen"
 * meets the article's "Wahl" at the stem. Duplicate keywords of one label
 * that stem alike ("Wahl", "Wahlen") keep the largest weight instead of adding
 * up; `stems` weights (learned) add. */
#define _GNU_SOURCE /* qsort_r */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <utf8proc.h>

#include "mem.h"
#include "taxonomy.h"
#include "text.h"

#define TX_FORMAT "stemtag.taxonomy.v1"

struct raw_feature {
        uint64_t hash;
        uint32_t key_off, key_len;
        uint32_t label; /* UINT32_MAX: anchor (only raises max_follow) */
        float weight;
        uint32_t src_off; /* TX_NO_SRC for `stems` */
        uint8_t lang, ntok, follow, from_keyword;
};

struct raw_alias {
        char *folded;
        char *label_id;
        char *original;
        const char *file;
};

/* Stems already computed for the keyword file being loaded, keyed by
 * (language, normalised word): the "*" keywords are stemmed in all 29
 * languages and many words recur across labels and phrases, so a third of
 * the stemmer calls (libstemmer was ~40 % of the load) were repeats. Words
 * hardly recur across files (one language each), and a memo of one file
 * stays in the CPU caches where one of the whole load (100k words) missed
 * them at every lookup: it is emptied at each keyword file. */
struct memo_entry {
        uint64_t key;       /* memo_key(lang, word) */
        uint64_t stem_hash; /* tx_hash_stem of the stem as add_ngram uses it */
        uint32_t word_off, word_len, stem_off, stem_len; /* in stem_memo.arena */
        uint8_t lang;
};

struct stem_memo {
        struct memo_entry *v;
        size_t n, cap;
        uint32_t *slots; /* entry index + 1; 0 = empty */
        size_t mask;     /* slots has mask + 1 elements (0 before first use) */
        char *arena;
        size_t arena_len, arena_cap;
};

struct builder {
        struct taxonomy *tx;
        struct stem_pool *pool;
        struct text_tokens toks;
        struct stem_memo memo;
        /* label id -> index + 1 (open addressing on hash_stem), built for
         * label_map_n labels, and a per-file stamp per label (kw_file_labels) */
        uint32_t *label_map, *label_seen, label_stamp;
        size_t label_map_mask, label_map_n;
        struct raw_feature *raw;
        size_t n_raw, cap_raw;
        size_t cap_labels;
        struct raw_alias *alias;
        size_t n_alias, cap_alias;
        size_t strs_cap;
        char *src; /* keywords as written; appended after the keys by compile() */
        size_t src_len, src_cap;
        uint32_t *kw_count; /* n_labels x TX_COUNT_COLS, see taxonomy.h */
        size_t cap_kw_count;
        char *errstr;
        size_t errstr_size;
        /* where we are, for error messages */
        const char *file;
        const char *label;
};

static void fail(struct builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct builder *b, const char *fmt, ...)
{
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (!b->errstr || !b->errstr_size)
                return;
        if (b->file && b->label)
                snprintf(b->errstr, b->errstr_size, "%s: label \"%s\": %s", b->file, b->label, msg);
        else if (b->file)
                snprintf(b->errstr, b->errstr_size, "%s: %s", b->file, msg);
        else
                snprintf(b->errstr, b->errstr_size, "%s", msg);
}

/* Appends len bytes + NUL to a string pool; offset in *off. */
static int pool_add(struct builder *b, char **pool, size_t *plen, size_t *pcap, const char *s,
                    size_t len, uint32_t *off)
{
        if (len > UINT32_MAX / 4 || *plen > UINT32_MAX / 4 - len - 1) {
                fail(b, "taxonomy too large");
                return -1;
        }
        if (mem_grow((void **)pool, pcap, *plen + len + 1, 1)) {
                fail(b, "out of memory");
                return -1;
        }
        memcpy(*pool + *plen, s, len);
        (*pool)[*plen + len] = '\0';
        *off = (uint32_t)*plen;
        *plen += len + 1;
        return 0;
}

static int strs_add(struct builder *b, const char *s, size_t len, uint32_t *off)
{
        return pool_add(b, &b->tx->strs, &b->tx->strs_len, &b->strs_cap, s, len, off);
}

static int raw_add(struct builder *b, const struct raw_feature *r)
{
        if (mem_grow((void **)&b->raw, &b->cap_raw, b->n_raw + 1, sizeof(*b->raw))) {
                fail(b, "out of memory");
                return -1;
        }
        b->raw[b->n_raw++] = *r;
        return 0;
}

static int fold_space(char ch)
{
        return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* ASCII needs no Unicode tables: case folding and NFC leave it unchanged but
 * for A-Z, so this gives utf8proc_map's bytes without its cost (every
 * article with a section label folds it). NULL when @p s is not ASCII, or
 * out of memory (tx_fold's Unicode path then fails alike). */
static char *fold_ascii(const char *s)
{
        size_t n = 0;
        for (; s[n]; n++)
                if ((unsigned char)s[n] >= 0x80)
                        return NULL;
        while (n && fold_space(s[n - 1]))
                n--;
        while (n && fold_space(*s)) {
                s++;
                n--;
        }
        char *p = malloc(n + 1);
        if (!p)
                return NULL;
        for (size_t i = 0; i < n; i++)
                p[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + ('a' - 'A') : s[i]);
        p[n] = '\0';
        return p;
}

char *tx_fold(const char *s)
{
        char *p = fold_ascii(s);
        if (p)
                return p;
        utf8proc_uint8_t *out = NULL;
        utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)s, 0, &out,
                                          UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE |
                                              UTF8PROC_CASEFOLD);
        if (n < 0)
                return NULL;
        p = (char *)out;
        size_t len = (size_t)n, start = 0;
        while (start < len && fold_space(p[start]))
                start++;
        while (len > start && fold_space(p[len - 1]))
                len--;
        memmove(p, p + start, len - start);
        p[len - start] = '\0';
        return p;
}

/* Adds the n-gram whose stems are given, for one language slot and label;
 * @p hashes (tx_hash_stem of each stem) may be NULL. */
static int add_ngram(struct builder *b, unsigned lang, const char *const *stems,
                     const uint32_t *lens, const uint64_t *hashes, unsigned n, uint32_t label,
                     double weight, uint32_t src_off, int from_keyword)
{
        char key[1024];
        size_t klen = 0;
        uint64_t h = 0;
        for (unsigned i = 0; i < n; i++) {
                if (klen + lens[i] + 1 >= sizeof(key)) {
                        fail(b, "keyword too long");
                        return -1;
                }
                if (i)
                        key[klen++] = ' ';
                memcpy(key + klen, stems[i], lens[i]);
                klen += lens[i];
                uint64_t hs = hashes ? hashes[i] : tx_hash_stem(stems[i], lens[i]);
                h = i ? tx_hash_combine(h, hs) : hs;
        }
        struct raw_feature r = {.hash = h,
                                .key_len = (uint32_t)klen,
                                .label = label,
                                .weight = (float)weight,
                                .src_off = src_off,
                                .lang = (uint8_t)lang,
                                .ntok = (uint8_t)n,
                                .follow = 0,
                                .from_keyword = (uint8_t)from_keyword};
        if (strs_add(b, key, klen, &r.key_off) || raw_add(b, &r))
                return -1;
        if (n >= 2) {
                /* The anchor tells the scanner to look ahead from the first stem. */
                struct raw_feature a = {.hash =
                                            hashes ? hashes[0] : tx_hash_stem(stems[0], lens[0]),
                                        .key_off = r.key_off,
                                        .key_len = lens[0],
                                        .label = UINT32_MAX,
                                        .src_off = TX_NO_SRC,
                                        .lang = (uint8_t)lang,
                                        .ntok = 1,
                                        .follow = (uint8_t)n};
                if (raw_add(b, &a))
                        return -1;
        }
        return 0;
}

/* The weights as editors write them ("3", "2.5"): at most 15 digits with
 * an optional '.', whole string. m / 10^k with m < 2^53 and k <= 15 is two
 * exact doubles divided once, so IEEE rounding gives the nearest double to
 * the decimal: what strtod returns, without its locale and big-number
 * machinery (strtod was 3 % of the load). 1 when parsed, else 0 (strtod
 * decides, and reports what it rejects). */
static int parse_plain_decimal(const char *s, double *out)
{
        static const double pow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
        uint64_t m = 0;
        unsigned digits = 0, frac = 0;
        int dot = 0;
        for (; *s; s++) {
                if (*s >= '0' && *s <= '9') {
                        m = m * 10 + (uint64_t)(*s - '0');
                        digits++;
                        frac += (unsigned)dot;
                } else if (*s == '.' && !dot && digits) {
                        dot = 1;
                } else {
                        return 0;
                }
                if (digits > 15)
                        return 0;
        }
        if (!digits || (dot && !frac))
                return 0;
        *out = (double)m / pow10[frac];
        return 1;
}

/* Parses "[-]words[:weight]". Writes the words into buf. */
static int parse_keyword(struct builder *b, const char *kw, const char *lang_key, char *buf,
                         size_t bufsz, double *weight)
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
                char *end = NULL;
                errno = 0;
                double w;
                if (parse_plain_decimal(colon + 1, &w))
                        end = (char *)colon + 1 + strlen(colon + 1);
                else
                        w = strtod(colon + 1, &end);
                if (colon[1] == '\0' || *end != '\0' || errno || !isfinite(w) || w <= 0.0) {
                        fail(b, "keyword \"%s\" (%s): weight after ':' must be a positive number",
                             kw, lang_key);
                        return -1;
                }
                *weight = w;
                len = (size_t)(colon - s);
        }
        if (neg)
                *weight = -*weight;
        if (len >= bufsz) {
                fail(b, "keyword \"%s\" (%s): too long", kw, lang_key);
                return -1;
        }
        memcpy(buf, s, len);
        buf[len] = '\0';
        return 0;
}

/* A "*" name (one word) that language @p l's stemmer cuts down to fewer than
 * TX_NAME_MIN_CHARS characters ("UNAIDS" -> "un" in Catalan, "AMD" -> "am"
 * in Hungarian) would fire on that language's function words: the name is
 * not matched in that language. Called after stemming with that language. */
static int name_mangled(unsigned n, const char *stem, uint32_t stem_len, uint32_t norm_len)
{
        if (n != 1 || stem_len == norm_len)
                return 0;
        unsigned chars = 0;
        for (uint32_t i = 0; i < stem_len; i++)
                chars += ((unsigned char)stem[i] & 0xC0) != 0x80;
        return chars < TX_NAME_MIN_CHARS;
}

static inline uint64_t memo_key(unsigned lang, const char *word, size_t len)
{
        return hash_mix64(hash_stem(word, len) + lang);
}

/* Appends @p len bytes to the memo arena; offset in *off. */
static int memo_arena_add(struct stem_memo *m, const char *s, size_t len, uint32_t *off)
{
        if (len > UINT32_MAX / 4 || m->arena_len > UINT32_MAX / 4 - len ||
            mem_grow((void **)&m->arena, &m->arena_cap, m->arena_len + len + 1, 1))
                return -1;
        if (len) /* s may be NULL for an empty stem */
                memcpy(m->arena + m->arena_len, s, len);
        *off = (uint32_t)m->arena_len;
        m->arena_len += len;
        return 0;
}

static int memo_rehash(struct stem_memo *m, size_t nslots)
{
        uint32_t *slots = calloc(nslots, sizeof(*slots));
        if (!slots)
                return -1;
        for (size_t i = 0; i < m->n; i++) {
                size_t s = m->v[i].key & (nslots - 1);
                while (slots[s])
                        s = (s + 1) & (nslots - 1);
                slots[s] = (uint32_t)(i + 1);
        }
        free(m->slots);
        m->slots = slots;
        m->mask = nslots - 1;
        return 0;
}

/**
 * @brief The stem of normalised word @p word in language @p lang, as
 * stem_tokens would give it (stem_word), computed once per keyword file.
 * @returns the memo entry index (offsets into the arena, which moves as it
 * grows: callers resolve pointers after their last call), or -1 out of memory.
 */
static int64_t memo_stem(struct builder *b, unsigned lang, const char *word, uint32_t len)
{
        struct stem_memo *m = &b->memo;
        if (m->n >= UINT32_MAX - 1)
                return -1;
        if ((m->n + 1) * 2 > m->mask + 1 && memo_rehash(m, m->mask ? (m->mask + 1) * 2 : 4096))
                return -1;
        uint64_t key = memo_key(lang, word, len);
        size_t s = key & m->mask;
        for (; m->slots[s]; s = (s + 1) & m->mask) {
                const struct memo_entry *e = &m->v[m->slots[s] - 1];
                if (e->key == key && e->lang == lang && e->word_len == len &&
                    !memcmp(m->arena + e->word_off, word, len))
                        return m->slots[s] - 1;
        }
        size_t slen;
        const char *st = stem_word(b->pool, (int)lang, word, len, &slen);
        if (!st || mem_grow((void **)&m->v, &m->cap, m->n + 1, sizeof(*m->v)))
                return -1;
        struct memo_entry e = {.key = key, .lang = (uint8_t)lang, .word_len = len};
        /* st is borrowed from the pool until its next call: copy it first. */
        if (memo_arena_add(m, st, slen, &e.stem_off) || memo_arena_add(m, word, len, &e.word_off))
                return -1;
        if (slen) {
                e.stem_len = (uint32_t)slen;
        } else { /* an empty stem stands for the normal form (as classify's tok_stem) */
                e.stem_off = e.word_off;
                e.stem_len = len;
        }
        e.stem_hash = tx_hash_stem(m->arena + e.stem_off, e.stem_len);
        m->v[m->n] = e;
        m->slots[s] = (uint32_t)(m->n + 1);
        return (int64_t)m->n++;
}

static void memo_free(struct stem_memo *m)
{
        free(m->v);
        free(m->slots);
        free(m->arena);
        memset(m, 0, sizeof(*m));
}

static int add_keyword(struct builder *b, const char *lang_key, int lang, const char *kw,
                       uint32_t label)
{
        char words[1024];
        double weight;
        if (parse_keyword(b, kw, lang_key, words, sizeof(words), &weight))
                return -1;
        struct text_tokens *t = &b->toks;
        text_tokens_reset(t);
        if (text_tokenize(t, words, strlen(words), TEXT_FIELD_BODY, lang >= 0 ? lang_key : NULL)) {
                fail(b, "out of memory");
                return -1;
        }
        if (t->n == 0) {
                fail(b, "keyword \"%s\" (%s): no words after normalisation", kw, lang_key);
                return -1;
        }
        if (t->n > TX_PHRASE_MAX) {
                fail(b, "keyword \"%s\" (%s): a phrase may have at most %d words", kw, lang_key,
                     TX_PHRASE_MAX);
                return -1;
        }
        uint32_t src_off;
        if (pool_add(b, &b->src, &b->src_len, &b->src_cap, kw, strlen(kw), &src_off))
                return -1;
        if (weight > 0)
                b->kw_count[(size_t)label * TX_COUNT_COLS +
                            (lang >= 0 ? (unsigned)lang : TX_COUNT_ANY)]++;
        unsigned n = (unsigned)t->n;
        const char *stems[TX_PHRASE_MAX];
        uint32_t lens[TX_PHRASE_MAX];
        int first = lang >= 0 ? lang : 0;
        int last = lang >= 0 ? lang : STEM_LANG_COUNT - 1;
        uint64_t hashes[TX_PHRASE_MAX];
        int64_t memo[TX_PHRASE_MAX];
        for (int l = first; l <= last; l++) {
                for (unsigned i = 0; i < n; i++) {
                        /* Numeric tokens keep their normal form (stem_tokens' rule). */
                        memo[i] = (t->v[i].flags & TEXT_TOKEN_NUMERIC)
                                      ? INT64_MAX
                                      : memo_stem(b, (unsigned)l, text_token_norm(t, i),
                                                  t->v[i].norm_len);
                        if (memo[i] < 0) {
                                fail(b, "out of memory");
                                return -1;
                        }
                }
                for (unsigned i = 0; i < n; i++) {
                        if (memo[i] == INT64_MAX) {
                                stems[i] = text_token_norm(t, i);
                                lens[i] = t->v[i].norm_len;
                                hashes[i] = tx_hash_stem(stems[i], lens[i]);
                                continue;
                        }
                        const struct memo_entry *e = &b->memo.v[memo[i]];
                        stems[i] = b->memo.arena + e->stem_off;
                        lens[i] = e->stem_len;
                        hashes[i] = e->stem_hash;
                }
                if (lang < 0 && name_mangled(n, stems[0], lens[0], t->v[0].norm_len))
                        continue;
                if (add_ngram(b, (unsigned)l, stems, lens, hashes, n, label, weight, src_off, 1))
                        return -1;
        }
        if (lang < 0) {
                /* Unknown article language: match the normalised words. */
                for (unsigned i = 0; i < n; i++) {
                        stems[i] = text_token_norm(t, i);
                        lens[i] = t->v[i].norm_len;
                }
                if (add_ngram(b, TX_LANG_UNKNOWN, stems, lens, NULL, n, label, weight, src_off, 1))
                        return -1;
        }
        return 0;
}

static int add_stem(struct builder *b, const char *lang_key, int lang, const char *key, json_t *val,
                    uint32_t label)
{
        if (!json_is_number(val) || !isfinite(json_number_value(val))) {
                fail(b, "stem \"%s\" (%s): weight must be a number", key, lang_key);
                return -1;
        }
        double w = json_number_value(val);
        const char *stems[TX_PHRASE_MAX];
        uint32_t lens[TX_PHRASE_MAX];
        unsigned n = 0;
        const char *p = key;
        for (;;) {
                const char *sp = strchr(p, ' ');
                size_t len = sp ? (size_t)(sp - p) : strlen(p);
                if (len == 0 || n == TX_PHRASE_MAX) {
                        fail(b, "stem \"%s\" (%s): expected 1 to %d stems separated by one space",
                             key, lang_key, TX_PHRASE_MAX);
                        return -1;
                }
                stems[n] = p;
                lens[n++] = (uint32_t)len;
                if (!sp)
                        break;
                p = sp + 1;
        }
        if (lang >= 0)
                return add_ngram(b, (unsigned)lang, stems, lens, NULL, n, label, w, TX_NO_SRC, 0);
        for (unsigned l = 0; l < TX_LANG_SLOTS; l++)
                if (add_ngram(b, l, stems, lens, NULL, n, label, w, TX_NO_SRC, 0))
                        return -1;
        return 0;
}

/* One language's keyword array of one label. */
static int add_keyword_list(struct builder *b, const char *lang_key, int lang, json_t *arr,
                            uint32_t label)
{
        if (!json_is_array(arr)) {
                fail(b, "\"keywords\".\"%s\" must be an array of strings", lang_key);
                return -1;
        }
        size_t i;
        json_t *kw;
        json_array_foreach(arr, i, kw)
        {
                if (!json_is_string(kw)) {
                        fail(b, "\"keywords\".\"%s\"[%zu] must be a string", lang_key, i);
                        return -1;
                }
                if (add_keyword(b, lang_key, lang, json_string_value(kw), label))
                        return -1;
        }
        return 0;
}

/* "*" -> -1, "de" -> its stem_lang index; -2 when unknown. */
static int lang_of_key(const char *k)
{
        if (!strcmp(k, "*"))
                return -1;
        int l = stem_lang_from_iso(k);
        return l >= 0 ? l : -2;
}

static int parse_features(struct builder *b, json_t *obj, int is_stems, uint32_t label)
{
        const char *field = is_stems ? "stems" : "keywords";
        if (!json_is_object(obj)) {
                fail(b, "\"%s\" must be an object of language -> %s", field,
                     is_stems ? "{stem: weight}" : "[keywords]");
                return -1;
        }
        const char *lang_key;
        json_t *v;
        json_object_foreach(obj, lang_key, v)
        {
                int lang = lang_of_key(lang_key);
                if (lang == -2) {
                        fail(b,
                             "\"%s\": unknown language \"%s\" (ISO 639-1 code of a Snowball "
                             "language, or \"*\")",
                             field, lang_key);
                        return -1;
                }
                if (is_stems) {
                        if (!json_is_object(v)) {
                                fail(b, "\"stems\".\"%s\" must be an object {stem: weight}",
                                     lang_key);
                                return -1;
                        }
                        const char *k;
                        json_t *w;
                        json_object_foreach(v, k, w)
                        {
                                if (add_stem(b, lang_key, lang, k, w, label))
                                        return -1;
                        }
                } else if (add_keyword_list(b, lang_key, lang, v, label)) {
                        return -1;
                }
        }
        return 0;
}

static int opt_string(struct builder *b, json_t *o, const char *k, char **out)
{
        json_t *v = json_object_get(o, k);
        *out = NULL;
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_string(v)) {
                fail(b, "\"%s\" must be a string", k);
                return -1;
        }
        if (!(*out = strdup(json_string_value(v)))) {
                fail(b, "out of memory");
                return -1;
        }
        return 0;
}

static int opt_number(struct builder *b, json_t *o, const char *k, int *has, double *out)
{
        json_t *v = json_object_get(o, k);
        *has = 0;
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_number(v) || !isfinite(json_number_value(v))) {
                fail(b, "\"%s\" must be a number", k);
                return -1;
        }
        *has = 1;
        *out = json_number_value(v);
        return 0;
}

/* Index of the label with id @p id, or tx->n_labels when there is none. Load
 * time only (a linear scan over at most a few hundred labels). */
static size_t label_index(const struct taxonomy *tx, const char *id)
{
        size_t l = 0;
        while (l < tx->n_labels && strcmp(tx->labels[l].id, id))
                l++;
        return l;
}

static int parse_label(struct builder *b, json_t *lj, size_t idx)
{
        struct taxonomy *tx = b->tx;
        b->label = NULL;
        if (!json_is_object(lj)) {
                fail(b, "labels[%zu] must be an object", idx);
                return -1;
        }
        json_t *id = json_object_get(lj, "id");
        if (!json_is_string(id) || !json_string_length(id)) {
                fail(b, "labels[%zu]: \"id\" must be a non-empty string", idx);
                return -1;
        }
        b->label = json_string_value(id);
        size_t dup = label_index(tx, b->label);
        if (dup < tx->n_labels) {
                fail(b, "duplicate label id (first defined in %s)", tx->labels[dup].file);
                return -1;
        }
        size_t cap_count = b->cap_kw_count;
        if (tx->n_labels >= UINT32_MAX / TX_COUNT_COLS - 1 ||
            mem_grow((void **)&tx->labels, &b->cap_labels, tx->n_labels + 1, sizeof(*tx->labels)) ||
            mem_grow((void **)&b->kw_count, &b->cap_kw_count, (tx->n_labels + 1) * TX_COUNT_COLS,
                     sizeof(*b->kw_count))) {
                fail(b, "out of memory");
                return -1;
        }
        if (b->cap_kw_count > cap_count)
                memset(b->kw_count + cap_count, 0,
                       (b->cap_kw_count - cap_count) * sizeof(*b->kw_count));
        struct tx_label *L = &tx->labels[tx->n_labels];
        memset(L, 0, sizeof(*L));
        L->file = b->file;
        if (!(L->id = strdup(b->label))) {
                fail(b, "out of memory");
                return -1;
        }
        tx->n_labels++; /* from here on taxonomy_destroy frees it */
        json_t *kind = json_object_get(lj, "kind");
        const char *ks = json_string_value(kind);
        if (ks && !strcmp(ks, "section")) {
                L->kind = TAXONOMY_SECTION;
        } else if (ks && !strcmp(ks, "topic")) {
                L->kind = TAXONOMY_TOPIC;
        } else {
                fail(b, "\"kind\" must be \"section\" or \"topic\"");
                return -1;
        }
        if (opt_string(b, lj, "name", &L->name) || opt_string(b, lj, "iptc", &L->iptc))
                return -1;
        if (!L->name && !(L->name = strdup(L->id))) {
                fail(b, "out of memory");
                return -1;
        }
        int has_bias;
        if (opt_number(b, lj, "threshold", &L->has_threshold, &L->threshold) ||
            opt_number(b, lj, "bias", &has_bias, &L->bias) ||
            opt_number(b, lj, "margin", &L->has_margin, &L->margin))
                return -1;
        uint32_t label = (uint32_t)(tx->n_labels - 1);
        json_t *kw = json_object_get(lj, "keywords");
        if (kw && parse_features(b, kw, 0, label))
                return -1;
        json_t *st = json_object_get(lj, "stems");
        if (st && parse_features(b, st, 1, label))
                return -1;
        b->label = NULL;
        return 0;
}

static int parse_aliases(struct builder *b, json_t *aj)
{
        if (!json_is_object(aj)) {
                fail(b, "\"aliases\" must be an object of label id -> [source labels]");
                return -1;
        }
        const char *label;
        json_t *arr;
        json_object_foreach(aj, label, arr)
        {
                b->label = label;
                if (!json_is_array(arr)) {
                        fail(b, "\"aliases\" entry must be an array of strings");
                        return -1;
                }
                size_t i;
                json_t *s;
                json_array_foreach(arr, i, s)
                {
                        if (!json_is_string(s)) {
                                fail(b, "alias [%zu] must be a string", i);
                                return -1;
                        }
                        char *folded = tx_fold(json_string_value(s));
                        if (!folded || !*folded) {
                                free(folded);
                                fail(b, "alias \"%s\": empty or invalid UTF-8",
                                     json_string_value(s));
                                return -1;
                        }
                        if (mem_grow((void **)&b->alias, &b->cap_alias, b->n_alias + 1,
                                     sizeof(*b->alias))) {
                                free(folded);
                                fail(b, "out of memory");
                                return -1;
                        }
                        struct raw_alias *ra = &b->alias[b->n_alias];
                        ra->folded = folded;
                        ra->label_id = strdup(label);
                        ra->original = strdup(json_string_value(s));
                        ra->file = b->file;
                        b->n_alias++;
                        if (!ra->label_id || !ra->original) {
                                fail(b, "out of memory");
                                return -1;
                        }
                }
        }
        b->label = NULL;
        return 0;
}

static int append_version(struct builder *b, const char *name, const char *version)
{
        struct taxonomy *tx = b->tx;
        size_t old = tx->version ? strlen(tx->version) : 0;
        size_t add = strlen(name) + strlen(version) + 2;
        char *v = realloc(tx->version, old + add + 1);
        if (!v) {
                fail(b, "out of memory");
                return -1;
        }
        snprintf(v + old, add + 1, "%s%s@%s", old ? "," : "", name, version);
        tx->version = v;
        return 0;
}

/* 1 when every label id that @p keywords (a keyword file's object) names is
 * defined already (a non-object: 1, load_keyword_file reports it). */
static int labels_defined(const struct taxonomy *tx, json_t *keywords)
{
        const char *id;
        json_t *v;
        json_object_foreach(keywords, id, v)
        {
                if (label_index(tx, id) == tx->n_labels)
                        return 0;
        }
        return 1;
}

/* A keyword file: {"format", "language": "xx" or "*", "keywords": {label id:
 * [keywords]}} adds one language's keywords to labels that definition files
 * (loaded first, whatever the order given) declare. */
static int load_keyword_file(struct builder *b, json_t *root)
{
        json_t *lj = json_object_get(root, "language");
        const char *lang_key = json_string_value(lj);
        int lang = lang_key ? lang_of_key(lang_key) : -2;
        if (lang == -2) {
                fail(b, "\"language\" must be the ISO 639-1 code of a Snowball language or \"*\"");
                return -1;
        }
        if (json_object_get(root, "labels") || json_object_get(root, "aliases")) {
                fail(b, "a keyword file (with \"language\") cannot define labels or aliases");
                return -1;
        }
        json_t *kw = json_object_get(root, "keywords");
        if (!json_is_object(kw)) {
                fail(b, "\"keywords\" must be an object of label id -> [keywords]");
                return -1;
        }
        memo_free(&b->memo); /* see struct stem_memo: one file at a time */
        const char *id;
        json_t *arr;
        json_object_foreach(kw, id, arr)
        {
                b->label = id;
                size_t l = label_index(b->tx, id);
                if (l == b->tx->n_labels) {
                        fail(b, "no taxonomy file loaded with this one defines the label");
                        return -1;
                }
                if (add_keyword_list(b, lang_key, lang, arr, (uint32_t)l))
                        return -1;
        }
        b->label = NULL;
        return 0;
}

static int load_definition_file(struct builder *b, json_t *root, const char *path)
{
        json_t *labels = json_object_get(root, "labels");
        if (labels && !json_is_array(labels)) {
                fail(b, "\"labels\" must be an array");
                return -1;
        }
        const char *name = json_string_value(json_object_get(root, "name"));
        const char *version = json_string_value(json_object_get(root, "version"));
        if (!name) {
                name = strrchr(path, '/');
                name = name ? name + 1 : path;
        }
        if (append_version(b, name, version ? version : "unversioned"))
                return -1;
        size_t i;
        json_t *lj;
        json_array_foreach(labels, i, lj)
        {
                if (parse_label(b, lj, i))
                        return -1;
        }
        json_t *aliases = json_object_get(root, "aliases");
        if (aliases && parse_aliases(b, aliases))
                return -1;
        return 0;
}

/* Keyword files (lang/xx.json) are 2 MB of the default taxonomy's 2.1, and
 * building Jansson's tree of them and freeing it was a third of the load.
 * Their shape is fixed, {"format": s, "language": s, "keywords": {id: [s,
 * ...]}}, so they are read here in one pass over the file, each string
 * unescaped and NUL-terminated in place. Only files this reader accepts
 * completely take this path: anything else (another key, a non-string, a
 * \u escape, a duplicate key, bad UTF-8 or syntax, an unreadable file)
 * goes through Jansson and the code above, which gives the errors their
 * usual words. What is accepted is what Jansson accepts, in the same order. */
struct kw_file {
        char *buf; /* the file's bytes, strings NUL-terminated in place (owned) */
        const char *format, *language;
        struct kw_label {
                const char *id;  /* ids are unique: kw_file_labels checks */
                size_t first, n; /* kws[first .. first + n) */
                size_t index;    /* label index (kw_file_labels) */
        } * labels;
        size_t n_labels, cap_labels;
        const char **kws;
        size_t n_kws, cap_kws;
};

static void kw_file_free(struct kw_file *kf)
{
        free(kf->buf);
        free(kf->labels);
        free(kf->kws);
        memset(kf, 0, sizeof(*kf));
}

static const char *json_ws(const char *p)
{
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
                p++;
        return p;
}

/* Reads the JSON string at *pp (at its opening quote), unescapes it in place
 * and NUL-terminates it. Control characters, \u escapes and ill-formed UTF-8
 * are refused (NULL): Jansson decides about those. */
static const char *json_str(char **pp)
{
        char *p = *pp;
        if (*p != '"')
                return NULL;
        char *start = ++p;
        unsigned char c;
        unsigned high = 0; /* any byte >= 0x80: UTF-8 to check */
        while ((c = (unsigned char)*p) != '"' && c != '\\' && c >= 0x20) {
                high |= c;
                p++;
        }
        char *out = p;
        while (c != '"') {    /* an escape: unescape the rest of the string in place */
                if (c < 0x20) /* also the end of the buffer */
                        return NULL;
                if (c == '\\') {
                        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
                        const char *e = p[1] ? strchr(from, p[1]) : NULL;
                        if (!e)
                                return NULL;
                        *out++ = to[e - from];
                        p += 2;
                } else {
                        high |= c;
                        *out++ = (char)c;
                        p++;
                }
                c = (unsigned char)*p;
        }
        *out = '\0';
        *pp = p + 1;
        if ((high & 0x80) && text_utf8_validate(start, (size_t)(out - start), NULL))
                return NULL;
        return start;
}

/* The "keywords" object; 0, or -1 when it is not the expected shape. */
static int kw_file_keywords(struct kw_file *kf, char **pp)
{
        char *p = (char *)json_ws(*pp);
        if (*p++ != '{')
                return -1;
        p = (char *)json_ws(p);
        if (*p == '}') {
                *pp = p + 1;
                return 0;
        }
        for (;;) {
                const char *id = json_str(&p);
                if (!id)
                        return -1;
                p = (char *)json_ws(p);
                if (*p++ != ':')
                        return -1;
                p = (char *)json_ws(p);
                if (*p++ != '[' || mem_grow((void **)&kf->labels, &kf->cap_labels, kf->n_labels + 1,
                                            sizeof(*kf->labels)))
                        return -1;
                struct kw_label *L = &kf->labels[kf->n_labels++];
                *L = (struct kw_label){.id = id, .first = kf->n_kws};
                p = (char *)json_ws(p);
                if (*p == ']') {
                        p++;
                } else {
                        for (;;) {
                                const char *kw = json_str(&p);
                                if (!kw || mem_grow((void **)&kf->kws, &kf->cap_kws, kf->n_kws + 1,
                                                    sizeof(*kf->kws)))
                                        return -1;
                                kf->kws[kf->n_kws++] = kw;
                                L->n++;
                                p = (char *)json_ws(p);
                                if (*p == ']') {
                                        p++;
                                        break;
                                }
                                if (*p++ != ',')
                                        return -1;
                                p = (char *)json_ws(p);
                        }
                }
                p = (char *)json_ws(p);
                if (*p == '}') {
                        *pp = p + 1;
                        return 0;
                }
                if (*p++ != ',')
                        return -1;
                p = (char *)json_ws(p);
        }
}

/* Reads keyword file @p path into @p kf. 0 when it is a well-formed keyword
 * file of the expected shape, else -1 and the caller asks Jansson. */
static int kw_file_read(const char *path, struct kw_file *kf)
{
        memset(kf, 0, sizeof(*kf));
        FILE *f = fopen(path, "rb");
        if (!f)
                return -1;
        struct stat st;
        if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode) || st.st_size < 2 ||
            (uint64_t)st.st_size > UINT32_MAX / 2 || !(kf->buf = malloc((size_t)st.st_size + 1)) ||
            fread(kf->buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
                fclose(f);
                kw_file_free(kf);
                return -1;
        }
        fclose(f);
        kf->buf[st.st_size] = '\0';
        if (memchr(kf->buf, '\0', (size_t)st.st_size)) /* a NUL would end the scan early */
                goto reject;
        char *p = (char *)json_ws(kf->buf);
        if (*p++ != '{')
                goto reject;
        int seen_kw = 0;
        for (;;) {
                p = (char *)json_ws(p);
                const char *key = json_str(&p);
                if (!key)
                        goto reject;
                p = (char *)json_ws(p);
                if (*p++ != ':')
                        goto reject;
                p = (char *)json_ws(p);
                if (!strcmp(key, "keywords") && !seen_kw) {
                        seen_kw = 1;
                        if (kw_file_keywords(kf, &p))
                                goto reject;
                } else if (!strcmp(key, "format") && !kf->format) {
                        if (!(kf->format = json_str(&p)))
                                goto reject;
                } else if (!strcmp(key, "language") && !kf->language) {
                        if (!(kf->language = json_str(&p)))
                                goto reject;
                } else {
                        goto reject; /* another key, or one given twice */
                }
                p = (char *)json_ws(p);
                if (*p == '}')
                        break;
                if (*p++ != ',')
                        goto reject;
        }
        if (*json_ws(p + 1) != '\0' || !seen_kw || !kf->language || !kf->format ||
            strcmp(kf->format, TX_FORMAT) || lang_of_key(kf->language) == -2)
                goto reject;
        return 0;
reject:
        kw_file_free(kf);
        return -1;
}

/* Sets the label index of every label id of @p kf from the builder's id
 * table. 0 when all are defined and none repeats; else 1 (the file goes
 * through Jansson, which defers it or rejects the duplicate) or -1 out of
 * memory. */
static int kw_file_labels(struct builder *b, struct kw_file *kf)
{
        struct taxonomy *tx = b->tx;
        if (!b->label_map || b->label_map_n != tx->n_labels) { /* labels added: rebuild */
                size_t ns = 16;
                while (ns < 2 * tx->n_labels)
                        ns *= 2;
                uint32_t *map = calloc(ns, sizeof(*map));
                uint32_t *seen = calloc(tx->n_labels + 1, sizeof(*seen));
                if (!map || !seen) {
                        free(map);
                        free(seen);
                        return -1;
                }
                for (size_t l = 0; l < tx->n_labels; l++) {
                        const char *id = tx->labels[l].id;
                        size_t s = hash_stem(id, strlen(id)) & (ns - 1);
                        while (map[s])
                                s = (s + 1) & (ns - 1);
                        map[s] = (uint32_t)(l + 1);
                }
                free(b->label_map);
                free(b->label_seen);
                b->label_map = map;
                b->label_seen = seen;
                b->label_map_mask = ns - 1;
                b->label_map_n = tx->n_labels;
                b->label_stamp = 0;
        }
        b->label_stamp++;
        for (size_t i = 0; i < kf->n_labels; i++) {
                const char *id = kf->labels[i].id;
                size_t s = hash_stem(id, strlen(id)) & b->label_map_mask;
                while (b->label_map[s] && strcmp(tx->labels[b->label_map[s] - 1].id, id))
                        s = (s + 1) & b->label_map_mask;
                if (!b->label_map[s])
                        return 1;
                size_t l = b->label_map[s] - 1;
                if (b->label_seen[l] == b->label_stamp) /* JSON_REJECT_DUPLICATES */
                        return 1;
                b->label_seen[l] = b->label_stamp;
                kf->labels[i].index = l;
        }
        return 0;
}

/* load_keyword_file for a file kw_file_read accepted: the same calls in the
 * same order, so features, sources and errors are the same. */
static int load_kw_file(struct builder *b, const struct kw_file *kf)
{
        int lang = lang_of_key(kf->language);
        memo_free(&b->memo); /* see struct stem_memo: one file at a time */
        for (size_t i = 0; i < kf->n_labels; i++) {
                const struct kw_label *L = &kf->labels[i];
                b->label = L->id;
                for (size_t k = 0; k < L->n; k++)
                        if (add_keyword(b, kf->language, lang, kf->kws[L->first + k],
                                        (uint32_t)L->index))
                                return -1;
        }
        b->label = NULL;
        return 0;
}

/* Parses one file; *root is a new reference on success. */
static int parse_file(struct builder *b, const char *path, json_t **root)
{
        json_error_t jerr;
        b->file = path;
        b->label = NULL;
        *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        if (!*root) {
                fail(b, "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
                return -1;
        }
        json_t *fmt = json_object_get(*root, "format");
        if (!json_is_object(*root) || !json_is_string(fmt) ||
            strcmp(json_string_value(fmt), TX_FORMAT)) {
                fail(b, "not a taxonomy: \"format\" must be \"" TX_FORMAT "\"");
                json_decref(*root);
                *root = NULL;
                return -1;
        }
        return 0;
}

static int cmp_raw(const void *pa, const void *pb, void *strs)
{
        const struct raw_feature *a = pa, *b = pb;
        const char *s = strs;
        if (a->lang != b->lang)
                return a->lang < b->lang ? -1 : 1;
        if (a->hash != b->hash)
                return a->hash < b->hash ? -1 : 1;
        if (a->key_len != b->key_len)
                return a->key_len < b->key_len ? -1 : 1;
        int c = memcmp(s + a->key_off, s + b->key_off, a->key_len);
        if (c)
                return c;
        if (a->label != b->label)
                return a->label < b->label ? -1 : 1;
        if (a->from_keyword != b->from_keyword)
                return a->from_keyword > b->from_keyword ? -1 : 1;
        if (fabsf(a->weight) != fabsf(b->weight))
                return fabsf(a->weight) > fabsf(b->weight) ? -1 : 1;
        if (a->weight != b->weight)
                return a->weight > b->weight ? -1 : 1;
        if (a->src_off != b->src_off)
                return a->src_off < b->src_off ? -1 : 1;
        return 0;
}

static int same_key(const struct raw_feature *a, const struct raw_feature *b, const char *s)
{
        return a->lang == b->lang && a->hash == b->hash && a->key_len == b->key_len &&
               !memcmp(s + a->key_off, s + b->key_off, a->key_len);
}

/* Orders b->raw exactly as a stable sort by cmp_raw would, at a fraction of
 * its cost (qsort_r was ~11 % of start-up: every comparison an indirect call
 * that reads two 32-byte records): a stable LSD radix sort on the hash (four
 * 16-bit digits), a stable counting pass on the language, then cmp_raw only
 * inside the short runs of equal (language, hash), by insertion (stable).
 * 0, or -1 out of memory. */
static int sort_raw(struct builder *b, const char *strs)
{
        size_t n = b->n_raw;
        if (n < 2)
                return 0;
        if (n >= UINT32_MAX) {
                qsort_r(b->raw, n, sizeof(*b->raw), cmp_raw, (void *)strs);
                return 0;
        }
        struct raw_feature *tmp = malloc(n * sizeof(*tmp));
        uint32_t *count = malloc(65536 * sizeof(*count));
        if (!tmp || !count) {
                free(tmp);
                free(count);
                return -1;
        }
        struct raw_feature *src = b->raw, *dst = tmp;
        for (unsigned pass = 0; pass < 5; pass++) {
                /* passes 0-3: hash bits 0-15 .. 48-63; pass 4: language */
                unsigned shift = 16 * pass, buckets = pass < 4 ? 65536 : 256;
                memset(count, 0, buckets * sizeof(*count));
                for (size_t i = 0; i < n; i++)
                        count[pass < 4 ? (src[i].hash >> shift) & 0xffff : src[i].lang]++;
                uint32_t sum = 0;
                for (unsigned k = 0; k < buckets; k++) {
                        uint32_t c = count[k];
                        count[k] = sum;
                        sum += c;
                }
                for (size_t i = 0; i < n; i++)
                        dst[count[pass < 4 ? (src[i].hash >> shift) & 0xffff : src[i].lang]++] =
                            src[i];
                struct raw_feature *t = src;
                src = dst;
                dst = t;
        }
        /* src holds the result (the last pass wrote it) */
        memcpy(b->raw, src, n * sizeof(*src));
        free(tmp);
        free(count);
        struct raw_feature *r = b->raw;
        for (size_t lo = 0, hi; lo < n; lo = hi) {
                for (hi = lo + 1; hi < n && r[hi].lang == r[lo].lang && r[hi].hash == r[lo].hash;
                     hi++)
                        ;
                for (size_t i = lo + 1; i < hi; i++) {
                        struct raw_feature x = r[i];
                        size_t j = i;
                        for (; j > lo && cmp_raw(&r[j - 1], &x, (void *)strs) > 0; j--)
                                r[j] = r[j - 1];
                        r[j] = x;
                }
        }
        return 0;
}

/* Folds the sorted raw features into entries + postings, then copies only the
 * strings still referenced into a fresh pool. */
static int compile(struct builder *b)
{
        struct taxonomy *tx = b->tx;
        if (sort_raw(b, tx->strs)) {
                fail(b, "out of memory");
                return -1;
        }
        size_t n_entries = 0, n_post = 0, key_bytes = 0;
        for (size_t i = 0; i < b->n_raw; i++) {
                if (!i || !same_key(&b->raw[i - 1], &b->raw[i], tx->strs)) {
                        n_entries++;
                        /* Anchors borrow their key from a phrase: not counted in strs_len. */
                        key_bytes += b->raw[i].key_len + 1;
                }
                if (b->raw[i].label != UINT32_MAX &&
                    (!i || !same_key(&b->raw[i - 1], &b->raw[i], tx->strs) ||
                     b->raw[i - 1].label != b->raw[i].label))
                        n_post++;
        }
        if (n_entries >= UINT32_MAX / 4 || n_post >= UINT32_MAX ||
            key_bytes + b->src_len >= UINT32_MAX) {
                fail(b, "taxonomy too large");
                return -1;
        }
        tx->entries = calloc(n_entries ? n_entries : 1, sizeof(*tx->entries));
        tx->postings = calloc(n_post ? n_post : 1, sizeof(*tx->postings));
        size_t per_lang[TX_LANG_SLOTS] = {0};
        for (size_t i = 0; i < b->n_raw; i++)
                if (!i || !same_key(&b->raw[i - 1], &b->raw[i], tx->strs))
                        per_lang[b->raw[i].lang]++;
        size_t nslots = 0, fwords = 0;
        for (unsigned l = 0; l < TX_LANG_SLOTS; l++) {
                size_t ns = 16, nw = 8;
                while (ns * 3 < 4 * per_lang[l]) /* load factor <= 3/4 */
                        ns *= 2;
                while (nw * 64 < 16 * per_lang[l])
                        nw *= 2;
                tx->region[l] = (struct tx_region){.slot_base = nslots,
                                                   .slot_mask = ns - 1,
                                                   .filter_base = fwords,
                                                   .filter_mask = nw - 1};
                nslots += ns;
                fwords += nw;
        }
        tx->slots = calloc(nslots, sizeof(*tx->slots));
        tx->filter = calloc(fwords, sizeof(uint64_t));
        /* Compacted keys, then the keyword sources unchanged. */
        char *strs = malloc(key_bytes + b->src_len + 1);
        if (!tx->entries || !tx->postings || !tx->slots || !tx->filter || !strs) {
                free(strs);
                fail(b, "out of memory");
                return -1;
        }
        size_t slen = 0;
        struct tx_entry *e = NULL;
        struct tx_posting *p = NULL;
        for (size_t i = 0; i < b->n_raw; i++) {
                const struct raw_feature *r = &b->raw[i];
                int new_entry = !i || !same_key(&b->raw[i - 1], r, tx->strs);
                if (new_entry) {
                        e = &tx->entries[tx->n_entries++];
                        e->hash = r->hash;
                        e->lang = r->lang;
                        e->ntok = r->ntok;
                        e->key_len = (uint16_t)r->key_len; /* add_ngram: < 1024 */
                        unsigned chars = 0;
                        for (uint32_t k = 0; k < r->key_len && chars < 255; k++)
                                chars += ((unsigned char)tx->strs[r->key_off + k] & 0xC0) != 0x80;
                        e->key_chars = (uint8_t)chars;
                        e->key_off = (uint32_t)slen;
                        memcpy(strs + slen, tx->strs + r->key_off, r->key_len);
                        strs[slen + r->key_len] = '\0';
                        slen += r->key_len + 1;
                        e->post_off = (uint32_t)tx->n_postings;
                        p = NULL;
                }
                if (r->follow > e->max_follow)
                        e->max_follow = r->follow;
                if (r->label == UINT32_MAX)
                        continue;
                if (new_entry || !p || p->label != r->label) {
                        /* Sorted keyword-first, largest |weight| first: the first keyword
                         * of a (key, label) run is the one that counts. */
                        if (e->post_n == UINT16_MAX) {
                                fail(b, "taxonomy too large: over %u labels share one stem",
                                     UINT16_MAX);
                                return -1;
                        }
                        p = &tx->postings[tx->n_postings++];
                        e->post_n++;
                        p->label = r->label;
                        p->weight = r->weight;
                        p->src_off = r->src_off; /* rebased below */
                } else if (!r->from_keyword) {
                        p->weight += r->weight;
                }
        }
        if (b->src_len)
                memcpy(strs + slen, b->src, b->src_len);
        for (size_t i = 0; i < tx->n_postings; i++)
                if (tx->postings[i].src_off != TX_NO_SRC)
                        tx->postings[i].src_off += (uint32_t)slen;
        free(tx->strs);
        tx->strs = strs;
        tx->strs_len = slen + b->src_len;
        for (size_t i = 0; i < tx->n_entries; i++) {
                const struct tx_entry *en = &tx->entries[i];
                const struct tx_region *r = &tx->region[en->lang];
                uint64_t key = tx_slot_key(en->hash, en->lang);
                size_t s = key & r->slot_mask;
                while (tx->slots[r->slot_base + s].key)
                        s = (s + 1) & r->slot_mask;
                s += r->slot_base;
                tx->filter[tx_filter_word(r, key)] |= tx_filter_bits(key);
                tx->slots[s].key = key;
                tx->slots[s].entry = (uint32_t)i;
                tx->slots[s].key_len = en->key_len;
                tx->slots[s].ntok = en->ntok;
                tx->slots[s].max_follow = en->max_follow;
        }
        return 0;
}

static int cmp_alias(const void *pa, const void *pb)
{
        const struct tx_alias *a = pa, *b = pb;
        return strcmp(a->folded, b->folded);
}

static int resolve_aliases(struct builder *b)
{
        struct taxonomy *tx = b->tx;
        if (!b->n_alias)
                return 0;
        tx->aliases = calloc(b->n_alias, sizeof(*tx->aliases));
        if (!tx->aliases) {
                fail(b, "out of memory");
                return -1;
        }
        for (size_t i = 0; i < b->n_alias; i++) {
                struct raw_alias *ra = &b->alias[i];
                b->file = ra->file;
                b->label = ra->label_id;
                size_t l = label_index(tx, ra->label_id);
                if (l == tx->n_labels) {
                        fail(b, "alias \"%s\" names an unknown label", ra->original);
                        return -1;
                }
                struct tx_alias *a = &tx->aliases[tx->n_aliases];
                int dup = 0;
                for (size_t j = 0; j < tx->n_aliases; j++) {
                        if (strcmp(tx->aliases[j].folded, ra->folded))
                                continue;
                        if (tx->aliases[j].label != l) {
                                fail(b, "alias \"%s\" also maps to label \"%s\"", ra->original,
                                     tx->labels[tx->aliases[j].label].id);
                                return -1;
                        }
                        dup = 1;
                }
                if (dup)
                        continue;
                a->folded = ra->folded;
                ra->folded = NULL;
                a->label = (uint32_t)l;
                tx->n_aliases++;
        }
        if (tx->n_aliases) /* aliases is NULL when there are none; qsort wants a real array */
                qsort(tx->aliases, tx->n_aliases, sizeof(*tx->aliases), cmp_alias);
        return 0;
}

static void builder_free(struct builder *b)
{
        for (size_t i = 0; i < b->n_alias; i++) {
                free(b->alias[i].folded);
                free(b->alias[i].label_id);
                free(b->alias[i].original);
        }
        free(b->alias);
        free(b->raw);
        free(b->src);
        free(b->kw_count);
        memo_free(&b->memo);
        free(b->label_map);
        free(b->label_seen);
        text_tokens_free(&b->toks);
}

struct path_list {
        char **v;
        size_t n, cap;
};

static int path_push(struct path_list *pl, char *owned)
{
        if (!owned || mem_grow((void **)&pl->v, &pl->cap, pl->n + 1, sizeof(*pl->v))) {
                free(owned);
                return -1;
        }
        pl->v[pl->n++] = owned;
        return 0;
}

static int cmp_path(const void *pa, const void *pb)
{
        return strcmp(*(char *const *)pa, *(char *const *)pb);
}

/* Adds every *.json under dir (subdirectories too, at most `depth` deep),
 * sorted by path so that the load order and the error that wins never
 * depend on readdir. */
static int expand_dir(struct builder *b, struct path_list *pl, const char *dir, int depth)
{
        DIR *d = opendir(dir);
        if (!d) {
                fail(b, "%s: %s", dir, strerror(errno));
                return -1;
        }
        size_t first = pl->n;
        struct dirent *de;
        int rc = 0;
        while (rc == 0 && (de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                size_t len = strlen(de->d_name);
                char *full = malloc(strlen(dir) + len + 2);
                if (!full) {
                        rc = -1;
                        break;
                }
                sprintf(full, "%s/%s", dir, de->d_name);
                struct stat st;
                if (stat(full, &st)) {
                        free(full);
                        continue; /* a dangling link is not a taxonomy file */
                }
                if (S_ISDIR(st.st_mode)) {
                        if (depth > 0)
                                rc = expand_dir(b, pl, full, depth - 1);
                        free(full);
                } else if (S_ISREG(st.st_mode) && len > 5 &&
                           !strcmp(de->d_name + len - 5, ".json")) {
                        rc = path_push(pl, full);
                } else {
                        free(full);
                }
        }
        closedir(d);
        if (rc) {
                if (!b->errstr || !*b->errstr)
                        fail(b, "out of memory");
                return -1;
        }
        if (pl->n > first) /* qsort wants a real array */
                qsort(pl->v + first, pl->n - first, sizeof(*pl->v), cmp_path);
        return 0;
}

struct taxonomy *taxonomy_load(const char *const *paths, struct stem_pool *pool, char *errstr,
                               size_t errstr_size)
{
        struct builder b = {.pool = pool, .errstr = errstr, .errstr_size = errstr_size};
        struct path_list pl = {0};
        json_t **deferred = NULL; /* keyword files waiting for their labels */
        if (errstr && errstr_size)
                errstr[0] = '\0';
        text_tokens_init(&b.toks);
        b.tx = calloc(1, sizeof(*b.tx));
        if (!b.tx) {
                fail(&b, "out of memory");
                goto err;
        }
        for (size_t i = 0; paths && paths[i]; i++) {
                struct stat st;
                if (!stat(paths[i], &st) && S_ISDIR(st.st_mode)) {
                        size_t before = pl.n;
                        if (expand_dir(&b, &pl, paths[i], 2))
                                goto err;
                        if (pl.n == before) {
                                fail(&b, "%s: directory holds no *.json taxonomy file", paths[i]);
                                goto err;
                        }
                } else if (path_push(&pl, strdup(paths[i]))) {
                        fail(&b, "out of memory");
                        goto err;
                }
        }
        if (!pl.n) {
                fail(&b, "no taxonomy files given");
                goto err;
        }
        b.tx->files = pl.v; /* from here on taxonomy_destroy frees them */
        b.tx->n_files = pl.n;
        pl.v = NULL;
        pl.n = 0;
        if (!(deferred = calloc(b.tx->n_files, sizeof(*deferred)))) {
                fail(&b, "out of memory");
                goto err;
        }
        /* One parsed file at a time (the parsed trees of 29 languages are
         * several times the compiled taxonomy): a keyword file is applied at
         * once when the labels it names are defined, as in a directory where
         * labels.json sorts before lang/; otherwise it is kept and applied
         * after the last definition file. */
        for (size_t i = 0; i < b.tx->n_files; i++) {
                struct kw_file kf;
                if (!kw_file_read(b.tx->files[i], &kf)) {
                        /* Labels not all defined yet: Jansson's tree waits, as below. */
                        int rc = kw_file_labels(&b, &kf);
                        if (rc < 0) {
                                kw_file_free(&kf);
                                fail(&b, "out of memory");
                                goto err;
                        }
                        if (rc == 0) {
                                b.file = b.tx->files[i];
                                b.label = NULL;
                                rc = load_kw_file(&b, &kf);
                                kw_file_free(&kf);
                                if (rc)
                                        goto err;
                                continue;
                        }
                        kw_file_free(&kf);
                }
                json_t *root;
                if (parse_file(&b, b.tx->files[i], &root))
                        goto err;
                b.file = b.tx->files[i];
                b.label = NULL;
                int rc = 0;
                if (!json_object_get(root, "language"))
                        rc = load_definition_file(&b, root, b.tx->files[i]);
                else if (labels_defined(b.tx, json_object_get(root, "keywords")))
                        rc = load_keyword_file(&b, root);
                else {
                        deferred[i] = root;
                        continue;
                }
                json_decref(root);
                if (rc)
                        goto err;
        }
        for (size_t i = 0; i < b.tx->n_files; i++) {
                if (!deferred[i])
                        continue;
                b.file = b.tx->files[i];
                b.label = NULL;
                int rc = load_keyword_file(&b, deferred[i]);
                json_decref(deferred[i]);
                deferred[i] = NULL;
                if (rc)
                        goto err;
        }
        if (!b.tx->version) {
                b.file = NULL;
                fail(&b, "no taxonomy file defines labels (only keyword files given)");
                goto err;
        }
        memo_free(&b.memo); /* all keywords are in: lower the peak before compile() */
        b.file = NULL;
        b.label = NULL;
        if (resolve_aliases(&b))
                goto err;
        b.file = NULL;
        b.label = NULL;
        if (compile(&b))
                goto err;
        b.tx->keyword_counts = b.kw_count;
        b.kw_count = NULL;
        free(deferred);
        builder_free(&b);
        return b.tx;
err:
        for (size_t i = 0; deferred && i < b.tx->n_files; i++)
                json_decref(deferred[i]);
        free(deferred);
        for (size_t i = 0; i < pl.n; i++)
                free(pl.v[i]);
        free(pl.v);
        builder_free(&b);
        taxonomy_destroy(b.tx);
        return NULL;
}

void taxonomy_destroy(struct taxonomy *tx)
{
        if (!tx)
                return;
        for (size_t i = 0; i < tx->n_labels; i++) {
                free(tx->labels[i].id);
                free(tx->labels[i].name);
                free(tx->labels[i].iptc);
        }
        free(tx->labels);
        for (size_t i = 0; i < tx->n_aliases; i++)
                free(tx->aliases[i].folded);
        free(tx->aliases);
        for (size_t i = 0; i < tx->n_files; i++)
                free(tx->files[i]);
        free(tx->files);
        free(tx->entries);
        free(tx->postings);
        free(tx->slots);
        free(tx->filter);
        free(tx->strs);
        free(tx->version);
        free(tx->keyword_counts);
        free(tx);
}

size_t taxonomy_memory(const struct taxonomy *tx, size_t *entries)
{
        size_t slots = 0, words = 0;
        for (unsigned l = 0; l < TX_LANG_SLOTS; l++) {
                slots += tx->region[l].slot_mask + 1;
                words += tx->region[l].filter_mask + 1;
        }
        if (entries)
                *entries = tx->n_entries;
        return tx->n_entries * sizeof(*tx->entries) + tx->n_postings * sizeof(*tx->postings) +
               slots * sizeof(*tx->slots) + words * sizeof(uint64_t) + tx->strs_len +
               tx->n_labels * (sizeof(*tx->labels) + TX_COUNT_COLS * sizeof(uint32_t)) +
               tx->n_aliases * sizeof(*tx->aliases);
}

unsigned taxonomy_keyword_count(const struct taxonomy *tx, size_t i, int lang)
{
        if (!tx->keyword_counts || i >= tx->n_labels || lang >= STEM_LANG_COUNT)
                return 0;
        return tx->keyword_counts[i * TX_COUNT_COLS + (lang >= 0 ? (unsigned)lang : TX_COUNT_ANY)];
}

int taxonomy_foreach_feature(const struct taxonomy *tx, int lang,
                             int (*fn)(const struct taxonomy_feature *f, void *ud), void *ud)
{
        for (size_t e = 0; e < tx->n_entries; e++) {
                const struct tx_entry *en = &tx->entries[e];
                if (en->lang != lang)
                        continue;
                for (uint32_t k = 0; k < en->post_n; k++) {
                        const struct tx_posting *p = &tx->postings[en->post_off + k];
                        struct taxonomy_feature f = {
                            .stems = tx->strs + en->key_off,
                            .stems_len = en->key_len,
                            .ntok = en->ntok,
                            .label = p->label,
                            .weight = p->weight,
                            .keyword = p->src_off == TX_NO_SRC ? NULL : tx->strs + p->src_off};
                        int rc = fn(&f, ud);
                        if (rc)
                                return rc;
                }
        }
        return 0;
}

size_t taxonomy_label_count(const struct taxonomy *tx)
{
        return tx ? tx->n_labels : 0;
}

const char *taxonomy_label_id(const struct taxonomy *tx, size_t i)
{
        return tx->labels[i].id;
}

enum taxonomy_label_kind taxonomy_label_kind(const struct taxonomy *tx, size_t i)
{
        return tx->labels[i].kind;
}

const char *taxonomy_version(const struct taxonomy *tx)
{
        return tx && tx->version ? tx->version : "";
}

const struct tx_entry *tx_lookup(const struct taxonomy *tx, unsigned lang, uint64_t hash,
                                 const char *const *stems, const uint32_t *lens, unsigned n)
{
        uint64_t key = tx_slot_key(hash, lang);
        const struct tx_region *r = &tx->region[lang];
        if (!tx_filter_test(tx, r, key))
                return NULL;
        for (size_t s = key & r->slot_mask;; s = (s + 1) & r->slot_mask) {
                const struct tx_slot *sl = &tx->slots[r->slot_base + s];
                if (!sl->key)
                        return NULL;
                if (sl->key != key)
                        continue;
                const struct tx_entry *e = &tx->entries[sl->entry];
                if (e->hash != hash || e->lang != lang || e->ntok != n)
                        continue;
                const char *k = tx->strs + e->key_off;
                size_t pos = 0;
                unsigned i = 0;
                for (; i < n; i++) {
                        if (pos + lens[i] > e->key_len || memcmp(k + pos, stems[i], lens[i]))
                                break;
                        pos += lens[i];
                        if (i + 1 < n) {
                                if (pos >= e->key_len || k[pos] != ' ')
                                        break;
                                pos++;
                        }
                }
                if (i == n && pos == e->key_len)
                        return e;
        }
}

int tx_alias_find(const struct taxonomy *tx, const char *folded)
{
        size_t lo = 0, hi = tx->n_aliases;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = strcmp(folded, tx->aliases[mid].folded);
                if (!c)
                        return (int)tx->aliases[mid].label;
                if (c < 0)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        return -1;
}
