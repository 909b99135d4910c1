/* fuzz_pipeline: raw message bytes -> pipeline_process with the default config,
 * language model and taxonomy (config/stemtag.conf), i.e. the exact path the
 * Kafka worker and `stemtag classify` share.
 *
 * Besides crashes, leaks and sanitizer reports it checks the contract of
 * pipeline.h on every input: the call never fails on valid memory, a rejection
 * carries one of the stable reasons of article.h, and a record is valid JSON
 * of schema stemtag.article.v1. Each input runs through two contexts: the
 * defaults (utf8 reject, format auto) and a variant (utf8 replace, explain on)
 * so the repair path and the evidence output are covered too. And it is
 * differential: a third context reads JSON with Jansson only (the reference,
 * json_reference) and must answer exactly as the defaults do: the same
 * rejection and message, or the same record bytes (the fast path's unknown
 * members, written without a Jansson tree, included). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "config_pipeline.h"
#include "pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct config *fz_conf;
static struct pipeline_options fz_opts, fz_opts_replace, fz_opts_ref;
static struct pipeline_model *fz_model;
static struct pipeline_ctx *fz_ctx, *fz_ctx_replace, *fz_ctx_ref;

static void fz_die(const char *what, const char *detail)
{
        fprintf(stderr, "fuzz_pipeline: %s: %s\n", what, detail);
        abort();
}

static void fz_init(void)
{
        char errstr[512];

        fz_conf = config_new();
        if (!fz_conf)
                fz_die("config_new", "out of memory");
        if (config_load_file(fz_conf, STEMTAG_SOURCE_DIR "/config/stemtag.conf", errstr,
                             sizeof(errstr)))
                fz_die("config", errstr);
        if (config_to_pipeline_options(fz_conf, &fz_opts, errstr, sizeof(errstr)))
                fz_die("pipeline options", errstr);
        fz_model = pipeline_model_load(&fz_opts, errstr, sizeof(errstr));
        if (!fz_model)
                fz_die("model", errstr);
        fz_opts.processed_at = "2025-01-01T00:00:00Z"; /* records compared byte for byte */
        fz_opts_replace = fz_opts;
        fz_opts_ref = fz_opts;
        fz_opts_ref.article.json_reference = 1;
        fz_opts_replace.article.utf8_policy = ARTICLE_UTF8_REPLACE;
        fz_opts_replace.explain = 1;
        fz_ctx = pipeline_ctx_new(&fz_opts);
        fz_ctx_replace = pipeline_ctx_new(&fz_opts_replace);
        fz_ctx_ref = pipeline_ctx_new(&fz_opts_ref);
        if (!fz_ctx || !fz_ctx_replace || !fz_ctx_ref)
                fz_die("pipeline_ctx_new", "out of memory");
}

static int fz_known_reason(const char *reason)
{
        for (int r = ARTICLE_EMPTY; r <= ARTICLE_NO_TEXT; r++)
                if (strcmp(reason, article_reason_name((enum article_reason)r)) == 0)
                        return 1;
        return 0;
}

static void fz_check(const struct pipeline_result *res)
{
        json_error_t jerr;
        json_t *rec;

        if (!res->ok) {
                if (!res->reason || !fz_known_reason(res->reason))
                        fz_die("rejection without a stable reason",
                               res->reason ? res->reason : "(null)");
                if (!res->message)
                        fz_die("rejection without a message", res->reason);
                return;
        }
        if (!res->json || res->json_len == 0 || !res->id || !res->language)
                fz_die("record", "ok but json/id/language missing");
        rec = json_loadb(res->json, res->json_len, JSON_REJECT_DUPLICATES, &jerr);
        if (!rec)
                fz_die("record is not valid JSON", jerr.text);
        if (!json_is_object(rec) || !json_is_string(json_object_get(rec, "schema")) ||
            strcmp(json_string_value(json_object_get(rec, "schema")), "stemtag.article.v1") != 0)
                fz_die("record", "not an object of schema stemtag.article.v1");
        json_decref(rec);
}

static int fz_same_str(const char *a, const char *b)
{
        return a == b || (a && b && strcmp(a, b) == 0);
}

/* The fast JSON path must give what the Jansson reference gives. */
static void fz_check_same(const struct pipeline_result *fast, const struct pipeline_result *ref)
{
        if (fast->ok != ref->ok)
                fz_die("fast path vs reference",
                       fast->ok ? "only the fast path accepted" : "only the reference accepted");
        if (!fast->ok) {
                if (!fz_same_str(fast->reason, ref->reason) ||
                    !fz_same_str(fast->message, ref->message))
                        fz_die("fast path vs reference: rejections differ",
                               fast->message ? fast->message : "(null)");
                return;
        }
        if (fast->json_len != ref->json_len || memcmp(fast->json, ref->json, fast->json_len))
                fz_die("fast path vs reference: records differ", fast->json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct pipeline_source src = {.topic = "fuzz", .partition = 0, .offset = 0, .line = -1};
        struct pipeline_result res, ref;

        if (!fz_model)
                fz_init();
        memset(&res, 0, sizeof(res));
        if (pipeline_process(fz_ctx, fz_model, (const char *)data, size, &src, &res))
                fz_die("pipeline_process", "returned -1 (out of memory?)");
        fz_check(&res);
        memset(&ref, 0, sizeof(ref));
        if (pipeline_process(fz_ctx_ref, fz_model, (const char *)data, size, &src, &ref))
                fz_die("pipeline_process (reference)", "returned -1 (out of memory?)");
        fz_check_same(&res, &ref);
        memset(&res, 0, sizeof(res));
        if (pipeline_process(fz_ctx_replace, fz_model, (const char *)data, size, &src, &res))
                fz_die("pipeline_process (replace)", "returned -1 (out of memory?)");
        fz_check(&res);
        return 0;
}
