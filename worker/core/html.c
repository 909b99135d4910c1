/* html: see html.h. Extraction works on libxml2's tree in three passes:
 * 1. mark: every element gets its inner text length, link text length and a
 *    boilerplate verdict (tag, role, class/id tokens);
 * 2. choose: a semantic container (itemprop=articleBody, known article-body
 *    classes, <article>) when it holds most of the page's paragraph text,
 *    else the best readability-style candidate (paragraph text credited to
 *    the parent and half to the grandparent, weighed by link density);
 * 3. emit: the block elements below it, in reading order, as paragraphs,
 *    skipping boilerplate subtrees and link lists. */
#define _GNU_SOURCE /* memmem, strcasecmp */
#include "html.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "mem.h"
#include "text.h"

/* Node marks live in node->_private (libxml2 leaves it to applications). */
struct mark {
        uint32_t text;    /* characters of inner text (boilerplate subtrees excluded) */
        uint32_t link;    /* of which inside <a> */
        uint8_t skip;     /* boilerplate: never emitted */
        uint8_t is_block; /* starts a paragraph when emitted */
        uint8_t core;     /* holds the article's core: <article>, <main>, h1, a body class */
        uint8_t suspect;  /* a weak boilerplate class: dropped unless it holds much text */
        uint32_t good;    /* characters of substantial paragraphs below (filter_blocks) */
};

static struct mark *mark_of(const xmlNode *n)
{
        return (struct mark *)n->_private;
}

struct walk {
        struct mark *marks;
        size_t n_marks, cap_marks;
        int oom;
};

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
        xmlInitParser();
}

void html_page_init(struct html_page *p)
{
        memset(p, 0, sizeof(*p));
}

void html_page_free(struct html_page *p)
{
        free(p->out);
        free(p->conv);
        html_page_init(p);
}

/* ---- sniffing -------------------------------------------------------------- */

static int starts_ci(const char *s, size_t n, const char *lit)
{
        size_t l = strlen(lit);
        if (n < l)
                return 0;
        for (size_t i = 0; i < l; i++)
                if (tolower((unsigned char)s[i]) != lit[i])
                        return 0;
        return 1;
}

