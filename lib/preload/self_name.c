/* This process as the rules name programs (il_program_name, caller.c):
 * its executable, or the script its interpreter runs, unless that file is
 * the agent's own work or code was loaded into it. Worked out once per
 * process, from what it was started with: its first arguments, copied
 * before the program runs (node sets process.title and npm's cmdline then
 * reads "npm config get registry", with no script in it), and its
 * environment as it started (putenv later loads nothing). Both come from
 * the constructor: no system call, and no read of /proc/self, which the
 * supervisor under --strict would have to judge (from a thread, as
 * another process's). Without them (the library loaded late, dlopen) they
 * are read from /proc/self with raw system calls. Racing threads write
 * the same bytes. */
#include <fcntl.h>
#include <sys/syscall.h>

#include "preload.h"
#include "rawsys.h"

static char args_buf[8192], env_buf[65536];
static const char *args_vec[256], *env_vec[4096];
/* What the constructor writes, in the hot page (IL_HOT, preload.h): the
 * arguments go to args_small when they fit (most commands), else to
 * args_buf; they are split into args_vec only when a rule asks. */
static IL_HOT char args_small[512];
static IL_HOT char *args_at; /* the copy: args_small or args_buf; NULL before the constructor */
static IL_HOT size_t args_len;
static IL_HOT char **start_env; /* main's environment, as the constructor saw it */
static const char *self_name;
static int name_state; /* 0 unknown, 1 named, 2 no name */

/* glibc passes an ELF constructor main's arguments: the first ones (an
 * interpreter's options and its script) are copied, a few strings and no
 * system call, before the program can write over them. */
__attribute__((constructor)) static void keep_args(int argc, char **argv, char **envp)
{
	start_env = envp;
	size_t o = 0;
	int n = 0;
	for (; n < argc && n < 16 && argv && argv[n]; n++) {
		size_t l = il_init_len(argv[n]);
		if (o + l + 1 > sizeof args_buf)
			break;
		o += l + 1;
	}
	char *dst = o <= sizeof args_small ? args_small : args_buf;
	for (size_t i = 0, at = 0; i < (size_t)n; i++) {
		size_t l = il_init_len(argv[i]);
		il_memcpy(dst + at, argv[i], l + 1);
		at += l + 1;
	}
	args_len = o;
	__atomic_store_n(&args_at, dst, __ATOMIC_RELEASE);
}

/* /proc/self/NAME into buf as a vector; -1 when it cannot be read whole. */
static int read_vec(const char *path, char *buf, size_t cap, const char **vec, int vcap)
{
	long fd = il_sys4(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	size_t got = 0;
	long r;
	while (got < cap && (r = il_sys4(SYS_read, fd, (long)(buf + got), (long)(cap - got), 0)) > 0)
		got += (size_t)r;
	il_sys4(SYS_close, fd, 0, 0, 0);
	if (got == cap)
		return -1; /* more than fits: what is left out could load code */
	int n = il_nul_split(buf, got, vec, vcap);
	return n < vcap - 1 ? n : -1;
}

const char *il_self_name(struct il_snap_view *v)
{
	int st = __atomic_load_n(&name_state, __ATOMIC_ACQUIRE);
	if (!st && v) {
		int saved = errno;
		const char *exe = il_self_exe();
		const char *name = 0;
		char *kept = __atomic_load_n(&args_at, __ATOMIC_ACQUIRE);
		int args = kept ? il_nul_split(kept, args_len, args_vec, 256)
				: read_vec("/proc/self/cmdline", args_buf, sizeof args_buf, args_vec, 256);
		char *const *env = start_env;
		if (!env && read_vec("/proc/self/environ", env_buf, sizeof env_buf, env_vec, 4096) >= 0)
			env = (char *const *)env_vec;
		if (exe && args >= 0 && env)
			name = il_program_name(v, exe, args_vec, env, 0);
		errno = saved;
		self_name = name;
		st = name ? 1 : 2;
		__atomic_store_n(&name_state, st, __ATOMIC_RELEASE);
	}
	return st == 1 ? self_name : 0;
}

const char *il_self_args(size_t *len)
{
	const char *kept = __atomic_load_n(&args_at, __ATOMIC_ACQUIRE);
	*len = kept ? args_len : 0;
	return kept;
}
