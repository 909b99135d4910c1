/* langid: text -> ISO 639-1 language code (or "und") with a calibrated
 * confidence, over the 28 languages libstemmer stems (Norwegian Bokmål and
 * Nynorsk are one language, code "no", because libstemmer has one Norwegian
 * stemmer). Owns the model file format (config/langid.model, documented in
 * config/langid.md and langid.c), its loader, the feature extractor shared by
 * detection and training (the model builder is worker/train/langid_train.h). */
#ifndef STEMTAG_LANGID_H
#define STEMTAG_LANGID_H

#include <stddef.h>
#include <stdint.h>

struct langid_model; /* immutable after load: share it across threads freely */
struct langid_cache; /* per thread: see langid_cache_new */

struct langid_result {
        char code[8];      /**< "de", "sr", ... or "und" */
        double confidence; /**< calibrated probability in [0,1]; 0 for "und" */
};

/** @brief Loads a model file. NULL on error with @p errstr naming file and problem.
 *  The caller owns the model; release it with langid_model_destroy. */
struct langid_model *langid_model_load(const char *path, char *errstr, size_t errstr_size);
void langid_model_destroy(struct langid_model *m); /* NULL is a no-op */

/**
 * @brief Detects the language of title + body, reading at most @p max_bytes.
 * @p hint is the article's own "language" field or NULL: a prior that breaks
 * near-ties only. Pure and thread-safe; allocates nothing.
 */
void langid_detect(const struct langid_model *m, const char *title, size_t title_len,
                   const char *body, size_t body_len, const char *hint, size_t max_bytes,
                   struct langid_result *out);

/**
 * @brief A word cache for langid_detect_cached: each short word's whole
 * contribution to the scores, so that a word seen before costs one lookup
 * instead of its ~20 feature lookups in the model. Results are identical to
 * langid_detect's. One cache serves one thread at a time (a pipeline context
 * owns one); it remembers which model filled it and empties itself when given
 * another. Bounded: 16384 entries of 128 bytes (2 MB of address space, its
 * pages touched as words arrive). NULL when out of memory.
 */
struct langid_cache *langid_cache_new(void);
void langid_cache_destroy(struct langid_cache *c); /* NULL is a no-op */

/**
 * @brief langid_detect_scores (below) with a word cache; @p cache NULL is the
 * uncached detection, @p scores may be NULL. Same results either way.
 */
unsigned langid_detect_cached(const struct langid_model *m, struct langid_cache *cache,
                              const char *title, size_t title_len, const char *body,
                              size_t body_len, const char *hint, size_t max_bytes,
                              struct langid_result *out, double *scores);

/* ---- extensions (training, evaluation, diagnostics) ---- */

#define LANGID_MAX_LANGS  32
#define LANGID_MAX_ORDER  5 /* character n-grams of order 1..5 */
#define LANGID_WORD_ORDER 6 /* the "order" tag of whole-word features */

/** Scripts the detector tells apart; letters of any other script count as OTHER. */
enum langid_script {
        LANGID_SCRIPT_LATIN = 0,
        LANGID_SCRIPT_GREEK,
        LANGID_SCRIPT_CYRILLIC,
        LANGID_SCRIPT_ARMENIAN,
        LANGID_SCRIPT_HEBREW,
        LANGID_SCRIPT_ARABIC,
        LANGID_SCRIPT_DEVANAGARI,
        LANGID_SCRIPT_TAMIL,
        LANGID_SCRIPT_OTHER,
        LANGID_SCRIPT_COUNT
};

/** Letter counts gathered while extracting features. */
struct langid_text_stats {
        uint32_t script[LANGID_SCRIPT_COUNT]; /**< letters per script */
        uint32_t letters;                     /**< all letters (sum of script[]) */
        uint32_t arabic_non_arabic; /**< Persian/Urdu-only letters (پ چ ژ گ ک ی ے ...) */
        uint32_t hebrew_yiddish;    /**< Yiddish marks (װ ױ ײ, pointed alef, rafe) */
        uint32_t hebrew_ayin;       /**< ע: a vowel in Yiddish, far rarer in Hebrew */
        uint32_t latin_foreign;     /**< Polish/Czech/Baltic/... letters none of ours use */
        uint32_t cyrillic_foreign;  /**< Ukrainian/Belarusian/Macedonian-only letters */
        uint32_t cyrillic_hard;     /**< ъ: frequent in Bulgarian, rare in Russian */
        uint32_t cyrillic_ru;       /**< ы э: Russian, never Bulgarian */
        uint32_t visible;           /**< codepoints that are not white space */
        uint32_t wordchars;         /**< letters + combining marks inside words */
};

/** Receives one feature: @p key (never 0) and its order (1..5 n-gram, 6 word). */
typedef void (*langid_feature_fn)(void *ud, uint32_t key, unsigned order);

/**
 * @brief The feature extractor detection uses, for the training tool: calls
 * @p fn for every feature of @p s (UTF-8, any length) and fills @p stats
 * (may be NULL). Normalisation: NFC for Latin/Greek/Cyrillic combining
 * accents, per-codepoint lower case (utf8proc), words = runs of letters and
 * marks; everything else separates words.
 */
void langid_features(const char *s, size_t len, langid_feature_fn fn, void *ud,
                     struct langid_text_stats *stats);

/**
 * @brief Like langid_detect, and also writes the candidate languages' raw
 * log-likelihood scores (natural log, before temperature and hint) into
 * @p scores (LANGID_MAX_LANGS entries, -HUGE_VAL for non-candidates) when not
 * NULL; returns the number of model languages. Used for calibration and
 * evaluation.
 */
unsigned langid_detect_scores(const struct langid_model *m, const char *title, size_t title_len,
                              const char *body, size_t body_len, const char *hint, size_t max_bytes,
                              struct langid_result *out, double *scores);

/** Number of languages in the model and the code of language @p i (borrowed). */
unsigned langid_model_langs(const struct langid_model *m);
const char *langid_model_code(const struct langid_model *m, unsigned i);
/** Model description ("stemtag.langid v1, 28 languages, N features"); borrowed. */
const char *langid_model_describe(const struct langid_model *m);

#endif