int html_is_page(const char *s, size_t n)
{
        size_t i = 0;
        if (n >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
                i = 3;
        for (int rounds = 0; rounds < 16; rounds++) {
                while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
                        i++;
                if (i >= n || s[i] != '<')
                        return 0;
                if (starts_ci(s + i, n - i, "<!doctype html") || starts_ci(s + i, n - i, "<html") ||
                    starts_ci(s + i, n - i, "<head"))
                        return 1;
                const char *end = NULL;
                if (starts_ci(s + i, n - i, "<!--"))
                        end = memmem(s + i + 4, n - i - 4, "-->", 3);
                else if (starts_ci(s + i, n - i, "<?xml"))
                        end = memmem(s + i, n - i, "?>", 2);
                if (!end)
                        return 0;
                i = (size_t)(end - s) + (s[i + 1] == '!' ? 3 : 2);
        }
        return 0;
}

/* Tags that make a '<' markup rather than prose ("a < b"). */
static const char *const markup_tags[] = {
    "p",      "br",         "div",     "span",     "a",    "b",   "i",      "em",     "strong",
    "u",      "ul",         "ol",      "li",       "h1",   "h2",  "h3",     "h4",     "h5",
    "h6",     "img",        "table",   "tr",       "td",   "th",  "script", "style",  "blockquote",
    "figure", "figcaption", "section", "article",  "sup",  "sub", "small",  "hr",     "iframe",
    "pre",    "code",       "font",    "center",   "dl",   "dt",  "dd",     "header", "footer",
    "nav",    "main",       "aside",   "cite",     "q",    "s",   "mark",   "time",   "picture",
    "source", "video",      "audio",   "noscript", "label"};

static int tag_at(const char *s, size_t n, size_t i)
{
        /* s[i] == '<' */
        size_t j = i + 1;
        if (j < n && s[j] == '/')
                j++;
        if (j + 3 <= n && !memcmp(s + j, "!--", 3) && i + 1 == j)
                return 1;
        size_t k = j;
        while (k < n && k - j < 12 && isalnum((unsigned char)s[k]))
                k++;
        if (k == j || k >= n ||
            (s[k] != '>' && s[k] != ' ' && s[k] != '/' && s[k] != '\t' && s[k] != '\n' &&
             s[k] != '\r'))
                return 0;
        for (size_t t = 0; t < sizeof(markup_tags) / sizeof(markup_tags[0]); t++) {
                size_t l = strlen(markup_tags[t]);
                if (l == k - j && starts_ci(s + j, k - j, markup_tags[t]))
                        return 1;
        }
        return 0;
}

static int entity_at(const char *s, size_t n, size_t i)
{
        /* s[i] == '&': &name; &#123; &#x1F; */
        size_t j = i + 1;
        if (j < n && s[j] == '#') {
                j++;
                int hex = j < n && (s[j] == 'x' || s[j] == 'X');
                j += hex;
                size_t d = j;
                while (j < n && j - d < 8 &&
                       (hex ? isxdigit((unsigned char)s[j]) : isdigit((unsigned char)s[j])))
                        j++;
                return j > d && j < n && s[j] == ';';
        }
        size_t d = j;
        while (j < n && j - d < 10 && isalpha((unsigned char)s[j]))
                j++;
        return j - d >= 2 && j < n && s[j] == ';';
}

int html_has_markup(const char *s, size_t n)
{
        /* the next '<' and '&', each searched for once per occurrence: linear
         * in the body even when prose holds many of one of them */
        const char *end = s + n;
        const char *lt = memchr(s, '<', n), *amp = memchr(s, '&', n);
        while (lt || amp) {
                if (lt && (!amp || lt < amp)) {
                        if (tag_at(s, n, (size_t)(lt - s)))
                                return 1;
                        lt = memchr(lt + 1, '<', (size_t)(end - lt - 1));
                } else {
                        if (entity_at(s, n, (size_t)(amp - s)))
                                return 1;
                        amp = memchr(amp + 1, '&', (size_t)(end - amp - 1));
                }
        }
        return 0;
}

/* ---- charset ------------------------------------------------------------------ */

/* The value of charset= in [s, s+n): writes it lower-cased into out. */
static int charset_param(const char *s, size_t n, char *out, size_t out_size)
{
        for (size_t i = 0; i + 8 <= n; i++) {
                if (!starts_ci(s + i, n - i, "charset"))
                        continue;
                size_t j = i + 7;
                while (j < n && (s[j] == ' ' || s[j] == '\t'))
                        j++;
                if (j >= n || s[j] != '=')
                        continue;
                j++;
                while (j < n && (s[j] == ' ' || s[j] == '\t' || s[j] == '"' || s[j] == '\''))
                        j++;
                size_t k = 0;
                while (j < n && k + 1 < out_size &&
                       (isalnum((unsigned char)s[j]) || s[j] == '-' || s[j] == '_' || s[j] == ':' ||
                        s[j] == '.'))
                        out[k++] = (char)tolower((unsigned char)s[j++]);
                out[k] = '\0';
                return k > 0;
        }
        return 0;
}

/* HTML's "prescan a byte stream to determine its encoding", reduced: the
 * first <meta> in the first 4 KB with charset= (or http-equiv content). It
 * reads bytes, not markup: the parse itself is libxml2's. */
static int declared_charset(const char *s, size_t n, char *out, size_t out_size)
{
        if (n > 4096)
                n = 4096;
        for (size_t i = 0; i + 5 < n; i++) {
                if (s[i] != '<' || !starts_ci(s + i + 1, n - i - 1, "meta"))
                        continue;
                const char *end = memchr(s + i, '>', n - i);
                size_t len = end ? (size_t)(end - (s + i)) : n - i;
                if (charset_param(s + i, len, out, out_size))
                        return 1;
        }
        return 0;
}

/* Canonical iconv name for a declared label; HTML maps latin1/ascii to
 * windows-1252 (what browsers and pages mean by them). */
static const char *charset_canonical(const char *label)
{
        static const struct {
                const char *label, *name;
        } map[] = {{"utf-8", "UTF-8"},
                   {"utf8", "UTF-8"},
                   {"unicode-1-1-utf-8", "UTF-8"},
                   {"iso-8859-1", "WINDOWS-1252"},
                   {"iso8859-1", "WINDOWS-1252"},
                   {"latin1", "WINDOWS-1252"},
                   {"us-ascii", "WINDOWS-1252"},
                   {"ascii", "WINDOWS-1252"},
                   {"windows-1252", "WINDOWS-1252"},
                   {"cp1252", "WINDOWS-1252"},
                   {"x-cp1252", "WINDOWS-1252"}};
        for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
                if (!strcmp(label, map[i].label))
                        return map[i].name;
        return NULL;
}

static int conv_reserve(struct html_page *p, size_t need)
{
        return mem_grow((void **)&p->conv, &p->conv_cap, need, 1);
}

/* Doubles p->conv while iconv writes into it at *out (*outleft bytes left). */
static int conv_double(struct html_page *p, char **out, size_t *outleft)
{
        size_t used = (size_t)(*out - p->conv);
        if (p->conv_cap > SIZE_MAX / 2 || conv_reserve(p, p->conv_cap * 2))
                return -1;
        *out = p->conv + used;
        *outleft = p->conv_cap - used - 1;
        return 0;
}

/* Converts [s, s+n) from @p from to UTF-8 into p->conv. 0, 1 ill-formed (no
 * repair), -1 out of memory, 2 unknown charset. */
static int convert(struct html_page *p, const char *from, const char *s, size_t n, int repair,
                   size_t *out_len, size_t *bad_at)
{
        iconv_t cd = iconv_open("UTF-8", from);
        if (cd == (iconv_t)-1)
                return 2;
        if (n > (SIZE_MAX - 16) / 4 || conv_reserve(p, n * 4 + 16)) {
                iconv_close(cd);
                return -1;
        }
        char *in = (char *)s, *out = p->conv;
        size_t inleft = n, outleft = p->conv_cap - 1;
        int rc = 0;
        while (inleft) {
                if (iconv(cd, &in, &inleft, &out, &outleft) != (size_t)-1)
                        break;
                if (errno == E2BIG) {
                        if (conv_double(p, &out, &outleft)) {
                                rc = -1;
                                break;
                        }
                        continue;
                }
                /* EILSEQ or EINVAL (truncated at the end): one bad byte */
                if (!repair) {
                        *bad_at = (size_t)(in - s);
                        rc = 1;
                        break;
                }
                if (outleft < 3 && conv_double(p, &out, &outleft)) {
                        rc = -1;
                        break;
                }
                memcpy(out, "\xEF\xBF\xBD", 3);
                out += 3;
                outleft -= 3;
                in++;
                inleft--;
                p->repaired = 1;
        }
        iconv_close(cd);
        *out_len = (size_t)(out - p->conv);
        return rc;
}

/* Leaves UTF-8 bytes of the page in *s / *n (p->conv when converted). */
static enum html_status decode(struct html_page *p, const char **s, size_t *n, int repair,
                               char *err, size_t err_size)
{
        const char *d = *s;
        size_t len = *n;
        const char *from = NULL;
        if (len >= 3 && !memcmp(d, "\xEF\xBB\xBF", 3)) {
                d += 3;
                len -= 3;
                from = "UTF-8";
        } else if (len >= 2 && !memcmp(d, "\xFF\xFE", 2)) {
                from = "UTF-16LE";
                d += 2;
                len -= 2;
        } else if (len >= 2 && !memcmp(d, "\xFE\xFF", 2)) {
                from = "UTF-16BE";
                d += 2;
                len -= 2;
        } else {
                char label[40];
                if (declared_charset(d, len, label, sizeof(label))) {
                        from = charset_canonical(label);
                        if (!from) {
                                /* any other label iconv knows (koi8-r, windows-1251, gbk...) */
                                iconv_t cd = iconv_open("UTF-8", label);
                                if (cd != (iconv_t)-1) {
                                        iconv_close(cd);
                                        from = "declared";
                                        snprintf(p->conv_label, sizeof(p->conv_label), "%s", label);
                                }
                        }
                }
        }
        size_t bad;
        if (!from || !strcmp(from, "UTF-8")) {
                /* declared UTF-8, or nothing said: UTF-8 when the bytes are;
                 * undeclared bytes that are not are windows-1252 (the web's default). */
                if (text_utf8_validate(d, len, &bad) == 0) {
                        p->charset = "UTF-8";
                        *s = d;
                        *n = len;
                        return HTML_OK;
                }
                if (from && !repair) {
                        snprintf(err, err_size, "ill-formed UTF-8 at byte %zu of the page", bad);
                        return HTML_ILL_FORMED;
                }
                if (from) {
                        if (len > SIZE_MAX / 3 - 1 || conv_reserve(p, len * 3 + 1))
                                return HTML_NOMEM;
                        *n = text_utf8_repair(p->conv, d, len);
                        *s = p->conv;
                        p->charset = "UTF-8";
                        p->repaired = 1;
                        return HTML_OK;
                }
                from = "WINDOWS-1252";
        }
        const char *name = !strcmp(from, "declared") ? p->conv_label : from;
        size_t out_len = 0;
        int rc = convert(p, name, d, len, repair, &out_len, &bad);
        if (rc == 2) { /* unknown after all: read as windows-1252 */
                name = "WINDOWS-1252";
                rc = convert(p, name, d, len, repair, &out_len, &bad);
        }
        if (rc < 0)
                return HTML_NOMEM;
        if (rc == 1) {
                snprintf(err, err_size, "ill-formed %s at byte %zu of the page", name, bad);
                return HTML_ILL_FORMED;
        }
        p->charset = name;
        *s = p->conv;
        *n = out_len;
        return HTML_OK;
}

/* ---- output ------------------------------------------------------------------- */

/* Text goes to p->out with whitespace collapsed; blocks are separated by a
 * blank line. Metadata strings follow the text, each NUL-terminated; their
 * offsets become pointers once the buffer stops moving. */
/* One emitted paragraph, for the context filter (filter_blocks). */
struct block_info {
        size_t off, len;      /* in p->out */
        xmlNode *node;        /* the block element its text came from */
        uint32_t chars, link; /* characters, of which inside links */
        uint8_t heading;
        uint8_t keep;
};

struct out {
        struct html_page *p;
        int oom;
        int pending_space; /* whitespace seen since the last character */
        int in_block;      /* characters written in the current block */
        /* extraction only: the blocks written so far */
        int track;
        struct block_info *blocks;
        size_t n_blocks, cap_blocks;
        size_t block_off;
        uint32_t chars, link;
        int link_depth, heading_depth, block_heading;
        xmlNode *cur_block, *block_node;
};

static void out_put(struct out *o, const char *s, size_t n)
{
        struct html_page *p = o->p;
        if (o->oom)
                return;
        if (p->out_len > SIZE_MAX - n - 2 ||
            mem_grow((void **)&p->out, &p->out_cap, p->out_len + n + 2, 1)) {
                o->oom = 1;
                return;
        }
        memcpy(p->out + p->out_len, s, n);
        p->out_len += n;
}

static int is_space(unsigned char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* U+00A0 (no-break space) is collapsed like a blank. */
static void out_text(struct out *o, const char *s, size_t n)
{
        size_t i = 0;
        while (i < n) {
                unsigned char c = (unsigned char)s[i];
                if (is_space(c)) {
                        o->pending_space = 1;
                        i++;
                        continue;
                }
                if (c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] == 0xA0) {
                        o->pending_space = 1;
                        i += 2;
                        continue;
                }
                size_t j = i;
                while (
                    j < n && !is_space((unsigned char)s[j]) &&
                    !((unsigned char)s[j] == 0xC2 && j + 1 < n && (unsigned char)s[j + 1] == 0xA0))
                        j++;
                if (o->in_block && o->pending_space)
                        out_put(o, " ", 1);
                if (!o->in_block) {
                        o->block_off = o->p->out_len;
                        o->block_heading = o->heading_depth > 0;
                        o->block_node = o->cur_block;
                }
                out_put(o, s + i, j - i);
                if (o->track) {
                        uint32_t nc = 0;
                        for (size_t k = i; k < j; k++)
                                nc += ((unsigned char)s[k] & 0xC0) != 0x80;
                        o->chars += nc;
                        if (o->link_depth > 0)
                                o->link += nc;
                }
                o->in_block = 1;
                o->pending_space = 0;
                i = j;
        }
}

static void out_block_end(struct out *o)
{
        if (o->in_block && o->track) {
                if (mem_grow((void **)&o->blocks, &o->cap_blocks, o->n_blocks + 1,
                             sizeof(*o->blocks)))
                        o->oom = 1;
                else
                        o->blocks[o->n_blocks++] =
                            (struct block_info){.off = o->block_off,
                                                .len = o->p->out_len - o->block_off,
                                                .node = o->block_node,
                                                .chars = o->chars,
                                                .link = o->link,
                                                .heading = (uint8_t)o->block_heading};
        }
        if (o->in_block)
                out_put(o, "\n\n", 2);
        o->in_block = 0;
        o->pending_space = 0;
        o->chars = o->link = 0;
}

static int is_heading_tag(const char *name)
{
        return name[0] == 'h' && name[1] >= '1' && name[1] <= '6' && !name[2];
}

static int block_ends_with(const struct html_page *p, const struct block_info *b, char want)
{
        size_t e = b->off + b->len;
        while (e > b->off && is_space((unsigned char)p->out[e - 1]))
                e--;
        return e > b->off && p->out[e - 1] == want;
}

static int block_ends_sentence(const struct html_page *p, const struct block_info *b)
{
        size_t e = b->off + b->len;
        while (e > b->off && is_space((unsigned char)p->out[e - 1]))
                e--;
        if (e == b->off)
                return 0;
        char c = p->out[e - 1];
        return c == '.' || c == '!' || c == '?' || c == ':' || c == '"' || c == ')';
}

/* The article is the run of text between its first and its last substantial
 * paragraph (>= 100 characters, few links): what lies outside it (share
 * prompts, "read more" headings, subscription notes, copyright lines) goes,
 * except a heading or a sentence right before it. Rewrites p->out in place;
 * the new text length is returned. */
/* Page furniture that survives the tree rules: a short label ("Release
 * Date:", "Aufrufe:") or a short line in capitals ("NOTAS RELACIONADAS",
 * "SUBSCRIBE NOW"). */
static int is_label_block(const struct html_page *p, const struct block_info *b)
{
        if (b->chars < 25 && !b->heading && block_ends_with(p, b, ':'))
                return 1;
        if (b->chars >= 100)
                return 0;
        unsigned upper = 0, lower = 0;
        for (size_t i = b->off; i < b->off + b->len; i++) {
                unsigned char c = (unsigned char)p->out[i];
                upper += c >= 'A' && c <= 'Z';
                lower += c >= 'a' && c <= 'z';
        }
        return upper >= 10 && lower == 0;
}

/* Measured on the shared trafilatura pages (bench/bench_html.py): a
 * substantial paragraph has 80 characters and under 30 % link text; the
 * region holds 70 % of their text; two blocks before the first one (a lead,
 * a heading) and one sentence after the last one belong to the article. */
#define GOOD_CHARS   80
#define REGION_SHARE 0.7f
#define BEFORE       2
#define AFTER        1
static size_t filter_blocks(struct out *o, const char *title)
{
        struct html_page *p = o->p;
        size_t first = SIZE_MAX, last = 0;
        for (size_t i = 0; i < o->n_blocks; i++) {
                const struct block_info *b = &o->blocks[i];
                if (b->chars >= GOOD_CHARS && (float)b->link < 0.3f * (float)b->chars) {
                        if (first == SIZE_MAX)
                                first = i;
                        last = i;
                }
        }
        /* The region: the deepest element that holds 80 % of the substantial
         * paragraphs' text. Blocks inside it are the article, whatever their
         * length (lists, short steps, a closing line); outside it only the
         * run between the first and last substantial paragraph counts. */
        xmlNode *region = NULL;
        uint32_t total = 0;
        for (size_t i = 0; first != SIZE_MAX && i < o->n_blocks; i++) {
                const struct block_info *b = &o->blocks[i];
                if (b->chars < GOOD_CHARS || (float)b->link >= 0.3f * (float)b->chars || !b->node)
                        continue;
                total += b->chars;
                for (xmlNode *a = b->node; a && a->type == XML_ELEMENT_NODE; a = a->parent) {
                        mark_of(a)->good += b->chars;
                        region = a; /* the topmost: the start of the descent */
                }
        }
        while (region) {
                xmlNode *next = NULL;
                for (xmlNode *c = region->children; c; c = c->next)
                        if (c->type == XML_ELEMENT_NODE &&
                            (float)mark_of(c)->good >= REGION_SHARE * (float)total)
                                next = c;
                if (!next)
                        break;
                region = next;
        }
        /* keep[] decided first, then the labels and headings that lead nowhere */
        size_t w = 0;
        for (size_t i = 0; i < o->n_blocks; i++)
                o->blocks[i].keep = 0;
        for (size_t i = 0; i < o->n_blocks; i++) {
                struct block_info *b = &o->blocks[i];
                int keep = first == SIZE_MAX || (i >= first && i <= last);
                if (!keep && region && b->node) {
                        for (xmlNode *a = b->node; a && a->type == XML_ELEMENT_NODE && !keep;
                             a = a->parent)
                                keep = a == region;
                }
                if (!keep && i < first && i + BEFORE >= first)
                        keep = b->heading || (b->chars >= 30 && block_ends_sentence(p, b));
                if (!keep && i > last && i <= last + AFTER)
                        keep = !b->heading && b->link == 0 && b->chars >= 40 &&
                               block_ends_sentence(p, b);
                /* the headline is the record's title, not a paragraph of its body */
                if (keep && b->heading && title && strlen(title) == b->len &&
                    !memcmp(p->out + b->off, title, b->len))
                        keep = 0;
                b->keep = (uint8_t)(keep && !is_label_block(p, b));
        }
        /* a heading with no prose after it heads a list that was dropped */
        for (size_t i = o->n_blocks; i-- > 0;) {
                struct block_info *b = &o->blocks[i];
                if (!b->keep || !b->heading)
                        continue;
                size_t j = i + 1;
                while (j < o->n_blocks && !o->blocks[j].keep)
                        j++;
                if (j == o->n_blocks)
                        b->keep = 0;
        }
        for (size_t i = 0; i < o->n_blocks; i++) {
                const struct block_info *b = &o->blocks[i];
                if (!b->keep)
                        continue;
                if (w)
                        p->out[w++] = '\n', p->out[w++] = '\n';
                memmove(p->out + w, p->out + b->off, b->len);
                w += b->len;
        }
        return w;
}

/* ---- tree helpers ---------------------------------------------------------------- */

static const char *attr(const xmlNode *n, const char *name)
{
        for (const xmlAttr *a = n->properties; a; a = a->next)
                if (a->name && !strcasecmp((const char *)a->name, name))
                        return a->children && a->children->content
                                   ? (const char *)a->children->content
                                   : "";
        return NULL;
}

static int is_tag(const xmlNode *n, const char *name)
{
        return n->type == XML_ELEMENT_NODE && n->name && !strcmp((const char *)n->name, name);
}

static int tag_in(const xmlNode *n, const char *const *names)
{
        if (n->type != XML_ELEMENT_NODE || !n->name)
                return 0;
        for (; *names; names++)
                if (!strcmp((const char *)n->name, *names))
                        return 1;
        return 0;
}

/* Tags whose content is never article text. */
static const char *const skip_tags[] = {
    "script",   "style",  "noscript", "template", "svg",    "math",   "iframe",
    "object",   "embed",  "canvas",   "form",     "button", "select", "input",
    "textarea", "nav",    "aside",    "footer",   "header", "video",  "audio",
    "map",      "dialog", "head",     "title",    "meta",   "link",   NULL};

/* Tags that start a paragraph of their own. */
static const char *const block_tags[] = {"p",      "div",     "h1",      "h2",         "h3",   "h4",
                                         "h5",     "h6",      "li",      "blockquote", "pre",  "td",
                                         "th",     "dd",      "dt",      "tr",         "ul",   "ol",
                                         "dl",     "table",   "section", "article",    "main", "hr",
                                         "center", "address", "details", "summary",    NULL};

/* Tags a fragment (a JSON body) never shows as text. */
static const char *const fragment_skip_tags[] = {
    "script", "style", "noscript", "template", "svg",   "math", "iframe",
    "object", "embed", "canvas",   "head",     "title", NULL};

/* class/id words that only suggest boilerplate: such an element is dropped
 * when it holds little text ("share-bar"), kept when it holds an article
 * ("entry themeform share"). */
static const char *const weak_words[] = {"share",  "sharing", "social", "widget", "caption",
                                         "credit", "rating",  "votes",  "hidden", "menu",
                                         "banner", "promo",   NULL};
#define SUSPECT_MAX_TEXT 300

/* class/id/role words of boilerplate (substrings of the lower-cased value). */
static const char *const unlikely_words[] = {"comment",      "related",         "recommend",
                                             "cookie",       "consent",         "gdpr",
                                             "newsletter",   "subscri",         "advert",
                                             "sponsor",      "sidebar",         "breadcrumb",
                                             "footer",       "navbar",          "navigation",
                                             "popup",        "modal",           "toolbar",
                                             "pagination",   "pager",           "disqus",
                                             "masthead",     "skip-link",       "skiplink",
                                             "print-only",   "teaser-list",     "more-stories",
                                             "read-more",    "readmore",        "most-read",
                                             "mostread",     "trending",        "signup",
                                             "login",        "paywall",         "byline",
                                             "dateline",     "timestamp",       "article-meta",
                                             "post-meta",    "entry-meta",      "author-info",
                                             "author-bio",   "tag-list",        "taglist",
                                             "article-tags", "post-tags",       "copyright",
                                             "sr-only",      "visually-hidden", NULL};

/* Words that keep an element although it matched one above ("article-body-share"
 * keeps being a body). */
static const char *const likely_words[] = {
    "article-body",    "articlebody",  "story-body",  "entry-content", "post-content",
    "article-content", "article-text", "articletext", "story-content", "post-body",
    "content-body",    "main-content", NULL};

/* Whole tokens (split on space, '-' and '_') that mark boilerplate: too short
 * to be substrings ("ad" is in "head", "nav" in "canvas"). */
static const char *const unlikely_tokens[] = {"ad", "ads", "nav", "aside", NULL};

static int contains_ci(const char *hay, const char *needle)
{
        size_t n = strlen(needle);
        for (const char *h = hay; *h; h++)
                if (!strncasecmp(h, needle, n))
                        return 1;
        return 0;
}

static int has_token(const char *v, const char *const *tokens)
{
        const char *s = v;
        while (*s) {
                while (*s && (*s == ' ' || *s == '-' || *s == '_' || *s == '\t'))
                        s++;
                const char *e = s;
                while (*e && *e != ' ' && *e != '-' && *e != '_' && *e != '\t')
                        e++;
                for (const char *const *t = tokens; *t; t++)
                        if ((size_t)(e - s) == strlen(*t) && !strncasecmp(s, *t, (size_t)(e - s)))
                                return 1;
                s = e;
        }
        return 0;
}

static int words_match(const char *v, const char *const *words)
{
        for (const char *const *w = words; *w; w++)
                if (contains_ci(v, *w))
                        return 1;
        return 0;
}

static int is_content_class(const xmlNode *n)
{
        const char *c = attr(n, "class"), *id = attr(n, "id"), *ip = attr(n, "itemprop");
        if (ip && contains_ci(ip, "articlebody"))
                return 1;
        return (c && words_match(c, likely_words)) || (id && words_match(id, likely_words));
}

/* Is this element boilerplate by its tag, role, class or id? An element that
 * holds the article's core is kept whatever its classes say ("has-sidebar"
 * on the page wrapper, WordPress's "tag-..." classes on the post). */
static int is_boilerplate(const xmlNode *n)
{
        static const char *const never[] = {"script", "style",    "noscript", "template", "svg",
                                            "math",   "iframe",   "object",   "embed",    "canvas",
                                            "select", "textarea", "head",     "title",    NULL};
        if (tag_in(n, never))
                return 1;
        if (mark_of(n)->core) /* also a <header> that wraps the article */
                return 0;
        if (is_tag(n, "header"))
                for (const xmlNode *a = n->parent; a && a->type == XML_ELEMENT_NODE; a = a->parent)
                        if (is_tag(a, "article"))
                                return 0; /* the article's own header: its headings */
        if (tag_in(n, skip_tags))
                return 1;
        if (is_tag(n, "body") || is_tag(n, "html") || is_tag(n, "main") || is_tag(n, "article"))
                return 0;
        const char *role = attr(n, "role");
        if (role && (contains_ci(role, "navigation") || contains_ci(role, "banner") ||
                     contains_ci(role, "contentinfo") || contains_ci(role, "complementary") ||
                     contains_ci(role, "menu") || contains_ci(role, "dialog")))
                return 1;
        if (attr(n, "hidden") ||
            (attr(n, "aria-hidden") && !strcmp(attr(n, "aria-hidden"), "true")))
                return 1;
        const char *st = attr(n, "style");
        if (st && (contains_ci(st, "display:none") || contains_ci(st, "display: none")))
                return 1;
        if (is_content_class(n))
                return 0;
        const char *c = attr(n, "class"), *id = attr(n, "id");
        for (int k = 0; k < 2; k++) {
                const char *v = k ? id : c;
                if (v && (words_match(v, unlikely_words) || has_token(v, unlikely_tokens)))
                        return 1;
        }
        return 0;
}

/* Visible characters of a text node, blanks collapsed. */
static uint32_t text_weight(const char *s)
{
        uint32_t n = 0;
        int space = 1;
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                if (is_space(c)) {
                        if (!space)
                                n++;
                        space = 1;
                        continue;
                }
                space = 0;
                n += (c & 0xC0) != 0x80;
        }
        return n;
}

