/* reload: SIGHUP reloads the language model and taxonomy while the worker
 * keeps running. A dedicated thread re-reads the config the way the process
 * started (same file, environment and -X), loads a complete new model, and
 * only then hands it over; any failure keeps the old model in service and
 * logs why. Messages never see a half-loaded model: the swap is one pointer
 * (the worker's hook), and in-flight messages finish on the old model, whose
 * last reference frees it (pipeline_model_ref/unref).
 *
 * One reloader per process (it owns the SIGHUP disposition). */
#ifndef STEMTAG_RELOAD_H
#define STEMTAG_RELOAD_H

#include <stddef.h>

struct config;
struct metrics;
struct pipeline_model;

/** Builds a model from a loaded config (see config_load_model); NULL + errstr on failure. */
typedef struct pipeline_model *(*reload_load_fn)(const struct config *c, char *errstr,
                                                 size_t errstr_size);
/** Installs @p model in the worker, taking over its one reference. */
typedef void (*reload_swap_fn)(void *opaque, struct pipeline_model *model);

struct reload_options {
        /* How the running config was loaded (config_load's arguments); all
         * borrowed and must outlive the reloader (argv/environ do). */
        const char *config_path;
        char **envp;
        const char *const *args;
        size_t n_args;
        reload_load_fn load; /**< required */
        reload_swap_fn swap; /**< required */
        void *swap_opaque;
        struct metrics *metrics; /**< optional: counts reloads and failures */
        /** Optional: the config in service, to log changed keys that need a
         *  restart. Borrowed; must outlive the reloader. */
        const struct config *current;
};

struct reloader;

/**
 * @brief Starts the reload thread and installs the SIGHUP handler.
 * @returns the reloader (reloader_stop), or NULL with @p errstr.
 */
struct reloader *reloader_start(const struct reload_options *opts, char *errstr,
                                size_t errstr_size);

/**
 * @brief Reloads now, on the caller's thread (what SIGHUP triggers).
 * @returns 0 when the new model is in service, -1 when the old one was kept
 *          (@p errstr says why; it is also logged).
 */
int reloader_reload_now(struct reloader *r, char *errstr, size_t errstr_size);

/** Reloads requested by SIGHUP so far that have finished (ok or failed). */
unsigned long reloader_completed(const struct reloader *r);

/** Restores SIGHUP's default disposition, joins the thread, frees the configs
 *  it loaded. Call after the worker stopped using models. NULL is a no-op. */
void reloader_stop(struct reloader *r);

#endif
