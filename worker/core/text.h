/* text: UTF-8 validation and repair, NFC + case folding (utf8proc), and word
 * segmentation into tokens that remember their byte span in the original text.
 * Owns struct text_tokens, a reusable growable token buffer (one per thread). */
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
};

#define TEXT_TOKEN_NUMERIC 0x01 /* all digits: kept, never stemmed */

/** A reusable token list. buf holds the normalised forms and stems of all tokens. */
struct text_tokens {
        struct text_token *v;
        size_t n, cap;
        char *buf;
        size_t buf_len, buf_cap;
};

void text_tokens_init(struct text_tokens *t);
/** Forgets all tokens, keeps the memory. */
void text_tokens_reset(struct text_tokens *t);
/** Frees the memory; the struct may be re-initialised. */
void text_tokens_free(struct text_tokens *t);

/**
 * @brief Appends the word tokens of @p s (valid UTF-8) to @p t, tagged with @p field.
 * @p lang ("tr", "az", ... or NULL) selects language-specific folding (Turkish i).
 * @returns 0, or -1 when out of memory.
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
