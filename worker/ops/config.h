/* config: the worker's settings. Sources in order, later wins (like kcat):
 * defaults (config_keys.def) -> config file (-c) -> environment
 * (STEMTAG_<KEY>, dots as underscores) -> command line (-X key=value).
 * kafka.* keys are not interpreted: they pass straight to librdkafka.
 *
 * File syntax: one `key = value` per line; whitespace around key and value
 * is trimmed; lines whose first non-blank character is `#` are comments
 * (there are no trailing comments: `#` inside a value is kept, passwords
 * may contain it). Relative paths (langid.model, taxonomy.files and
 * kafka.*.location / kafka.*keytab) given in a file are resolved against
 * that file's directory; given by environment or -X, against the working
 * directory.
 *
 * Environment: STEMTAG_<KEY> with the key uppercased and `.` (and `_`)
 * written as `_`, e.g. STEMTAG_INPUT_TOPICS, STEMTAG_INPUT_FIELD_PUBLISHED_AT.
 * kafka.* keys: STEMTAG_KAFKA_<NAME> where NAME is lowercased, `_` becomes
 * `.` and `__` becomes a literal `_` (Confluent's image convention), e.g.
 * STEMTAG_KAFKA_SASL_PASSWORD -> kafka.sasl.password. A STEMTAG_KAFKA_*
 * variable that names no librdkafka property is skipped with a warning
 * (environments carry unrelated ones, e.g. STEMTAG_KAFKA_DIR); in a file or
 * -X the same key is an error. Other STEMTAG_* variables (STEMTAG_CONFIG,
 * test harness variables) are not config keys and are ignored.
 *
 * A struct config is not thread-safe while being changed; once loaded it is
 * read-only and may be shared. */
#ifndef STEMTAG_CONFIG_H
#define STEMTAG_CONFIG_H

#include <stddef.h>
#include <stdio.h>

/* CONFIG_ENUM: the allowed values are the doc string's prefix up to the
 * first ':', separated by `|` (e.g. "auto | json | text: ..."). */
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
/** Parses one `-X key=value` argument and sets it (config_set). 0 / -1. */
int config_set_arg(struct config *c, const char *arg, char *errstr, size_t errstr_size);
/** Checks every value (types, enums, files readable, kafka.* keys accepted by
 *  librdkafka — without connecting). 0 / -1 naming the key. */
int config_validate(const struct config *c, char *errstr, size_t errstr_size);

/**
 * @brief The standard load order used by every command: defaults, then
 * @p path (NULL: config_default_path(@p envp); no file at all is fine),
 * then STEMTAG_* from @p envp (may be NULL), then the
 * @p n_args `key=value` strings of @p args (the -X options). Does not call
 * config_validate. 0 / -1 with @p errstr naming the source and key.
 */
int config_load(struct config *c, const char *path, char **envp, const char *const *args,
                size_t n_args, char *errstr, size_t errstr_size);

/** Where the config installed with the binary lives (the image's file). */
#ifndef STEMTAG_SYSCONF_FILE
#define STEMTAG_SYSCONF_FILE "/etc/stemtag/stemtag.conf"
#endif

/**
 * @brief The config file a command reads when none is named with -c: the
 * first of $STEMTAG_CONFIG (non-empty; taken as given, so a wrong path is an
 * error when loaded, never silently skipped), `config/stemtag.conf` in the
 * working directory (a checkout), STEMTAG_SYSCONF_FILE (an install, the
 * image) that exists. NULL when none does. Borrowed from @p envp or static.
 */
const char *config_default_path(char **envp);

/** Value of a known key (borrowed; valid until the config changes or dies).
 *  kafka.* keys: the value set, or NULL when unset. Unknown keys: NULL. */
const char *config_get(const struct config *c, const char *key);
/** Parsed value of a CONFIG_INT / CONFIG_DOUBLE key; 0 for other keys. */
long long config_get_int(const struct config *c, const char *key);
double config_get_double(const struct config *c, const char *key);
/** A comma-separated value split and trimmed (empty items dropped), as a
 *  NULL-terminated array; an empty value gives an empty array. Borrowed like
 *  config_get; NULL for unknown keys. */
const char *const *config_get_list(const struct config *c, const char *key);
/** Where the value came from: "default", "FILE:LINE", "env STEMTAG_X",
 *  "-X". Borrowed like config_get; NULL when the key is unset/unknown. */
const char *config_source(const struct config *c, const char *key);
/** Path of the file loaded last (borrowed), or NULL. SIGHUP reload re-reads it. */
const char *config_file_path(const struct config *c);

/** Calls @p fn for every kafka.* key with the prefix stripped, in set order. */
void config_foreach_kafka(const struct config *c,
                          void (*fn)(const char *key, const char *value, void *opaque),
                          void *opaque);

/** Logs one "config" event at info level: the file and every key that is
 *  not a default, with its source; secret values redacted. */
void config_log_effective(const struct config *c);

/** Writes the effective config as `key = value` lines, secrets redacted. */
void config_dump(const struct config *c, FILE *out);

/** 1 when the value of @p key must never be shown (*.password, sasl.*,
 *  ssl.key.*, *secret*; with or without the kafka. prefix). */
int config_is_secret(const char *key);

/** The key table, for help, docs and tests. @p i in [0, config_key_count()).
 *  Returned strings are static. */
size_t config_key_count(void);
int config_key_info(size_t i, const char **name, enum config_type *type, const char **def,
                    const char **doc);

/** Writes into @p out the environment variable for @p key (known or kafka.*).
 *  0 / -1 when it does not fit. */
int config_env_name(const char *key, char *out, size_t out_size);
/** Maps an environment variable name to its config key: 1 and @p key filled
 *  when it is one, 0 when the name is not a config variable, -1 when @p key
 *  is too small. */
int config_env_key(const char *env_name, char *key, size_t key_size);

#endif
