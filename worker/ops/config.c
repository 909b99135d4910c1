/* config: defaults, file, environment and -X; see config.h for the rules. */
#include "config.h"
#include "topic_template.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "log.h"

struct config_key {
        const char *name;
        enum config_type type;
        const char *def;
        const char *doc;
};

static const struct config_key config_keys[] = {
#define X(name, type, def, doc) {name, type, def, doc},
#include "config_keys.def"
#undef X
};

#define CONFIG_NKEYS     (sizeof(config_keys) / sizeof(config_keys[0]))
#define KAFKA_PREFIX     "kafka."
#define KAFKA_PREFIX_LEN (sizeof(KAFKA_PREFIX) - 1)

/* Integer bounds; keys not listed accept [0, LLONG_MAX]. */
static const struct {
        const char *name;
        long long min, max;
} config_int_ranges[] = {
    {"input.max.bytes", 1, 1000000000LL}, /* librdkafka's message.max.bytes ceiling */
    {"pipelines", 1, 256},
    {"max.inflight", 1, 10000000},
    {"dlq.max.bytes", 0, 1000000000LL},
    {"shutdown.timeout.ms", 0, 3600000},
    {"commit.interval.ms", 1, 3600000},
    {"transaction.max.messages", 1, 10000000},
    {"transaction.max.ms", 1, 900000}, /* broker's transaction.max.timeout.ms default */
    {"langid.prefix.bytes", 1, 1 << 30},
    {"classify.topics.top.k", 0, 1000},
    {"stem.cache.entries", 0, 1 << 28},
    {"health.stall.ms", 1000, 86400000},
};

struct config_value {
        char *key;    /* owned; only kafka entries own their key */
        char *value;  /* owned */
        char *source; /* owned */
        char **list;  /* owned, NULL-terminated split of value */
        long long i;
        double d;
};

struct config {
        struct config_value known[CONFIG_NKEYS];
        struct config_value *kafka; /* set order */
        size_t n_kafka, cap_kafka;
        char *file_path;
};

static void config_err(char *errstr, size_t errstr_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void config_err(char *errstr, size_t errstr_size, const char *fmt, ...)
{
        va_list ap;

        if (!errstr || !errstr_size)
                return;
        va_start(ap, fmt);
        vsnprintf(errstr, errstr_size, fmt, ap);
        va_end(ap);
}

static void value_clear(struct config_value *v)
{
        free(v->value);
        free(v->source);
        free(v->list);
        v->value = v->source = NULL;
        v->list = NULL;
}

/* Splits @p s on commas into one allocation: the pointer array followed by
 * the trimmed copies of the items. */
static char **split_list(const char *s)
{
        size_t n = 1, len = strlen(s);
        char **arr, *buf;

        for (const char *p = s; *p; p++)
                n += *p == ',';
        if (n > (SIZE_MAX - len - 1) / sizeof(char *) - 1)
                return NULL;
        arr = malloc((n + 1) * sizeof(char *) + len + 1);
        if (!arr)
                return NULL;
        buf = (char *)(arr + n + 1);
        memcpy(buf, s, len + 1);
        n = 0;
        for (char *item = buf, *next; item; item = next) {
                char *end;

                next = strchr(item, ',');
                if (next)
                        *next++ = '\0';
                while (isspace((unsigned char)*item))
                        item++;
                end = item + strlen(item);
                while (end > item && isspace((unsigned char)end[-1]))
                        *--end = '\0';
                if (*item)
                        arr[n++] = item;
        }
        arr[n] = NULL;
        return arr;
}

static int key_index(const char *key)
{
        for (size_t i = 0; i < CONFIG_NKEYS; i++)
                if (!strcmp(config_keys[i].name, key))
                        return (int)i;
        return -1;
}

static int is_kafka_key(const char *key)
{
        return !strncmp(key, KAFKA_PREFIX, KAFKA_PREFIX_LEN) && key[KAFKA_PREFIX_LEN];
}

/* Edit distance for "did you mean"; keys are short so O(n*m) is fine. */
static size_t edit_distance(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];

        if (la >= 64 || lb >= 64)
                return SIZE_MAX;
        for (size_t j = 0; j <= lb; j++)
                prev[j] = j;
        for (size_t i = 1; i <= la; i++) {
                cur[0] = i;
                for (size_t j = 1; j <= lb; j++) {
                        size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
                        size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
                        cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
                }
                memcpy(prev, cur, (lb + 1) * sizeof(size_t));
        }
        return prev[lb];
}

