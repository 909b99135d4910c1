/* article: the shared seed article (../shared/examples/seed-article-de.txt).
 * Skipped (exit 77) when the shared folder is not there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "article.h"
#include "text.h"

static char *seed;
static size_t seed_len;

static void test_seed_layout(void **state)
{
        (void)state;
        struct article a;
        struct article_options o;
        article_init(&a);
        article_options_default(&o);
        assert_int_equal(article_parse(&a, &o, seed, seed_len), 0);
        assert_int_equal(a.format, ARTICLE_FORMAT_TEXT);
        assert_string_equal(a.published_at, "2025-04-28");
        assert_string_equal(a.section, "Politik");
        assert_string_equal(
            a.title, "Putins Anerkennung nordkoreanischer Soldaten erzeugt weltweite Reaktionen");
        assert_true(!strncmp(a.body, "In einem historischen Schritt", 29));
        assert_non_null(strstr(a.body, "zusätzlich verschärft."));
        assert_true(a.id_derived);

        /* the body tokenizes into German words with offsets into the body */
        struct text_tokens t;
        text_tokens_init(&t);
        assert_int_equal(text_tokenize(&t, a.body, a.body_len, TEXT_FIELD_BODY, "de"), 0);
        assert_true(t.n > 250 && t.n < 400); /* about 310 words */
        int found = 0;
        for (size_t i = 0; i < t.n; i++) {
                assert_true(t.v[i].off + t.v[i].len <= a.body_len);
                if (t.v[i].norm_len == 13 && !memcmp(text_token_norm(&t, i), "streitkräfte", 13)) {
                        assert_memory_equal(a.body + t.v[i].off, "Streitkräfte", 13);
                        found = 1;
                }
        }
        assert_true(found);
        text_tokens_free(&t);
        article_free(&a);
}

int main(void)
{
        const char *dir = getenv("STEMTAG_SHARED_DIR");
        char path[1024];
        snprintf(path, sizeof(path), "%s/examples/seed-article-de.txt", dir ? dir : "../shared");
        FILE *f = fopen(path, "rb");
        if (!f) {
                fprintf(stderr, "skipped: %s not found\n", path);
                return 77;
        }
        seed = malloc(1 << 20);
        seed_len = fread(seed, 1, 1 << 20, f);
        fclose(f);
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_seed_layout),
        };
        int rc = cmocka_run_group_tests(tests, NULL, NULL);
        free(seed);
        return rc;
}
