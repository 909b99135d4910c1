/* commands: the stemtag subcommands. Each takes the arguments after its name
 * (argv[0] is the command name) and returns the process exit status. */
#ifndef STEMTAG_COMMANDS_H
#define STEMTAG_COMMANDS_H

int cmd_run(int argc, char **argv);          /* cmd_run.c: the Kafka worker */
int cmd_classify(int argc, char **argv);     /* cmd_classify.c: stdin/files -> records */
int cmd_train(int argc, char **argv);        /* cmd_train.c: learn a taxonomy from labelled JSONL */
int cmd_eval(int argc, char **argv);         /* cmd_eval.c: score a model on labelled JSONL */
int cmd_train_lang(int argc, char **argv);   /* cmd_train_lang.c: build the language model */
int cmd_check_config(int argc, char **argv); /* cmd_check_config.c: validate without connecting */
int cmd_taxonomy(int argc, char **argv);     /* cmd_taxonomy.c: coverage stats and audit */
int cmd_diff(int argc, char **argv);         /* cmd_diff.c: two taxonomies over the same articles */
int cmd_replay(int argc, char **argv);       /* cmd_replay.c: dead letters back to their topic */

/** Prints the version line(s) with git revision and dependency versions. */
void cli_print_version(void);

#endif
