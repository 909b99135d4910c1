/* fuzz_html: bytes -> html_read_page (charset, libxml2 parse, extraction,
 * metadata) and html_read_fragment, both repair policies. Any page must give
 * one answer (text, or HTML_ILL_FORMED with a message) in bounded time and
 * memory; the text is valid UTF-8 of the length reported, NUL-terminated. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const struct html_page *p)
{
        size_t bad;
        if (!p->text || strlen(p->text) != p->text_len ||
            text_utf8_validate(p->text, p->text_len, &bad) < 0)
                abort();
        const char *const meta[] = {p->title, p->published, p->url, p->lang, p->section, p->site};
        for (size_t i = 0; i < sizeof(meta) / sizeof(meta[0]); i++)
                if (meta[i] && text_utf8_validate(meta[i], strlen(meta[i]), &bad) < 0)
                        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct html_page p;
        char err[160];
        for (int repair = 0; repair < 2; repair++) {
                err[0] = '\0';
                enum html_status rc =
                    html_read_page(&p, (const char *)data, size, repair, err, sizeof(err));
                if (rc == HTML_OK)
                        check_text(&p);
                else if (rc != HTML_ILL_FORMED || repair || !err[0])
                        abort(); /* repair never fails; a rejection says why */
        }
        size_t bad;
        if (text_utf8_validate((const char *)data, size, &bad) == 0 && !memchr(data, 0, size)) {
                if (html_read_fragment(&p, (const char *)data, size) != HTML_OK)
                        abort();
                check_text(&p);
        }
        return 0;
}
