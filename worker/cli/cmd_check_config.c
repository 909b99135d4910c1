/* check-config: load and validate the config the way `run` would, without
 * connecting to Kafka. Exit 0 valid, 2 invalid, 3 the language model or a
 * taxonomy cannot be loaded (docs/configuration.md "Exit codes"). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_config.h"
#include "commands.h"
#include "config.h"
#include "config_pipeline.h"
#include "pipeline.h"
#include "log.h"

static void check_config_usage(FILE *out)
{
        fprintf(out,
                "Usage: stemtag check-config [-c FILE] [-X key=value]... [--dump]\n\n"
                "Loads the config like `stemtag run` (defaults, FILE or the config search,\n"
                "STEMTAG_* environment, -X) and validates every key: known names, types,\n"
                "enum values, ranges, readable files, kafka.* keys accepted by librdkafka;\n"
                "then loads the language model and taxonomy like `run`. Never connects.\n\n"
                "Options:\n"
                "  -c, --config FILE   config file (default: the config search, see\n"
                "                      `stemtag --help`; none found: defaults only)\n"
                "  -X key=value        set one key (repeatable); kafka.* go to librdkafka\n"
                "  -d, --dump          print the effective config, secrets redacted, once\n"
                "                      it loads (also when a value then fails validation;\n"
                "                      not when the file is unreadable or has an unknown key)\n"
                "  -q, --quiet         print nothing when valid\n"
                "  -h, --help          this help\n\n"
                "Exit status: 0 valid, 2 invalid or bad usage, 3 the language model or\n"
                "a taxonomy cannot be loaded (like `stemtag run`).\n");
}

int cmd_check_config(int argc, char **argv)
{
        static const struct option longopts[] = {
            {"config", required_argument, NULL, 'c'},
            {"dump", no_argument, NULL, 'd'},
            {"quiet", no_argument, NULL, 'q'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        struct cli_config_args args;
        int dump = 0, quiet = 0, opt, rc = EXIT_USAGE;
        struct config *c = NULL;
        char err[1024];

        cli_config_args_init(&args, argc);
        optind = 1;
        while ((opt = getopt_long(argc, argv, "c:X:dqh", longopts, NULL)) != -1) {
                if (cli_config_args_take(&args, opt, optarg))
                        continue;
                switch (opt) {
                case 'd':
                        dump = 1;
                        break;
                case 'q':
                        quiet = 1;
                        break;
                case 'h':
                        check_config_usage(stdout);
                        cli_config_args_free(&args);
                        return EXIT_OK;
                default:
                        check_config_usage(stderr);
                        goto out;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "stemtag check-config: unexpected argument '%s'\n", argv[optind]);
                check_config_usage(stderr);
                goto out;
        }
        /* validated below, after --dump: an operator debugging an invalid
         * value wants to see the config that holds it */
        c = cli_config_load(&args, 0, err, sizeof(err));
        if (!c) {
                fprintf(stderr, "stemtag check-config: %s\n", err);
                goto out;
        }
        /* Loaded: --dump shows it even when a value is then found invalid
         * (what an operator debugging the error wants to see); the exit
         * status still says invalid. */
        if (dump)
                config_dump(c, stdout);
        if (config_validate(c, err, sizeof(err)) < 0) {
                fflush(stdout);
                fprintf(stderr, "stemtag check-config: %s\n", err);
                goto out;
        }
        {
                /* Load the model for real: taxonomy and language model contents
                 * are checked the way `run` and SIGHUP reload check them. */
                struct pipeline_model *m = config_load_model(c, err, sizeof(err));
                if (!m) {
                        fflush(stdout);
                        fprintf(stderr, "stemtag check-config: model: %s\n", err);
                        rc = EXIT_MODEL; /* what `run` exits with for the same file */
                        goto out;
                }
                pipeline_model_unref(m);
        }
        if (!config_get(c, "kafka.bootstrap.servers"))
                fprintf(stderr, "stemtag check-config: warning: kafka.bootstrap.servers is not "
                                "set; `stemtag run` needs it\n");
        if (!dump && !quiet)
                printf("config ok%s%s\n", config_file_path(c) ? ": " : " (no file, defaults)",
                       config_file_path(c) ? config_file_path(c) : "");
        rc = EXIT_OK;
out:
        config_destroy(c);
        cli_config_args_free(&args);
        return rc;
}
