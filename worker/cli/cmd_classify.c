/* Placeholder until its issue lands: says so plainly and fails. */
#include <stdio.h>

#include "commands.h"

int cmd_classify(int argc, char **argv)
{
        (void)argc;
        fprintf(stderr, "stemtag %s: not implemented yet\n", argv[0]);
        return 2;
}
