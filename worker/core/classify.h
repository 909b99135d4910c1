// clang-format off
/* classify: stemmed tokens -> one section + many topics, each with a score and
 * the stems that earned it. Owns the scoring and the per-thread score
 * accumulators; the compiled taxonomy it scores against is taxonomy.h's.
 *
 * Scoring (the same function `stemtag train` learns for, so learned and
 * hand-written taxonomies are interchangeable):
 *   c_f   = occurrences of stem n-gram f, a title occurrence counting
 *           title_weight times
 *   x_f   = tf(c_f) * s,  tf(c) = c for c <= 1, else 1 + ln c
 *   s     = 1 / max(1, sqrt(N / CLASSIFY_NORM_REF)), N = the article's tokens,
 *           a title token counting title_weight times (length
 *           normalisation: long articles are scaled to the same length, short
 *           ones keep raw counts; a token count, not the norm of the vector,
 *           so that words in no taxonomy cost one hash and one bit test)
 *   score = bias + sum_f weight(label, f) * x_f (+ alias_prior when the
 *           article's own section label is an alias of the label)
 * A section is the highest-scoring section label at or above its threshold;
 * topics are all topic labels at or above theirs, best first, at most top_k.
 * Only labels with at least one matched feature (or the alias prior) count:
 * a bias alone never assigns a tag.
 * Ties go to the smaller label id (strcmp), so results never depend on file
 * or hash order. */
// clang-format on
#ifndef STEMTAG_CLASSIFY_H
#define STEMTAG_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "stem.h"
#include "taxonomy.h"
#include "text.h"

struct classify_ctx; /* per-thread scratch */

/* Articles with more (title-weighted) tokens than this are normalised. */
#define CLASSIFY_NORM_REF 100.0
/* Stems listed as evidence per tag (the strongest contributions). */
#define CLASSIFY_EVIDENCE_MAX 5

/* Evidence standard (hand-written keywords; learned models are exempt): a tag
 * needs two distinct matched keywords, or one strong keyword: weight >=
 * CLASSIFY_STRONG_WEIGHT and a phrase or a stem of >= CLASSIFY_STRONG_MIN_CHARS
 * characters. A section may also rest on one keyword of weight >=
 * CLASSIFY_SECTION_SINGLE_WEIGHT (a one-sentence article rarely has two). */
#define CLASSIFY_STRONG_WEIGHT         2.5
#define CLASSIFY_STRONG_MIN_CHARS      4
#define CLASSIFY_SECTION_SINGLE_WEIGHT 2.0
/* A topic scoring below this fraction of the article's best topic is dropped
 * (default of classify.topic.margin; a label's "margin" overrides it). */
#define CLASSIFY_TOPIC_MARGIN 0.25

/* Confidence: the probability that a tag is right, a logistic function of
 *   section: z = B0 + B_SCORE ln(1 + score) + B_MARGIN (score - runner-up) / score
 *                + B_EVIDENCE ln(min(keywords, CONF_EVIDENCE_CAP))
 *                + B_SHORT [fewer than CONF_SHORT_TOKENS tokens]
 *            (a headline alone says less about its section than an article:
 *             without the last two terms, de-headlines tags of confidence >= 0.9
 *             were right only 85 % of the time)
 *   topic:   z = B0 + B_SCORE ln(score / threshold) + B_REL score / best topic score
 *                + B_EVIDENCE (0, 1 or 2 for one, two, three or more keywords; fitted
 *                  negative given the score, so left out: 0)
 * fitted by tools/taxonomy/fit_confidence.py (logistic regression; sections
 * on sib200-all, BBC, xglue-nc-de and de-headlines train+dev, topics on
 * Reuters train+dev). bench/bench_zeroshot.py prints the reliability table. */
