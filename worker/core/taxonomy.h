/* taxonomy: the compiled form of one or more taxonomy files (format
 * "stemtag.taxonomy.v1", see docs/classifier.md). Owns the flat layout
 * that classify.c scores against: an open-addressing hash of
 * (language, stem n-gram) -> postings (label, weight), the label table and the
 * casefolded alias table. Immutable after taxonomy_load, so any
 * number of threads may read it at once.
 * The public API (load, destroy, labels, inspection) comes first; the layout
 * below it is for classify.c, the learner and inspection tools. */
#ifndef STEMTAG_TAXONOMY_H
#define STEMTAG_TAXONOMY_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hash.h"
#include "stem.h"

struct taxonomy; /* compiled, immutable after load, shared by threads */

/** What a label tags: the one section of an article, or one of its topics. */
enum taxonomy_label_kind { TAXONOMY_SECTION = 0, TAXONOMY_TOPIC = 1 };

/**
 * @brief Loads and compiles one or more taxonomy files (NULL-terminated list);
 * keywords are stemmed at load time with @p pool.
 * @returns new taxonomy or NULL with @p errstr naming file, label and keyword.
 */
struct taxonomy *taxonomy_load(const char *const *paths, struct stem_pool *pool, char *errstr,
                               size_t errstr_size);
void taxonomy_destroy(struct taxonomy *tx); /* NULL is a no-op */
/** Version string for the record's "classifier.taxonomy" (borrowed). */
const char *taxonomy_version(const struct taxonomy *tx);
/** Number of labels, and label @p i's id / kind; borrowed. */
size_t taxonomy_label_count(const struct taxonomy *tx);
const char *taxonomy_label_id(const struct taxonomy *tx, size_t i);
enum taxonomy_label_kind taxonomy_label_kind(const struct taxonomy *tx, size_t i);

/** Keywords (positive weight, as written in the files) of label @p i for
 *  language @p lang (a stem_lang index, or -1 for "*"). */
unsigned taxonomy_keyword_count(const struct taxonomy *tx, size_t i, int lang);

/** Bytes held by the compiled taxonomy (tables, strings, labels), and its
 *  entry (stem n-gram per language) count in @p entries when not NULL. */
size_t taxonomy_memory(const struct taxonomy *tx, size_t *entries);

/** One compiled (stem n-gram, label) pair, for inspection tools. */
struct taxonomy_feature {
        const char *stems; /**< the n-gram's stems joined by one space (borrowed) */
        size_t stems_len;
        unsigned ntok;
        size_t label;
        double weight;
        const char *keyword; /**< the keyword as written, or NULL for learned stems */
};

/** Calls @p fn for every feature of language slot @p lang (stem_lang index);
 *  stops at and returns the first non-zero value @p fn returns, else 0. */
int taxonomy_foreach_feature(const struct taxonomy *tx, int lang,
                             int (*fn)(const struct taxonomy_feature *f, void *ud), void *ud);

/* Language slot of entries that apply when the article language is unknown
 * (lang -1): the `*` entries under their normalised, unstemmed form. */
#define TX_LANG_UNKNOWN STEM_LANG_COUNT
#define TX_LANG_SLOTS   (STEM_LANG_COUNT + 1)

/* A "*" name whose stem in a language is shorter than this (and not the
 * name itself) is not matched in that language (taxonomy.c name_mangled). */
#define TX_NAME_MIN_CHARS 4

/* Longest phrase (in stems) a keyword may have; bounds the look-ahead. */
#define TX_PHRASE_MAX 8

/* Columns of taxonomy.keyword_counts: one per stem_lang, then "*". */
#define TX_COUNT_ANY  STEM_LANG_COUNT
#define TX_COUNT_COLS (STEM_LANG_COUNT + 1)

struct tx_label {
        char *id, *name, *iptc; /* owned; iptc may be NULL */
        enum taxonomy_label_kind kind;
        int has_threshold; /* else the classify option's default applies */
        double threshold;
        double bias;
        int has_margin; /* else classify.topic.margin applies */
        double margin;
        const char *file; /* borrowed from taxonomy.files */
};

struct tx_posting {
        uint32_t label;
        float weight;
        uint32_t src_off; /* keyword as the editor wrote it (in strs), or TX_NO_SRC */
};
#define TX_NO_SRC UINT32_MAX

/* 24 bytes: 29 languages of keywords make ~100k entries. */
struct tx_entry {
        uint64_t hash;      /* n-gram hash (tx_hash_stem / tx_hash_combine), language-free */
        uint32_t key_off;   /* stems joined by one space, in strs */
        uint32_t post_off;  /* postings[post_off .. post_off + post_n) */
        uint16_t key_len;   /* keywords are at most 1 KB */
        uint16_t post_n;    /* labels sharing the n-gram (compile() checks the bound) */
        uint8_t lang;       /* stem_lang index or TX_LANG_UNKNOWN */
        uint8_t ntok;       /* stems in the key */
        uint8_t max_follow; /* longest n-gram (>= 2) starting with this unigram, else 0/1 */
        uint8_t key_chars;  /* code points of the key, at most 255 (the evidence standard) */
};

/* 16 bytes: a lookup reads one slot run and nothing else. */
struct tx_slot {
        uint64_t key;     /* tx_slot_key(hash, lang); 0 = empty */
        uint32_t entry;   /* index into entries */
        uint16_t key_len; /* min(entry key_len, UINT16_MAX) */
        uint8_t ntok;
        uint8_t max_follow;
};

struct tx_alias {
        char *folded; /* casefolded source label (owned) */
        uint32_t label;
};

