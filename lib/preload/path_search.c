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

const char *il_search_path(const char *file, char *buf, size_t cap)
{
	if (!file || !*file)
		return file;
	for (const char *p = file; *p; p++)
		if (*p == '/')
			return file;
	int fits;
	for (const char *d = il_path_dirs(); d;) {
		d = il_path_entry(d, file, buf, cap, &fits);
		/* what execve would run (checked with the effective ids, as
		 * execve does: a setuid program's real ones could skip to
		 * another file); glibc's walk goes past a directory (EACCES)
		 * to the next entry */
		struct stat st;
		if (fits && faccessat(AT_FDCWD, buf, X_OK, AT_EACCESS) == 0 && stat(buf, &st) == 0 &&
		    S_ISREG(st.st_mode))
			return buf;
	}
	return file;
}