static const char *nearest_key(const char *key)
{
        const char *best = NULL;
        size_t best_d = 4; /* farther than 3 edits is not a typo */

        for (size_t i = 0; i < CONFIG_NKEYS; i++) {
                size_t d = edit_distance(key, config_keys[i].name);
                if (d < best_d) {
                        best_d = d;
                        best = config_keys[i].name;
                }
        }
        return best;
}

/* Does @p value appear in the enum list at the start of @p doc? */
static int enum_allows(const char *doc, const char *value)
{
        const char *end = strchr(doc, ':');
        size_t vlen = strlen(value);

        if (!end)
                end = doc + strlen(doc);
        if (!vlen)
                return 0;
        for (const char *p = doc; p < end;) {
                const char *q;

                while (p < end && (*p == ' ' || *p == '|'))
                        p++;
                q = p;
                while (q < end && *q != ' ' && *q != '|')
                        q++;
                if ((size_t)(q - p) == vlen && !memcmp(p, value, vlen))
                        return 1;
                p = q;
        }
        return 0;
}

static void int_range(const char *key, long long *min, long long *max)
{
        *min = 0;
        *max = LLONG_MAX;
        for (size_t i = 0; i < sizeof(config_int_ranges) / sizeof(config_int_ranges[0]); i++)
                if (!strcmp(config_int_ranges[i].name, key)) {
                        *min = config_int_ranges[i].min;
                        *max = config_int_ranges[i].max;
                }
}

/* Type check of one known key; fills @p v's parsed fields. */
static int check_value(const struct config_key *k, const char *value, struct config_value *v,
                       char *errstr, size_t errstr_size)
{
        char *end;

        switch (k->type) {
        case CONFIG_ENUM: {
                const char *colon = strchr(k->doc, ':');
                if (!enum_allows(k->doc, value)) {
                        config_err(errstr, errstr_size, "key '%s': '%s' is not one of %.*s",
                                   k->name, value,
                                   colon ? (int)(colon - k->doc) : (int)strlen(k->doc), k->doc);
                        return -1;
                }
                break;
        }
        case CONFIG_INT: {
                long long min, max, n;

                errno = 0;
                n = strtoll(value, &end, 10);
                if (!*value || *end || errno == ERANGE) {
                        config_err(errstr, errstr_size, "key '%s': expected an integer, got '%s'",
                                   k->name, value);
                        return -1;
                }
                int_range(k->name, &min, &max);
                if (n < min || n > max) {
                        config_err(errstr, errstr_size,
                                   "key '%s': %lld is out of range [%lld, %lld]", k->name, n, min,
                                   max);
                        return -1;
                }
                v->i = n;
                v->d = (double)n;
                break;
        }
        case CONFIG_DOUBLE: {
                double d;

                errno = 0;
                d = strtod(value, &end);
                if (!*value || *end || errno == ERANGE || !isfinite(d)) {
                        config_err(errstr, errstr_size,
                                   "key '%s': expected a finite number, got '%s'", k->name, value);
                        return -1;
                }
                if (d < 0) {
                        config_err(errstr, errstr_size, "key '%s': must not be negative, got '%s'",
                                   k->name, value);
                        return -1;
                }
                v->d = d;
                /* the integer view of a double key is only a convenience; a huge
                 * value must not overflow the conversion (undefined behaviour) */
                v->i = d < 9.2e18 ? (long long)d : LLONG_MAX;
                break;
        }
        case CONFIG_STR:
        case CONFIG_PATH:
        case CONFIG_PATHS:
                break;
        }
        return 0;
}

/* kafka.consumer.X / kafka.producer.X reach one client only (worker.h); librdkafka
 * knows them as X. */
static const char *kafka_client_name(const char *name)
{
        if (!strncmp(name, "consumer.", 9) || !strncmp(name, "producer.", 9))
                return name + 9;
        return name;
}

/* Is this kafka key (prefix stripped) a file path librdkafka opens? */
static int kafka_key_is_path(const char *key)
{
        size_t n = strlen(key);
        return (n > 9 && !strcmp(key + n - 9, ".location")) ||
               (n > 6 && !strcmp(key + n - 6, "keytab"));
}

/* Joins @p base_dir and each relative item of the comma-separated @p value.
 * Returns a new string (caller frees) or NULL on allocation failure. */
