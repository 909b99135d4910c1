#include "cli_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_kafka.h"
#include "config.h"
#include "log.h"

extern char **environ;

void cli_config_args_init(struct cli_config_args *a, int argc)
{
        memset(a, 0, sizeof(*a));
        /* -X arguments are at most argc, plus --brokers; keep them in order. */
        a->xs = calloc((size_t)argc + 2, sizeof(*a->xs));
        if (!a->xs)
                LOG_FATAL(EXIT_FAILURE_RUNTIME, "oom", "out of memory");
}

int cli_config_args_take(struct cli_config_args *a, int opt, const char *arg)
{
        if (opt == 'c')
                a->path = arg;
        else if (opt == 'X')
                a->xs[a->n_x++] = arg;
        else if (opt == 'b') {
                free(a->brokers);
                a->brokers = cli_kafka_brokers_arg(arg);
        } else
                return 0;
        return 1;
}

void cli_config_args_finish(struct cli_config_args *a)
{
        if (!a->finished && a->brokers)
                a->xs[a->n_x++] = a->brokers;
        a->finished = 1;
}

void cli_config_args_free(struct cli_config_args *a)
{
        free(a->brokers);
        free(a->xs);
        memset(a, 0, sizeof(*a));
}

struct config *cli_config_load(struct cli_config_args *a, int validate, char *errstr,
                               size_t errstr_size)
{
        struct config *c = config_new();

        cli_config_args_finish(a);
        if (!c) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        if (config_load(c, a->path, environ, a->xs, a->n_x, errstr, errstr_size) < 0 ||
            (validate && config_validate(c, errstr, errstr_size) < 0)) {
                config_destroy(c);
                return NULL;
        }
        return c;
}