struct taxonomy {
        struct tx_label *labels;
        size_t n_labels;
        struct tx_entry *entries;
        size_t n_entries;
        struct tx_posting *postings;
        size_t n_postings;
        /* One region of the slot table and of the filter per language slot,
         * each sized for that language's entries: an article touches only its
         * language's region, however many languages the taxonomy has. */
        struct tx_slot *slots;
        uint64_t *filter; /* two bits per key in one word, 16 bits per entry: most words of
                             an article are in no taxonomy, and this answers "absent" from
                             L1/L2 without touching the slot table */
        struct tx_region {
                size_t slot_base, slot_mask;     /* slots[slot_base .. + slot_mask] */
                size_t filter_base, filter_mask; /* filter words */
        } region[TX_LANG_SLOTS];
        char *strs;
        size_t strs_len;
        struct tx_alias *aliases; /* sorted by folded (strcmp) */
        size_t n_aliases;
        char **files; /* the paths as given (owned) */
        size_t n_files;
        char *version; /* "name@version,..." of the definition files (owned) */
        /* Keywords (positive weight) per label and language, as written:
         * keyword_counts[label * TX_COUNT_COLS + lang], column TX_COUNT_ANY
         * for "*" (owned; for `stemtag taxonomy stats` and the coverage test). */
        uint32_t *keyword_counts;
};

/* Stem hash (hash_stem in hash.h, where the stem cache can reach it).
 * Internal to a process: taxonomy files and learned models store strings. */
static inline uint64_t tx_hash_stem(const char *s, size_t len)
{
        return hash_stem(s, len);
}

/** Hash of an n-gram from the hash of its first n-1 stems and the next stem. */
static inline uint64_t tx_hash_combine(uint64_t h, uint64_t next)
{
        return hash_mix64(h ^ (next + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2)));
}

static inline uint64_t tx_slot_key(uint64_t hash, unsigned lang)
{
        uint64_t k = hash_mix64(hash ^ ((uint64_t)(lang + 1) * 0xd6e8feb86659fd93ULL));
        return k ? k : 1; /* 0 marks an empty slot */
}

/* Blocked filter: a slot key sets two bits of one 64-bit word (one cache
 * line read per test). The word comes from the high bits, the two bit
 * positions from the middle ones: all independent of the slot index (low
 * bits). At 16 bits per entry about 1.5 % of absent words pass. */
static inline size_t tx_filter_word(const struct tx_region *r, uint64_t key)
{
        return r->filter_base + ((size_t)(key >> 32) & r->filter_mask);
}

static inline uint64_t tx_filter_bits(uint64_t key)
{
        return (1ULL << ((key >> 16) & 63)) | (1ULL << ((key >> 22) & 63));
}

static inline int tx_filter_test(const struct taxonomy *tx, const struct tx_region *r, uint64_t key)
{
        uint64_t b = tx_filter_bits(key);
        return (tx->filter[tx_filter_word(r, key)] & b) == b;
}

/** Language slot for a stem_lang index (-1 = unknown). */
static inline unsigned tx_lang_slot(int lang)
{
        return (lang >= 0 && lang < STEM_LANG_COUNT) ? (unsigned)lang : TX_LANG_UNKNOWN;
}

/**
 * @brief Finds the entry of (@p lang slot, n-gram with hash @p hash) whose key
 * equals the @p n stems @p stems / @p lens (compared byte for byte).
 * @returns the entry (borrowed from @p tx) or NULL.
 */
const struct tx_entry *tx_lookup(const struct taxonomy *tx, unsigned lang, uint64_t hash,
                                 const char *const *stems, const uint32_t *lens, unsigned n);

/** 0 when (@p lang, @p hash) is certainly in no entry; 1 when it may be. */
static inline int tx_filter_has(const struct taxonomy *tx, unsigned lang, uint64_t hash)
{
        return tx_filter_test(tx, &tx->region[lang], tx_slot_key(hash, lang));
}

/**
 * @brief The hot-path lookup: matches on the 64-bit (hash, language) key, the
 * stem count and the key length, without reading the key bytes. A false match
 * needs a 64-bit hash collision between two n-grams of equal length in the
 * same language; tx_lookup compares the bytes when that matters.
 * @returns the entry index or -1; *max_follow gets the entry's max_follow.
 */
static inline int32_t tx_find(const struct taxonomy *tx, unsigned lang, uint64_t hash,
                              unsigned ntok, size_t key_len, unsigned *max_follow)
{
        uint64_t key = tx_slot_key(hash, lang);
        const struct tx_region *r = &tx->region[lang];
        if (!tx_filter_test(tx, r, key))
                return -1;
        uint16_t klen = key_len > UINT16_MAX ? UINT16_MAX : (uint16_t)key_len;
        for (size_t s = key & r->slot_mask;; s = (s + 1) & r->slot_mask) {
                const struct tx_slot *sl = &tx->slots[r->slot_base + s];
                if (!sl->key)
                        return -1;
                if (sl->key == key && sl->ntok == ntok && sl->key_len == klen) {
                        *max_follow = sl->max_follow;
                        return (int32_t)sl->entry;
                }
        }
}

/** Label index of a casefolded source section label, or -1. */
int tx_alias_find(const struct taxonomy *tx, const char *folded);

/**
 * @brief NFC + casefold + trim of @p s (NUL-terminated).
 * @returns a new string owned by the caller (free()), or NULL when out of memory
 * or @p s is not valid UTF-8.
 */
char *tx_fold(const char *s);

#endif