/* The node after @p n in a pre-order walk of @p root's subtree, descending
 * into @p n's children when @p into (and @p n is an element), else skipping
 * them; NULL at the end. Iterative: a 100,000-deep page must not exhaust the
 * stack. */
static xmlNode *walk_next(xmlNode *n, const xmlNode *root, int into)
{
        if (into && n->type == XML_ELEMENT_NODE && n->children)
                return n->children;
        while (n != root && !n->next)
                n = n->parent;
        return n == root ? NULL : n->next;
}

/* Pass 1: marks every element (post-order), iteratively: a 100,000-deep
 * page must not exhaust the stack. */
static int mark_tree(struct walk *w, xmlNode *root, int extract)
{
        /* count elements to size the mark array once (pointers into it stay valid) */
        size_t count = 0;
        for (xmlNode *n = root; n; n = walk_next(n, root, 1))
                count += n->type == XML_ELEMENT_NODE;
        if (mem_grow((void **)&w->marks, &w->cap_marks, count + 1, sizeof(*w->marks)))
                return -1;
        memset(w->marks, 0, (count + 1) * sizeof(*w->marks));
        w->n_marks = 0;
        /* pre-order: assign marks */
        for (xmlNode *n = root; n; n = walk_next(n, root, 1)) {
                if (n->type == XML_ELEMENT_NODE) {
                        struct mark *m = &w->marks[w->n_marks++];
                        n->_private = m;
                        m->is_block = (uint8_t)tag_in(n, block_tags);
                        if (is_tag(n, "article") || is_tag(n, "main") || is_tag(n, "h1") ||
                            is_content_class(n))
                                /* ancestors up to the first one already marked */
                                for (xmlNode *a = n; a && a->type == XML_ELEMENT_NODE &&
                                                     !(a->_private && mark_of(a)->core);
                                     a = a == root ? NULL : a->parent)
                                        if (a->_private)
                                                mark_of(a)->core = 1;
                }
        }
        /* pre-order: boilerplate verdicts, inherited */
        for (xmlNode *n = root; n; n = walk_next(n, root, 1)) {
                if (n->type == XML_ELEMENT_NODE) {
                        struct mark *m = mark_of(n);
                        struct mark *pm = n->parent && n != root ? mark_of(n->parent) : NULL;
                        m->skip = (pm && pm->skip) ||
                                  (extract ? is_boilerplate(n) : tag_in(n, fragment_skip_tags));
                        if (extract && !m->skip && !m->core) {
                                const char *c = attr(n, "class"), *id = attr(n, "id");
                                m->suspect = (c && words_match(c, weak_words)) ||
                                             (id && words_match(id, weak_words));
                        }
                }
        }
        /* post-order sums: text, link text and paragraph counts bubble up */
        xmlNode *n = root;
        while (n->children && n->type == XML_ELEMENT_NODE)
                n = n->children;
        for (;;) {
                if (n->type == XML_ELEMENT_NODE || n->type == XML_TEXT_NODE ||
                    n->type == XML_CDATA_SECTION_NODE) {
                        struct mark *m = n->type == XML_ELEMENT_NODE ? mark_of(n) : NULL;
                        uint32_t t = 0, l = 0;
                        if (m) {
                                if (m->skip) {
                                        m->text = m->link = 0;
                                } else {
                                        if (is_tag(n, "a"))
                                                m->link = m->text;
                                }
                                t = m->skip ? 0 : m->text;
                                l = m->skip ? 0 : m->link;
                        } else if (n->content) {
                                t = text_weight((const char *)n->content);
                        }
                        if (n != root && n->parent && n->parent->type == XML_ELEMENT_NODE) {
                                struct mark *pm = mark_of(n->parent);
                                pm->text += t;
                                pm->link += l;
                        }
                }
                if (n == root)
                        break;
                if (n->next) {
                        n = n->next;
                        while (n->children && n->type == XML_ELEMENT_NODE)
                                n = n->children;
                } else {
                        n = n->parent;
                }
        }
        return 0;
}

