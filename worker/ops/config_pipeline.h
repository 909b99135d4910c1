/* config_pipeline: the bridge from struct config to the pure path's
 * struct pipeline_options (worker/core/pipeline.h). Kept apart from config.h
 * so that config stays free of core types. */
#ifndef STEMTAG_CONFIG_PIPELINE_H
#define STEMTAG_CONFIG_PIPELINE_H

#include <stddef.h>

struct config;
struct pipeline_options;
struct pipeline_model;

/**
 * @brief Fills @p opts from @p c (input.*, langid.*, taxonomy.files, classify.*,
 * stem.cache.entries). Every string and array in @p opts is borrowed from
 * @p c and stays valid until @p c changes or is destroyed. An empty
 * langid.model / taxonomy.files gives NULL (detection / classifier off).
 * @returns 0, or -1 with @p errstr naming the key.
 */
int config_to_pipeline_options(const struct config *c, struct pipeline_options *opts, char *errstr,
                               size_t errstr_size);

/**
 * @brief config_to_pipeline_options() + pipeline_model_load(): the model the
 * config names. Used at start-up and by the SIGHUP reload (reload_load_fn).
 * The model may keep pointers into @p c: keep @p c alive as long as the model.
 * @returns a new model with one reference, or NULL with @p errstr.
 */
struct pipeline_model *config_load_model(const struct config *c, char *errstr, size_t errstr_size);

#endif