static char *resolve_paths(const char *base_dir, const char *value, int is_list)
{
        size_t cap = 1, blen = strlen(base_dir), vlen = strlen(value);
        /* "/" (a config file in the root directory) already ends in a separator */
        const char *sep = blen && base_dir[blen - 1] == '/' ? "" : "/";
        char *out, *p;
        char **items;

        if (!is_list) {
                if (!*value || value[0] == '/' || !blen)
                        return strdup(value);
                out = malloc(blen + vlen + 2);
                if (out)
                        sprintf(out, "%s%s%s", base_dir, sep, value);
                return out;
        }
        items = split_list(value);
        if (!items)
                return NULL;
        for (size_t i = 0; items[i]; i++)
                cap += blen + strlen(items[i]) + 2;
        out = malloc(cap);
        if (!out) {
                free(items);
                return NULL;
        }
        p = out;
        *p = '\0';
        for (size_t i = 0; items[i]; i++) {
                if (i)
                        *p++ = ',';
                if (items[i][0] == '/' || !blen)
                        p += sprintf(p, "%s", items[i]);
                else
                        p += sprintf(p, "%s%s%s", base_dir, sep, items[i]);
        }
        free(items);
        return out;
}

static int store(struct config_value *v, const char *value, const char *source)
{
        char *nv = strdup(value), *ns = strdup(source);
        char **nl = split_list(value);

        if (!nv || !ns || !nl) {
                free(nv);
                free(ns);
                free(nl);
                return -1;
        }
        value_clear(v);
        v->value = nv;
        v->source = ns;
        v->list = nl;
        return 0;
}

/* The one setter behind file, env and -X: @p where prefixes error messages,
 * @p base_dir (may be NULL) resolves relative paths. */
static int config_set_from(struct config *c, const char *key, const char *value, const char *where,
                           const char *base_dir, char *errstr, size_t errstr_size)
{
        char *resolved = NULL;
        int idx, rc;
        char msg[512];

        if (is_kafka_key(key)) {
                const char *name = key + KAFKA_PREFIX_LEN;
                struct config_value *v = NULL;

                if (base_dir && kafka_key_is_path(kafka_client_name(name))) {
                        resolved = resolve_paths(base_dir, value, 0);
                        if (!resolved)
                                goto oom;
                        value = resolved;
                }
                for (size_t i = 0; i < c->n_kafka; i++)
                        if (!strcmp(c->kafka[i].key, name))
                                v = &c->kafka[i];
                if (!v) {
                        char *k;

                        if (c->n_kafka == c->cap_kafka) {
                                size_t ncap = c->cap_kafka ? c->cap_kafka * 2 : 8;
                                struct config_value *nk;

                                if (ncap > SIZE_MAX / sizeof(*nk))
                                        goto oom;
                                nk = realloc(c->kafka, ncap * sizeof(*nk));
                                if (!nk)
                                        goto oom;
                                c->kafka = nk;
                                c->cap_kafka = ncap;
                        }
                        k = strdup(name);
                        if (!k)
                                goto oom;
                        v = &c->kafka[c->n_kafka];
                        memset(v, 0, sizeof(*v));
                        if (store(v, value, where) < 0) {
                                free(k);
                                goto oom;
                        }
                        v->key = k;
                        c->n_kafka++;
                } else if (store(v, value, where) < 0) {
                        goto oom;
                }
                free(resolved);
                return 0;
        }

        idx = key_index(key);
        if (idx < 0) {
                const char *near = nearest_key(key);
                if (near)
                        config_err(errstr, errstr_size, "%s: unknown key '%s' (did you mean '%s'?)",
                                   where, key, near);
                else
                        config_err(
                            errstr, errstr_size,
                            "%s: unknown key '%s' (librdkafka settings take the kafka. prefix)",
                            where, key);
                return -1;
        }
        {
                const struct config_key *k = &config_keys[idx];
                struct config_value tmp = {0};

                if (base_dir && (k->type == CONFIG_PATH || k->type == CONFIG_PATHS)) {
                        resolved = resolve_paths(base_dir, value, k->type == CONFIG_PATHS);
                        if (!resolved)
                                goto oom;
                        value = resolved;
                }
                if (check_value(k, value, &tmp, msg, sizeof(msg)) < 0) {
                        config_err(errstr, errstr_size, "%s: %s", where, msg);
                        free(resolved);
                        return -1;
                }
                rc = store(&c->known[idx], value, where);
                free(resolved);
                if (rc < 0)
                        goto oom_nofree;
                c->known[idx].i = tmp.i;
                c->known[idx].d = tmp.d;
        }
        return 0;
oom:
        free(resolved);
oom_nofree:
        config_err(errstr, errstr_size, "%s: key '%s': out of memory", where, key);
        return -1;
}

struct config *config_new(void)
{
        struct config *c = calloc(1, sizeof(*c));
        char err[256];

        if (!c)
                return NULL;
        for (size_t i = 0; i < CONFIG_NKEYS; i++)
                if (config_set_from(c, config_keys[i].name, config_keys[i].def, "default", NULL,
                                    err, sizeof(err)) < 0) {
                        /* A default that fails its own type check is a bug the
                         * unit tests catch; here it can only be out of memory. */
                        config_destroy(c);
                        return NULL;
                }
        return c;
}

