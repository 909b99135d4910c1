/* topic_template: output topic templates ("articles.enriched,articles.{section}"),
 * the one place their rules live: the placeholders ({section}, {language}),
 * balanced braces, how many a list may hold, and how a template expands into
 * a topic name Kafka accepts. Pure (no Kafka, no config types), so config
 * validation (config.c) checks templates with the same code that the Kafka
 * router (worker/kafka/route.c, worker_produce.c) expands them with. docs/worker.md
 * "Routing" describes the rules for users. */
#ifndef STEMTAG_TOPIC_TEMPLATE_H
#define STEMTAG_TOPIC_TEMPLATE_H

#include <stddef.h>

#define TOPIC_TEMPLATE_MAX 16  /* templates in one output.topics list */
#define TOPIC_NAME_MAX     250 /* Kafka's own limit is 249 characters */

struct topic_templates {
        int count;
        char *tmpl[TOPIC_TEMPLATE_MAX]; /**< owned */
        int has_placeholder[TOPIC_TEMPLATE_MAX];
};

/**
 * @brief Checks one template: every '{' closes, only {section} and {language}
 * appear, no stray '}', not empty.
 * @returns 0, or -1 with @p why naming the template and the fault.
 */
int topic_template_check(const char *tmpl, char *why, size_t why_size);

/**
 * @brief Parses the comma-separated list @p spec (entries trimmed, empty
 * entries skipped), each checked by topic_template_check. An empty list or more
 * than TOPIC_TEMPLATE_MAX entries fails. Errors name the template, not the
 * key: the caller knows which key it parsed.
 * @returns 0 (free with topic_templates_clear), or -1 with nothing to free.
 */
int topic_templates_parse(struct topic_templates *tt, const char *spec, char *errstr,
                          size_t errstr_size);
void topic_templates_clear(struct topic_templates *tt);

/**
 * @brief Expands @p tmpl with @p section (NULL or "" -> "none") and
 * @p language (NULL or "" -> "und"). Characters Kafka does not allow in topic
 * names become '_'. Writes a NUL-terminated name to @p out.
 * @returns 0, or -1 when the name would not fit in @p out_size (never truncates).
 */
int topic_template_expand(const char *tmpl, const char *section, const char *language, char *out,
                          size_t out_size);

#endif
