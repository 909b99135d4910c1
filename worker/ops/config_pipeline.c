/* config_pipeline: struct config -> struct pipeline_options. */
#include "config_pipeline.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "pipeline.h"

int config_to_pipeline_options(const struct config *c, struct pipeline_options *opts, char *errstr,
                               size_t errstr_size)
{
        const char *const *body = config_get_list(c, "input.field.body");
        const char *const *tax = config_get_list(c, "taxonomy.files");
        const char *fmt = config_get(c, "input.format");
        const char *lang = config_get(c, "langid.model");
        struct article_fields *f = &opts->article.fields;
        size_t nbody = 0;

        pipeline_options_default(opts);
        if (!strcmp(fmt, "json"))
                opts->article.format = ARTICLE_FORMAT_JSON;
        else if (!strcmp(fmt, "text"))
                opts->article.format = ARTICLE_FORMAT_TEXT;
        else if (!strcmp(fmt, "html"))
                opts->article.format = ARTICLE_FORMAT_HTML;
        else
                opts->article.format = ARTICLE_FORMAT_AUTO;
        opts->article.utf8_policy = strcmp(config_get(c, "input.utf8.policy"), "replace")
                                        ? ARTICLE_UTF8_REJECT
                                        : ARTICLE_UTF8_REPLACE;
        opts->article.max_bytes = (size_t)config_get_int(c, "input.max.bytes");
        const char *bf = config_get(c, "input.body.format");
        opts->article.body_format = !strcmp(bf, "text")   ? ARTICLE_BODY_TEXT
                                    : !strcmp(bf, "html") ? ARTICLE_BODY_HTML
                                                          : ARTICLE_BODY_AUTO;
        opts->record_body = !strcmp(config_get(c, "record.body"), "true");
        f->id = config_get(c, "input.field.id");
        f->url = config_get(c, "input.field.url");
        f->title = config_get(c, "input.field.title");
        f->section = config_get(c, "input.field.section");
        f->published_at = config_get(c, "input.field.published_at");
        f->source = config_get(c, "input.field.source");
        f->language = config_get(c, "input.field.language");
        while (body[nbody])
                nbody++;
        if (nbody < 1 || nbody >= sizeof(f->body) / sizeof(f->body[0])) {
                snprintf(errstr, errstr_size,
                         "%s: key 'input.field.body': give 1 to %zu field names, got %zu",
                         config_source(c, "input.field.body"),
                         sizeof(f->body) / sizeof(f->body[0]) - 1, nbody);
                return -1;
        }
        for (size_t i = 0; i < sizeof(f->body) / sizeof(f->body[0]); i++)
                f->body[i] = i < nbody ? body[i] : NULL;

        opts->langid_model_path = *lang ? lang : NULL;
        opts->langid_prefix_bytes = (size_t)config_get_int(c, "langid.prefix.bytes");
        opts->taxonomy_paths = tax[0] ? tax : NULL;
        opts->title_weight = config_get_double(c, "classify.title.weight");
        opts->section_min_score = config_get_double(c, "classify.section.min.score");
        opts->topic_min_score = config_get_double(c, "classify.topic.min.score");
        opts->topics_top_k = (int)config_get_int(c, "classify.topics.top.k");
        opts->topic_margin = config_get_double(c, "classify.topic.margin");
        opts->min_confidence = config_get_double(c, "classify.min.confidence");
        opts->stem_cache_entries = (size_t)config_get_int(c, "stem.cache.entries");
        return 0;
}

struct pipeline_model *config_load_model(const struct config *c, char *errstr, size_t errstr_size)
{
        struct pipeline_options opts;

        if (config_to_pipeline_options(c, &opts, errstr, errstr_size) < 0)
                return NULL;
        return pipeline_model_load(&opts, errstr, errstr_size);
}
