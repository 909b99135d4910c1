/* stemtag classify: articles from files or stdin -> one enriched record per
 * line on stdout, through the same pipeline_process() the Kafka worker uses.
 * Output line i always answers input article i: a rejected article yields an
 * {"error":...} line in its place. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_config.h"
#include "cli_input.h"
#include "commands.h"
#include "config.h"
#include "config_pipeline.h"
#include "log.h"
#include "pipeline.h"
#include "record.h"

extern char **environ;

enum input_format { FORMAT_AUTO, FORMAT_JSONL, FORMAT_TEXT, FORMAT_HTML };

#define CLASSIFY_READ_BLOCK 65536

struct classify_run {
        struct pipeline_ctx *ctx;      /* the one in use: ctx_json or ctx_text */
        struct pipeline_ctx *ctx_json; /* article format forced to JSON */
        struct pipeline_ctx *ctx_text; /* article format forced to plain text */
        struct pipeline_ctx *ctx_html; /* article format forced to an HTML page */
        struct pipeline_ctx
            *ctx_auto; /* auto: a whole stream as one message, as the worker reads one */
        struct pipeline_model *model;
        size_t max_bytes;
        struct record_buf err; /* error line scratch */
        char *buf;             /* current article */
        size_t buf_cap;
        char *in; /* JSON lines: block read buffer (CLASSIFY_READ_BLOCK bytes) */
        size_t in_pos, in_len;
        int read_errno; /* read(2) failed on the current stream */
        int failed;     /* the tool itself failed (I/O): exit 1 at the end */
};

static void usage(FILE *out)
{
        fprintf(out,
                "Usage: stemtag classify [options] [FILE...]\n\n"
                "Tags articles read from FILEs (or stdin; '-' is stdin) and writes one\n"
                "enriched record per article to stdout, one JSON object per line, in input\n"
                "order. A rejected article yields {\"error\":{\"reason\",\"message\"},\n"
                "\"input\":{\"line\":N}} in its place. Exit status 0 unless the tool itself\n"
                "failed (1: unreadable file or write error, 2: usage, 3: model/taxonomy).\n\n"
                "Options:\n"
                "  -c, --config FILE         read settings (input.*, langid.*, taxonomy.files,\n"
                "                            classify.*, stem.*) from FILE, then STEMTAG_* env;\n"
                "                            default: the config search (`stemtag --help`);\n"
                "                            none found: built-in defaults, with the default\n"
                "                            language model and taxonomy (config/...) when\n"
                "                            readable from the working directory\n"
                "  -X key=value              set one config key (repeatable; implies the config)\n"
                "  --format auto|jsonl|text|html\n"
                "                            jsonl: one JSON article per line; text: each FILE\n"
                "                            is one plain-text article; html: each FILE is one\n"
                "                            HTML page; auto: jsonl if the first non-blank byte\n"
                "                            is '{', html if the input opens like an HTML\n"
                "                            document, else text (default: input.format of the\n"
                "                            config, else auto)\n"
                "  --explain                 add per-keyword contributions to the records\n"
                "  --taxonomy FILE           taxonomy file (repeatable; combined; replaces\n"
                "                            taxonomy.files of the config)\n"
                "  --langid-model FILE       language model (replaces langid.model; without\n"
                "                            -c/-X: config/langid.model when readable);\n"
                "                            'none': no detection, language null\n"
                "  -h, --help                this help\n");
}

/* The default language model is used only when it is there to read. */
static int fopen_ok(const char *path)
{
        FILE *f = fopen(path, "rb");
        if (f)
                fclose(f);
        return f != NULL;
}

/* Makes sure run->buf holds @need bytes. 0 / -1. */
static int buf_reserve(struct classify_run *run, size_t need)
{
        if (need <= run->buf_cap)
                return 0;
        size_t ncap = run->buf_cap ? run->buf_cap : 65536;
        while (ncap < need)
                ncap *= 2;
        char *nb = realloc(run->buf, ncap);
        if (!nb)
                return -1;
        run->buf = nb;
        run->buf_cap = ncap;
        return 0;
}

static void write_error(struct classify_run *run, const char *reason, const char *message,
                        long long line)
{
        struct record_buf *b = &run->err;
        char tail[64];
        int n = snprintf(tail, sizeof(tail), "},\"input\":{\"line\":%lld}}\n", line);
        b->len = 0;
        if (record_put_raw(b, "{\"error\":{\"reason\":", 19) < 0 ||
            record_put_string(b, reason, strlen(reason)) < 0 ||
            record_put_raw(b, ",\"message\":", 11) < 0 ||
            record_put_string(b, message, strlen(message)) < 0 ||
            record_put_raw(b, tail, (size_t)n) < 0)
                LOG_FATAL(EXIT_FAILURE_RUNTIME, "oom", "out of memory writing an error line");
        fwrite(b->p, 1, b->len, stdout);
}

