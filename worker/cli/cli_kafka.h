/* cli_kafka: the config's kafka.* keys as the key/value list worker/kafka
 * takes (worker_options.kafka, worker_kafka_conf_apply), shared by the
 * commands that talk to Kafka (run, replay, diff --topic). */
#ifndef STEMTAG_CLI_KAFKA_H
#define STEMTAG_CLI_KAFKA_H

struct config;

/**
 * @brief kafka.* keys of @p c, prefix stripped, in set order: key0, value0,
 * key1, ..., NULL. The array is the caller's (free()); the strings are
 * borrowed from @p c. NULL when out of memory.
 */
const char **cli_kafka_pairs(const struct config *c);

/** "kafka.bootstrap.servers=LIST", the -X form of a --brokers LIST option
 *  (malloc'd: the caller frees it). Exits on out of memory. */
char *cli_kafka_brokers_arg(const char *list);

#endif