static float link_density(const struct mark *m)
{
        return m->text ? (float)m->link / (float)m->text : 0.0f;
}

/* A semantic article container (itemprop=articleBody, an article-body class,
 * <article>, <main>) that holds most of the page's text, or NULL. */
static xmlNode *semantic_root(xmlNode *body)
{
        xmlNode *best = NULL;
        int best_rank = 0;
        uint32_t best_text = 0;
        for (xmlNode *n = body; n;) {
                struct mark *m = n->type == XML_ELEMENT_NODE ? mark_of(n) : NULL;
                if (m && !m->skip) {
                        int rank = is_content_class(n)    ? 3
                                   : is_tag(n, "article") ? 2
                                   : is_tag(n, "main")    ? 1
                                                          : 0;
                        /* the most text; a stronger kind wins when it holds 60 % of it */
                        if (rank && m->text >= 200 &&
                            (!best || (rank > best_rank && m->text * 5 >= best_text * 3) ||
                             (rank <= best_rank && m->text * 3 > best_text * 5) ||
                             (rank == best_rank && m->text > best_text))) {
                                best = n;
                                best_rank = rank;
                                best_text = m->text;
                        }
                }
                n = walk_next(n, body, m && !m->skip);
        }
        if (best && (float)best_text >= 0.5f * (float)(mark_of(body)->text - mark_of(body)->link))
                return best;
        return best && best_rank >= 2 ? best : NULL;
}