static void process_one(struct classify_run *run, const char *data, size_t len, long long line)
{
        struct pipeline_source src = {.topic = NULL, .partition = -1, .offset = -1, .line = line};
        struct pipeline_result res;
        if (pipeline_process(run->ctx, run->model, data, len, &src, &res) < 0)
                LOG_FATAL(EXIT_FAILURE_RUNTIME, "oom", "out of memory classifying line %lld", line);
        if (res.ok) {
                fwrite(res.json, 1, res.json_len, stdout);
                fputc('\n', stdout);
        } else {
                write_error(run, res.reason, res.message, line);
        }
}

/* Reads one line (without '\n') into run->buf, keeping at most max_bytes + 1
 * bytes so an oversized line is reported as too_large without being held in
 * memory. Returns 0 at EOF with nothing read, else 1.
 * Input comes through run->in, a block buffer filled by read(2) and scanned
 * with memchr: reading byte by byte with getc cost ~10 % of the whole
 * classify path on long articles. read(2) returns what a pipe holds, so a
 * line is answered as soon as it arrives (fread would wait for a full block).
 * The stream is unbuffered (run_stream), so no bytes hide in stdio's buffer. */
static int read_line(struct classify_run *run, FILE *in, size_t *len)
{
        size_t limit = run->max_bytes ? run->max_bytes + 1 : SIZE_MAX - 1;
        size_t n = 0;
        int any = 0;
        for (;;) {
                if (run->in_pos == run->in_len) {
                        ssize_t got;
                        do
                                got = read(fileno(in), run->in, CLASSIFY_READ_BLOCK);
                        while (got < 0 && errno == EINTR);
                        if (got < 0)
                                run->read_errno = errno;
                        run->in_pos = 0;
                        run->in_len = got > 0 ? (size_t)got : 0;
                        if (!run->in_len)
                                break;
                }
                any = 1;
                const char *p = run->in + run->in_pos;
                size_t avail = run->in_len - run->in_pos;
                const char *nl = memchr(p, '\n', avail);
                size_t chunk = nl ? (size_t)(nl - p) : avail;
                run->in_pos += nl ? chunk + 1 : chunk;
                size_t keep = n < limit ? (limit - n < chunk ? limit - n : chunk) : 0;
                if (keep) {
                        if (buf_reserve(run, n + keep) < 0)
                                LOG_FATAL(EXIT_FAILURE_RUNTIME, "oom",
                                          "out of memory reading a line");
                        memcpy(run->buf + n, p, keep);
                        n += keep;
                }
                if (nl)
                        break;
        }
        if (n && run->buf[n - 1] == '\r')
                n--;
        *len = n;
        return any;
}

static int is_blank_line(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
                        return 0;
        return 1;
}

static void run_jsonl(struct classify_run *run, FILE *in, long long line)
{
        size_t len;
        while (read_line(run, in, &len)) {
                if (!is_blank_line(run->buf, len))
                        process_one(run, run->buf, len, line);
                line++;
        }
}

/* The rest of @p in is one article; run->buf already holds its first @p n bytes. */
static void run_text(struct classify_run *run, FILE *in, long long line, size_t n)
{
        size_t limit = run->max_bytes ? run->max_bytes + 1 : SIZE_MAX - 1;
        for (;;) {
                if (n >= limit) { /* oversized: no need to hold the rest */
                        char sink[65536];
                        while (fread(sink, 1, sizeof(sink), in) > 0)
                                ;
                        break;
                }
                size_t want = limit - n < 65536 ? limit - n : 65536;
                if (buf_reserve(run, n + want) < 0)
                        LOG_FATAL(EXIT_FAILURE_RUNTIME, "oom", "out of memory reading input");
                size_t got = fread(run->buf + n, 1, want, in);
                n += got;
                if (got < want)
                        break;
        }
        process_one(run, run->buf, n, line);
}

/* One input stream in the given format; auto looks at the first non-blank
 * byte: '{' starts JSON lines; anything else makes the whole stream one
 * message read exactly as the worker reads a message in auto format (a
 * non-object JSON value is json_not_object, deep nesting json_syntax, else
 * plain text), and a stream of nothing but blanks is one "empty" message. */
