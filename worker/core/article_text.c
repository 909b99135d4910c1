/* article_text: the plain-text layout: blocks separated by blank lines, an
 * optional date block, an optional short section label, a one-line title,
 * then the body. Unrecognised layout: all of it is body. */
#include "article.h"

#include <string.h>

#include "article_internal.h"

/* A block: lines up to a blank line. */
struct block {
        const char *s;
        size_t len;
        int lines;
};

/* Next block at or after *pos; 0 when none is left. */
static int next_block(const char *s, size_t n, size_t *pos, struct block *b)
{
        size_t i = *pos;
        /* skip blank lines */
        for (;;) {
                size_t j = i;
                while (j < n && s[j] != '\n' && article_is_blank((unsigned char)s[j]))
                        j++;
                if (j >= n) {
                        *pos = n;
                        return 0;
                }
                if (s[j] != '\n') {
                        break;
                }
                i = j + 1;
        }
        size_t start = i;
        int lines = 0;
        for (;;) {
                size_t eol = i;
                while (eol < n && s[eol] != '\n')
                        eol++;
                const char *ln = s + i;
                size_t lnlen = eol - i;
                article_trim(&ln, &lnlen);
                if (lnlen == 0)
                        break;
                lines++;
                i = eol < n ? eol + 1 : n;
                if (i >= n)
                        break;
        }
        b->s = s + start;
        b->len = i - start;
        article_trim(&b->s, &b->len);
        b->lines = lines;
        *pos = i;
        return 1;
}

static size_t count_words(const char *s, size_t n)
{
        size_t words = 0;
        int in = 0;
        for (size_t i = 0; i < n; i++) {
                int sp = article_is_blank((unsigned char)s[i]);
                if (!sp && !in)
                        words++;
                in = !sp;
        }
        return words;
}

/* A section label: one short line of at most 4 words, no sentence punctuation. */
static int is_label(const struct block *b)
{
        if (b->lines != 1 || b->len > 48 || count_words(b->s, b->len) > 4)
                return 0;
        for (size_t i = 0; i < b->len; i++)
                if (strchr(".!?:;", b->s[i]))
                        return 0;
        return 1;
}

/* A headline: one line of at most 300 bytes. */
static int is_title(const struct block *b)
{
        return b->lines == 1 && b->len <= 300;
}

/* Layout of ../shared/examples/seed-article-de.txt, read leniently:
 *   [date]  [section]  title  body...   (blocks separated by blank lines)
 * A section needs a title after it; a title needs a body after it. Without a
 * date, a one-line first block not ending in '.' is still read as the title.
 * Anything else: the whole text is the body. */
int article_parse_text(struct article *a, const char *s, size_t n)
{
        struct block b[4];
        size_t pos = 0, after[4] = {0};
        int nb = 0;
        while (nb < 4 && next_block(s, n, &pos, &b[nb])) {
                after[nb] = pos;
                nb++;
        }
        int i = 0;
        char iso[40];
        if (nb >= 2 && b[0].lines == 1 &&
            article_date_iso(b[0].s, b[0].len, iso, sizeof(iso)) == 0) {
                a->published_at = article_arena_put(a, iso, strlen(iso));
                i = 1;
        }
        int dated = i == 1;
        if (nb - i >= 3 && is_label(&b[i]) && is_title(&b[i + 1])) {
                a->section = article_arena_put(a, b[i].s, b[i].len);
                i++;
        }
        if (nb - i >= 2 && is_title(&b[i]) && (dated || b[i].s[b[i].len - 1] != '.')) {
                a->title = article_arena_put(a, b[i].s, b[i].len);
                a->title_len = b[i].len;
                i++;
        }
        const char *body = i == 0 ? s : s + after[i - 1];
        size_t body_len = (size_t)(s + n - body);
        article_trim(&body, &body_len);
        if (body_len) {
                a->body = article_arena_put(a, body, body_len);
                a->body_len = body_len;
        }
        return 0;
}
