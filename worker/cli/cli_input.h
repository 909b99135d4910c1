/* cli_input: the FILE... arguments of the commands that read articles
 * (classify, diff): '-' or no FILE is stdin, a file that cannot be opened is
 * reported once, naming the command, and the others are still read. */
#ifndef STEMTAG_CLI_INPUT_H
#define STEMTAG_CLI_INPUT_H

#include <stdio.h>

/** Opens @p name ("-": stdin). NULL after printing "stemtag CMD: cannot open
 *  NAME: reason" to stderr. */
FILE *cli_input_open(const char *cmd, const char *name);
/** Closes what cli_input_open returned (stdin stays open). */
void cli_input_close(FILE *in);

#endif
