/* classify: scoring behaviour on the small taxonomies in tests/data/taxonomy
 * (phrases, negative keywords, alias prior, title weight, `*` entries,
 * learned stem bigrams, top-k, deterministic ties, evidence and explain). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "classify.h"
#include "learn.h"
#include "stem.h"
#include "text.h"

static char data_dir[1024];

struct fx {
        struct stem_pool *pool;
        struct taxonomy *tx;
        struct classify_ctx *c;
        struct text_tokens toks;
        struct classify_options o;
        struct classify_result r;
};

static struct taxonomy *load_files(struct stem_pool *pool, const char *a, const char *b)
{
        char pa[1100], pb[1100], err[512];
        snprintf(pa, sizeof(pa), "%s/taxonomy/%s", data_dir, a);
        if (b)
                snprintf(pb, sizeof(pb), "%s/taxonomy/%s", data_dir, b);
        const char *paths[3] = {pa, b ? pb : NULL, NULL};
        struct taxonomy *tx = taxonomy_load(paths, pool, err, sizeof(err));
        if (!tx)
                fail_msg("taxonomy_load: %s", err);
        return tx;
}

static int setup(void **state)
{
        struct fx *f = calloc(1, sizeof(*f));
        f->pool = stem_pool_new(1024);
        f->tx = load_files(f->pool, "sections.json", "topics.json");
        f->c = classify_ctx_new();
        text_tokens_init(&f->toks);
        classify_options_default(&f->o);
        f->o.topics_top_k = 10;
        /* These tests pin the raw scoring; test_evidence_standard the rules on top. */
        f->o.any_evidence = 1;
        f->o.topic_margin = 0.0;
        *state = f;
        return 0;
}

static void result_clear(struct fx *f)
{
        json_decref(f->r.section);
        json_decref(f->r.topics);
        json_decref(f->r.explain);
        memset(&f->r, 0, sizeof(f->r));
}

static int teardown(void **state)
{
        struct fx *f = *state;
        result_clear(f);
        text_tokens_free(&f->toks);
        classify_ctx_destroy(f->c);
        taxonomy_destroy(f->tx);
        stem_pool_destroy(f->pool);
        free(f);
        return 0;
}

static void run_tx(struct fx *f, const struct taxonomy *tx, const char *lang, const char *title,
                   const char *body, const char *hint)
{
        result_clear(f);
        text_tokens_reset(&f->toks);
        int l = lang ? stem_lang_from_iso(lang) : -1;
        if (title)
                assert_int_equal(
                    text_tokenize(&f->toks, title, strlen(title), TEXT_FIELD_TITLE, lang), 0);
        if (body)
                assert_int_equal(text_tokenize(&f->toks, body, strlen(body), TEXT_FIELD_BODY, lang),
                                 0);
        assert_int_equal(stem_tokens(f->pool, l, &f->toks), 0);
        assert_int_equal(classify_run(f->c, tx, &f->o, l, &f->toks, hint, &f->r), 0);
}

static void run(struct fx *f, const char *lang, const char *title, const char *body,
                const char *hint)
{
        run_tx(f, f->tx, lang, title, body, hint);
}

static json_t *topic(const struct fx *f, const char *id)
{
        size_t i;
        json_t *t;
        json_array_foreach(f->r.topics, i, t)
        {
                if (!strcmp(json_string_value(json_object_get(t, "id")), id))
                        return t;
        }
        return NULL;
}

static double section_score(const struct fx *f, const char *id)
{
        /* explain lists every scored label near the top; use it to read scores. */
        size_t i;
        json_t *l;
        json_array_foreach(json_object_get(f->r.explain, "labels"), i, l)
        {
                if (!strcmp(json_string_value(json_object_get(l, "id")), id))
                        return json_real_value(json_object_get(l, "score"));
        }
        return 0.0;
}

static int evidence_has(json_t *tag, const char *stem)
{
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(tag, "evidence"), i, e)
        {
                if (!strcmp(json_string_value(e), stem))
                        return 1;
        }
        return 0;
}

