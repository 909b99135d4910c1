/* text: UTF-8 validation and repair, NFC + case folding (utf8proc), and word
 * segmentation into tokens that remember their byte span in the original text.
 * Owns struct text_tokens, a reusable growable token buffer (one per thread).
 *
 * Segmentation rules (docs/formats.md repeats them for users):
 *  - A word is a run of letters (L*), combining marks (Mn/Mc/Me: vowel signs
 *    and viramas of Devanagari/Tamil, Arabic and Hebrew points stay inside the
 *    word) and decimal digits (Nd). Everything else separates words.
 *  - Kept inside a word when followed by a word character: ZWJ/ZWNJ, the
 *    Hebrew geresh/gershayim (U+05F3/U+05F4), the Catalan middle dot (U+00B7)
 *    between letters; a soft hyphen (U+00AD) is dropped from the normalised form.
 *  - Apostrophes (U+0027, U+2019, U+02BC) between two letters stay in the word
 *    and normalise to U+0027 ("government's"). With lang fr/it/ca/ga a short
 *    elided prefix is dropped ("l'homme" -> "homme", "qu'il" -> "il"); with
 *    lang tr/az the suffix after the apostrophe is dropped ("Ankara'da" -> "ankara").
 *  - Hyphens split words: "US-Cent" gives "us" and "cent"; with lang ga a
 *    t-/n-/h- mutation prefix stays on its word ("t-uisce").
 *  - '.' and ',' between two digits stay inside a number ("11.000", "3,5");
 *    a token without letters is flagged TEXT_TOKEN_NUMERIC and never stemmed.
 *  - URLs (http://, https://, ftp://, www.) and e-mail addresses (a word
 *    directly followed by '@' and another word) are skipped up to the next
 *    whitespace: they are not words of the language.
 *  - Normal form: NFC + Unicode full case folding (ß -> ss, final sigma -> σ,
 *    ё stays ё: the Snowball Russian stemmer folds it itself). İ (U+0130)
 *    always folds to i; with lang tr/az, I folds to ı (dotless). */
#ifndef STEMTAG_TEXT_H
#define STEMTAG_TEXT_H

#include <stddef.h>
#include <stdint.h>

/** Which part of the article a token came from (title counts more). */
enum text_field { TEXT_FIELD_TITLE = 0, TEXT_FIELD_BODY = 1 };

struct text_token {
        uint32_t off, len;           /**< byte span in the text passed to text_tokenize */
        uint32_t norm_off, norm_len; /**< NFC + casefolded form, in tokens->buf */
        uint32_t stem_off, stem_len; /**< stem (after stem_tokens), in tokens->buf */
        uint8_t field;               /**< enum text_field */
        uint8_t script;              /**< enum text_script (text.c) */
        uint8_t flags;               /**< TEXT_TOKEN_* */
        /** The stem cache's key hash of the normal form (hash_key_final), made
         *  by text_tokenize where it is cheap (short ASCII words), else 0:
         *  stem_tokens then hashes the word itself. */
        uint32_t norm_key;
};

#define TEXT_TOKEN_NUMERIC 0x01 /* all digits: kept, never stemmed */

/** A reusable token list. buf holds the normalised forms and stems of all tokens. */
struct text_tokens {
        struct text_token *v;
        size_t n, cap;
        char *buf;
        size_t buf_len, buf_cap;
        int32_t *ucs; /**< scratch for utf8proc (code points of one token) */
        size_t ucs_cap;
        struct text_fold2 *fold2; /**< private: 2-byte UTF-8 table (text.c), built on first use */
        /** hash_stem() of each token's stem, filled by stem_tokens (from its
         *  cache) so the classifier does not hash the token again; valid for
         *  tokens [0, stem_hash_n), and only when stem_hash_n == n. */
        uint64_t *stem_hash;
        size_t stem_hash_n, stem_hash_cap;
};

/** Script of a token (of its first letter). */
enum text_script {
        TEXT_SCRIPT_OTHER = 0,
        TEXT_SCRIPT_COMMON, /* digits only */
        TEXT_SCRIPT_LATIN,
        TEXT_SCRIPT_CYRILLIC,
        TEXT_SCRIPT_GREEK,
        TEXT_SCRIPT_ARMENIAN,
        TEXT_SCRIPT_HEBREW,
        TEXT_SCRIPT_ARABIC,
        TEXT_SCRIPT_DEVANAGARI,
        TEXT_SCRIPT_TAMIL,
};

/** Longest token (bytes of the original span) that is normalised; longer runs
 *  (base64, garbage) are skipped rather than stemmed. */
#define TEXT_TOKEN_MAX_BYTES 256

/**
 * @brief Checks that @p s is well-formed UTF-8 (no overlongs, surrogates or
 * code points above U+10FFFF). @returns 0, or -1 with the offset of the first
 * bad byte in @p bad_off (may be NULL).
 */
int text_utf8_validate(const char *s, size_t len, size_t *bad_off);

/**
 * @brief Copies @p s to @p dst replacing each maximal ill-formed subsequence by
 * U+FFFD (Unicode "substitution of maximal subparts"). @p dst must hold
 * 3 * @p len bytes. @returns the number of bytes written.
 */
size_t text_utf8_repair(char *dst, const char *s, size_t len);

void text_tokens_init(struct text_tokens *t);
/** Forgets all tokens, keeps the memory. */
void text_tokens_reset(struct text_tokens *t);
/** Frees the memory; the struct may be re-initialised. */
void text_tokens_free(struct text_tokens *t);

/**
 * @brief Appends the word tokens of @p s (valid UTF-8) to @p t, tagged with @p field.
 * @p lang ("tr", "az", "fr", ... or NULL) selects language-specific rules
 * (Turkish i, apostrophes). Offsets are relative to @p s.
 * @returns 0, or -1 when out of memory or @p len does not fit 32 bits.
 */
int text_tokenize(struct text_tokens *t, const char *s, size_t len, enum text_field field,
                  const char *lang);

/** Normalised form of token @p i (not NUL-terminated; use norm_len). */
static inline const char *text_token_norm(const struct text_tokens *t, size_t i)
{
        return t->buf + t->v[i].norm_off;
}
/** Stem of token @p i (valid after stem_tokens; not NUL-terminated; use stem_len). */
static inline const char *text_token_stem(const struct text_tokens *t, size_t i)
{
        return t->buf + t->v[i].stem_off;
}

#endif