void config_destroy(struct config *c)
{
        if (!c)
                return;
        for (size_t i = 0; i < CONFIG_NKEYS; i++)
                value_clear(&c->known[i]);
        for (size_t i = 0; i < c->n_kafka; i++) {
                value_clear(&c->kafka[i]);
                free(c->kafka[i].key);
        }
        free(c->kafka);
        free(c->file_path);
        free(c);
}

static char *trim(char *s)
{
        char *end;

        while (isspace((unsigned char)*s))
                s++;
        end = s + strlen(s);
        while (end > s && isspace((unsigned char)end[-1]))
                *--end = '\0';
        return s;
}

int config_load_file(struct config *c, const char *path, char *errstr, size_t errstr_size)
{
        FILE *f;
        char *line = NULL, *dir, *slash, *np;
        size_t cap = 0;
        ssize_t len;
        long lineno = 0;
        int rc = 0;

        f = fopen(path, "r");
        if (!f) {
                config_err(errstr, errstr_size, "%s: cannot open config file: %s", path,
                           strerror(errno));
                return -1;
        }
        dir = strdup(path);
        np = strdup(path);
        if (!dir || !np) {
                free(dir);
                free(np);
                fclose(f);
                config_err(errstr, errstr_size, "%s: out of memory", path);
                return -1;
        }
        slash = strrchr(dir, '/');
        if (slash)
                *(slash == dir ? slash + 1 : slash) = '\0';
        else
                strcpy(dir, "");
        while ((len = getline(&line, &cap, f)) >= 0) {
                char *key, *value, *eq, where[PATH_MAX + 32];

                lineno++;
                if ((size_t)len != strlen(line)) {
                        config_err(errstr, errstr_size, "%s:%ld: NUL byte in line", path, lineno);
                        rc = -1;
                        break;
                }
                key = trim(line);
                if (!*key || *key == '#')
                        continue;
                eq = strchr(key, '=');
                if (!eq) {
                        config_err(errstr, errstr_size,
                                   "%s:%ld: expected 'key = value', got '%.64s'", path, lineno,
                                   key);
                        rc = -1;
                        break;
                }
                *eq = '\0';
                value = trim(eq + 1);
                key = trim(key);
                if (!*key) {
                        config_err(errstr, errstr_size, "%s:%ld: missing key before '='", path,
                                   lineno);
                        rc = -1;
                        break;
                }
                snprintf(where, sizeof(where), "%s:%ld", path, lineno);
                if (config_set_from(c, key, value, where, dir, errstr, errstr_size) < 0) {
                        rc = -1;
                        break;
                }
        }
        if (rc == 0 && ferror(f)) {
                config_err(errstr, errstr_size, "%s: read error: %s", path, strerror(errno));
                rc = -1;
        }
        free(line);
        free(dir);
        fclose(f);
        if (rc == 0) {
                free(c->file_path);
                c->file_path = np;
        } else {
                free(np);
        }
        return rc;
}

int config_env_name(const char *key, char *out, size_t out_size)
{
        size_t n = 0;
        int kafka = is_kafka_key(key);
        const char *p = key;

        if (out_size < 8)
                return -1;
        memcpy(out, "STEMTAG_", 8);
        n = 8;
        for (; *p; p++) {
                if (n + 3 > out_size)
                        return -1;
                if (*p == '.') {
                        out[n++] = '_';
                } else if (*p == '_') {
                        /* kafka names decode `_` as `.`, so a real `_` doubles */
                        out[n++] = '_';
                        if (kafka)
                                out[n++] = '_';
                } else {
                        out[n++] = (char)toupper((unsigned char)*p);
                }
        }
        out[n] = '\0';
        return 0;
}

int config_env_key(const char *env_name, char *key, size_t key_size)
{
        char buf[256];

        if (strncmp(env_name, "STEMTAG_", 8))
                return 0;
        for (size_t i = 0; i < CONFIG_NKEYS; i++) {
                if (config_env_name(config_keys[i].name, buf, sizeof(buf)) == 0 &&
                    !strcmp(buf, env_name)) {
                        if (strlen(config_keys[i].name) >= key_size)
                                return -1;
                        strcpy(key, config_keys[i].name);
                        return 1;
                }
        }
        if (!strncmp(env_name, "STEMTAG_KAFKA_", 14) && env_name[14]) {
                size_t n = 0;

                if (key_size < KAFKA_PREFIX_LEN + 1)
                        return -1;
                memcpy(key, KAFKA_PREFIX, KAFKA_PREFIX_LEN);
                n = KAFKA_PREFIX_LEN;
                for (const char *p = env_name + 14; *p; p++) {
                        char ch;

                        if (n + 2 > key_size)
                                return -1;
                        if (p[0] == '_' && p[1] == '_') {
                                ch = '_';
                                p++;
                        } else if (*p == '_') {
                                ch = '.';
                        } else {
                                ch = (char)tolower((unsigned char)*p);
                        }
                        key[n++] = ch;
                }
                key[n] = '\0';
                return 1;
        }
        return 0;
}

