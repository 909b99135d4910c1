/* cli_config: the `-c FILE`, `-X key=value` and (where a command takes it)
 * `-b/--brokers LIST` options of every command that reads the config (run,
 * check-config, classify, diff, replay), collected in command-line order and
 * loaded the way `run` loads them (config.h: defaults, file or the default
 * config search, STEMTAG_* environment, -X; --brokers after every -X, so it wins). */
#ifndef STEMTAG_CLI_CONFIG_H
#define STEMTAG_CLI_CONFIG_H

#include <stddef.h>

struct config;

struct cli_config_args {
        const char *path; /**< -c FILE (borrowed from argv), or NULL */
        const char **xs;  /**< -X values in order; the array is owned, the strings borrowed
                               (but the last, from --brokers, which is owned) */
        size_t n_x;
        char *brokers; /**< owned "kafka.bootstrap.servers=LIST" of -b, until finish */
        int finished;
};

/** Room for every -X of @p argc arguments. Exits (1) when out of memory. */
void cli_config_args_init(struct cli_config_args *a, int argc);
/**
 * @brief Takes getopt's @p opt when it is 'c', 'X' or 'b' (with @p arg).
 * @returns 1 taken, 0 not one of ours (the caller handles it).
 */
int cli_config_args_take(struct cli_config_args *a, int opt, const char *arg);
/** After the option loop: appends --brokers as the last -X. Idempotent;
 *  cli_config_load calls it too. */
void cli_config_args_finish(struct cli_config_args *a);
/** Frees what init allocated; @p a may be used again after init. */
void cli_config_args_free(struct cli_config_args *a);

/**
 * @brief A new config loaded from @p a (config_load with the process
 * environment) and, with @p validate, checked (config_validate).
 * @returns the config (config_destroy it), or NULL with @p errstr saying why
 *          (a bad command line or config: exit EXIT_USAGE).
 */
struct config *cli_config_load(struct cli_config_args *a, int validate, char *errstr,
                               size_t errstr_size);

#endif
