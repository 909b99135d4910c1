/* cli_kafka: config kafka.* keys -> key/value list (see cli_kafka.h). */
#include "cli_kafka.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"

struct cli_kafka_kv {
        const char **kv;
        size_t n, cap;
};

static void cli_kafka_collect(const char *key, const char *value, void *opaque)
{
        struct cli_kafka_kv *k = opaque;
        if (k->n + 3 > k->cap)
                return; /* cap sized from the key count; never reached */
        k->kv[k->n++] = key;
        k->kv[k->n++] = value;
        k->kv[k->n] = NULL;
}

static void cli_kafka_count(const char *key, const char *value, void *opaque)
{
        (void)key;
        (void)value;
        (*(size_t *)opaque)++;
}

const char **cli_kafka_pairs(const struct config *c)
{
        struct cli_kafka_kv k = {0};
        size_t n = 0;
        config_foreach_kafka(c, cli_kafka_count, &n);
        k.cap = 2 * n + 3;
        k.kv = calloc(k.cap, sizeof(*k.kv));
        if (!k.kv)
                return NULL;
        config_foreach_kafka(c, cli_kafka_collect, &k);
        return k.kv;
}

char *cli_kafka_brokers_arg(const char *list)
{
        static const char key[] = "kafka.bootstrap.servers=";
        size_t n = sizeof(key) + strlen(list);
        char *s = malloc(n);
        if (!s)
                LOG_FATAL(EXIT_FAILURE_RUNTIME, "oom", "out of memory");
        snprintf(s, n, "%s%s", key, list);
        return s;
}
