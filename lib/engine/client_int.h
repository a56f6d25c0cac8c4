/* What cmd_view.c, client_config.c and request_data.c share: reading what
 * a client reads besides its command line (config files, request bodies,
 * its standard input). Engine-internal, heap-free. */
#ifndef IL_CLIENT_INT_H
#define IL_CLIENT_INT_H

#include "engine_int.h"

#define IL_FILE_MAX (64u << 10)

/* Up to IL_FILE_MAX bytes of a regular file (name relative to cwd), read
 * with system calls no hook sees; NULL when it is not there, not a
 * regular file (a FIFO would block), or empty-named. */
const char *il_read_small_file(struct il_arena *a, const char *cwd, const char *name) IL_HIDDEN;

/* Is the argument a one of the options in list (long, or a short one at
 * the end of a cluster: -sK)? Its value is then attached (*at: after '='
 * or the letter) or the next argument (*at NULL). */
int il_option_value(const char *list, const char *a, const char **at) IL_HIDDEN;

/* The options written in a client's config text, as the words of a
 * command line appended to out[n..cap); the new count. format "curl":
 * curl's -K files (`-X DELETE`, `request = DELETE`, `url "https://..."`);
 * "wgetrc": wget's (`method = DELETE` is --method=DELETE). */
int il_config_words(struct il_arena *a, const char *format, const char *text, const char **out, int n,
		    int cap) IL_HIDDEN;

#endif
