/* The PATH search of execvp, execvpe and posix_spawnp, done here: the
 * preload execs the file its own search found (one exec, judged once)
 * instead of letting glibc try execve in every PATH entry. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "il.h"
#include "preload.h"

const char *il_path_entry(const char *dirs, const char *file, char *buf, size_t cap, int *fits)
{
	const char *e = dirs;
	while (*e && *e != ':')
		e++;
	size_t dl = (size_t)(e - dirs), fl = il_strlen(file);
	*fits = dl + fl + 2 <= cap;
	if (*fits) {
		il_memcpy(buf, dirs, dl);
		size_t o = dl;
		if (dl) /* an empty entry is the working directory: FILE alone */
			buf[o++] = '/';
		il_memcpy(buf + o, file, fl + 1);
	}
	return *e ? e + 1 : 0;
}

const char *il_path_dirs(void)
{
	const char *dirs = il_env_get(environ, "PATH");
	return dirs ? dirs : "/bin:/usr/bin";
}

/* The entry of the search at buf: a regular file execve would run
 * (checked with the effective ids, as execve does: a setuid program's
 * real ones could skip to another file), 2 when it is one through a
 * symlink; glibc's walk goes past a directory (EACCES) to the next
 * entry. The symlink costs its own stat only where there is one. */
static int runnable(const char *buf)
{
	struct stat st;
	if (faccessat(AT_FDCWD, buf, X_OK, AT_EACCESS) != 0 || fstatat(AT_FDCWD, buf, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return 0;
	if (S_ISREG(st.st_mode))
		return 1;
	return S_ISLNK(st.st_mode) && stat(buf, &st) == 0 && S_ISREG(st.st_mode) ? 2 : 0;
}

static const char *search(const char *file, char *buf, size_t cap, int *link)
{
	*link = 0;
	if (!file || !*file)
		return file;
	for (const char *p = file; *p; p++)
		if (*p == '/')
			return file;
	int fits;
	for (const char *d = il_path_dirs(); d;) {
		d = il_path_entry(d, file, buf, cap, &fits);
		int r = fits ? runnable(buf) : 0;
		if (r) {
			*link = r == 2;
			return buf;
		}
	}
	return file;
}

const char *il_search_path(const char *file, char *buf, size_t cap)
{
	int link;
	return search(file, buf, cap, &link);
}

const char *il_search_path_real(const char *file, char *buf, size_t cap, char *real, size_t rcap,
				const char **real_out, int *known)
{
	int link, missing;
	const char *path = search(file, buf, cap, &link);
	*real_out = 0;
	*known = path == buf; /* found by the search: a link or not, it knows */
	if (*known && link)
		*real_out = il_exec_real(path, 0, 0, real, rcap, &missing);
	return path;
}
