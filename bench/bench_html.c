/* bench_html: speed of HTML page extraction alone (html_read_page: charset,
 * libxml2 parse, main text, metadata) over the pages given, one thread: MB/s
 * of HTML per core (thread CPU time), best of a few passes. Accuracy beside
 * trafilatura and readability: bench/bench_html.py (it runs this too).
 * Prints figures, never fails on speed.
 *
 *   build/bench/bench_html FILE.html... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "html.h"

#define PASSES 3

static double cpu_now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *slurp(const char *path, size_t *len)
{
        FILE *f = fopen(path, "rb");
        if (!f)
                return NULL;
        char *buf = NULL;
        size_t cap = 0, n = 0;
        for (;;) {
                if (n + 65536 > cap) {
                        cap = cap ? cap * 2 : 262144;
                        char *nb = realloc(buf, cap);
                        if (!nb) {
                                free(buf);
                                fclose(f);
                                return NULL;
                        }
                        buf = nb;
                }
                size_t r = fread(buf + n, 1, 65536, f);
                n += r;
                if (r < 65536)
                        break;
        }
        fclose(f);
        *len = n;
        return buf;
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                printf("usage: bench_html FILE.html... (bench/bench_html.py passes the shared "
                       "pages)\n");
                return 0;
        }
        size_t n = (size_t)argc - 1, bytes = 0;
        char **pages = calloc(n, sizeof(*pages));
        size_t *lens = calloc(n, sizeof(*lens));
        if (!pages || !lens)
                return 1;
        for (size_t i = 0; i < n; i++) {
                pages[i] = slurp(argv[i + 1], &lens[i]);
                if (!pages[i]) {
                        fprintf(stderr, "bench_html: cannot read %s\n", argv[i + 1]);
                        return 1;
                }
                bytes += lens[i];
        }
        struct html_page p;
        html_page_init(&p);
        double best = 0;
        size_t text = 0, failed = 0;
        char err[160];
        for (int pass = 0; pass < PASSES; pass++) {
                double t0 = cpu_now();
                text = failed = 0;
                for (size_t i = 0; i < n; i++) {
                        if (html_read_page(&p, pages[i], lens[i], 1, err, sizeof(err)) != HTML_OK)
                                failed++;
                        else
                                text += p.text_len;
                }
                double t = cpu_now() - t0;
                if (!pass || t < best)
                        best = t;
        }
        printf("bench_html: %zu pages, %.1f MB of HTML -> %.1f MB of text, %zu failed\n", n,
               (double)bytes / 1e6, (double)text / 1e6, failed);
        printf("extraction alone (html_read_page), 1 thread, best of %d: %.1f MB/s of HTML, "
               "%.0f pages/s\n",
               PASSES, (double)bytes / best / 1e6, (double)n / best);
        html_page_free(&p);
        for (size_t i = 0; i < n; i++)
                free(pages[i]);
        free(pages);
        free(lens);
        return 0;
}
