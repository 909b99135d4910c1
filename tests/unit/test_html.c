/* html: HTML pages and fragments (html.c) and their way through the pipeline:
 * sniffing, charsets (declared, BOM, undeclared, ill-formed), main text and
 * metadata of pages we wrote (tests/data/html: an English news page with a
 * cookie banner, navigation, share bar, related list and footer; a German
 * ISO-8859-1 page with JSON-LD and reader comments; a French WordPress-style
 * blog post with a sidebar), fragments with character references, hostile
 * markup, and the rule that a page's tags equal the tags of its own text sent
 * as a clean JSON article. */
#include <iconv.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "html.h"
#include "pipeline.h"

static char *read_fixture(const char *name, size_t *len)
{
        char path[1024];
        snprintf(path, sizeof(path), "%s/html/%s", getenv("STEMTAG_TEST_DATA"), name);
        FILE *f = fopen(path, "rb");
        if (!f)
                fail_msg("%s: cannot open", path);
        char *buf = malloc(1 << 20);
        assert_non_null(buf);
        *len = fread(buf, 1, (1 << 20) - 1, f);
        buf[*len] = '\0';
        fclose(f);
        return buf;
}

static void test_sniffing(void **state)
{
        (void)state;
        static const char *const pages[] = {"<!DOCTYPE html><html>",
                                            "  \n<html lang=\"de\">",
                                            "\xEF\xBB\xBF<!doctype HTML>",
                                            "<!-- generated --><HTML><body>",
                                            "<?xml version=\"1.0\"?><!DOCTYPE html>",
                                            "<head>"};
        for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
                if (!html_is_page(pages[i], strlen(pages[i])))
                        fail_msg("not a page: %s", pages[i]);
        static const char *const not_pages[] = {"{\"title\":\"<html>\"}", "Hello <html>",
                                                "<p>fragment</p>", "", "<!-- unterminated"};
        for (size_t i = 0; i < sizeof(not_pages) / sizeof(not_pages[0]); i++)
                if (html_is_page(not_pages[i], strlen(not_pages[i])))
                        fail_msg("a page: %s", not_pages[i]);
        static const char *const markup[] = {"<p>Hi</p>", "a<br>b",       "f&uuml;r",
                                             "caf&#233;", "x &#x2019; y", "<div class=\"x\">",
                                             "<!-- c -->"};
        for (size_t i = 0; i < sizeof(markup) / sizeof(markup[0]); i++)
                if (!html_has_markup(markup[i], strlen(markup[i])))
                        fail_msg("no markup seen in: %s", markup[i]);
        static const char *const prose[] = {
            "a < b and c > d", "Fish & chips", "AT&T", "x<y", "if (a<b) return;", "&;"};
        for (size_t i = 0; i < sizeof(prose) / sizeof(prose[0]); i++)
                if (html_has_markup(prose[i], strlen(prose[i])))
                        fail_msg("markup seen in prose: %s", prose[i]);
}

static void test_english_news_page(void **state)
{
        (void)state;
        size_t len;
        char *page = read_fixture("en-news.html", &len);
        struct html_page p;
        html_page_init(&p);
        char err[160];
        assert_int_equal(html_read_page(&p, page, len, 0, err, sizeof(err)), HTML_OK);
        assert_string_equal(p.charset, "UTF-8");
        assert_string_equal(p.title, "Central bank raises interest rates again");
        assert_string_equal(p.published, "2025-03-14T09:30:00Z");
        assert_string_equal(p.url, "https://example.com/business/rates-rise");
        assert_string_equal(p.lang, "en-GB");
        assert_string_equal(p.section, "Business");
        assert_string_equal(p.site, "Daily Planet");
        /* the article's paragraphs, subheading and list, in order, blank-line separated */
        const char *first = strstr(p.text, "The central bank raised its main interest rate");
        const char *sub = strstr(p.text, "\n\nMortgages will cost more\n\n");
        const char *item = strstr(p.text, "Main rate: 4.25 percent");
        assert_non_null(first);
        assert_non_null(sub);
        assert_non_null(item);
        assert_true(first < sub && sub < item);
        assert_true(first == p.text); /* the headline is the title, not body text */
        /* and nothing around it */
        static const char *const absent[] = {
            "cookies",     "Sport",     "By Lois Lane", "Share on", "Read more",
            "Pound falls", "Copyright", "Privacy",      "tracking", "cookie-banner"};
        for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
                if (strstr(p.text, absent[i]))
                        fail_msg("boilerplate \"%s\" in the text: %s", absent[i], p.text);
        assert_int_equal(strlen(p.text), p.text_len);
        html_page_free(&p);
        free(page);
}