static const char *stem_of(struct fx *f, const char *lang, const char *word)
{
        static char buf[128];
        size_t n;
        const char *s = stem_word(f->pool, stem_lang_from_iso(lang), word, strlen(word), &n);
        assert_non_null(s);
        snprintf(buf, sizeof(buf), "%.*s", (int)n, s);
        return buf;
}

static void test_section_and_json(void **state)
{
        struct fx *f = *state;
        run(f, "en", "Parliament votes", "The parliament debated the election law.", "POLITICS");
        assert_string_equal(f->r.section_id, "politics");
        assert_string_equal(json_string_value(json_object_get(f->r.section, "id")), "politics");
        assert_string_equal(json_string_value(json_object_get(f->r.section, "iptc")),
                            "medtop:11000000");
        assert_string_equal(json_string_value(json_object_get(f->r.section, "source_label")),
                            "POLITICS");
        assert_true(json_real_value(json_object_get(f->r.section, "score")) >= 1.0);
        char parl[128];
        snprintf(parl, sizeof(parl), "%s", stem_of(f, "en", "parliament"));
        assert_true(evidence_has(f->r.section, parl));
        json_t *el = topic(f, "elections");
        assert_non_null(el);
        assert_true(evidence_has(el, stem_of(f, "en", "election")));
}

static void test_keywords_stemmed_at_load(void **state)
{
        struct fx *f = *state;
        /* Keyword "Wahlen" (plural) meets the singular in the text. */
        run(f, "de", NULL, "Die Wahl im Herbst entscheidet alles.", NULL);
        f->o.explain = 1;
        run(f, "de", NULL, "Die Wahl im Herbst entscheidet alles.", NULL);
        assert_true(section_score(f, "politics") > 0.0);
        f->o.explain = 0;
        run(f, "de", NULL, "Die Wahl im Herbst und der Bundestag.", NULL);
        assert_string_equal(f->r.section_id, "politics");
}

static void test_phrase_needs_consecutive_stems(void **state)
{
        struct fx *f = *state;
        f->o.explain = 1;
        run(f, "en", NULL, "Yesterday the prime minister spoke.", NULL);
        double with_phrase = section_score(f, "politics");
        run(f, "en", NULL, "Yesterday the minister spoke in prime time.", NULL);
        double without = section_score(f, "politics");
        assert_true(with_phrase >= 2.0);
        assert_true(without == 0.0);
        /* Across the title/body boundary is not a phrase either. */
        run(f, "en", "Prime", "Minister spoke.", NULL);
        assert_true(section_score(f, "politics") == 0.0);
        run(f, "en", NULL, "Yesterday the prime minister spoke.", NULL);
        char bigram[256];
        int n = snprintf(bigram, sizeof(bigram), "%.100s ", stem_of(f, "en", "prime"));
        assert_true(n > 0 && (size_t)n < sizeof(bigram));
        strncat(bigram, stem_of(f, "en", "minister"), sizeof(bigram) - strlen(bigram) - 1);
        assert_true(evidence_has(f->r.section, bigram));
}

static void test_negative_keyword(void **state)
{
        struct fx *f = *state;
        f->o.explain = 1;
        run(f, "en", NULL, "Parliament met. The parliament met again.", NULL);
        double plain = section_score(f, "politics");
        assert_string_equal(f->r.section_id, "politics");
        run(f, "en", NULL, "Parliament met. The parliament met again after the football.", NULL);
        double with_neg = section_score(f, "politics");
        assert_true(with_neg < plain);
        /* The negative keyword is never evidence. */
        run(f, "en", NULL, "Parliament parliament parliament election football.", NULL);
        assert_false(evidence_has(f->r.section, stem_of(f, "en", "football")));
}

/* Issue 19: one weak keyword is no evidence; two distinct keywords, or one
 * strong one, are. A topic far below the best is dropped; every tag has a
 * confidence in [0, 1], higher with more evidence. */
