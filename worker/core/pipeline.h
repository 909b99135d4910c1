/* pipeline: one raw message through the pure classification path
 *   article_parse -> text_tokenize -> langid_detect -> stem_tokens -> classify -> record
 * and nothing else: no Kafka, no I/O, no globals. The same code serves
 * `stemtag classify`, the Kafka worker, the benchmarks and the fuzzers.
 *
 * Two objects:
 *  - struct pipeline_model: everything loaded from files (language model, taxonomy).
 *    Immutable after load, shared by all threads, reference counted so that a
 *    SIGHUP reload can swap it while in-flight messages finish on the old one.
 *  - struct pipeline_ctx: per-thread scratch (token buffers, stemmers, score
 *    accumulators, output buffer). Never shared between threads. */
#ifndef STEMTAG_PIPELINE_H
#define STEMTAG_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "article.h"
#include "text.h"

struct pipeline_model;
struct pipeline_ctx;

/** Everything the pure path can be told; filled from config by the caller. */
struct pipeline_options {
        struct article_options article;    /**< field names, size limit, UTF-8 policy */
        const char *langid_model_path;     /**< NULL: language detection off (code "und") */
        size_t langid_prefix_bytes;        /**< read at most this much of title+body */
        const char *const *taxonomy_paths; /**< NULL-terminated list; NULL: no classifier */
        double title_weight;               /**< title matches count this many times */
        double section_min_score;          /**< below this the section is null */
        double topic_min_score;            /**< topics below this are dropped */
        int topics_top_k;                  /**< at most this many topics */
        double topic_margin;       /**< topics below this fraction of the best are dropped */
        double min_confidence;     /**< tags less confident than this are dropped */
        size_t stem_cache_entries; /**< per-thread token->stem cache; 0 = off */
        int explain;               /**< add per-keyword contributions to records */
        int record_body;           /**< 1: the classified text goes into the record */
        const char *processed_at;  /**< fixed "processed_at" (tests); NULL: wall clock */
};

/** Fills @p opts with the documented defaults (see docs/configuration.md). */
void pipeline_options_default(struct pipeline_options *opts);

/**
 * @brief Loads the language model and taxonomy named in @p opts.
 * @returns a new model with one reference (release with pipeline_model_unref),
 *          or NULL with @p errstr naming the file and what is wrong with it.
 */
struct pipeline_model *pipeline_model_load(const struct pipeline_options *opts, char *errstr,
                                           size_t errstr_size);
/** Adds a reference; thread-safe. Returns @p m. */
struct pipeline_model *pipeline_model_ref(struct pipeline_model *m);
/** Drops a reference; thread-safe; frees on the last one; NULL is a no-op. */
void pipeline_model_unref(struct pipeline_model *m);

/** @brief Per-thread context. Owned by the caller; destroy with pipeline_ctx_destroy. */
struct pipeline_ctx *pipeline_ctx_new(const struct pipeline_options *opts);
void pipeline_ctx_destroy(struct pipeline_ctx *ctx);

/** Where the message came from; copied into the record's "input" object. */
struct pipeline_source {
        const char *topic; /**< NULL outside Kafka (then "line" is used) */
        int32_t partition;
        int64_t offset;
        int64_t line; /**< input line/article number for the CLI; -1 if none */
};

/** Outcome of one message. All pointers are borrowed from the ctx and stay
 *  valid until the next pipeline_process() call on the same ctx. */
struct pipeline_result {
        int ok;           /**< 1: record built; 0: rejected (see reason) */
        const char *json; /**< the enriched record, compact JSON, no newline */
        size_t json_len;
        const char *id;                   /**< article id (given or derived) */
        const char *language;             /**< ISO 639-1 code or "und" */
        const char *section;              /**< section id or NULL */
        const char *reason;               /**< stable machine-readable reason when !ok */
        const char *message;              /**< human-readable message when !ok */
        const struct article *article;    /**< the parsed article (also when rejected) */
        const struct text_tokens *tokens; /**< title + body tokens with stems, when ok */
};

/** Version of the classification code, for the record's "classifier.version". */
#define PIPELINE_CLASSIFIER_VERSION "stemtag-core-0.1.0"

/** Counters of one ctx since it was made (for /metrics). */
struct pipeline_stats {
        uint64_t processed; /**< records built */
        uint64_t rejected;  /**< messages rejected with a reason */
        uint64_t stem_cache_hits;
        uint64_t stem_cache_misses;
};

void pipeline_ctx_stats(const struct pipeline_ctx *ctx, struct pipeline_stats *out);

/**
 * @brief Runs one raw message through the whole pure path.
 * @returns 0 when the message was handled (either a record or a rejection
 *          with a reason: both are normal outcomes), -1 only when the
 *          process itself failed (out of memory).
 */
int pipeline_process(struct pipeline_ctx *ctx, const struct pipeline_model *model, const char *data,
                     size_t len, const struct pipeline_source *src, struct pipeline_result *out);

struct stem_pool;

/**
 * @brief Steps 3 and 4 of pipeline_process, the one tokenise + stem path that
 * serving and training (worker/train) share so they cannot drift: NFC +
 * casefold + word segmentation of @p title then @p body (either may be NULL)
 * into @p toks (reset first) under the rules of language @p lang, then the
 * stems of its Snowball stemmer.
 * @param lang a stem_lang index, or -1: tokens keep their form
 * @returns 0, or -1 when out of memory.
 */
int pipeline_tokenize_stem(struct stem_pool *stems, int lang, const char *title, size_t title_len,
                           const char *body, size_t body_len, struct text_tokens *toks);

#endif