/* Pass 3: the text of @p root's blocks, in reading order. */
static void emit(struct out *o, xmlNode *root, int extract)
{
        xmlNode *n = root;
        o->cur_block = root;
        for (;;) {
                int descend = 0;
                if (n->type == XML_ELEMENT_NODE) {
                        struct mark *m = mark_of(n);
                        int skip = m && m->skip && n != root;
                        /* link lists and link-only blocks are navigation */
                        if (!skip && extract && m && m->is_block && n != root && m->text > 0 &&
                            link_density(m) > 0.5f)
                                skip = 1;
                        if (!skip && extract && m && m->suspect && n != root &&
                            m->text < SUSPECT_MAX_TEXT)
                                skip = 1;
                        /* a figure's caption is text when it is a sentence or more
                         * (not "Photo: AP") */
                        if (!skip && extract && m && is_tag(n, "figure") && m->text < 100)
                                skip = 1;
                        if (!skip) {
                                if (m && m->is_block)
                                        out_block_end(o);
                                descend = n->children != NULL;
                                if (!descend && m && m->is_block)
                                        out_block_end(o);
                                if (descend && m && m->is_block)
                                        o->cur_block = n;
                                if (descend && is_tag(n, "a"))
                                        o->link_depth++;
                                if (descend && is_heading_tag((const char *)n->name))
                                        o->heading_depth++;
                        }
                        if (!skip && is_tag(n, "br"))
                                o->pending_space = 1;
                } else if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) &&
                           n->content) {
                        out_text(o, (const char *)n->content, strlen((const char *)n->content));
                }
                if (descend) {
                        n = n->children;
                        continue;
                }
                while (n != root && !n->next) {
                        n = n->parent;
                        if (n->type != XML_ELEMENT_NODE)
                                continue;
                        if (mark_of(n) && mark_of(n)->is_block) {
                                out_block_end(o);
                                /* back in the enclosing block */
                                o->cur_block = NULL;
                                for (xmlNode *a = n->parent; a && a->type == XML_ELEMENT_NODE;
                                     a = a->parent)
                                        if (mark_of(a) && mark_of(a)->is_block) {
                                                o->cur_block = a;
                                                break;
                                        }
                        }
                        if (is_tag(n, "a"))
                                o->link_depth--;
                        if (is_heading_tag((const char *)n->name))
                                o->heading_depth--;
                }
                if (n == root)
                        break;
                n = n->next;
        }
        out_block_end(o);
}

