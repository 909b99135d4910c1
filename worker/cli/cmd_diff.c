/* stemtag diff: two models (taxonomies, or whole configs) over the same
 * articles, and what changes between them: per label the articles gained and
 * lost, the moves (old tag -> new tag) with counts and a few example articles
 * with the evidence on each side. Each article goes through pipeline_process()
 * once per side, exactly as `stemtag classify` and the worker run it, and the
 * sides are compared on the records that produces. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli_config.h"
#include "cli_input.h"
#include "cli_kafka.h"
#include "commands.h"
#include "config.h"
#include "config_pipeline.h"
#include "log.h"
#include "pipeline.h"
#include "topic_read.h"

extern char **environ;

#define DIFF_MAX_EXAMPLES 20
#define DIFF_TITLE_MAX    80

/* One side: its options (and the config they borrow from), model and context. */
struct diff_side {
        const char *name;   /* "old" / "new" */
        const char **paths; /* --old / --new arguments */
        size_t n_paths;
        struct config *cfg; /* a side given as a .conf file */
        struct pipeline_options opts;
        struct pipeline_model *model;
        struct pipeline_ctx *ctx;
};

/* What one side said about one article (borrowed from @p rec). */
struct diff_tags {
        json_t *rec;
        const char *section; /* NULL: none */
        json_t *section_evidence;
        json_t *topics; /* array of {"id","evidence"} */
};

struct diff_example {
        char *id, *title, *old_ev, *new_ev;
};

/* A change: kind 0 section, 1 topic; from/to NULL = none (a topic gained/lost). */
struct diff_change {
        int kind;
        char *from, *to;
        size_t count;
        size_t n_ex;
        struct diff_example ex[DIFF_MAX_EXAMPLES];
};

struct diff_label {
        int kind;
        char *id;
        size_t old_n, new_n, gained, lost;
};

struct diff_run {
        struct diff_side side[2];
        size_t articles, rejected, changed, changed_sections, changed_topics;
        struct diff_change *changes;
        size_t n_changes, cap_changes;
        struct diff_label *labels;
        size_t n_labels, cap_labels;
        size_t max_examples;
        char version[2][128]; /* each side's classifier.taxonomy, from its records */
        int failed;           /* I/O */
};

static void diff_usage(FILE *out)
{
        fprintf(out,
                "Usage: stemtag diff --old MODEL... --new MODEL... [options] [FILE...]\n"
                "       stemtag diff --old MODEL... --new MODEL... --topic T [--limit N]\n\n"
                "Runs two models over the same articles (JSON lines FILEs, stdin, or a\n"
                "sample of a Kafka topic) through the pipeline of `stemtag classify` and\n"
                "prints what changes: per label the articles gained and lost, the moves\n"
                "(section old -> new; topic + gained, - lost, old -> new when an article\n"
                "swaps one topic for another) with counts, and example articles with the\n"
                "evidence on each side. An article changed when its section or its set of\n"
                "topics differs.\n\n"
                "MODEL: a taxonomy file or directory (repeatable, combined as --taxonomy\n"
                "of classify), or a config file (*.conf: its taxonomy.files, classify.*,\n"
                "langid.*; then -X applies to it too). Everything else comes from -c/-X (or\n"
                "classify's defaults) and is the same on both sides.\n\n"
                "Options:\n"
                "      --old MODEL        the model in use (repeatable)\n"
                "      --new MODEL        the candidate (repeatable)\n"
                "  -c, --config FILE      shared settings (input.*, langid.*, classify.*,\n"
                "                         kafka.*)\n"
                "  -X key=value           set one config key (repeatable)\n"
                "      --langid-model F   language model ('none': no detection)\n"
                "      --tolerance N[%%]   changed articles allowed before exit status 4:\n"
                "                         a count, or a percentage of the articles (default 0)\n"
                "      --examples N       example articles per change (default 3, max 20)\n"
                "      --json             one JSON summary object (for CI)\n"
                "  -b, --brokers LIST     = -X kafka.bootstrap.servers=LIST\n"
                "      --topic TOPIC      read articles from this Kafka topic (from the\n"
                "                         beginning of every partition; nothing committed)\n"
                "      --limit N          at most N articles (default with --topic: 10000)\n"
                "  -h, --help             this help\n\n"
                "Exit status: 0 no more changed articles than --tolerance, 4 more, 1 I/O or\n"
                "Kafka error, 2 usage or config error, 3 a model cannot be loaded.\n");
}

