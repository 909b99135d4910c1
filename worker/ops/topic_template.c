#include "topic_template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the placeholder starting at @p p ('{'), or 0 if it is not one. */
static size_t topic_placeholder_len(const char *p)
{
        if (!strncmp(p, "{section}", 9))
                return 9;
        if (!strncmp(p, "{language}", 10))
                return 10;
        return 0;
}

int topic_template_check(const char *t, char *why, size_t why_size)
{
        if (!*t) {
                snprintf(why, why_size, "empty topic template");
                return -1;
        }
        for (const char *p = t; *p; p++) {
                if (*p == '{') {
                        const char *close = strchr(p, '}');
                        if (!close) {
                                snprintf(why, why_size, "unclosed '{' in '%s'", t);
                                return -1;
                        }
                        if (!topic_placeholder_len(p)) {
                                snprintf(why, why_size,
                                         "unknown placeholder '%.*s' in '%s' (known: {section}, "
                                         "{language})",
                                         (int)(close - p + 1), p, t);
                                return -1;
                        }
                        p = close;
                } else if (*p == '}') {
                        snprintf(why, why_size, "stray '}' in '%s'", t);
                        return -1;
                }
        }
        return 0;
}

int topic_templates_parse(struct topic_templates *tt, const char *spec, char *errstr,
                          size_t errstr_size)
{
        const char *p = spec ? spec : "";
        char why[384];

        memset(tt, 0, sizeof(*tt));
        while (*p) {
                const char *end = strchr(p, ',');
                size_t len = end ? (size_t)(end - p) : strlen(p);
                const char *s = p;
                char *t;

                while (len && (*s == ' ' || *s == '\t')) {
                        s++;
                        len--;
                }
                while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
                        len--;
                p = end ? end + 1 : p + strlen(p);
                if (!len)
                        continue;
                if (tt->count == TOPIC_TEMPLATE_MAX) {
                        snprintf(errstr, errstr_size, "more than %d topics", TOPIC_TEMPLATE_MAX);
                        goto fail;
                }
                t = strndup(s, len);
                if (!t) {
                        snprintf(errstr, errstr_size, "out of memory");
                        goto fail;
                }
                tt->tmpl[tt->count++] = t;
                if (topic_template_check(t, why, sizeof(why))) {
                        snprintf(errstr, errstr_size, "%s", why);
                        goto fail;
                }
                tt->has_placeholder[tt->count - 1] = strchr(t, '{') != NULL;
        }
        if (!tt->count) {
                snprintf(errstr, errstr_size, "no output topic given");
                goto fail;
        }
        return 0;
fail:
        topic_templates_clear(tt);
        return -1;
}

void topic_templates_clear(struct topic_templates *tt)
{
        for (int i = 0; i < tt->count; i++)
                free(tt->tmpl[i]);
        memset(tt, 0, sizeof(*tt));
}

/* Appends @p s to out[*pos]; with @p sanitize, characters outside Kafka's
 * topic alphabet [a-zA-Z0-9._-] become '_'. */
static int topic_put(char *out, size_t out_size, size_t *pos, const char *s, size_t n, int sanitize)
{
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (*pos + 1 >= out_size)
                        return -1;
                if (sanitize && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
                        c = '_';
                out[(*pos)++] = c;
        }
        return 0;
}

int topic_template_expand(const char *tmpl, const char *section, const char *language, char *out,
                          size_t out_size)
{
        size_t pos = 0;

        if (!out_size)
                return -1;
        for (const char *p = tmpl; *p;) {
                size_t ph = *p == '{' ? topic_placeholder_len(p) : 0;
                const char *value = NULL;

                if (ph == 9)
                        value = section && *section ? section : "none";
                else if (ph == 10)
                        value = language && *language ? language : "und";
                if (value) {
                        if (topic_put(out, out_size, &pos, value, strlen(value), 1))
                                return -1;
                        p += ph;
                } else {
                        if (topic_put(out, out_size, &pos, p, 1, 0))
                                return -1;
                        p++;
                }
        }
        out[pos] = '\0';
        return 0;
}
