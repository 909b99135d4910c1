/* labelled: see labelled.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "labelled.h"
#include "pipeline.h"

static char *dup_field(json_t *o, const char *k)
{
        const char *s = json_string_value(json_object_get(o, k));
        return strdup(s ? s : "");
}

/* the first of the fields present as a string, as article.c picks body/text/content */
static json_t *first_string(json_t *o, const char *a, const char *b, const char *c)
{
        json_t *v = json_object_get(o, a);
        if (!json_is_string(v) && b)
                v = json_object_get(o, b);
        if (!json_is_string(v) && c)
                v = json_object_get(o, c);
        return json_is_string(v) ? v : NULL;
}

static int add_doc(struct labelled_set *set, json_t *o, const char *label_field, int allow_missing,
                   const char *where, char *errstr, size_t errstr_size)
{
        json_t *lab = json_object_get(o, label_field);
        if (allow_missing && json_is_null(lab))
                lab = NULL;
        size_t nl = json_is_array(lab) ? json_array_size(lab) : json_is_string(lab) ? 1 : 0;
        if (lab ? !json_is_array(lab) && !json_is_string(lab) : !allow_missing) {
                snprintf(errstr, errstr_size, "%s: field \"%s\" missing or not a string/list",
                         where, label_field);
                return -1;
        }
        if (set->n == set->cap) {
                size_t nc = set->cap ? set->cap * 2 : 1024;
                struct labelled_doc *p = realloc(set->docs, nc * sizeof(*p));
                if (!p)
                        goto oom;
                set->docs = p;
                set->cap = nc;
        }
        struct labelled_doc *d = &set->docs[set->n];
        memset(d, 0, sizeof(*d));
        d->title = dup_field(o, "title");
        const char *body = json_string_value(first_string(o, "body", "text", "content"));
        d->body = strdup(body ? body : "");
        const char *lang = json_string_value(first_string(o, "lang", "language", NULL));
        d->lang = lang ? strdup(lang) : NULL;
        d->labels = calloc(nl + 1, sizeof(char *));
        set->n++; /* owned by the set from here on */
        if (!d->title || !d->body || (lang && !d->lang) || !d->labels)
                goto oom;
        for (size_t i = 0; i < nl; i++) {
                json_t *s = json_is_array(lab) ? json_array_get(lab, i) : lab;
                if (!json_is_string(s)) {
                        snprintf(errstr, errstr_size, "%s: \"%s\" must hold strings", where,
                                 label_field);
                        return -1;
                }
                if (!(d->labels[d->n_labels++] = strdup(json_string_value(s))))
                        goto oom;
        }
        set->bytes += strlen(d->title) + strlen(d->body);
        return 0;
oom:
        snprintf(errstr, errstr_size, "%s: out of memory", where);
        return -1;
}

int labelled_add_json(struct labelled_set *set, const char *text, size_t len,
                      const char *label_field, int allow_missing, const char *where, char *errstr,
                      size_t errstr_size)
{
        json_error_t jerr;
        json_t *o = json_loadb(text, len, 0, &jerr);
        if (!json_is_object(o)) {
                snprintf(errstr, errstr_size, "%s: %s", where, o ? "not a JSON object" : jerr.text);
                json_decref(o);
                return -1;
        }
        int rc = add_doc(set, o, label_field, allow_missing, where, errstr, errstr_size);
        json_decref(o);
        return rc;
}

int labelled_read(const char *path, const char *label_field, struct labelled_set *set, char *errstr,
                  size_t errstr_size)
{
        return labelled_read_ex(path, label_field, 0, set, errstr, errstr_size);
}

int labelled_read_ex(const char *path, const char *label_field, int allow_missing,
                     struct labelled_set *set, char *errstr, size_t errstr_size)
{
        memset(set, 0, sizeof(*set));
        FILE *f = fopen(path, "r");
        if (!f) {
                snprintf(errstr, errstr_size, "%s: cannot open", path);
                return -1;
        }
        char *line = NULL, where[512];
        size_t lcap = 0, lineno = 0;
        ssize_t len;
        int rc = 0;
        while ((len = getline(&line, &lcap, f)) >= 0) {
                lineno++;
                if (len == 0 || line[0] == '\n')
                        continue;
                snprintf(where, sizeof(where), "%s:%zu", path, lineno);
                rc = labelled_add_json(set, line, (size_t)len, label_field, allow_missing, where,
                                       errstr, errstr_size);
                if (rc)
                        break;
        }
        free(line);
        fclose(f);
        if (rc)
                labelled_free(set);
        return rc;
}

void labelled_doc_free(struct labelled_doc *d)
{
        free(d->title);
        free(d->body);
        free(d->lang);
        for (size_t k = 0; k < d->n_labels; k++)
                free(d->labels[k]);
        free(d->labels);
        memset(d, 0, sizeof(*d));
}

void labelled_free(struct labelled_set *set)
{
        for (size_t i = 0; i < set->n; i++)
                labelled_doc_free(&set->docs[i]);
        free(set->docs);
        memset(set, 0, sizeof(*set));
}

int labelled_tokenize(const struct labelled_doc *d, const char *lang_override,
                      struct stem_pool *pool, struct text_tokens *toks)
{
        const char *iso = lang_override ? lang_override : d->lang;
        int lang = iso ? stem_lang_from_iso(iso) : -1;
        if (pipeline_tokenize_stem(pool, lang, d->title, strlen(d->title), d->body, strlen(d->body),
                                   toks))
                return -2;
        return lang;
}