/* ---- metadata ------------------------------------------------------------------- */

enum meta_field { M_TITLE, M_PUBLISHED, M_URL, M_LANG, M_SECTION, M_SITE, M_COUNT };

/* Candidates by priority: a later source only fills what is still empty. */
struct meta {
        size_t off[M_COUNT]; /* offset in p->out + 1, 0 = none */
        int prio[M_COUNT];   /* smaller wins */
};

static void meta_set(struct out *o, struct meta *mt, enum meta_field f, int prio, const char *v,
                     size_t n)
{
        while (n && is_space((unsigned char)*v)) {
                v++;
                n--;
        }
        while (n && is_space((unsigned char)v[n - 1]))
                n--;
        if (!n || (mt->off[f] && mt->prio[f] <= prio))
                return;
        size_t at = o->p->out_len;
        /* collapse inner whitespace as text does */
        struct out tmp = {.p = o->p};
        out_text(&tmp, v, n);
        if (tmp.oom) {
                o->oom = 1;
                return;
        }
        out_put(o, "", 1); /* NUL */
        mt->off[f] = at + 1;
        mt->prio[f] = prio;
}

/* The text of an element (for <title>, h1), collapsed, into the buffer as a field. */
static void meta_text(struct out *o, struct meta *mt, enum meta_field f, int prio, xmlNode *n)
{
        if (mt->off[f] && mt->prio[f] <= prio)
                return;
        xmlChar *t = xmlNodeGetContent(n);
        if (!t)
                return;
        meta_set(o, mt, f, prio, (const char *)t, strlen((const char *)t));
        xmlFree(t);
}