static void test_german_latin1_page(void **state)
{
        (void)state;
        size_t len;
        char *page = read_fixture("de-news-latin1.html", &len);
        struct html_page p;
        html_page_init(&p);
        char err[160];
        assert_int_equal(html_read_page(&p, page, len, 0, err, sizeof(err)), HTML_OK);
        /* iso-8859-1 is read as windows-1252, as browsers do */
        assert_string_equal(p.charset, "WINDOWS-1252");
        assert_string_equal(p.title, "Bundestag beschließt den Haushalt für 2026");
        assert_string_equal(p.published, "2025-11-28T16:45:00+01:00");
        assert_string_equal(p.section, "Politik");
        assert_string_equal(p.site, "Münchner Bote");
        assert_string_equal(p.lang, "de");
        assert_null(p.url);
        assert_non_null(strstr(p.text, "Sanierung von Brücken und Schienen"));
        assert_non_null(strstr(p.text, "die Länder haben bereits Änderungen verlangt."));
        assert_null(strstr(p.text, "Leser123"));  /* reader comments */
        assert_null(strstr(p.text, "Impressum")); /* footer */
        assert_null(strstr(p.text, "Start | "));  /* navigation */
        html_page_free(&p);
        free(page);
}

static void test_french_blog_page(void **state)
{
        (void)state;
        size_t len;
        char *page = read_fixture("fr-blog.html", &len);
        struct html_page p;
        html_page_init(&p);
        char err[160];
        assert_int_equal(html_read_page(&p, page, len, 0, err, sizeof(err)), HTML_OK);
        /* "<title>Headline – Site" whose headline is the h1 */
        assert_string_equal(p.title, "Le Tour de France part de Lille");
        assert_string_equal(p.published, "2025-07-05T10:00:00+02:00");
        assert_string_equal(p.url, "https://velo.example.fr/tour-lille/");
        assert_string_equal(p.lang, "fr-FR");
        /* character references decoded; the classes "has-sidebar" and "tag-..." on
         * the wrappers do not hide the post */
        assert_non_null(strstr(p.text, "Le Tour de France s’est élancé samedi de Lille"));
        assert_non_null(strstr(p.text, "d’une arrivée très disputée"));
        assert_null(strstr(p.text, "Articles récents"));
        assert_null(strstr(p.text, "Giro"));
        html_page_free(&p);
        free(page);
}

/* Converts UTF-8 @p s to @p to with iconv into a new buffer (test helper). */
static char *encode(const char *s, const char *to, size_t *out_len)
{
        iconv_t cd = iconv_open(to, "UTF-8");
        assert_true(cd != (iconv_t)-1);
        size_t inleft = strlen(s), cap = inleft * 4 + 16, outleft = cap;
        char *buf = malloc(cap), *in = (char *)s, *out = buf;
        assert_non_null(buf);
        assert_true(iconv(cd, &in, &inleft, &out, &outleft) != (size_t)-1);
        iconv_close(cd);
        *out_len = cap - outleft;
        return buf;
}