static void run_stream(struct classify_run *run, FILE *in, const char *name, enum input_format fmt)
{
        long long line = 1;
        size_t kept = 0; /* leading blank bytes kept in run->buf (auto) */
        /* Unbuffered: JSON lines are read with read(2) into run->in, which must
         * see every byte after the few getc reads the format detection makes.
         * Whole-stream formats fread large blocks, which go straight to read(2). */
        setvbuf(in, NULL, _IONBF, 0);
        run->in_pos = run->in_len = 0;
        run->read_errno = 0;
        if (fmt == FORMAT_AUTO) {
                int c;
                while ((c = getc(in)) != EOF && (c == ' ' || c == '\t' || c == '\r' || c == '\n')) {
                        line += c == '\n';
                        /* kept (up to the size limit): the worker sees them too, and
                         * byte offsets in messages must agree */
                        if (!run->max_bytes || kept <= run->max_bytes) {
                                if (buf_reserve(run, kept + 1) < 0)
                                        LOG_FATAL(EXIT_FAILURE_RUNTIME, "oom",
                                                  "out of memory reading input");
                                run->buf[kept++] = (char)c;
                        }
                }
                if (c == '{') { /* read_line takes over the stream from here */
                        run->in[0] = '{';
                        run->in_len = 1;
                        fmt = FORMAT_JSONL;
                } else if (c != EOF) {
                        ungetc(c, in);
                        fmt = FORMAT_AUTO;
                } else if (!ferror(in)) {
                        run->ctx = run->ctx_auto;
                        process_one(run, kept ? run->buf : "", kept, 1);
                        return;
                }
        }
        if (fmt == FORMAT_JSONL) {
                run->ctx = run->ctx_json;
                run_jsonl(run, in, line);
        } else if (fmt == FORMAT_TEXT) {
                run->ctx = run->ctx_text;
                run_text(run, in, 1, 0);
        } else if (fmt == FORMAT_HTML) {
                run->ctx = run->ctx_html;
                run_text(run, in, 1, 0);
        } else {
                run->ctx = run->ctx_auto;
                run_text(run, in, 1, kept);
        }
        if (ferror(in) || run->read_errno) {
                fprintf(stderr, "stemtag classify: %s: read error: %s\n", name,
                        strerror(run->read_errno ? run->read_errno : errno));
                run->failed = 1;
        }
}

/* One pipeline context per article format (auto decides per input, the
 * others are fixed per stream) over one model, and the read buffers. */
static void classify_run_open(struct classify_run *run, const struct pipeline_options *opts)
{
        struct pipeline_options json_opts = *opts, text_opts = *opts, html_opts = *opts,
                                auto_opts = *opts;

        json_opts.article.format = ARTICLE_FORMAT_JSON;
        text_opts.article.format = ARTICLE_FORMAT_TEXT;
        html_opts.article.format = ARTICLE_FORMAT_HTML;
        auto_opts.article.format = ARTICLE_FORMAT_AUTO;
        run->ctx_json = pipeline_ctx_new(&json_opts);
        run->ctx_text = pipeline_ctx_new(&text_opts);
        run->ctx_html = pipeline_ctx_new(&html_opts);
        run->ctx_auto = pipeline_ctx_new(&auto_opts);
        record_buf_init(&run->err);
        run->in = malloc(CLASSIFY_READ_BLOCK);
        if (!run->ctx_json || !run->ctx_text || !run->ctx_html || !run->ctx_auto || !run->in)
                LOG_FATAL(EXIT_FAILURE_RUNTIME, "oom", "out of memory");
}

/* Every FILE in order ('-' or none: stdin), then stdout flushed; a file that
 * cannot be opened or a write error marks the run failed (exit 1). */
static void classify_inputs(struct classify_run *run, int nfiles, char **files,
                            enum input_format fmt)
{
        for (int i = 0; i < (nfiles ? nfiles : 1); i++) {
                const char *name = nfiles ? files[i] : "-";
                FILE *in = cli_input_open("classify", name);
                if (!in) {
                        run->failed = 1;
                        continue;
                }
                run_stream(run, in, name, fmt);
                cli_input_close(in);
        }
        if (fflush(stdout) != 0 || ferror(stdout)) {
                fprintf(stderr, "stemtag classify: write error on stdout: %s\n", strerror(errno));
                run->failed = 1;
        }
}

static void classify_run_close(struct classify_run *run)
{
        pipeline_ctx_destroy(run->ctx_json);
        pipeline_ctx_destroy(run->ctx_text);
        pipeline_ctx_destroy(run->ctx_html);
        pipeline_ctx_destroy(run->ctx_auto);
        pipeline_model_unref(run->model);
        record_buf_free(&run->err);
        free(run->buf);
        free(run->in);
}

