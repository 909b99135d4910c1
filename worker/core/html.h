/* html: HTML pages and fragments -> article text and page metadata.
 *
 * Owns everything between raw HTML bytes and text the tokenizer can read:
 * the charset (BOM, <meta charset>, http-equiv; converted to UTF-8 with
 * glibc iconv, ill-formed bytes rejected or replaced), the parse (libxml2's
 * HTML parser, the one lxml and trafilatura use), main-content extraction for
 * whole pages (headings, paragraphs, lists and quotes of the article in
 * reading order; navigation, headers, footers, comments, share bars, related
 * lists, cookie banners, scripts and styles left out), and page metadata
 * (title, date, canonical URL, language, section, site name).
 * Fragments (markup in a JSON body field) are converted to text whole.
 *
 * Results are borrowed from struct html_page until the next call on it. */
#ifndef STEMTAG_HTML_H
#define STEMTAG_HTML_H

#include <stddef.h>

/** What a page or fragment yields. Strings are NUL-terminated UTF-8, NULL when
 *  the page does not have them. */
struct html_page {
        const char *text; /**< main text; paragraphs separated by a blank line */
        size_t text_len;
        const char *title;     /**< og:title, <title> without the site suffix, or h1 */
        const char *published; /**< as the page writes it (caller normalises) */
        const char *url;       /**< link rel=canonical, else og:url */
        const char *lang;      /**< <html lang>, else og:locale ("de-DE", "de_DE") */
        const char *section;   /**< article:section, JSON-LD articleSection */
        const char *site;      /**< og:site_name, JSON-LD publisher.name */
        const char *charset;   /**< the charset the bytes were read as (static string) */
        int repaired;          /**< 1: ill-formed bytes became U+FFFD */
        /* private: reusable storage */
        char *out, *conv;
        size_t out_len, out_cap, conv_cap;
        char conv_label[40];
};

enum html_status {
        HTML_OK = 0,
        HTML_ILL_FORMED = 1, /**< ill-formed bytes for the charset and no repair asked */
        HTML_NOMEM = -1,
};

void html_page_init(struct html_page *p);
void html_page_free(struct html_page *p);

/**
 * @brief A whole page: charset, parse, main content and metadata.
 * @p repair: 1 replaces ill-formed bytes with U+FFFD, 0 rejects them
 * (HTML_ILL_FORMED with @p err naming the charset and byte offset).
 */
enum html_status html_read_page(struct html_page *p, const char *data, size_t len, int repair,
                                char *err, size_t err_size);

/** @brief A fragment of valid UTF-8 markup (a JSON body field) to text, whole. */
enum html_status html_read_fragment(struct html_page *p, const char *data, size_t len);

/** 1 when @p data opens like an HTML document (doctype, <html>, <head>, after
 *  a BOM, blanks and comments). */
int html_is_page(const char *data, size_t len);

/** 1 when the text holds markup: a tag of HTML's vocabulary or a character
 *  reference (&amp; &#233;), not just a '<' in prose. */
int html_has_markup(const char *s, size_t len);

#endif