static void test_evidence_standard(void **state)
{
        struct fx *f = *state;
        f->o.any_evidence = 0;
        /* "parliament" (weight 1) alone: no section */
        run(f, "en", NULL, "The parliament met again today.", NULL);
        assert_null(f->r.section_id);
        /* "election" (weight 2) alone may carry a section */
        run(f, "en", NULL, "The election is today.", NULL);
        assert_string_equal(f->r.section_id, "politics");
        double one = f->r.section_confidence;
        /* two distinct keywords: a section, more confident */
        run(f, "en", NULL, "The parliament called the election today.", NULL);
        assert_string_equal(f->r.section_id, "politics");
        double two = f->r.section_confidence;
        assert_true(one > 0.0 && one < 1.0 && two > one && two < 1.0);
        /* a confidence cut-off drops it */
        f->o.min_confidence = two + 0.001;
        run(f, "en", NULL, "The parliament called the election today.", NULL);
        assert_null(f->r.section_id);
        f->o.min_confidence = 0.0;
        /* the margin: with a high margin only the best topic stays */
        f->o.any_evidence = 1;
        f->o.topic_margin = 0.0;
        run(f, "en", NULL, "The election, the vote and the ballot in Germany.", NULL);
        size_t all = f->r.n_topics;
        double best = all ? f->r.topic_tags[0].score : 0.0;
        assert_true(all >= 2); /* the text earns topics of different strength */
        assert_true(f->r.topic_tags[all - 1].score < 0.99 * best);
        f->o.topic_margin = 0.99;
        run(f, "en", NULL, "The election, the vote and the ballot in Germany.", NULL);
        assert_true(f->r.n_topics >= 1 && f->r.n_topics < all);
        for (size_t i = 0; i < f->r.n_topics; i++)
                assert_true(f->r.topic_tags[i].score >= 0.99 * best);
        for (size_t i = 0; i < f->r.n_topics; i++)
                assert_true(f->r.topic_tags[i].confidence >= 0.0 &&
                            f->r.topic_tags[i].confidence <= 1.0);
}

static void test_alias_prior(void **state)
{
        struct fx *f = *state;
        const char *body = "Nothing in this text matches a keyword at all.";
        run(f, "de", NULL, body, NULL);
        assert_null(f->r.section_id);
        assert_true(json_is_null(f->r.section));
        run(f, "de", NULL, body, " Politik ");
        assert_string_equal(f->r.section_id, "politics");
        run(f, "fr", NULL, body, "POLITIQUE");
        assert_string_equal(f->r.section_id, "politics");
        run(f, "es", NULL, body, "Deportes");
        assert_string_equal(f->r.section_id, "sport");
        run(f, "de", NULL, body, "Feuilleton");
        assert_null(f->r.section_id);
        f->o.alias_prior = 0.0;
        run(f, "de", NULL, body, "Politik");
        assert_null(f->r.section_id);
}

static void test_title_weight(void **state)
{
        struct fx *f = *state;
        run(f, "en", "Ballot", "Something happened.", NULL);
        double in_title = json_real_value(json_object_get(topic(f, "elections"), "score"));
        run(f, "en", "Something", "Ballot happened.", NULL);
        json_t *t = topic(f, "elections");
        double in_body = t ? json_real_value(json_object_get(t, "score")) : 0.0;
        assert_true(in_title > in_body);
        f->o.title_weight = 1.0;
        run(f, "en", "Ballot", "Something happened.", NULL);
        json_t *t1 = topic(f, "elections");
        double in_title1 = t1 ? json_real_value(json_object_get(t1, "score")) : 0.0;
        assert_true(in_title1 == in_body);
}

