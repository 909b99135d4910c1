/* stemtag: command dispatch. Each subcommand lives in cmd_<name>.c. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <microhttpd.h>
#include <utf8proc.h>

#include "commands.h"

struct command {
        const char *name;
        int (*fn)(int argc, char **argv);
        const char *summary;
};

static const struct command commands[] = {
        {"run", cmd_run, "consume raw articles from Kafka, tag them, produce enriched records"},
        {"classify", cmd_classify, "tag articles from files or stdin, one JSON record per line"},
        {"train", cmd_train, "learn keyword weights from labelled JSON lines (taxonomy format)"},
        {"eval", cmd_eval, "measure a model on labelled JSON lines"},
        {"train-lang", cmd_train_lang, "build the language model from <iso>.txt files"},
        {"check-config", cmd_check_config, "validate a config file without connecting"},
};

static void usage(FILE *out)
{
        fprintf(out, "Usage: stemtag <command> [options]\n\n"
                     "Stemtag tags news articles with language, section and topics.\n\n"
                     "Commands:\n");
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                fprintf(out, "  %-13s %s\n", commands[i].name, commands[i].summary);
        fprintf(out, "\nOptions:\n"
                     "  -h, --help     this help; `stemtag <command> --help` for a command\n"
                     "  -V, --version  version, git revision and library versions\n");
}

void cli_print_version(void)
{
        printf("stemtag %s (git %s)\n", STEMTAG_VERSION, STEMTAG_GIT_REV);
        printf("librdkafka %s, jansson %s, utf8proc %s, libmicrohttpd %s, libstemmer (snowball)\n",
               rd_kafka_version_str(), JANSSON_VERSION, utf8proc_version(), MHD_get_version());
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                usage(stderr);
                return 2;
        }
        if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
                usage(stdout);
                return 0;
        }
        if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
                cli_print_version();
                return 0;
        }
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (!strcmp(argv[1], commands[i].name))
                        return commands[i].fn(argc - 1, argv + 1);
        fprintf(stderr, "stemtag: unknown command '%s'\n\n", argv[1]);
        usage(stderr);
        return 2;
}
