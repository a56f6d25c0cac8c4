/* Request data an HTTP client reads from a file: `curl -d @body.json`,
 * `curl --json @q.json`, `wget --post-file=body.json`, `gh api --input F`
 * send the file's contents. A rule that looks at the request (a GraphQL
 * mutation that deletes a volume) must see the contents, not the file's
 * name, or the incident's one API call passes by being written to a file
 * first.
 *
 * A program's data-options take a value in which @FILE names the file
 * (curl); its data-file-options take the file's name itself (wget, gh).
 * The file is read here, relative to the command's directory, with system
 * calls no hook sees, up to 64 KiB, and only when a rule on the program
 * looks at its arguments. Standard input (@-) is what the command line
 * says it is (a here-document) or what the host could peek at; FIFOs and
 * what cannot be read stay as written. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "client_int.h"

const char *il_read_small_file(struct il_arena *a, const char *cwd, const char *name)
{
	if (!*name || !strcmp(name, "-"))
		return 0;
	char path[4096];
	size_t n = il_strlen(name), cl = cwd ? il_strlen(cwd) : 0;
	if (name[0] == '/') {
		if (n >= sizeof path)
			return 0;
		il_memcpy(path, name, n + 1);
	} else {
		if (!cl || cl + n + 2 > sizeof path)
			return 0;
		il_memcpy(path, cwd, cl);
		path[cl] = '/';
		il_memcpy(path + cl + 1, name, n + 1);
	}
	/* O_NONBLOCK: a FIFO opens at once and is then refused below */
	long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return 0;
	struct stat st;
	char *buf = 0;
	if (fstat((int)fd, &st) == 0 && S_ISREG(st.st_mode)) {
		size_t cap = (size_t)st.st_size < IL_FILE_MAX ? (size_t)st.st_size : IL_FILE_MAX, got = 0;
		buf = il_arena_alloc(a, cap + 1);
		while (buf && got < cap) {
			long r = syscall(SYS_read, fd, buf + got, cap - got);
			if (r <= 0)
				break;
			got += (size_t)r;
		}
		if (buf)
			buf[got] = 0;
	}
	syscall(SYS_close, fd);
	return buf;
}

/* prefix followed by the contents of file (- : the command's stdin), or NULL */
static const char *with_data(struct il_arena *a, const struct il_cmd *cmd, const char *prefix, size_t pl,
			     const char *file)
{
	const char *data = il_streq(file, "-") ? cmd->stdin_text : il_read_small_file(a, cmd->cwd, file);
	if (!data || !pl)
		return data;
	size_t dl = il_strlen(data);
	char *s = il_arena_alloc(a, pl + dl + 1);
	if (!s)
		return 0;
	il_memcpy(s, prefix, pl);
	il_memcpy(s + pl, data, dl + 1);
	return s;
}

/* Is the option a (an argument as written) one of list? The value is the
 * next argument ("--data", "-d", the last letter of "-sd"), or attached
 * after '=' or to a short option: *at then points at it. */
int il_option_value(const char *list, const char *a, const char **at)
{
	*at = 0;
	if (a[0] != '-' || !a[1])
		return 0;
	if (a[1] == '-') {
		const char *eq = strchr(a, '=');
		size_t n = eq ? (size_t)(eq - a) : il_strlen(a);
		if (!il_list_has(list, a, n))
			return 0;
		if (eq)
			*at = eq + 1;
		return 1;
	}
	/* short options: flags, then the data option with its value attached
	 * (-sd@FILE) or in the next argument (-sd @FILE) */
	for (const char *c = a + 1; *c; c++) {
		char opt[3] = { '-', *c, 0 };
		if (il_list_has(list, opt, 2)) {
			if (c[1])
				*at = c + 1;
			return 1;
		}
	}
	return 0;
}

const char **il_request_data_argv(struct il_arena *a, const struct il_snap_view *v, const struct il_cmd *cmd)
{
	const struct il_snap_prog *p = il_snap_prog_for(v, cmd->name);
	const char *at_opts = p ? il_snap_str(v, p->data_options) : 0;
	const char *file_opts = p ? il_snap_str(v, p->data_file_options) : 0;
	if ((!at_opts || !*at_opts) && (!file_opts || !*file_opts))
		return cmd->argv;
	const char **out = 0;
	for (int i = 1; i < cmd->argc; i++) {
		const char *arg = cmd->argv[i], *at;
		if (!strcmp(arg, "--"))
			break;
		int by_at = at_opts && il_option_value(at_opts, arg, &at);
		if (!by_at && !(file_opts && il_option_value(file_opts, arg, &at)))
			continue;
		/* attached (--data=@F, -d@F): the option stays as the prefix;
		 * else the value is the next argument, replaced whole */
		size_t pl = at ? (size_t)(at - arg) : 0;
		int slot = i;
		if (!at) {
			if (i + 1 >= cmd->argc)
				break;
			slot = ++i;
			at = cmd->argv[i];
		}
		if (by_at && at[0] != '@')
			continue;
		const char *data = with_data(a, cmd, cmd->argv[slot], pl, by_at ? at + 1 : at);
		if (!data)
			continue;
		if (!out) {
			out = il_arena_alloc(a, sizeof *out * ((size_t)cmd->argc + 1));
			if (!out)
				return cmd->argv;
			il_memcpy(out, cmd->argv, sizeof *out * ((size_t)cmd->argc + 1));
		}
		out[slot] = data;
	}
	return out ? out : cmd->argv;
}