/* STEMTAG_* variables that are not config keys but belong to the project's
 * own scripts (build, tests, CI, image): present in those environments, so
 * never reported. docs/configuration.md "Environment" lists them. */
static const char *const config_env_tool_vars[] = {
    "STEMTAG_CONFIG",
    "STEMTAG_SOURCE_DIR",
    "STEMTAG_BUILD_DIR",
    "STEMTAG_BIN",
    "STEMTAG_KT",
    "STEMTAG_TEST_DATA",
    "STEMTAG_TEST_PIDS_DIR",
    "STEMTAG_SHARED_DIR",
    "STEMTAG_CACHE",
    "STEMTAG_GIT_REV",
    "STEMTAG_DEBIAN_MIRROR",
    "STEMTAG_CI_FUZZ_SECONDS",
    "STEMTAG_LIBRDKAFKA_VERSION",
    "STEMTAG_RUN_UNIT_TESTS",
    "STEMTAG_KAFKA_DIR",
};

/* Levenshtein distance of @p a and @p b, capped at 3 (enough for "did you mean"). */
static int config_edit_distance(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b);
        int row[128];

        if (lb >= sizeof(row) / sizeof(row[0]) || (la > lb ? la - lb : lb - la) > 3)
                return 3;
        for (size_t j = 0; j <= lb; j++)
                row[j] = (int)j;
        for (size_t i = 1; i <= la; i++) {
                int diag = row[0];
                row[0] = (int)i;
                for (size_t j = 1; j <= lb; j++) {
                        int up = row[j];
                        int best = diag + (a[i - 1] != b[j - 1]);
                        if (row[j] + 1 < best)
                                best = row[j] + 1;
                        if (row[j - 1] + 1 < best)
                                best = row[j - 1] + 1;
                        row[j] = best;
                        diag = up;
                }
        }
        return row[lb] < 3 ? row[lb] : 3;
}

/* An unknown STEMTAG_* name: a misspelt key would otherwise change nothing
 * and say nothing. Logged once per variable and process, with the nearest
 * key's name: every SIGHUP reload (and each config of `diff`) reads the same
 * environment again, and the warning says nothing new the second time. */
static void config_env_report_unknown(const char *name)
{
        static char reported[16][64]; /* past 16 names, repeats are logged again */
        static size_t n_reported;
        char env[256], best[256] = "";
        int best_d = 3;

        for (size_t i = 0; i < sizeof(config_env_tool_vars) / sizeof(config_env_tool_vars[0]); i++)
                if (!strcmp(name, config_env_tool_vars[i]))
                        return;
        for (size_t i = 0; i < n_reported; i++)
                if (!strcmp(name, reported[i]))
                        return;
        if (n_reported < sizeof(reported) / sizeof(reported[0]) &&
            strlen(name) < sizeof(reported[0]))
                snprintf(reported[n_reported++], sizeof(reported[0]), "%s", name);
        for (size_t i = 0; i < CONFIG_NKEYS; i++) {
                if (config_env_name(config_keys[i].name, env, sizeof(env)) < 0)
                        continue;
                int d = config_edit_distance(name, env);
                if (d < best_d) {
                        best_d = d;
                        snprintf(best, sizeof(best), "%s", env);
                }
        }
        if (*best)
                log_event(LOG_WARN, "config_env_unknown",
                          "%s is not a config variable (did you mean %s?); ignored", name, best);
        else
                log_event(LOG_WARN, "config_env_unknown",
                          "%s is not a config variable (docs/configuration.md); ignored", name);
}