static void test_charsets(void **state)
{
        (void)state;
        struct html_page p;
        html_page_init(&p);
        char err[160];
        /* UTF-16LE with its BOM */
        size_t n;
        char *body = encode("<html><body><p>Über den Wolken, größer als gedacht.</p></body></html>",
                            "UTF-16LE", &n);
        char *page = malloc(n + 2);
        memcpy(page, "\xFF\xFE", 2);
        memcpy(page + 2, body, n);
        assert_int_equal(html_read_page(&p, page, n + 2, 0, err, sizeof(err)), HTML_OK);
        assert_string_equal(p.charset, "UTF-16LE");
        assert_string_equal(p.text, "Über den Wolken, größer als gedacht.");
        free(body);
        free(page);
        /* a declared legacy charset iconv knows (KOI8-R) */
        const char *ru = "<html><head><meta charset=\"koi8-r\"></head><body><p>Правительство "
                         "России</p></body></html>";
        page = encode(ru, "KOI8-R", &n);
        assert_int_equal(html_read_page(&p, page, n, 0, err, sizeof(err)), HTML_OK);
        assert_string_equal(p.charset, "koi8-r");
        assert_string_equal(p.text, "Правительство России");
        free(page);
        /* nothing declared and not UTF-8: windows-1252 (0x80 is the euro sign) */
        const char undeclared[] = "<html><body><p>Preis: 5 \x80 f\xfcr alle</p></body></html>";
        assert_int_equal(
            html_read_page(&p, undeclared, sizeof(undeclared) - 1, 0, err, sizeof(err)), HTML_OK);
        assert_string_equal(p.text, "Preis: 5 € für alle");
        /* declared UTF-8 but ill-formed: rejected, or repaired on request */
        const char bad[] = "<html><head><meta charset=\"utf-8\"></head><body><p>caf\xe9 au "
                           "lait</p></body></html>";
        assert_int_equal(html_read_page(&p, bad, sizeof(bad) - 1, 0, err, sizeof(err)),
                         HTML_ILL_FORMED);
        assert_non_null(strstr(err, "UTF-8"));
        assert_int_equal(html_read_page(&p, bad, sizeof(bad) - 1, 1, err, sizeof(err)), HTML_OK);
        assert_int_equal(p.repaired, 1);
        assert_string_equal(p.text, "caf\xEF\xBF\xBD au lait");
        html_page_free(&p);
}

static void test_fragments(void **state)
{
        (void)state;
        struct html_page p;
        html_page_init(&p);
        const char *f = "<p>F&uuml;r Caf&eacute; &amp; Bar</p><script>var x = 1;</script>"
                        "<p>Zweiter&nbsp;Absatz mit <b>fett</b> und<br>Umbruch</p>";
        assert_int_equal(html_read_fragment(&p, f, strlen(f)), HTML_OK);
        assert_string_equal(p.text, "Für Café & Bar\n\nZweiter Absatz mit fett und Umbruch");
        /* a fragment is converted whole: no extraction drops a short paragraph */
        const char *g = "<div class=\"share\"><p>Kurz.</p></div>";
        assert_int_equal(html_read_fragment(&p, g, strlen(g)), HTML_OK);
        assert_string_equal(p.text, "Kurz.");
        html_page_free(&p);
}

static void test_hostile_markup(void **state)
{
        (void)state;
        struct html_page p;
        html_page_init(&p);
        char err[160];
        /* 100,000-deep nesting: bounded, one answer, no stack exhaustion */
        size_t depth = 100000, n = 0;
        char *deep = malloc(depth * 11 + 64);
        n += (size_t)sprintf(deep, "<html><body>");
        for (size_t i = 0; i < depth; i++)
                memcpy(deep + n, "<div>", 5), n += 5;
        n += (size_t)sprintf(deep + n, "deep text");
        for (size_t i = 0; i < depth; i++)
                memcpy(deep + n, "</div>", 6), n += 6;
        assert_int_equal(html_read_page(&p, deep, n, 0, err, sizeof(err)), HTML_OK);
        free(deep);
        /* megabytes of inline script and a base64 image: none of it is text */
        size_t big = 3u << 20;
        char *s = malloc(big + 256);
        n = (size_t)sprintf(s, "<html><body><p>Short article text that matters here, really it "
                               "does, with enough words to count as a paragraph.</p><script>");
        memset(s + n, 'x', big / 2);
        n += big / 2;
        n += (size_t)sprintf(s + n, "</script><img src=\"data:image/png;base64,");
        memset(s + n, 'A', big / 2);
        n += big / 2;
        n += (size_t)sprintf(s + n, "\"></body></html>");
        assert_int_equal(html_read_page(&p, s, n, 0, err, sizeof(err)), HTML_OK);
        assert_non_null(strstr(p.text, "Short article text"));
        assert_null(strstr(p.text, "xxxx"));
        assert_null(strstr(p.text, "AAAA"));
        free(s);
        /* unclosed and misnested tags */
        const char *mess = "<html><body><p>One <b>two <i>three</b> four</i><p>Five <div>six";
        assert_int_equal(html_read_page(&p, mess, strlen(mess), 0, err, sizeof(err)), HTML_OK);
        assert_non_null(strstr(p.text, "One two three four"));
        /* binary data announced as HTML: an answer, not a crash */
        char bin[4096];
        memcpy(bin, "<html>", 6);
        for (size_t i = 6; i < sizeof(bin); i++)
                bin[i] = (char)((i * 7919u) >> 3);
        enum html_status rc = html_read_page(&p, bin, sizeof(bin), 1, err, sizeof(err));
        assert_true(rc == HTML_OK);
        html_page_free(&p);
}

