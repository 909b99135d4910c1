/* pipeline: parse -> langid -> tokenize -> stem -> classify -> record.
 *
 * Without taxonomy files (opts->taxonomy_paths NULL) the record says
 * "section": null, "topics": null. The detected
 * language picks the stemmer; without a language model ("language": null) or
 * when detection says "und", the article's own language hint does, when it
 * names a Snowball language.
 *
 * Language detection runs before tokenizing (not after) because the
 * tokenizer's rules depend on the language: Turkish dotless i folding and
 * French/Italian elision. langid reads the raw title/body, not tokens. */
#include "pipeline.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "classify.h"
#include "fingerprint.h"
#include "langid.h"
#include "record.h"
#include "stem.h"
#include "text.h"

struct pipeline_model {
        atomic_int refs;
        struct langid_model *langid; /* NULL: detection off */
        struct taxonomy *taxonomy;   /* [classify] NULL: no classifier */
};

struct pipeline_ctx {
        struct pipeline_options opts; /* copy; its strings are borrowed from the caller */
        struct article art;
        struct text_tokens toks;
        struct stem_pool *stems;
        struct record_buf rec;
        struct langid_result lang;
        /* langid's word cache for this context's thread (any model) */
        struct langid_cache *langid_cache;
        struct classify_ctx *classify; /* [classify] score accumulators */
        char processed_at[40];
        time_t processed_sec; /* second whose date/time processed_at holds (0: none yet) */
        uint64_t processed, rejected;
};

void pipeline_options_default(struct pipeline_options *opts)
{
        memset(opts, 0, sizeof(*opts));
        article_options_default(&opts->article);
        /* Paths stay NULL here: the config (langid.model, taxonomy.files) names
         * the files; a bare pipeline runs without detection or classifier. */
        opts->langid_model_path = NULL;
        opts->langid_prefix_bytes = 4096;
        opts->taxonomy_paths = NULL;
        opts->title_weight = 3.0;
        opts->section_min_score = 1.0;
        opts->topic_min_score = 1.0;
        opts->topics_top_k = 8;
        opts->topic_margin = CLASSIFY_TOPIC_MARGIN;
        opts->min_confidence = 0.0;
        opts->stem_cache_entries = 65536;
        opts->explain = 0;
        opts->processed_at = NULL;
}

struct pipeline_model *pipeline_model_load(const struct pipeline_options *opts, char *errstr,
                                           size_t errstr_size)
{
        struct pipeline_model *m = calloc(1, sizeof(*m));
        if (!m) {
                snprintf(errstr, errstr_size, "out of memory loading the model");
                return NULL;
        }
        atomic_init(&m->refs, 1);
        if (opts->langid_model_path) {
                m->langid = langid_model_load(opts->langid_model_path, errstr, errstr_size);
                if (!m->langid) {
                        free(m);
                        return NULL;
                }
        }
        /* [classify] keywords are stemmed at load with a pool of our own (pools
         * belong to one thread; this one lives only for the load). */
        if (opts->taxonomy_paths && opts->taxonomy_paths[0]) {
                struct stem_pool *pool = stem_pool_new(0);
                m->taxonomy =
                    pool ? taxonomy_load(opts->taxonomy_paths, pool, errstr, errstr_size) : NULL;
                if (!pool)
                        snprintf(errstr, errstr_size, "out of memory loading the taxonomy");
                stem_pool_destroy(pool);
                if (!m->taxonomy) {
                        langid_model_destroy(m->langid);
                        free(m);
                        return NULL;
                }
        }
#ifdef __GLIBC__
        /* Loading frees far more than it keeps (parsed JSON, raw keyword
         * tables, sort buffers): hand those pages back. Kafka's threads
         * allocate from their own malloc arenas and would never reuse them,
         * so they would stay in the worker's RSS for its whole life. */
        malloc_trim(0);
#endif
        return m;
}

struct pipeline_model *pipeline_model_ref(struct pipeline_model *m)
{
        if (m)
                atomic_fetch_add(&m->refs, 1);
        return m;
}