static int diff_is_conf(const char *path)
{
        size_t n = strlen(path);
        return n > 5 && !strcmp(path + n - 5, ".conf");
}

static char *diff_strdup(const char *s)
{
        char *p = strdup(s ? s : "");
        if (!p)
                LOG_FATAL(EXIT_FAILURE_RUNTIME, "oom", "out of memory");
        return p;
}

/* "label (stem, stem)" for an example line. */
static char *diff_evidence(const char *label, json_t *evidence)
{
        size_t cap = 64 + (label ? strlen(label) : 4), len;
        size_t i;
        json_t *v;
        json_array_foreach(evidence, i, v) cap += strlen(json_string_value(v) ?: "") + 2;
        char *s = malloc(cap);
        if (!s)
                LOG_FATAL(EXIT_FAILURE_RUNTIME, "oom", "out of memory");
        len = (size_t)snprintf(s, cap, "%s", label ? label : "none");
        if (label && json_array_size(evidence)) {
                len += (size_t)snprintf(s + len, cap - len, " (");
                json_array_foreach(evidence, i, v) len += (size_t)snprintf(
                    s + len, cap - len, "%s%s", i ? ", " : "", json_string_value(v) ?: "");
                snprintf(s + len, cap - len, ")");
        }
        return s;
}

static json_t *diff_topic(const struct diff_tags *t, const char *id)
{
        size_t i;
        json_t *v;
        json_array_foreach(
            t->topics, i,
            v) if (!strcmp(json_string_value(json_object_get(v, "id")) ?: "", id)) return v;
        return NULL;
}

static struct diff_label *diff_label(struct diff_run *r, int kind, const char *id)
{
        for (size_t i = 0; i < r->n_labels; i++)
                if (r->labels[i].kind == kind && !strcmp(r->labels[i].id, id))
                        return &r->labels[i];
        if (r->n_labels == r->cap_labels) {
                r->cap_labels = r->cap_labels ? 2 * r->cap_labels : 64;
                r->labels = realloc(r->labels, r->cap_labels * sizeof(*r->labels));
                if (!r->labels)
                        LOG_FATAL(EXIT_FAILURE_RUNTIME, "oom", "out of memory");
        }
        struct diff_label *l = &r->labels[r->n_labels++];
        memset(l, 0, sizeof(*l));
        l->kind = kind;
        l->id = diff_strdup(id);
        return l;
}

