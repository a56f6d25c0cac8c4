/* Writing a whole buffer: the session's files, the cache's entries, the
 * prompt and the pty proxy's output all need every byte out. */
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "fdio.h"

int il_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EAGAIN) {
			struct pollfd pf = { fd, POLLOUT, 0 };
			poll(&pf, 1, 1000);
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w, n -= (size_t)w;
	}
	return 0;
}