static void test_star_language(void **state)
{
        struct fx *f = *state;
        run(f, "de", NULL, "Merkel sprach gestern.", NULL);
        assert_non_null(topic(f, "geo:DE"));
        run(f, "en", NULL, "Merkel spoke yesterday.", NULL);
        assert_non_null(topic(f, "geo:DE"));
        run(f, "fi", NULL, "Merkel puhui eilen.", NULL);
        assert_non_null(topic(f, "geo:DE"));
        run(f, NULL, NULL, "Merkel ??", NULL);
        assert_non_null(topic(f, "geo:DE"));
        /* A language-specific keyword does not leak into other languages. */
        run(f, "fr", NULL, "Deutschland Deutschland.", NULL);
        assert_null(topic(f, "geo:DE"));
}

static void test_learned_stem_bigram(void **state)
{
        struct fx *f = *state;
        run(f, "en", NULL, "The central bank held its main rate.", NULL);
        json_t *t = topic(f, "central-banks");
        assert_non_null(t);
        assert_true(evidence_has(t, "central bank"));
        run(f, "en", NULL, "The bank in the central square.", NULL);
        assert_null(topic(f, "central-banks"));
}

/* Only a phrase, nothing else: the first stem exists only as a look-ahead
 * anchor (a compiled-pool sizing case that once overflowed). */
static void test_phrase_only_taxonomy(void **state)
{
        struct fx *f = *state;
        struct taxonomy *tx = load_files(f->pool, "phrase-only.json", NULL);
        f->o.topic_min_score = 0.5;
        run_tx(f, tx, "en", NULL, "The prime minister resigned.", NULL);
        assert_int_equal(f->r.n_topics, 1);
        assert_string_equal(f->r.topic_tags[0].id, "head-of-government");
        run_tx(f, tx, "en", NULL, "The prime number.", NULL);
        assert_int_equal(f->r.n_topics, 0);
        result_clear(f);
        taxonomy_destroy(tx);
}

/* Learned section models have threshold -1000: the best label wins, but only
 * among labels the article has evidence for, never by bias alone. */
static void test_bias_alone_assigns_nothing(void **state)
{
        struct fx *f = *state;
        struct taxonomy *tx = load_files(f->pool, "learned-like.json", NULL);
        run_tx(f, tx, "en", NULL, "Nothing here matches.", NULL);
        assert_null(f->r.section_id);
        run_tx(f, tx, "de", NULL, "Rate rate rate.", NULL); /* stems are en only */
        assert_null(f->r.section_id);
        run_tx(f, tx, "en", NULL, "The bank rate.", NULL);
        /* low-bias: -0.5 + 0.3 x + 0.4 x < high-bias's 0.5, yet high-bias has no evidence */
        assert_non_null(f->r.section_id);
        assert_string_equal(f->r.section_id, "low-bias");
        assert_true(f->r.section_score < 0.5);
        run_tx(f, tx, "en", NULL, "The bank rate and a goal.", NULL);
        assert_string_equal(f->r.section_id, "high-bias");
        /* Negative scores print as the json_t path would: -0.5 + 0.3 = -0.2. */
        f->o.json_text = 1;
        run_tx(f, tx, "en", NULL, "A rate.", NULL);
        assert_string_equal(f->r.section_id, "low-bias");
        assert_non_null(strstr(f->r.section_text, "\"score\":-0.2,"));
        f->o.json_text = 0;
        result_clear(f);
        taxonomy_destroy(tx);
}

static void test_top_k_and_order(void **state)
{
        struct fx *f = *state;
        const char *body = "Election vote ballot. Germany German Merkel. The central bank. Zebra.";
        run(f, "en", NULL, body, NULL);
        size_t all = json_array_size(f->r.topics);
        assert_true(all >= 4);
        assert_int_equal(all, f->r.n_topics);
        for (size_t i = 1; i < all; i++)
                assert_true(f->r.topic_tags[i - 1].score >= f->r.topic_tags[i].score);
        f->o.topics_top_k = 2;
        run(f, "en", NULL, body, NULL);
        assert_int_equal(json_array_size(f->r.topics), 2);
        assert_int_equal(f->r.n_topics, 2);
        f->o.topics_top_k = 0;
        run(f, "en", NULL, body, NULL);
        assert_int_equal(json_array_size(f->r.topics), 0);
}