/* "Headline | Site", "Headline - Site": drop the site part. */
static size_t title_without_site(const char *t, size_t n, const char *site)
{
        static const char *const seps[] = {
            " | ", " - ", " – ", " — ", " :: ", " · ", " « ", " » ", NULL};
        size_t best = n;
        for (const char *const *s = seps; *s; s++) {
                size_t l = strlen(*s);
                for (size_t i = n; i-- > 0;) {
                        if (i + l > n || memcmp(t + i, *s, l))
                                continue;
                        size_t tail = n - i - l;
                        int is_site =
                            site && strlen(site) == tail && !memcmp(t + i + l, site, tail);
                        /* the suffix is the shorter side, or names the site */
                        if ((is_site || tail * 2 < i) && i < best)
                                best = i;
                        break;
                }
        }
        return best;
}

static void jsonld_walk(struct out *o, struct meta *mt, json_t *j, int depth)
{
        if (depth > 8 || !j)
                return;
        if (json_is_array(j)) {
                size_t i;
                json_t *v;
                json_array_foreach(j, i, v)
                {
                        jsonld_walk(o, mt, v, depth + 1);
                }
                return;
        }
        if (!json_is_object(j))
                return;
        jsonld_walk(o, mt, json_object_get(j, "@graph"), depth + 1);
        const char *s;
        if ((s = json_string_value(json_object_get(j, "datePublished"))))
                meta_set(o, mt, M_PUBLISHED, 2, s, strlen(s));
        if ((s = json_string_value(json_object_get(j, "headline"))))
                meta_set(o, mt, M_TITLE, 2, s, strlen(s));
        json_t *sec = json_object_get(j, "articleSection");
        if (json_is_array(sec))
                sec = json_array_get(sec, 0);
        if ((s = json_string_value(sec)))
                meta_set(o, mt, M_SECTION, 2, s, strlen(s));
        json_t *pub = json_object_get(j, "publisher");
        if ((s = json_string_value(json_object_get(pub, "name"))))
                meta_set(o, mt, M_SITE, 2, s, strlen(s));
        if ((s = json_string_value(json_object_get(j, "inLanguage"))))
                meta_set(o, mt, M_LANG, 3, s, strlen(s));
}

/* Head and body: <meta>, <link rel=canonical>, <title>, JSON-LD, <time>, h1. */
static void collect_meta(struct out *o, struct meta *mt, xmlNode *html)
{
        const char *v;
        if (html && (v = attr(html, "lang")))
                meta_set(o, mt, M_LANG, 1, v, strlen(v));
        xmlNode *title = NULL, *h1 = NULL;
        for (xmlNode *n = html; n;) {
                if (n->type == XML_ELEMENT_NODE) {
                        if (is_tag(n, "meta")) {
                                const char *prop = attr(n, "property");
                                if (!prop)
                                        prop = attr(n, "name");
                                if (!prop)
                                        prop = attr(n, "itemprop");
                                const char *c = attr(n, "content");
                                if (!c)
                                        c = attr(n, "datetime");
                                if (prop && c) {
                                        size_t cl = strlen(c);
                                        if (!strcasecmp(prop, "og:title"))
                                                meta_set(o, mt, M_TITLE, 1, c, cl);
                                        else if (!strcasecmp(prop, "article:published_time") ||
                                                 !strcasecmp(prop, "datePublished"))
                                                meta_set(o, mt, M_PUBLISHED, 1, c, cl);
                                        else if (!strcasecmp(prop, "date") ||
                                                 !strcasecmp(prop, "pubdate") ||
                                                 !strcasecmp(prop, "publishdate") ||
                                                 !strcasecmp(prop, "dc.date.issued") ||
                                                 !strcasecmp(prop, "dcterms.date") ||
                                                 !strcasecmp(prop, "og:published_time"))
                                                meta_set(o, mt, M_PUBLISHED, 3, c, cl);
                                        else if (!strcasecmp(prop, "og:url"))
                                                meta_set(o, mt, M_URL, 2, c, cl);
                                        else if (!strcasecmp(prop, "og:locale"))
                                                meta_set(o, mt, M_LANG, 2, c, cl);
                                        else if (!strcasecmp(prop, "article:section"))
                                                meta_set(o, mt, M_SECTION, 1, c, cl);
                                        else if (!strcasecmp(prop, "og:site_name"))
                                                meta_set(o, mt, M_SITE, 1, c, cl);
                                }
                        } else if (is_tag(n, "link")) {
                                const char *rel = attr(n, "rel"), *href = attr(n, "href");
                                if (rel && href && !strcasecmp(rel, "canonical"))
                                        meta_set(o, mt, M_URL, 1, href, strlen(href));
                        } else if (is_tag(n, "title") && !title) {
                                title = n;
                        } else if (is_tag(n, "h1") && !h1) {
                                h1 = n;
                        } else if (is_tag(n, "time") && (v = attr(n, "datetime"))) {
                                meta_set(o, mt, M_PUBLISHED, 4, v, strlen(v));
                        } else if (is_tag(n, "script") && (v = attr(n, "type")) &&
                                   !strcasecmp(v, "application/ld+json") && n->children &&
                                   n->children->content) {
                                json_t *j = json_loads((const char *)n->children->content,
                                                       JSON_DECODE_ANY, NULL);
                                jsonld_walk(o, mt, j, 0);
                                json_decref(j);
                        }
                }
                n = walk_next(n, html, !is_tag(n, "script") && !is_tag(n, "style"));
        }
        if (title && !(mt->off[M_TITLE] && mt->prio[M_TITLE] <= 3)) {
                xmlChar *t = xmlNodeGetContent(title);
                xmlChar *h = h1 ? xmlNodeGetContent(h1) : NULL;
                if (t) {
                        const char *site = mt->off[M_SITE] ? o->p->out + mt->off[M_SITE] - 1 : NULL;
                        size_t n = strlen((const char *)t);
                        /* "Headline – Site" whose headline is the page's h1: the h1 */
                        const char *hs = (const char *)h;
                        while (hs && is_space((unsigned char)*hs))
                                hs++;
                        size_t hl = hs ? strlen(hs) : 0;
                        while (hl && is_space((unsigned char)hs[hl - 1]))
                                hl--;
                        if (hl >= 8 && hl < n && !memcmp(t, hs, hl))
                                meta_set(o, mt, M_TITLE, 3, hs, hl);
                        else
                                meta_set(o, mt, M_TITLE, 3, (const char *)t,
                                         title_without_site((const char *)t, n, site));
                        xmlFree(t);
                }
                xmlFree(h);
        }
        if (h1)
                meta_text(o, mt, M_TITLE, 4, h1);
}