int cmd_classify(int argc, char **argv)
{
        static const struct option longopts[] = {
            {"format", required_argument, NULL, 'f'},
            {"explain", no_argument, NULL, 'e'},
            {"taxonomy", required_argument, NULL, 't'},
            {"langid-model", required_argument, NULL, 'l'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        enum input_format fmt = FORMAT_AUTO;
        int explain = 0, fmt_given = 0;
        const char *config_path;
        const char *langid_model = NULL;
        int langid_given = 0;
        const char **taxonomies = calloc((size_t)argc + 1, sizeof(*taxonomies));
        struct cli_config_args args;
        size_t ntax = 0;
        struct config *cfg = NULL;
        if (!taxonomies)
                LOG_FATAL(EXIT_FAILURE_RUNTIME, "oom", "out of memory");
        cli_config_args_init(&args, argc);

        optind = 1;
        int c;
        while ((c = getopt_long(argc, argv, "hc:X:", longopts, NULL)) != -1) {
                if (cli_config_args_take(&args, c, optarg))
                        continue;
                switch (c) {
                case 'f':
                        fmt_given = 1;
                        if (!strcmp(optarg, "auto"))
                                fmt = FORMAT_AUTO;
                        else if (!strcmp(optarg, "jsonl") || !strcmp(optarg, "json"))
                                fmt = FORMAT_JSONL;
                        else if (!strcmp(optarg, "text"))
                                fmt = FORMAT_TEXT;
                        else if (!strcmp(optarg, "html"))
                                fmt = FORMAT_HTML;
                        else {
                                fprintf(stderr,
                                        "stemtag classify: --format must be auto, jsonl, text or "
                                        "html, not '%s'\n",
                                        optarg);
                                free(taxonomies);
                                cli_config_args_free(&args);
                                return EXIT_USAGE;
                        }
                        break;
                case 'e':
                        explain = 1;
                        break;
                case 't':
                        taxonomies[ntax++] = optarg;
                        break;
                case 'l':
                        langid_given = 1;
                        langid_model = strcmp(optarg, "none") ? optarg : NULL;
                        break;
                case 'h':
                        usage(stdout);
                        free(taxonomies);
                        cli_config_args_free(&args);
                        return 0;
                default:
                        usage(stderr);
                        free(taxonomies);
                        cli_config_args_free(&args);
                        return EXIT_USAGE;
                }
        }

        struct pipeline_options opts;
        char errstr[512];
        pipeline_options_default(&opts);
        config_path = args.path ? args.path : config_default_path(environ);
        if (!config_path && !args.n_x) {
                /* No config named or found: the built-in defaults, with the default language
                 * model and taxonomy (paths relative to the working directory) when
                 * they are there, so `stemtag classify FILE` run from the repository
                 * tags sections like the worker does. */
                cfg = config_new();
                if (!cfg || config_to_pipeline_options(cfg, &opts, errstr, sizeof(errstr)) < 0)
                        LOG_FATAL(EXIT_FAILURE_RUNTIME, "config", "built-in defaults: %s", errstr);
                if (opts.langid_model_path && !fopen_ok(opts.langid_model_path))
                        opts.langid_model_path = NULL;
                for (size_t i = 0; opts.taxonomy_paths && opts.taxonomy_paths[i]; i++)
                        if (!fopen_ok(opts.taxonomy_paths[i]))
                                opts.taxonomy_paths = NULL;
        } else {
                /* Same sources and order as `stemtag run`: file, environment, -X. */
                cfg = config_new();
                if (!cfg)
                        LOG_FATAL(EXIT_FAILURE_RUNTIME, "oom", "out of memory");
                if (config_load(cfg, config_path, environ, args.xs, args.n_x, errstr,
                                sizeof(errstr)) < 0 ||
                    config_to_pipeline_options(cfg, &opts, errstr, sizeof(errstr)) < 0) {
                        fprintf(stderr, "stemtag classify: %s\n", errstr);
                        config_destroy(cfg);
                        free(taxonomies);
                        cli_config_args_free(&args);
                        return EXIT_USAGE;
                }
                if (!fmt_given)
                        fmt = opts.article.format == ARTICLE_FORMAT_JSON   ? FORMAT_JSONL
                              : opts.article.format == ARTICLE_FORMAT_TEXT ? FORMAT_TEXT
                              : opts.article.format == ARTICLE_FORMAT_HTML ? FORMAT_HTML
                                                                           : FORMAT_AUTO;
        }
        opts.explain = explain;
        if (langid_given)
                opts.langid_model_path = langid_model;
        if (ntax)
                opts.taxonomy_paths = taxonomies;
        struct classify_run run = {0};
        run.max_bytes = opts.article.max_bytes;
        run.model = pipeline_model_load(&opts, errstr, sizeof(errstr));
        if (!run.model) {
                fprintf(stderr, "stemtag classify: %s\n", errstr);
                config_destroy(cfg);
                free(taxonomies);
                cli_config_args_free(&args);
                return EXIT_MODEL;
        }
        classify_run_open(&run, &opts);
        classify_inputs(&run, argc - optind, argv + optind, fmt);
        classify_run_close(&run);
        config_destroy(cfg); /* after the model and contexts: they borrow its strings */
        free(taxonomies);
        cli_config_args_free(&args);
        return run.failed ? EXIT_FAILURE_RUNTIME : 0;
}
