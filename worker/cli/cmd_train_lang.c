/* Placeholder until its issue lands: says so plainly and fails. */
#include <stdio.h>

#include "commands.h"

int cmd_train_lang(int argc, char **argv)
{
        (void)argc;
        fprintf(stderr, "stemtag %s: not implemented yet\n", argv[0]);
        return 2;
}