static void test_ties_are_deterministic(void **state)
{
        struct fx *f = *state;
        f->o.topics_top_k = 1;
        run(f, "en", NULL, "A zebra and another zebra.", NULL);
        assert_int_equal(f->r.n_topics, 1);
        assert_string_equal(f->r.topic_tags[0].id, "alpha");
        /* Same labels defined in the opposite order: same winner. */
        struct taxonomy *rev = load_files(f->pool, "ties-reversed.json", NULL);
        run_tx(f, rev, "en", NULL, "A zebra and another zebra.", NULL);
        assert_int_equal(f->r.n_topics, 1);
        assert_string_equal(f->r.topic_tags[0].id, "alpha");
        f->o.topics_top_k = 5;
        run_tx(f, rev, "en", NULL, "A zebra and another zebra.", NULL);
        assert_int_equal(f->r.n_topics, 2);
        assert_string_equal(f->r.topic_tags[0].id, "alpha");
        assert_string_equal(f->r.topic_tags[1].id, "beta");
        result_clear(f);
        taxonomy_destroy(rev);
}

static void test_length_normalisation(void **state)
{
        struct fx *f = *state;
        run(f, "en", NULL, "The election.", NULL);
        double short_score = f->r.topic_tags[0].score;
        char body[20000] = "The election.";
        for (int i = 0; i < 400; i++) {
                char w[32];
                snprintf(w, sizeof(w), " filler%d", i);
                strcat(body, w);
        }
        run(f, "en", NULL, body, NULL);
        json_t *t = topic(f, "elections");
        double long_score = t ? json_real_value(json_object_get(t, "score")) : 0.0;
        assert_true(long_score < short_score);
}

static void test_explain_and_repeatable(void **state)
{
        struct fx *f = *state;
        f->o.explain = 1;
        const char *body = "The prime minister told parliament about inflation and the football.";
        run(f, "en", "Election", body, "Inland");
        char *first = json_dumps(f->r.explain, JSON_COMPACT | JSON_SORT_KEYS);
        char *sec1 = json_dumps(f->r.section, JSON_COMPACT | JSON_SORT_KEYS);
        assert_non_null(strstr(first, "\"keyword\":\"prime minister:2.5\""));
        assert_non_null(strstr(first, "\"keyword\":\"-football:3\""));
        assert_non_null(strstr(first, "\"prior\":2"));
        run(f, "en", "Election", body, "Inland");
        char *second = json_dumps(f->r.explain, JSON_COMPACT | JSON_SORT_KEYS);
        char *sec2 = json_dumps(f->r.section, JSON_COMPACT | JSON_SORT_KEYS);
        assert_string_equal(first, second);
        assert_string_equal(sec1, sec2);
        free(first);
        free(second);
        free(sec1);
        free(sec2);
}

/* The hot path's pre-rendered JSON text says exactly what the json_t path says,
 * including escaping of the source label. */
static void test_json_text_matches_tree(void **state)
{
        struct fx *f = *state;
        const char *hints[] = {"Politik", "Odd \"label\"\\ \x01", NULL};
        for (size_t h = 0; h < 3; h++) {
                const char *body = "The prime minister told parliament: Merkel, the central "
                                   "bank, a ballot and a zebra.";
                f->o.json_text = 0;
                run(f, "en", "Election", body, hints[h]);
                json_t *sec = json_incref(f->r.section), *top = json_incref(f->r.topics);
                f->o.json_text = 1;
                run(f, "en", "Election", body, hints[h]);
                assert_null(f->r.section);
                assert_non_null(f->r.section_text);
                json_error_t e;
                json_t *sec2 =
                    json_loadb(f->r.section_text, f->r.section_text_len, JSON_DECODE_ANY, &e);
                json_t *top2 = json_loadb(f->r.topics_text, f->r.topics_text_len, 0, &e);
                assert_non_null(sec2);
                assert_non_null(top2);
                assert_true(json_equal(sec, sec2));
                assert_true(json_equal(top, top2));
                assert_true(json_array_size(top2) >= 3);
                json_decref(sec);
                json_decref(top);
                json_decref(sec2);
                json_decref(top2);
        }
        /* No section at all: the text is null. */
        run(f, "en", NULL, "Nothing to see.", NULL);
        assert_int_equal(f->r.section_text_len, 4);
        assert_memory_equal(f->r.section_text, "null", 4);
}