int config_load_env(struct config *c, char **envp, char *errstr, size_t errstr_size)
{
        if (!envp)
                return 0;
        for (char **e = envp; *e; e++) {
                const char *eq = strchr(*e, '=');
                char name[256], key[256], where[300];
                size_t nlen;
                int r;

                if (!eq || strncmp(*e, "STEMTAG_", 8))
                        continue;
                nlen = (size_t)(eq - *e);
                if (nlen >= sizeof(name))
                        continue;
                memcpy(name, *e, nlen);
                name[nlen] = '\0';
                r = config_env_key(name, key, sizeof(key));
                if (r == 0)
                        config_env_report_unknown(name);
                if (r <= 0)
                        continue;
                /* Environments carry unrelated STEMTAG_KAFKA_* variables (the
                 * test fixture's STEMTAG_KAFKA_DIR, say): a name librdkafka
                 * does not know is skipped with a warning, not fatal. Bad
                 * values of known properties still fail in config_validate. */
                if (is_kafka_key(key)) {
                        rd_kafka_conf_t *probe = rd_kafka_conf_new();
                        char why[256];
                        rd_kafka_conf_res_t res =
                            probe ? rd_kafka_conf_set(probe,
                                                      kafka_client_name(key + KAFKA_PREFIX_LEN),
                                                      eq + 1, why, sizeof(why))
                                  : RD_KAFKA_CONF_OK;
                        rd_kafka_conf_destroy(probe);
                        if (res == RD_KAFKA_CONF_UNKNOWN) {
                                log_event(LOG_WARN, "config_env_ignored",
                                          "%s: '%s' is not a librdkafka property; variable ignored",
                                          name, key);
                                continue;
                        }
                }
                snprintf(where, sizeof(where), "env %s", name);
                if (config_set_from(c, key, eq + 1, where, NULL, errstr, errstr_size) < 0)
                        return -1;
        }
        return 0;
}

int config_set(struct config *c, const char *key, const char *value, char *errstr,
               size_t errstr_size)
{
        return config_set_from(c, key, value, "-X", NULL, errstr, errstr_size);
}

int config_set_arg(struct config *c, const char *arg, char *errstr, size_t errstr_size)
{
        const char *eq = strchr(arg, '=');
        char key[256];
        size_t klen;

        if (!eq || eq == arg) {
                config_err(errstr, errstr_size, "-X %s: expected key=value", arg);
                return -1;
        }
        klen = (size_t)(eq - arg);
        if (klen >= sizeof(key)) {
                config_err(errstr, errstr_size, "-X %.64s...: key too long", arg);
                return -1;
        }
        memcpy(key, arg, klen);
        key[klen] = '\0';
        return config_set_from(c, trim(key), eq + 1, "-X", NULL, errstr, errstr_size);
}

const char *config_default_path(char **envp)
{
        /* One search for every command, so `classify`, `check-config` and `run`
         * started the same way read the same file (the image's classify used
         * to ignore STEMTAG_CONFIG and tag nothing). */
        static const char *const candidates[] = {"config/stemtag.conf", STEMTAG_SYSCONF_FILE};
        struct stat st;

        for (char **e = envp; e && *e; e++)
                if (!strncmp(*e, "STEMTAG_CONFIG=", 15) && (*e)[15])
                        return *e + 15;
        for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
                if (stat(candidates[i], &st) == 0 && S_ISREG(st.st_mode))
                        return candidates[i];
        return NULL;
}

int config_load(struct config *c, const char *path, char **envp, const char *const *args,
                size_t n_args, char *errstr, size_t errstr_size)
{
        if (!path)
                path = config_default_path(envp);
        if (path && config_load_file(c, path, errstr, errstr_size) < 0)
                return -1;
        if (config_load_env(c, envp, errstr, errstr_size) < 0)
                return -1;
        for (size_t i = 0; i < n_args; i++)
                if (config_set_arg(c, args[i], errstr, errstr_size) < 0)
                        return -1;
        return 0;
}

/* Readable regular file? Fills @p why otherwise. */
/* A readable regular file, or with @p allow_dir a readable directory (a
 * taxonomy directory: taxonomy_load takes every *.json below it). */
static int file_readable(const char *path, int allow_dir, char *why, size_t why_size)
{
        struct stat st;
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0) {
                snprintf(why, why_size, "%s", strerror(errno));
                return 0;
        }
        if (fstat(fd, &st) < 0 || !(S_ISREG(st.st_mode) || (allow_dir && S_ISDIR(st.st_mode)))) {
                snprintf(why, why_size,
                         allow_dir ? "not a file or directory" : "not a regular file");
                close(fd);
                return 0;
        }
        close(fd);
        return 1;
}

/* host:port with a numeric port 0..65535 (0: the kernel picks one, logged as
 * http_listening); host may be [v6], a name or empty. */
static int listen_valid(const char *s)
{
        const char *colon = strrchr(s, ':');
        char *end;
        long port;

        if (!colon)
                return 0;
        if (s[0] == '[' && (colon == s || colon[-1] != ']'))
                return 0;
        errno = 0;
        port = strtol(colon + 1, &end, 10);
        return colon[1] && !*end && errno == 0 && port >= 0 && port <= 65535;
}

