/* config: the worker's settings. Sources in order, later wins (like kcat):
 * defaults (config_keys.def) -> config file (-c) -> environment
 * (STEMTAG_<KEY>, dots as underscores) -> command line (-X key=value).
 * kafka.* keys are not interpreted: they pass straight to librdkafka. */
#ifndef STEMTAG_CONFIG_H
#define STEMTAG_CONFIG_H

#include <stddef.h>
#include <stdio.h>

enum config_type { CONFIG_STR, CONFIG_ENUM, CONFIG_INT, CONFIG_DOUBLE, CONFIG_PATH, CONFIG_PATHS };

struct config;

/** @brief New config holding the defaults. Caller owns it (config_destroy). */
struct config *config_new(void);
void config_destroy(struct config *c); /* NULL is a no-op */

/** Reads `key = value` lines; errors name file, line and key. 0 / -1. */
int config_load_file(struct config *c, const char *path, char *errstr, size_t errstr_size);
/** Applies STEMTAG_* variables from @p envp (NULL-terminated, like environ). 0 / -1. */
int config_load_env(struct config *c, char **envp, char *errstr, size_t errstr_size);
/** Sets one key (the -X path). Unknown non-kafka keys and bad values fail. 0 / -1. */
int config_set(struct config *c, const char *key, const char *value, char *errstr,
               size_t errstr_size);
/** Checks every value (types, enums, files readable). 0 / -1 naming the key. */
int config_validate(const struct config *c, char *errstr, size_t errstr_size);

/** Value of a known key (borrowed; valid until the config changes or dies). */
const char *config_get(const struct config *c, const char *key);
long long config_get_int(const struct config *c, const char *key);
double config_get_double(const struct config *c, const char *key);

/** Calls @p fn for every kafka.* key with the prefix stripped, in set order. */
void config_foreach_kafka(const struct config *c,
                          void (*fn)(const char *key, const char *value, void *opaque),
                          void *opaque);

/** Writes the effective config as `key = value` lines, secrets redacted. */
void config_dump(const struct config *c, FILE *out);

#endif
