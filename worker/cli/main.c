/* stemtag: command dispatch. Each subcommand lives in cmd_<name>.c. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <libstemmer.h>
#include <microhttpd.h>
#include <utf8proc.h>

#include "commands.h"
#include "config.h"

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
    {"taxonomy", cmd_taxonomy, "taxonomy coverage per language and label; keyword audit"},
    {"diff", cmd_diff, "what a new taxonomy changes: gained, lost, moved tags per label"},
    {"replay", cmd_replay, "send dead letters back to their input topic, once"},
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
                     "  -V, --version  version, git revision and library versions\n\n"
                     "Config (later wins): defaults, the config file, STEMTAG_<KEY> environment,\n"
                     "-X key=value. `stemtag check-config --dump` shows the result. The config\n"
                     "file (run, classify, check-config): -c FILE, else the first that exists of\n"
                     "$STEMTAG_CONFIG, ./config/stemtag.conf, " STEMTAG_SYSCONF_FILE ".\n"
                     "Signals (run): SIGTERM/SIGINT drain and exit 0; SIGHUP reloads the model.\n"
                     "Exit status: 0 ok, 1 fatal runtime (Kafka) error, 2 usage or config error,\n"
                     "3 language model or taxonomy cannot be loaded.\n");
}

/* Runtime versions (what is loaded) next to build-time ones (what the
 * headers said) so a mismatched container image shows itself. */
void cli_print_version(void)
{
        size_t n_stemmers = 0;

        for (const char **l = sb_stemmer_list(); l && *l; l++)
                n_stemmers++;
        printf("stemtag %s (git %s)\n", STEMTAG_VERSION, STEMTAG_GIT_REV);
        printf("  librdkafka     %s (built with %d.%d.%d)\n", rd_kafka_version_str(),
               (RD_KAFKA_VERSION >> 24) & 0xff, (RD_KAFKA_VERSION >> 16) & 0xff,
               (RD_KAFKA_VERSION >> 8) & 0xff);
        printf("  jansson        %s (built with %s)\n", jansson_version_str(), JANSSON_VERSION);
        printf("  utf8proc       %s (built with %d.%d.%d)\n", utf8proc_version(),
               UTF8PROC_VERSION_MAJOR, UTF8PROC_VERSION_MINOR, UTF8PROC_VERSION_PATCH);
        printf("  libmicrohttpd  %s\n", MHD_get_version());
        printf("  libstemmer     Snowball, %zu stemmer names\n", n_stemmers);
#ifdef __VERSION__
        printf("  compiler       %s\n", __VERSION__);
#endif
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                usage(stderr);
                return 2;
        }
        if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
                /* `stemtag help <command>` = `stemtag <command> --help` */
                if (argc > 2 && !strcmp(argv[1], "help")) {
                        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                                if (!strcmp(argv[2], commands[i].name)) {
                                        char *sub[] = {argv[2], "--help", NULL};
                                        return commands[i].fn(2, sub);
                                }
                        fprintf(stderr, "stemtag: unknown command '%s'\n\n", argv[2]);
                        usage(stderr);
                        return 2;
                }
                usage(stdout);
                return 0;
        }
        if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version") ||
            !strcmp(argv[1], "version")) {
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