int config_validate(const struct config *c, char *errstr, size_t errstr_size)
{
        char why[512];

        for (size_t i = 0; i < CONFIG_NKEYS; i++) {
                const struct config_key *k = &config_keys[i];
                const struct config_value *v = &c->known[i];
                struct config_value tmp = {0};

                if (check_value(k, v->value, &tmp, why, sizeof(why)) < 0) {
                        config_err(errstr, errstr_size, "%s: %s", v->source, why);
                        return -1;
                }
                if (k->type == CONFIG_PATH || k->type == CONFIG_PATHS) {
                        for (char **p = v->list; *p; p++)
                                if (!file_readable(*p, k->type == CONFIG_PATHS, why, sizeof(why))) {
                                        config_err(errstr, errstr_size,
                                                   "%s: key '%s': cannot read '%s': %s", v->source,
                                                   k->name, *p, why);
                                        return -1;
                                }
                }
        }

        static const char *const nonempty[] = {"input.topics", "output.topics", "dlq.topic"};
        for (size_t i = 0; i < sizeof(nonempty) / sizeof(nonempty[0]); i++) {
                int idx = key_index(nonempty[i]);
                if (!c->known[idx].list[0]) {
                        config_err(errstr, errstr_size, "%s: key '%s': must not be empty",
                                   c->known[idx].source, nonempty[i]);
                        return -1;
                }
        }
        {
                int idx = key_index("input.field.body");
                size_t n = 0;
                while (c->known[idx].list[n])
                        n++;
                if (n < 1 || n > 3) {
                        config_err(errstr, errstr_size,
                                   "%s: key 'input.field.body': give 1 to 3 field names, got %zu",
                                   c->known[idx].source, n);
                        return -1;
                }
        }
        {
                /* the router's own parser, so what passes here routes */
                struct topic_templates tt;
                int idx = key_index("output.topics");
                if (topic_templates_parse(&tt, c->known[idx].value, why, sizeof(why))) {
                        config_err(errstr, errstr_size, "%s: key 'output.topics': %s",
                                   c->known[idx].source, why);
                        return -1;
                }
                topic_templates_clear(&tt);
                idx = key_index("dlq.topic");
                if (strchr(c->known[idx].value, '{') || strchr(c->known[idx].value, ',')) {
                        config_err(errstr, errstr_size,
                                   "%s: key 'dlq.topic': one plain topic name, no template",
                                   c->known[idx].source);
                        return -1;
                }
        }
        {
                int idx = key_index("metrics.listen");
                const char *s = c->known[idx].value;
                if (*s && !listen_valid(s)) {
                        config_err(errstr, errstr_size,
                                   "%s: key 'metrics.listen': expected host:port (port 0-65535, 0 "
                                   "= any free) or "
                                   "empty, got '%s'",
                                   c->known[idx].source, s);
                        return -1;
                }
        }

        /* librdkafka knows its own keys and values: ask it, on a conf object
         * that is never used to connect. */
        if (c->n_kafka) {
                rd_kafka_conf_t *conf = rd_kafka_conf_new();

                if (!conf) {
                        config_err(errstr, errstr_size, "kafka: out of memory");
                        return -1;
                }
                for (size_t i = 0; i < c->n_kafka; i++) {
                        const struct config_value *v = &c->kafka[i];

                        if (rd_kafka_conf_set(conf, kafka_client_name(v->key), v->value, why,
                                              sizeof(why)) != RD_KAFKA_CONF_OK) {
                                config_err(errstr, errstr_size, "%s: key 'kafka.%s': %s", v->source,
                                           v->key, why);
                                rd_kafka_conf_destroy(conf);
                                return -1;
                        }
                        if (kafka_key_is_path(kafka_client_name(v->key)) && *v->value &&
                            !file_readable(v->value, 0, why, sizeof(why))) {
                                config_err(errstr, errstr_size,
                                           "%s: key 'kafka.%s': cannot read '%s': %s", v->source,
                                           v->key, v->value, why);
                                rd_kafka_conf_destroy(conf);
                                return -1;
                        }
                }
                rd_kafka_conf_destroy(conf);
        }
        return 0;
}

const char *config_get(const struct config *c, const char *key)
{
        int idx;

        if (is_kafka_key(key)) {
                for (size_t i = 0; i < c->n_kafka; i++)
                        if (!strcmp(c->kafka[i].key, key + KAFKA_PREFIX_LEN))
                                return c->kafka[i].value;
                return NULL;
        }
        idx = key_index(key);
        return idx < 0 ? NULL : c->known[idx].value;
}

long long config_get_int(const struct config *c, const char *key)
{
        int idx = key_index(key);
        return idx < 0 ? 0 : c->known[idx].i;
}

