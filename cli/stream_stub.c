/* TEMPORARY: stands in for cli/stream.c until the --stream helper lands it; delete this
 * file (and its Makefile.am line) when cli/stream.c defines cmd_stream. */
#include "commands.h"
#include "exitcodes.h"

#include <stdio.h>

__attribute__((weak)) int cmd_stream(const struct options *o)
{
    (void)o;
    fprintf(stderr, "dtls-send: --stream is not built yet in this version\n");
    return EXIT_USAGE;
}
