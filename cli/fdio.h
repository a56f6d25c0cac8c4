/* Writing a whole buffer to a descriptor (cli/fdio.c). */
#ifndef IL_FDIO_H
#define IL_FDIO_H

#include <stddef.h>

/* Writes all n bytes: a short write is continued, EINTR retried, and
 * EAGAIN on a non-blocking descriptor shared with others waited out. 0, or
 * -1 when the descriptor fails (errno set). */
int il_write_all(int fd, const void *p, size_t n);

#endif