double config_get_double(const struct config *c, const char *key)
{
        int idx = key_index(key);
        return idx < 0 ? 0 : c->known[idx].d;
}

const char *const *config_get_list(const struct config *c, const char *key)
{
        int idx;

        if (is_kafka_key(key)) {
                for (size_t i = 0; i < c->n_kafka; i++)
                        if (!strcmp(c->kafka[i].key, key + KAFKA_PREFIX_LEN))
                                return (const char *const *)c->kafka[i].list;
                return NULL;
        }
        idx = key_index(key);
        return idx < 0 ? NULL : (const char *const *)c->known[idx].list;
}

const char *config_source(const struct config *c, const char *key)
{
        int idx;

        if (is_kafka_key(key)) {
                for (size_t i = 0; i < c->n_kafka; i++)
                        if (!strcmp(c->kafka[i].key, key + KAFKA_PREFIX_LEN))
                                return c->kafka[i].source;
                return NULL;
        }
        idx = key_index(key);
        return idx < 0 ? NULL : c->known[idx].source;
}

const char *config_file_path(const struct config *c)
{
        return c->file_path;
}

void config_foreach_kafka(const struct config *c,
                          void (*fn)(const char *key, const char *value, void *opaque),
                          void *opaque)
{
        for (size_t i = 0; i < c->n_kafka; i++)
                fn(c->kafka[i].key, c->kafka[i].value, opaque);
}

static int contains(const char *hay, const char *needle)
{
        return strstr(hay, needle) != NULL;
}

int config_is_secret(const char *key)
{
        const char *k = is_kafka_key(key) ? key + KAFKA_PREFIX_LEN : key;
        size_t n = strlen(k);

        return (n >= 8 && !strcmp(k + n - 8, "password")) || !strncmp(k, "sasl.", 5) ||
               !strncmp(k, "ssl.key.", 8) || contains(k, "secret") ||
               /* ssl.keystore.*, ssl_key / ssl.certificate.pem carry private material too */
               !strncmp(k, "ssl.keystore.", 13) || contains(k, "private");
}

static void dump_one(FILE *out, const char *prefix, const char *key, const struct config_value *v)
{
        char full[300];

        snprintf(full, sizeof(full), "%s%s", prefix, key);
        if (strcmp(v->source, "default"))
                fprintf(out, "# from %s\n", v->source);
        fprintf(out, "%s = %s\n", full,
                config_is_secret(full) && *v->value ? "[REDACTED]" : v->value);
}

void config_log_effective(const struct config *c)
{
        char msg[1800];
        size_t n = 0;

#define APPEND(...)                                                                                \
        do {                                                                                       \
                if (n < sizeof(msg))                                                               \
                        n += (size_t)snprintf(msg + n, sizeof(msg) - n, __VA_ARGS__);              \
        } while (0)
        APPEND("file %s;", c->file_path ? c->file_path : "(none)");
        for (size_t i = 0; i < CONFIG_NKEYS; i++)
                if (strcmp(c->known[i].source, "default"))
                        APPEND(" %s=%s (%s)", config_keys[i].name,
                               config_is_secret(config_keys[i].name) ? "[REDACTED]"
                                                                     : c->known[i].value,
                               c->known[i].source);
        for (size_t i = 0; i < c->n_kafka; i++) {
                char full[300];
                snprintf(full, sizeof(full), KAFKA_PREFIX "%s", c->kafka[i].key);
                APPEND(" %s=%s (%s)", full,
                       config_is_secret(full) ? "[REDACTED]" : c->kafka[i].value,
                       c->kafka[i].source);
        }
#undef APPEND
        if (n >= sizeof(msg))
                memcpy(msg + sizeof(msg) - 4, "...", 4);
        log_event(LOG_INFO, "config", "%s", msg);
}

void config_dump(const struct config *c, FILE *out)
{
        for (size_t i = 0; i < CONFIG_NKEYS; i++)
                dump_one(out, "", config_keys[i].name, &c->known[i]);
        for (size_t i = 0; i < c->n_kafka; i++)
                dump_one(out, KAFKA_PREFIX, c->kafka[i].key, &c->kafka[i]);
}

size_t config_key_count(void)
{
        return CONFIG_NKEYS;
}

int config_key_info(size_t i, const char **name, enum config_type *type, const char **def,
                    const char **doc)
{
        if (i >= CONFIG_NKEYS)
                return -1;
        if (name)
                *name = config_keys[i].name;
        if (type)
                *type = config_keys[i].type;
        if (def)
                *def = config_keys[i].def;
        if (doc)
                *doc = config_keys[i].doc;
        return 0;
}
