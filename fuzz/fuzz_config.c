/* fuzz_config: bytes -> config_load_file, then every line once more through
 * config_set as "key=value" (the -X path), then config_validate and
 * config_dump. A config file comes from an operator or a ConfigMap: errors
 * must name file/line/key, never crash, leak or read out of bounds; and the
 * dump must never show a secret that was set. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#include "fuzz_memfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fuzz_memfile fz_file;
static FILE *fz_null;

/* The -X path: each line of the input split at its first '=' (if any). */
static void fz_set_lines(struct config *c, const uint8_t *data, size_t size)
{
        char errstr[512];
        char *buf = malloc(size + 1), *line, *save = NULL;

        if (!buf)
                abort();
        memcpy(buf, data, size);
        buf[size] = '\0';
        for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *eq = strchr(line, '=');
                if (!eq)
                        continue;
                *eq = '\0';
                errstr[0] = '\0';
                if (config_set(c, line, eq + 1, errstr, sizeof(errstr)) != 0 && errstr[0] == '\0')
                        abort(); /* a failure must say why */
        }
        free(buf);
}

/* Whatever the input did, a password set last must not appear on its dump line. */
static void fz_check_redacted(struct config *c)
{
        static const char secret[] = "fz-Secret-0xC0FFEE";
        char errstr[512], *dump = NULL, *line, *save = NULL;
        size_t dump_len = 0;
        FILE *f;

        if (config_set(c, "kafka.sasl.password", secret, errstr, sizeof(errstr)) != 0)
                abort();
        f = open_memstream(&dump, &dump_len);
        if (!f)
                abort();
        config_dump(c, f);
        fclose(f);
        for (line = strtok_r(dump, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                if (strncmp(line, "kafka.sasl.password = ", 22) == 0 && strstr(line + 22, secret)) {
                        fprintf(stderr, "fuzz_config: secret shown by config_dump: %s\n", line);
                        abort();
                }
        free(dump);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char errstr[512];
        struct config *c;

        if (!fz_null) {
                fz_null = fopen("/dev/null", "w");
                if (!fz_null)
                        abort();
                fuzz_memfile_open(&fz_file, "stemtag.conf");
        }
        fuzz_memfile_set(&fz_file, data, size);

        c = config_new();
        if (!c)
                abort();
        errstr[0] = '\0';
        if (config_load_file(c, fz_file.path, errstr, sizeof(errstr)) != 0 && errstr[0] == '\0')
                abort();
        fz_set_lines(c, data, size);
        (void)config_validate(c, errstr, sizeof(errstr));
        config_dump(c, fz_null);
        fz_check_redacted(c);
        config_destroy(c);
        return 0;
}