/* Through the pipeline: a page's record carries the page's metadata, and its
 * tags are the tags of the same article sent as a clean JSON message. */
static void test_page_tags_equal_clean_text(void **state)
{
        (void)state;
        char langid[1200], tx[1200];
        snprintf(langid, sizeof(langid), "%s/config/langid.model", getenv("STEMTAG_SOURCE_DIR"));
        snprintf(tx, sizeof(tx), "%s/config/taxonomy", getenv("STEMTAG_SOURCE_DIR"));
        const char *paths[2] = {tx, NULL};
        struct pipeline_options o;
        pipeline_options_default(&o);
        o.langid_model_path = langid;
        o.taxonomy_paths = paths;
        o.record_body = 1;
        o.processed_at = "2026-01-01T00:00:00.000Z";
        char err[512];
        struct pipeline_model *m = pipeline_model_load(&o, err, sizeof(err));
        if (!m)
                fail_msg("%s", err);
        struct pipeline_ctx *c = pipeline_ctx_new(&o);
        assert_non_null(c);
        static const char *const pages[] = {"en-news.html", "de-news-latin1.html", "fr-blog.html"};
        for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
                size_t len;
                char *page = read_fixture(pages[i], &len);
                struct pipeline_source src = {.partition = -1, .offset = -1, .line = 1};
                struct pipeline_result r;
                assert_int_equal(pipeline_process(c, m, page, len, &src, &r), 0);
                if (!r.ok)
                        fail_msg("%s: %s %s", pages[i], r.reason, r.message);
                json_error_t je;
                json_t *rec = json_loadb(r.json, r.json_len, 0, &je);
                assert_non_null(rec);
                json_t *sec = json_object_get(rec, "section");
                /* the same article as clean JSON: title, body, desk label, language */
                json_t *clean = json_pack(
                    "{s:O, s:O, s:O, s:s}", "title", json_object_get(rec, "title"), "body",
                    json_object_get(rec, "body"), "section", json_object_get(sec, "source_label"),
                    "language",
                    json_string_value(json_object_get(json_object_get(rec, "language"), "code")));
                assert_non_null(clean);
                char *msg = json_dumps(clean, JSON_COMPACT);
                struct pipeline_result r2;
                assert_int_equal(pipeline_process(c, m, msg, strlen(msg), &src, &r2), 0);
                assert_true(r2.ok);
                json_t *rec2 = json_loadb(r2.json, r2.json_len, 0, &je);
                assert_non_null(rec2);
                char *a =
                    json_dumps(json_object_get(rec, "section"), JSON_COMPACT | JSON_SORT_KEYS);
                char *b =
                    json_dumps(json_object_get(rec2, "section"), JSON_COMPACT | JSON_SORT_KEYS);
                char *ta = json_dumps(json_object_get(rec, "topics"), JSON_COMPACT);
                char *tb = json_dumps(json_object_get(rec2, "topics"), JSON_COMPACT);
                if (strcmp(a, b) || strcmp(ta, tb))
                        fail_msg("%s: page %s %s, clean text %s %s", pages[i], a, ta, b, tb);
                assert_false(json_is_null(sec));
                free(a);
                free(b);
                free(ta);
                free(tb);
                free(msg);
                json_decref(clean);
                json_decref(rec2);
                json_decref(rec);
                free(page);
        }
        pipeline_ctx_destroy(c);
        pipeline_model_unref(m);
}

int main(void)
{
        if (!getenv("STEMTAG_TEST_DATA") || !getenv("STEMTAG_SOURCE_DIR")) {
                fprintf(stderr, "STEMTAG_TEST_DATA / STEMTAG_SOURCE_DIR not set: skipped\n");
                return 77;
        }
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_sniffing),
            cmocka_unit_test(test_english_news_page),
            cmocka_unit_test(test_german_latin1_page),
            cmocka_unit_test(test_french_blog_page),
            cmocka_unit_test(test_charsets),
            cmocka_unit_test(test_fragments),
            cmocka_unit_test(test_hostile_markup),
            cmocka_unit_test(test_page_tags_equal_clean_text),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