/* ---- entry points ---------------------------------------------------------------- */

static htmlDocPtr parse(const char *s, size_t n)
{
        pthread_once(&xml_once, xml_init);
        if (n > INT32_MAX)
                n = INT32_MAX;
        /* IGNORE_ENC: the bytes are UTF-8 already; a <meta charset> must not
         * switch the parser to another decoding half-way. */
        return htmlReadMemory(s, (int)n, NULL, "UTF-8",
                              HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                  HTML_PARSE_NONET | HTML_PARSE_COMPACT | HTML_PARSE_IGNORE_ENC);
}

static void finish(struct html_page *p, size_t text_len, const struct meta *mt)
{
        p->text = p->out;
        p->text_len = text_len;
        const char **fields[M_COUNT] = {&p->title, &p->published, &p->url,
                                        &p->lang,  &p->section,   &p->site};
        for (int f = 0; f < M_COUNT; f++)
                *fields[f] = mt && mt->off[f] ? p->out + mt->off[f] - 1 : NULL;
}

static void reset(struct html_page *p)
{
        p->out_len = 0;
        p->text = p->title = p->published = p->url = p->lang = p->section = p->site = NULL;
        p->text_len = 0;
        p->charset = "UTF-8";
        p->repaired = 0;
}

/* Text of @p doc into p->out (blocks of the article, or of the whole body for
 * fragments); trailing blank line removed and NUL-terminated. */
static enum html_status doc_text(struct html_page *p, htmlDocPtr doc, int extract, struct meta *mt)
{
        struct walk w = {0};
        struct out o = {.p = p, .track = extract};
        xmlNode *html = xmlDocGetRootElement(doc);
        enum html_status rc = HTML_OK;
        if (html) {
                xmlNode *body = html;
                for (xmlNode *c = html->children; c; c = c->next)
                        if (is_tag(c, "body"))
                                body = c;
                if (mark_tree(&w, html, extract)) {
                        rc = HTML_NOMEM;
                        goto out;
                }
                /* a page: its article container when it has one, else the whole
                 * body; filter_blocks then keeps the article's region of it */
                xmlNode *root = extract ? semantic_root(body) : body;
                emit(&o, root ? root : body, extract);
        }
        /* metadata after the text; the filter then compacts the text in place
         * (it only shrinks), knowing the title */
        size_t text_end = p->out_len;
        out_put(&o, "", 1);
        if (html && mt)
                collect_meta(&o, mt, html);
        if (o.oom) {
                rc = HTML_NOMEM;
                goto out;
        }
        size_t text_len = text_end;
        if (extract)
                text_len = filter_blocks(&o, mt && mt->off[M_TITLE] ? p->out + mt->off[M_TITLE] - 1
                                                                    : NULL);
        while (text_len && p->out[text_len - 1] == '\n')
                text_len--;
        p->out[text_len] = '\0';
        finish(p, text_len, mt);
out:
        free(w.marks);
        free(o.blocks);
        return rc;
}

enum html_status html_read_page(struct html_page *p, const char *data, size_t len, int repair,
                                char *err, size_t err_size)
{
        reset(p);
        const char *s = data;
        size_t n = len;
        enum html_status rc = decode(p, &s, &n, repair, err, err_size);
        if (rc != HTML_OK)
                return rc;
        htmlDocPtr doc = parse(s, n);
        if (!doc) { /* nothing libxml2 could read: no text */
                if (mem_grow((void **)&p->out, &p->out_cap, 1, 1))
                        return HTML_NOMEM;
                p->out[0] = '\0';
                finish(p, 0, NULL);
                return HTML_OK;
        }
        struct meta mt = {{0}, {0}};
        rc = doc_text(p, doc, 1, &mt);
        xmlFreeDoc(doc);
        return rc;
}

enum html_status html_read_fragment(struct html_page *p, const char *data, size_t len)
{
        reset(p);
        htmlDocPtr doc = parse(data, len);
        if (!doc) {
                if (mem_grow((void **)&p->out, &p->out_cap, 1, 1))
                        return HTML_NOMEM;
                p->out[0] = '\0';
                finish(p, 0, NULL);
                return HTML_OK;
        }
        enum html_status rc = doc_text(p, doc, 0, NULL);
        xmlFreeDoc(doc);
        return rc;
}