static int diff_same(const char *a, const char *b)
{
        return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Counts one change and keeps the article as an example while there is room. */
static void diff_change(struct diff_run *r, int kind, const char *from, json_t *from_ev,
                        const char *to, json_t *to_ev, const struct diff_tags *old)
{
        struct diff_change *c = NULL;
        for (size_t i = 0; i < r->n_changes && !c; i++)
                if (r->changes[i].kind == kind && diff_same(r->changes[i].from, from) &&
                    diff_same(r->changes[i].to, to))
                        c = &r->changes[i];
        if (!c) {
                if (r->n_changes == r->cap_changes) {
                        r->cap_changes = r->cap_changes ? 2 * r->cap_changes : 64;
                        r->changes = realloc(r->changes, r->cap_changes * sizeof(*r->changes));
                        if (!r->changes)
                                LOG_FATAL(EXIT_FAILURE_RUNTIME, "oom", "out of memory");
                }
                c = &r->changes[r->n_changes++];
                memset(c, 0, sizeof(*c));
                c->kind = kind;
                c->from = from ? diff_strdup(from) : NULL;
                c->to = to ? diff_strdup(to) : NULL;
        }
        c->count++;
        if (c->n_ex < r->max_examples) {
                struct diff_example *e = &c->ex[c->n_ex++];
                const char *title = json_string_value(json_object_get(old->rec, "title")) ?: "";
                e->id = diff_strdup(json_string_value(json_object_get(old->rec, "id")));
                e->title = diff_strdup(title);
                if (strlen(e->title) > DIFF_TITLE_MAX) { /* cut at a UTF-8 boundary */
                        size_t n = DIFF_TITLE_MAX;
                        while (n && ((unsigned char)e->title[n] & 0xC0) == 0x80)
                                n--;
                        e->title[n] = '\0';
                }
                e->old_ev = diff_evidence(from, from_ev);
                e->new_ev = diff_evidence(to, to_ev);
        }
}

static json_t *diff_evidence_of(json_t *tag)
{
        return tag ? json_object_get(tag, "evidence") : NULL;
}

static const char *diff_tag_id(json_t *tag)
{
        return json_string_value(json_object_get(tag, "id")) ?: "";
}

/* Topics of side @p a (0 old, 1 new) counted per label; those missing from
 * the other side @p b counted as lost (old) or gained (new), the last of
 * them in *@p one. Returns how many are missing. */
static size_t diff_topics_missing(struct diff_run *r, const struct diff_tags *a,
                                  const struct diff_tags *b, int side, json_t **one)
{
        size_t i, missing = 0;
        json_t *v;
        json_array_foreach(a->topics, i, v)
        {
                struct diff_label *l = diff_label(r, 1, diff_tag_id(v));
                *(side ? &l->new_n : &l->old_n) += 1;
                if (!diff_topic(b, diff_tag_id(v))) {
                        *(side ? &l->gained : &l->lost) += 1;
                        *one = v;
                        missing++;
                }
        }
        return missing;
}

/* One change per topic of side @p a missing from @p b: "- X" (old) or "+ X" (new). */
static void diff_topic_changes(struct diff_run *r, const struct diff_tags *a,
                               const struct diff_tags *b, int side, const struct diff_tags *old)
{
        size_t i;
        json_t *v;
        json_array_foreach(a->topics, i, v) if (!diff_topic(b, diff_tag_id(v)))
        {
                if (side)
                        diff_change(r, 1, NULL, NULL, diff_tag_id(v), diff_evidence_of(v), old);
                else
                        diff_change(r, 1, diff_tag_id(v), diff_evidence_of(v), NULL, NULL, old);
        }
}

/* Compares the two sides' tags of one article. */
static void diff_compare(struct diff_run *r, const struct diff_tags *o, const struct diff_tags *n)
{
        int changed = 0;
        if (o->section)
                diff_label(r, 0, o->section)->old_n++;
        if (n->section)
                diff_label(r, 0, n->section)->new_n++;
        if (!diff_same(o->section, n->section)) {
                if (o->section)
                        diff_label(r, 0, o->section)->lost++;
                if (n->section)
                        diff_label(r, 0, n->section)->gained++;
                diff_change(r, 0, o->section, o->section_evidence, n->section, n->section_evidence,
                            o);
                r->changed_sections++;
                changed = 1;
        }
        json_t *lost = NULL, *gained = NULL;
        size_t n_lost = diff_topics_missing(r, o, n, 0, &lost);
        size_t n_gained = diff_topics_missing(r, n, o, 1, &gained);
        if (n_lost == 1 && n_gained == 1) {
                /* one topic swapped for another: a move */
                diff_change(r, 1, diff_tag_id(lost), diff_evidence_of(lost), diff_tag_id(gained),
                            diff_evidence_of(gained), o);
        } else {
                diff_topic_changes(r, o, n, 0, o);
                diff_topic_changes(r, n, o, 1, o);
        }
        if (n_lost || n_gained) {
                r->changed_topics++;
                changed = 1;
        }
        r->changed += changed;
}

/* The record pipeline_process built, read back: the comparison is on what
 * classify would print. 0, or -1 when the record does not parse (a bug). */
static int diff_tags_read(const struct pipeline_result *res, struct diff_tags *t)
{
        json_error_t jerr;
        memset(t, 0, sizeof(*t));
        t->rec = json_loadb(res->json, res->json_len, 0, &jerr);
        if (!t->rec)
                return -1;
        json_t *sec = json_object_get(t->rec, "section");
        if (json_is_object(sec)) {
                t->section = json_string_value(json_object_get(sec, "id"));
                t->section_evidence = json_object_get(sec, "evidence");
        }
        t->topics = json_object_get(t->rec, "topics");
        return 0;
}

static void diff_one(struct diff_run *r, const char *data, size_t len,
                     const struct pipeline_source *src)
{
        struct pipeline_result res;
        struct diff_tags t[2];
        int ok = 1;
        for (int s = 0; s < 2; s++) {
                t[s].rec = NULL;
                if (pipeline_process(r->side[s].ctx, r->side[s].model, data, len, src, &res) < 0)
                        LOG_FATAL(EXIT_FAILURE_RUNTIME, "oom", "out of memory classifying");
                if (!res.ok) {
                        ok = 0;
                        continue;
                }
                if (diff_tags_read(&res, &t[s]))
                        LOG_FATAL(EXIT_FAILURE_RUNTIME, "record", "cannot read back a record");
                if (!r->version[s][0])
                        snprintf(r->version[s], sizeof(r->version[s]), "%s",
                                 json_string_value(json_object_get(
                                     json_object_get(t[s].rec, "classifier"), "taxonomy"))
                                     ?: "");
        }
        r->articles++;
        if (ok)
                diff_compare(r, &t[0], &t[1]);
        else
                r->rejected++; /* the parser's verdict: the same on both sides */
        json_decref(t[0].rec);
        json_decref(t[1].rec);
}

static void diff_file(struct diff_run *r, FILE *in, const char *name, size_t limit)
{
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        long long lineno = 0;
        while ((!limit || r->articles < limit) && (n = getline(&line, &cap, in)) >= 0) {
                lineno++;
                while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                        n--;
                size_t k = 0;
                while (k < (size_t)n && (line[k] == ' ' || line[k] == '\t'))
                        k++;
                if (k == (size_t)n)
                        continue;
                struct pipeline_source src = {
                    .topic = NULL, .partition = -1, .offset = -1, .line = lineno};
                diff_one(r, line, (size_t)n, &src);
        }
        if (ferror(in)) {
                fprintf(stderr, "stemtag diff: %s: read error: %s\n", name, strerror(errno));
                r->failed = 1;
        }
        free(line);
}

static int diff_topic_read(struct diff_run *r, const char *const *kafka, const char *topic,
                           size_t limit)
{
        struct topic_read_options o = {
            .kafka = kafka,
            .topic = topic,
            .group = "stemtag-diff",
            .partition = -1,
            .from_offset = -1,
            .to_offset = -1,
            .timeout_ms = 30000,
        };
        char err[512];
        struct topic_reader *rd = topic_reader_open(&o, err, sizeof(err));
        rd_kafka_message_t *m;
        int got = 0;
        if (!rd) {
                fprintf(stderr, "stemtag diff: %s\n", err);
                return -1;
        }
        while (r->articles < limit && (got = topic_reader_next(rd, &m, err, sizeof(err))) > 0) {
                struct pipeline_source src = {
                    .topic = topic, .partition = m->partition, .offset = m->offset, .line = -1};
                diff_one(r, m->payload ? m->payload : "", m->len, &src);
                rd_kafka_message_destroy(m);
        }
        topic_reader_close(rd);
        if (got < 0) {
                fprintf(stderr, "stemtag diff: %s\n", err);
                return -1;
        }
        return 0;
}

static int diff_cmp_change(const void *a, const void *b)
{
        const struct diff_change *x = a, *y = b;
        if (x->count != y->count)
                return x->count < y->count ? 1 : -1;
        if (x->kind != y->kind)
                return x->kind - y->kind;
        int c = strcmp(x->from ? x->from : "", y->from ? y->from : "");
        return c ? c : strcmp(x->to ? x->to : "", y->to ? y->to : "");
}

static int diff_cmp_label(const void *a, const void *b)
{
        const struct diff_label *x = a, *y = b;
        size_t cx = x->gained + x->lost, cy = y->gained + y->lost;
        if (cx != cy)
                return cx < cy ? 1 : -1;
        if (x->kind != y->kind)
                return x->kind - y->kind;
        return strcmp(x->id, y->id);
}

static const char *diff_kind(int kind)
{
        return kind ? "topic" : "section";
}

static void diff_print_text(const struct diff_run *r, size_t allowed, int exceeded)
{
        printf("articles %zu (rejected by the parser: %zu)\nold model %s\nnew model %s\n",
               r->articles, r->rejected, r->version[0], r->version[1]);
        printf("changed %zu (%.2f %%): section %zu, topics %zu; tolerance %zu: %s\n", r->changed,
               r->articles ? 100.0 * (double)r->changed / (double)r->articles : 0.0,
               r->changed_sections, r->changed_topics, allowed, exceeded ? "EXCEEDED" : "within");
        if (!r->changed)
                return;
        printf("\n%-8s %-28s %8s %8s %8s %8s\n", "kind", "label", "old", "new", "gained", "lost");
        for (size_t i = 0; i < r->n_labels; i++) {
                const struct diff_label *l = &r->labels[i];
                if (l->gained || l->lost)
                        printf("%-8s %-28s %8zu %8zu %+8zd %8zd\n", diff_kind(l->kind), l->id,
                               l->old_n, l->new_n, (ssize_t)l->gained, -(ssize_t)l->lost);
        }
        printf("\nchanges, most frequent first:\n");
        for (size_t i = 0; i < r->n_changes; i++) {
                const struct diff_change *c = &r->changes[i];
                char what[256];
                if (c->kind == 1 && !c->from)
                        snprintf(what, sizeof(what), "topic + %s", c->to);
                else if (c->kind == 1 && !c->to)
                        snprintf(what, sizeof(what), "topic - %s", c->from);
                else
                        snprintf(what, sizeof(what), "%s %s -> %s", diff_kind(c->kind),
                                 c->from ? c->from : "none", c->to ? c->to : "none");
                printf("  %-48s %8zu\n", what, c->count);
                for (size_t k = 0; k < c->n_ex; k++)
                        printf("      %s \"%s\"\n        old: %s\n        new: %s\n", c->ex[k].id,
                               c->ex[k].title, c->ex[k].old_ev, c->ex[k].new_ev);
        }
}

static json_t *diff_json(const struct diff_run *r, const char *tolerance, size_t allowed,
                         int exceeded)
{
        json_t *o = json_object(), *labels = json_array(), *changes = json_array();
        if (!o || !labels || !changes)
                LOG_FATAL(EXIT_FAILURE_RUNTIME, "oom", "out of memory");
        json_object_set_new(o, "articles", json_integer((json_int_t)r->articles));
        json_object_set_new(o, "rejected", json_integer((json_int_t)r->rejected));
        json_object_set_new(o, "changed", json_integer((json_int_t)r->changed));
        json_object_set_new(o, "changed_sections", json_integer((json_int_t)r->changed_sections));
        json_object_set_new(o, "changed_topics", json_integer((json_int_t)r->changed_topics));
        json_object_set_new(o, "tolerance", json_string(tolerance));
        json_object_set_new(o, "allowed", json_integer((json_int_t)allowed));
        json_object_set_new(o, "exceeded", json_boolean(exceeded));
        json_object_set_new(o, "old", json_string(r->version[0]));
        json_object_set_new(o, "new", json_string(r->version[1]));
        for (size_t i = 0; i < r->n_labels; i++) {
                const struct diff_label *l = &r->labels[i];
                if (!l->gained && !l->lost)
                        continue;
                json_array_append_new(
                    labels,
                    json_pack("{s:s,s:s,s:I,s:I,s:I,s:I}", "kind", diff_kind(l->kind), "id", l->id,
                              "old", (json_int_t)l->old_n, "new", (json_int_t)l->new_n, "gained",
                              (json_int_t)l->gained, "lost", (json_int_t)l->lost));
        }
        for (size_t i = 0; i < r->n_changes; i++) {
                const struct diff_change *c = &r->changes[i];
                json_t *ex = json_array();
                for (size_t k = 0; k < c->n_ex; k++)
                        json_array_append_new(ex,
                                              json_pack("{s:s,s:s,s:s,s:s}", "id", c->ex[k].id,
                                                        "title", c->ex[k].title, "old",
                                                        c->ex[k].old_ev, "new", c->ex[k].new_ev));
                json_array_append_new(changes,
                                      json_pack("{s:s,s:s?,s:s?,s:I,s:o}", "kind",
                                                diff_kind(c->kind), "from", c->from, "to", c->to,
                                                "count", (json_int_t)c->count, "examples", ex));
        }
        json_object_set_new(o, "labels", labels);
        json_object_set_new(o, "changes", changes);
        return o;
}

static void diff_free(struct diff_run *r)
{
        for (size_t i = 0; i < r->n_changes; i++) {
                free(r->changes[i].from);
                free(r->changes[i].to);
                for (size_t k = 0; k < r->changes[i].n_ex; k++) {
                        free(r->changes[i].ex[k].id);
                        free(r->changes[i].ex[k].title);
                        free(r->changes[i].ex[k].old_ev);
                        free(r->changes[i].ex[k].new_ev);
                }
        }
        free(r->changes);
        for (size_t i = 0; i < r->n_labels; i++)
                free(r->labels[i].id);
        free(r->labels);
        for (int s = 0; s < 2; s++) {
                pipeline_ctx_destroy(r->side[s].ctx);
                pipeline_model_unref(r->side[s].model);
                config_destroy(r->side[s].cfg); /* after the model: it borrows its strings */
                free(r->side[s].paths);
        }
}

/* --tolerance N or N%: the number of changed articles allowed. -1 if bad. */
static int diff_parse_tolerance(const char *s, double *value, int *percent)
{
        char *end;
        errno = 0;
        *value = strtod(s, &end);
        *percent = *end == '%';
        if (*percent)
                end++;
        return errno || end == s || *end || *value < 0 ? -1 : 0;
}

/* The side's options: the shared ones with its taxonomy, or its own config. */
static int diff_side_options(struct diff_side *side, const struct pipeline_options *base,
                             const char *const *xs, size_t nx, char *err, size_t errsize)
{
        side->opts = *base;
        if (side->n_paths == 1 && diff_is_conf(side->paths[0])) {
                if (!(side->cfg = config_new()))
                        LOG_FATAL(EXIT_FAILURE_RUNTIME, "oom", "out of memory");
                if (config_load(side->cfg, side->paths[0], environ, xs, nx, err, errsize) < 0 ||
                    config_to_pipeline_options(side->cfg, &side->opts, err, errsize) < 0)
                        return -1;
                side->opts.article = base->article; /* the articles are shared */
                side->opts.processed_at = base->processed_at;
                return 0;
        }
        for (size_t i = 0; i < side->n_paths; i++)
                if (diff_is_conf(side->paths[i])) {
                        snprintf(err, errsize, "--%s: a config (%s) must be the side's only MODEL",
                                 side->name, side->paths[i]);
                        return -1;
                }
        side->opts.taxonomy_paths = side->paths;
        return 0;
}

int cmd_diff(int argc, char **argv)
{
        enum { O_OLD = 256, O_NEW, O_LANGID, O_TOL, O_EX, O_JSON, O_TOPIC, O_LIMIT };
        static const struct option longopts[] = {
            {"old", required_argument, NULL, O_OLD},
            {"new", required_argument, NULL, O_NEW},
            {"config", required_argument, NULL, 'c'},
            {"langid-model", required_argument, NULL, O_LANGID},
            {"tolerance", required_argument, NULL, O_TOL},
            {"examples", required_argument, NULL, O_EX},
            {"json", no_argument, NULL, O_JSON},
            {"brokers", required_argument, NULL, 'b'},
            {"topic", required_argument, NULL, O_TOPIC},
            {"limit", required_argument, NULL, O_LIMIT},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        struct diff_run r = {0};
        const char *langid = NULL, *topic = NULL, *tolerance = "0";
        int langid_given = 0, json = 0, rc = EXIT_USAGE, opt, tol_percent = 0;
        double tol_value = 0;
        long long limit = 0;
        char err[1024];
        struct cli_config_args args;
        const char **kafka = NULL;
        struct config *cfg = NULL;
        r.side[0].name = "old";
        r.side[1].name = "new";
        r.max_examples = 3;
        r.side[0].paths = calloc((size_t)argc + 1, sizeof(char *));
        r.side[1].paths = calloc((size_t)argc + 1, sizeof(char *));
        if (!r.side[0].paths || !r.side[1].paths)
                LOG_FATAL(EXIT_FAILURE_RUNTIME, "oom", "out of memory");
        cli_config_args_init(&args, argc);

        optind = 1;
        while ((opt = getopt_long(argc, argv, "c:X:b:h", longopts, NULL)) != -1) {
                if (cli_config_args_take(&args, opt, optarg))
                        continue;
                switch (opt) {
                case O_OLD:
                case O_NEW: {
                        struct diff_side *s = &r.side[opt == O_NEW];
                        s->paths[s->n_paths++] = optarg;
                        break;
                }
                case O_LANGID:
                        langid_given = 1;
                        langid = strcmp(optarg, "none") ? optarg : NULL;
                        break;
                case O_TOL:
                        tolerance = optarg;
                        if (diff_parse_tolerance(optarg, &tol_value, &tol_percent)) {
                                fprintf(stderr,
                                        "stemtag diff: --tolerance: expected N or N%%, not '%s'\n",
                                        optarg);
                                goto out;
                        }
                        break;
                case O_EX: {
                        char *end;
                        long v = strtol(optarg, &end, 10);
                        if (*end || end == optarg || v < 0 || v > DIFF_MAX_EXAMPLES) {
                                fprintf(stderr, "stemtag diff: --examples: 0 to %d, not '%s'\n",
                                        DIFF_MAX_EXAMPLES, optarg);
                                goto out;
                        }
                        r.max_examples = (size_t)v;
                        break;
                }
                case O_JSON:
                        json = 1;
                        break;
                case O_TOPIC:
                        topic = optarg;
                        break;
                case O_LIMIT: {
                        char *end;
                        limit = strtoll(optarg, &end, 10);
                        if (*end || end == optarg || limit < 1) {
                                fprintf(stderr,
                                        "stemtag diff: --limit: expected N >= 1, not '%s'\n",
                                        optarg);
                                goto out;
                        }
                        break;
                }
                case 'h':
                        diff_usage(stdout);
                        rc = EXIT_OK;
                        goto out;
                default:
                        diff_usage(stderr);
                        goto out;
                }
        }
        if (!r.side[0].n_paths || !r.side[1].n_paths) {
                fprintf(stderr, "stemtag diff: both --old and --new are required\n");
                diff_usage(stderr);
                goto out;
        }
        if (topic && optind < argc) {
                fprintf(stderr, "stemtag diff: FILEs and --topic exclude each other\n");
                goto out;
        }
        cli_config_args_finish(&args);

        /* Shared settings as classify takes them: the built-in defaults (with the
         * default language model when readable) unless -c/-X name a config. */
        struct pipeline_options base;
        pipeline_options_default(&base);
        if (!(cfg = config_new()))
                LOG_FATAL(EXIT_FAILURE_RUNTIME, "oom", "out of memory");
        if ((args.path || args.n_x) &&
            config_load(cfg, args.path, environ, args.xs, args.n_x, err, sizeof(err)) < 0) {
                fprintf(stderr, "stemtag diff: %s\n", err);
                goto out;
        }
        if (config_to_pipeline_options(cfg, &base, err, sizeof(err)) < 0) {
                fprintf(stderr, "stemtag diff: %s\n", err);
                goto out;
        }
        if (!args.path && !args.n_x && base.langid_model_path &&
            access(base.langid_model_path, R_OK) != 0)
                base.langid_model_path = NULL;
        if (!topic)
                base.article.format = ARTICLE_FORMAT_JSON; /* FILEs are JSON lines */
        base.explain = 0;
        for (int s = 0; s < 2; s++) {
                if (diff_side_options(&r.side[s], &base, args.xs, args.n_x, err, sizeof(err))) {
                        fprintf(stderr, "stemtag diff: --%s: %s\n", r.side[s].name, err);
                        goto out;
                }
                if (langid_given)
                        r.side[s].opts.langid_model_path = langid;
        }
        for (int s = 0; s < 2; s++) {
                r.side[s].model = pipeline_model_load(&r.side[s].opts, err, sizeof(err));
                if (!r.side[s].model) {
                        fprintf(stderr, "stemtag diff: --%s: %s\n", r.side[s].name, err);
                        rc = EXIT_MODEL;
                        goto out;
                }
                if (!(r.side[s].ctx = pipeline_ctx_new(&r.side[s].opts)))
                        LOG_FATAL(EXIT_FAILURE_RUNTIME, "oom", "out of memory");
        }

        struct timespec t0, t1;
        clock_t c0 = clock();
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (topic) {
                if (!(kafka = cli_kafka_pairs(cfg)))
                        LOG_FATAL(EXIT_FAILURE_RUNTIME, "oom", "out of memory");
                if (diff_topic_read(&r, kafka, topic, limit ? (size_t)limit : 10000)) {
                        rc = EXIT_FAILURE_RUNTIME;
                        goto out;
                }
        } else {
                int nfiles = argc - optind;
                for (int i = 0; i < (nfiles ? nfiles : 1); i++) {
                        const char *name = nfiles ? argv[optind + i] : "-";
                        FILE *in = cli_input_open("diff", name);
                        if (!in) {
                                r.failed = 1;
                                continue;
                        }
                        diff_file(&r, in, name, (size_t)limit);
                        cli_input_close(in);
                }
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        double cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;

        size_t allowed =
            tol_percent ? (size_t)(tol_value * (double)r.articles / 100.0) : (size_t)tol_value;
        int exceeded = r.changed > allowed;
        if (r.n_changes) /* qsort's array may not be NULL, even when empty */
                qsort(r.changes, r.n_changes, sizeof(*r.changes), diff_cmp_change);
        if (r.n_labels)
                qsort(r.labels, r.n_labels, sizeof(*r.labels), diff_cmp_label);
        if (json) {
                json_t *o = diff_json(&r, tolerance, allowed, exceeded);
                if (json_dumpf(o, stdout, JSON_COMPACT) < 0)
                        r.failed = 1;
                fputc('\n', stdout);
                json_decref(o);
        } else {
                diff_print_text(&r, allowed, exceeded);
        }
        fprintf(stderr,
                "stemtag diff: %zu articles, both models, in %.2f s wall, %.2f s CPU "
                "(%.0f articles per CPU-second)\n",
                r.articles, wall, cpu, cpu > 0 ? (double)r.articles / cpu : 0.0);
        if (fflush(stdout) || ferror(stdout)) {
                fprintf(stderr, "stemtag diff: write error on stdout: %s\n", strerror(errno));
                r.failed = 1;
        }
        rc = r.failed ? EXIT_FAILURE_RUNTIME : exceeded ? EXIT_CHANGED : EXIT_OK;
out:
        diff_free(&r);
        config_destroy(cfg);
        free(kafka);
        cli_config_args_free(&args);
        return rc;
}