void pipeline_model_unref(struct pipeline_model *m)
{
        if (!m || atomic_fetch_sub(&m->refs, 1) != 1)
                return;
        langid_model_destroy(m->langid);
        taxonomy_destroy(m->taxonomy); /* [classify] */
        free(m);
}

struct pipeline_ctx *pipeline_ctx_new(const struct pipeline_options *opts)
{
        struct pipeline_ctx *c = calloc(1, sizeof(*c));
        if (!c)
                return NULL;
        c->opts = *opts;
        article_init(&c->art);
        text_tokens_init(&c->toks);
        record_buf_init(&c->rec);
        c->stems = stem_pool_new(opts->stem_cache_entries);
        c->classify = classify_ctx_new(); /* [classify] */
        c->langid_cache = langid_cache_new();
        if (!c->stems || !c->classify || !c->langid_cache) {
                stem_pool_destroy(c->stems);
                classify_ctx_destroy(c->classify);
                langid_cache_destroy(c->langid_cache);
                free(c);
                return NULL;
        }
        return c;
}

void pipeline_ctx_destroy(struct pipeline_ctx *c)
{
        if (!c)
                return;
        article_free(&c->art);
        text_tokens_free(&c->toks);
        stem_pool_destroy(c->stems);
        classify_ctx_destroy(c->classify); /* [classify] */
        langid_cache_destroy(c->langid_cache);
        record_buf_free(&c->rec);
        free(c);
}

void pipeline_ctx_stats(const struct pipeline_ctx *c, struct pipeline_stats *out)
{
        memset(out, 0, sizeof(*out));
        if (!c)
                return;
        out->processed = c->processed;
        out->rejected = c->rejected;
        stem_pool_stats(c->stems, &out->stem_cache_hits, &out->stem_cache_misses);
}

/* strftime + snprintf cost ~2.5k instructions, paid per record; the
 * date/time part only changes once a second, so it is kept and only the
 * milliseconds are rewritten. */
static const char *now_iso(struct pipeline_ctx *c)
{
        struct timespec ts;
        char *buf = c->processed_at;
        clock_gettime(CLOCK_REALTIME, &ts);
        if (ts.tv_sec != c->processed_sec || !buf[0]) {
                struct tm tm;
                gmtime_r(&ts.tv_sec, &tm);
                if (strftime(buf, sizeof(c->processed_at) - 6, "%Y-%m-%dT%H:%M:%S", &tm) != 19) {
                        /* a year beyond 9999: no fast path */
                        size_t n = strftime(buf, sizeof(c->processed_at), "%Y-%m-%dT%H:%M:%S", &tm);
                        snprintf(buf + n, sizeof(c->processed_at) - n, ".%03ldZ",
                                 ts.tv_nsec / 1000000);
                        c->processed_sec = 0;
                        return buf;
                }
                c->processed_sec = ts.tv_sec;
        }
        unsigned ms = (unsigned)(ts.tv_nsec / 1000000);
        buf[19] = '.';
        buf[20] = (char)('0' + ms / 100);
        buf[21] = (char)('0' + ms / 10 % 10);
        buf[22] = (char)('0' + ms % 10);
        buf[23] = 'Z';
        buf[24] = '\0';
        return buf;
}

int pipeline_tokenize_stem(struct stem_pool *stems, int lang, const char *title, size_t title_len,
                           const char *body, size_t body_len, struct text_tokens *toks)
{
        const char *lang_code = lang >= 0 ? stem_lang_iso(lang) : NULL;

        /* 3. tokenize: NFC + casefold, words with byte offsets */
        text_tokens_reset(toks);
        if ((title && text_tokenize(toks, title, title_len, TEXT_FIELD_TITLE, lang_code) < 0) ||
            (body && text_tokenize(toks, body, body_len, TEXT_FIELD_BODY, lang_code) < 0))
                return -1;

        /* 4. stem with the language's Snowball stemmer (-1: tokens keep their form) */
        return stem_tokens(stems, lang, toks) < 0 ? -1 : 0;
}

