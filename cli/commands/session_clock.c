/* When a session starts, as the file system will tell it.
 *
 * What the session made is the agent's own (lib/engine/paths.c,
 * il_born_in_session): a file whose birth time is at or after the session's
 * start. Birth times are not read from a precise clock: the kernel stamps a
 * new inode with the coarse clock (the last tick, 4 ms apart here), and
 * since Linux 6.13 (multigrain timestamps) with the later of that and a
 * floor, the newest fine-grained time it has handed out to any file.
 *
 * So a start taken from the coarse clock is wrong both ways: a key the user
 * wrote a millisecond before `interlock run` got a birth time from the floor
 * that is later than the tick the session started in, and counted as the
 * agent's (a test that writes its fixture and starts interlock at once saw
 * 39 of 40 reads go through); and with ties broken the other way, what the
 * agent makes in its first tick would not count as its own.
 *
 * The start is the precise time instead. Nothing made before it can carry a
 * later birth time (neither the tick nor the floor is ever ahead of the real
 * time). What is made after it must too: the floor is pushed past the start
 * here, by a change of ctime to a file whose ctime was just read, which
 * multigrain file systems stamp with a fine-grained time that becomes the
 * new floor. From then on every new inode is born at or after the start,
 * on any file system that takes its times from the kernel's clock. On a
 * kernel without multigrain timestamps the push does nothing and what the
 * agent makes within the first tick counts as older than the session: asked
 * about, never let through. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"

static int before(const struct statx_timestamp *t, const struct timespec *start)
{
	return t->tv_sec < start->tv_sec || (t->tv_sec == start->tv_sec && t->tv_nsec < (uint32_t)start->tv_nsec);
}

void il_session_clock(const char *dir, struct timespec *start)
{
	clock_gettime(CLOCK_REALTIME, start);
	char stamp[4200];
	snprintf(stamp, sizeof stamp, "%s/" IL_SESSION_OWNER, dir);
	/* Read (which marks the ctime as seen), then change it. The first
	 * change may still get a coarse time: when a tick came after the
	 * file's last change, that tick is what it gets. The next does not,
	 * unless another tick came in between. */
	for (int round = 0; round < 3; round++) {
		struct statx sx;
		if (statx(AT_FDCWD, stamp, AT_SYMLINK_NOFOLLOW, STATX_CTIME | STATX_MODE, &sx) < 0)
			return;
		if (!before(&sx.stx_ctime, start))
			return;
		if (chmod(stamp, sx.stx_mode & 07777) < 0)
			return;
	}
}