static void test_skip_json(void **state)
{
        struct fx *f = *state;
        f->o.skip_json = 1;
        run(f, "en", NULL, "Parliament and the election.", NULL);
        assert_null(f->r.section);
        assert_null(f->r.topics);
        assert_string_equal(f->r.section_id, "politics");
        assert_true(f->r.n_topics >= 1);
}

static void test_features(void **state)
{
        struct fx *f = *state;
        text_tokens_reset(&f->toks);
        const char *s = "alpha beta alpha beta gamma";
        assert_int_equal(text_tokenize(&f->toks, s, strlen(s), TEXT_FIELD_BODY, "en"), 0);
        assert_int_equal(stem_tokens(f->pool, stem_lang_from_iso("en"), &f->toks), 0);
        const struct classify_feature *fv;
        long n = classify_features(f->c, &f->toks, 3.0, &fv);
        /* 3 stems + bigrams "alpha beta", "beta alpha", "beta gamma". */
        assert_int_equal(n, 6);
        int twice = 0;
        for (long i = 0; i < n; i++)
                if (fv[i].value > 1.5)
                        twice++;
        assert_int_equal(twice, 3); /* alpha, beta, "alpha beta": 1 + ln 2 */
}

/* Learns from tests/data/labelled-tiny.jsonl (read with Jansson here: the
 * CLI's reader is not part of the core library). */
static json_t *train_tiny(struct fx *f, uint64_t seed, int kind)
{
        char path[1100];
        snprintf(path, sizeof(path), "%s/labelled-tiny.jsonl", data_dir);
        FILE *in = fopen(path, "r");
        assert_non_null(in);
        struct learn *l = learn_new();
        assert_non_null(l);
        char line[4096];
        while (fgets(line, sizeof(line), in)) {
                json_t *o = json_loads(line, 0, NULL);
                assert_non_null(o);
                const char *title = json_string_value(json_object_get(o, "title"));
                const char *body = json_string_value(json_object_get(o, "body"));
                const char *label = json_string_value(json_object_get(o, "label"));
                text_tokens_reset(&f->toks);
                assert_int_equal(
                    text_tokenize(&f->toks, title, strlen(title), TEXT_FIELD_TITLE, "en"), 0);
                assert_int_equal(text_tokenize(&f->toks, body, strlen(body), TEXT_FIELD_BODY, "en"),
                                 0);
                int lang = stem_lang_from_iso("en");
                assert_int_equal(stem_tokens(f->pool, lang, &f->toks), 0);
                assert_int_equal(learn_add(l, f->c, lang, &f->toks, 3.0, &label, 1), 0);
                json_decref(o);
        }
        fclose(in);
        assert_int_equal(learn_count(l), 12);
        struct learn_options lo;
        learn_options_default(&lo);
        lo.seed = seed;
        lo.kind = kind;
        lo.min_df = 1;
        lo.folds = 2;
        char err[256];
        json_t *model = learn_train(l, &lo, "tiny", "1", NULL, err, sizeof(err));
        if (!model)
                fail_msg("learn_train: %s", err);
        learn_destroy(l);
        return model;
}