#define CONF_SECTION_B0         (-0.769)
#define CONF_SECTION_B_SCORE    0.207
#define CONF_SECTION_B_MARGIN   2.320
#define CONF_SECTION_B_EVIDENCE 0.549
#define CONF_SECTION_B_SHORT    (-0.649)
#define CONF_EVIDENCE_CAP       8
#define CONF_SHORT_TOKENS       16
#define CONF_TOPIC_B0           (-1.184)
#define CONF_TOPIC_B_SCORE      2.507
#define CONF_TOPIC_B_REL        0.829
#define CONF_TOPIC_B_EVIDENCE   0.0

struct classify_options {
        double title_weight;
        double section_min_score; /**< default section threshold (labels may override) */
        double topic_min_score;   /**< default topic threshold (labels may override) */
        int topics_top_k;
        int explain;
        /* Added after the first contract; zero-initialised callers get the
         * documented behaviour noted on each field. */
        double alias_prior;    /**< added to the label the source section maps to (0: no prior) */
        int skip_json;         /**< 1: fill tags only, no JSON (eval, benchmarks) */
        int json_text;         /**< 1: section/topics as compact JSON text (section_text,
                                    topics_text) instead of json_t trees: the hot path */
        double topic_margin;   /**< drop topics below this fraction of the best topic (0: none) */
        int any_evidence;      /**< 1: one matched keyword of any weight may carry a tag (the
                                    evidence standard off; tests of raw scoring) */
        double min_confidence; /**< drop tags whose confidence is below this (0: none) */
};

/** Fills @p o with the defaults of the config table in docs/configuration.md (title 3, thresholds
 * 1, top-k 8, alias prior 2). */
void classify_options_default(struct classify_options *o);

struct classify_ctx *classify_ctx_new(void);
void classify_ctx_destroy(struct classify_ctx *c); /* NULL is a no-op */

/** One assigned tag. */
struct classify_tag {
        uint32_t label; /**< index in the taxonomy */
        const char *id; /**< borrowed from the taxonomy */
        double score;
        enum taxonomy_label_kind kind;
        double confidence; /**< topics: calibrated probability of being right */
};

/**
 * Result of one article. The json_t members are new references owned by the
 * caller (json_decref them); every other pointer is borrowed from the ctx or
 * the taxonomy and stays valid until the next classify_run on the same ctx.
 */
struct classify_result {
        json_t *
            section; /**< {"id","iptc","score","source_label"} or json null (NULL with skip_json) */
        json_t *topics;  /**< [{"id","score","evidence":[...]}] (NULL with skip_json) */
        json_t *explain; /**< per-keyword contributions, or NULL (only with options.explain) */
        const char *section_id; /**< borrowed from the taxonomy, or NULL */
        double section_score;
        double section_confidence;
        const struct classify_tag *topic_tags; /**< best first */
        size_t n_topics;
        /* With options.json_text: the same content as section/topics would
         * have, as compact JSON text (borrowed from the ctx), else NULL. */
        const char *section_text;
        size_t section_text_len;
        const char *topics_text;
        size_t topics_text_len;
};

/**
 * @brief Scores the stemmed tokens of one article (language @p lang, a
 * stem_lang index or -1) against the taxonomy. @p section_hint is the
 * source's own section label or NULL. 0, or -1 when out of memory.
 */
int classify_run(struct classify_ctx *c, const struct taxonomy *tx,
                 const struct classify_options *opts, int lang, const struct text_tokens *toks,
                 const char *section_hint, struct classify_result *out);

/** One stem or stem bigram of an article with its scaled value x_f. */
struct classify_feature {
        uint64_t hash;        /**< n-gram hash as the taxonomy computes it */
        double value;         /**< x_f of the header comment */
        uint32_t first_token; /**< token index of its first occurrence */
        uint32_t ntok;        /**< 1 stem or 2 (bigram) */
};

/**
 * @brief The feature vector classify_run scores (stems and stem bigrams), for
 * the learner. @returns the number of features, their array borrowed from @p c
 * until its next use in @p *out, or -1 when out of memory.
 */
long classify_features(struct classify_ctx *c, const struct text_tokens *toks, double title_weight,
                       const struct classify_feature **out);

#endif