int pipeline_process(struct pipeline_ctx *c, const struct pipeline_model *model, const char *data,
                     size_t len, const struct pipeline_source *src, struct pipeline_result *out)
{
        memset(out, 0, sizeof(*out));
        out->language = "und";
        out->article = &c->art;

        /* 1. parse: raw bytes -> article, or a rejection with a stable reason */
        int rc = article_parse(&c->art, &c->opts.article, data, len);
        if (rc < 0)
                return -1;
        if (rc > 0) {
                c->rejected++;
                out->reason = article_reason_name(c->art.reason);
                out->message = c->art.message;
                return 0;
        }
        const struct article *a = &c->art;
        out->id = a->id;

        /* 2. langid: language of title + body; the article's own language
         *    field is only a prior. "und" falls back to that hint for stemming. */
        const char *detected = NULL;
        double confidence = 0.0;
        int lang = -1;
        if (model && model->langid) {
                langid_detect_cached(model->langid, c->langid_cache, a->title, a->title_len,
                                     a->body, a->body_len, a->language, c->opts.langid_prefix_bytes,
                                     &c->lang, NULL);
                detected = c->lang.code;
                confidence = c->lang.confidence;
                lang = stem_lang_from_iso(detected);
        }
        if (lang < 0)
                lang = stem_lang_from_iso(a->language);

        /* 3, 4. tokenize and stem */
        if (pipeline_tokenize_stem(c->stems, lang, a->title, a->title_len, a->body, a->body_len,
                                   &c->toks) < 0)
                return -1;
        out->tokens = &c->toks;
        uint64_t fp; /* 4b. near-duplicate fingerprint of the same stems */
        int has_fp = fingerprint_simhash(&c->toks, &fp) == 0;

        /* 5. [classify] section + topics from the stems, in the language the
         *    stems are in; the source's own section label is the alias prior. */
        struct classify_result cr = {0};
        if (model && model->taxonomy) {
                struct classify_options co;
                classify_options_default(&co);
                co.title_weight = c->opts.title_weight;
                co.section_min_score = c->opts.section_min_score;
                co.topic_min_score = c->opts.topic_min_score;
                co.topics_top_k = c->opts.topics_top_k;
                co.topic_margin = c->opts.topic_margin;
                co.min_confidence = c->opts.min_confidence;
                co.explain = c->opts.explain;
                co.json_text = 1;
                if (classify_run(c->classify, model->taxonomy, &co, lang, &c->toks, a->section,
                                 &cr) < 0)
                        return -1;
        }
        struct record_tags tags = {
            .language = detected,
            .language_confidence = confidence,
            .section = cr.section,
            .topics = cr.topics,
            .explain = cr.explain,
            .classifier_version = PIPELINE_CLASSIFIER_VERSION,
            .taxonomy_version = model && model->taxonomy ? taxonomy_version(model->taxonomy) : NULL,
            .section_text = cr.section_text,
            .section_text_len = cr.section_text_len,
            .topics_text = cr.topics_text,
            .topics_text_len = cr.topics_text_len,
            .fingerprint = fp,
            .has_fingerprint = has_fp,
            .body = c->opts.record_body ? a->body : NULL,
            .body_len = c->opts.record_body ? a->body_len : 0,
        };

        /* 6. record */
        struct record_input in = {.topic = src ? src->topic : NULL,
                                  .partition = src ? src->partition : -1,
                                  .offset = src ? src->offset : -1,
                                  .line = src ? src->line : -1};
        const char *processed_at = c->opts.processed_at ? c->opts.processed_at : now_iso(c);
        rc = record_build(&c->rec, a, &tags, &in, processed_at);
        json_decref(cr.section); /* [classify] the record holds its own copy */
        json_decref(cr.topics);
        json_decref(cr.explain);
        if (rc < 0)
                return -1;
        c->processed++;
        out->ok = 1;
        out->json = c->rec.p;
        out->json_len = c->rec.len;
        out->language = detected ? detected : "und";
        out->section = cr.section_id; /* [classify] borrowed from the taxonomy */
        return 0;
}