static void test_train_tiny_deterministic(void **state)
{
        struct fx *f = *state;
        json_t *a = train_tiny(f, 7, 0), *b = train_tiny(f, 7, 0);
        char *sa = json_dumps(a, JSON_SORT_KEYS | JSON_COMPACT);
        char *sb = json_dumps(b, JSON_SORT_KEYS | JSON_COMPACT);
        assert_string_equal(sa, sb);
        assert_int_equal(json_array_size(json_object_get(a, "labels")), 3);

        /* The learned file is an ordinary taxonomy: load it and classify. */
        char path[] = "/tmp/stemtag-test-model-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(json_dump_file(a, path, JSON_INDENT(1)), 0);
        struct stem_pool *pool = f->pool;
        char err[512];
        const char *paths[] = {path, NULL};
        struct taxonomy *tx = taxonomy_load(paths, pool, err, sizeof(err));
        unlink(path);
        if (!tx)
                fail_msg("%s", err);
        run_tx(f, tx, "en", "Rain and wind", "Forecasters warn of a storm with heavy rain.", NULL);
        assert_string_equal(f->r.section_id, "weather");
        run_tx(f, tx, "en", "Late goal", "The team won the league match with a late goal.", NULL);
        assert_string_equal(f->r.section_id, "sport");
        run_tx(f, tx, "en", "Rates",
               "The central bank may raise interest rates as inflation rises.", NULL);
        assert_string_equal(f->r.section_id, "economy");
        result_clear(f);
        taxonomy_destroy(tx);
        free(sa);
        free(sb);
        json_decref(a);
        json_decref(b);

        /* Topic kind writes per-label thresholds from cross-validation. */
        json_t *t = train_tiny(f, 7, 1);
        size_t i;
        json_t *lab;
        json_array_foreach(json_object_get(t, "labels"), i, lab)
        {
                assert_string_equal(json_string_value(json_object_get(lab, "kind")), "topic");
                assert_true(json_is_number(json_object_get(lab, "threshold")));
                assert_true(json_object_size(json_object_get(json_object_get(lab, "stems"), "en")) >
                            0);
        }
        json_decref(t);
}

int main(void)
{
        const char *d = getenv("STEMTAG_TEST_DATA");
        if (!d) {
                fprintf(stderr, "STEMTAG_TEST_DATA not set\n");
                return 77;
        }
        snprintf(data_dir, sizeof(data_dir), "%s", d);
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_section_and_json, setup, teardown),
            cmocka_unit_test_setup_teardown(test_keywords_stemmed_at_load, setup, teardown),
            cmocka_unit_test_setup_teardown(test_phrase_needs_consecutive_stems, setup, teardown),
            cmocka_unit_test_setup_teardown(test_negative_keyword, setup, teardown),
            cmocka_unit_test_setup_teardown(test_evidence_standard, setup, teardown),
            cmocka_unit_test_setup_teardown(test_alias_prior, setup, teardown),
            cmocka_unit_test_setup_teardown(test_title_weight, setup, teardown),
            cmocka_unit_test_setup_teardown(test_star_language, setup, teardown),
            cmocka_unit_test_setup_teardown(test_learned_stem_bigram, setup, teardown),
            cmocka_unit_test_setup_teardown(test_phrase_only_taxonomy, setup, teardown),
            cmocka_unit_test_setup_teardown(test_bias_alone_assigns_nothing, setup, teardown),
            cmocka_unit_test_setup_teardown(test_top_k_and_order, setup, teardown),
            cmocka_unit_test_setup_teardown(test_ties_are_deterministic, setup, teardown),
            cmocka_unit_test_setup_teardown(test_length_normalisation, setup, teardown),
            cmocka_unit_test_setup_teardown(test_explain_and_repeatable, setup, teardown),
            cmocka_unit_test_setup_teardown(test_json_text_matches_tree, setup, teardown),
            cmocka_unit_test_setup_teardown(test_skip_json, setup, teardown),
            cmocka_unit_test_setup_teardown(test_features, setup, teardown),
            cmocka_unit_test_setup_teardown(test_train_tiny_deterministic, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
