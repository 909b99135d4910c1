/* cli_input: FILE arguments (see cli_input.h). */
#include "cli_input.h"

#include <errno.h>
#include <string.h>

FILE *cli_input_open(const char *cmd, const char *name)
{
        FILE *in = strcmp(name, "-") ? fopen(name, "rb") : stdin;
        if (!in)
                fprintf(stderr, "stemtag %s: cannot open %s: %s\n", cmd, name, strerror(errno));
        return in;
}

void cli_input_close(FILE *in)
{
        if (in && in != stdin)
                fclose(in);
}
