/* The system calls the seccomp filter hands to the supervisor: one table
 * (calls.c) that the filter builds its rules from and the dispatch reads
 * its handlers from, so a call cannot be trapped without a handler or
 * handled without being trapped. */
#ifndef IL_SV_CALLS_H
#define IL_SV_CALLS_H

#include <linux/seccomp.h>
#include <stdint.h>

#include "il.h"

/* Order matters: the file system calls are grouped as trap_fs.c reads them
 * (opens, then deletes and renames, then the ones judged for interlock's
 * own files only). */
enum sv_call {
	SV_NONE = -1,
	SV_EXECVE, SV_EXECVEAT,
	SV_CONNECT, SV_SENDTO, SV_SENDMSG,
	FS_OPEN, FS_OPENAT, FS_OPENAT2, FS_CREAT,
	FS_UNLINK, FS_UNLINKAT, FS_RMDIR, FS_RENAME, FS_RENAMEAT, FS_RENAMEAT2,
	FS_CHMOD, FS_FCHMODAT, FS_FCHMOD, FS_CHOWN, FS_LCHOWN, FS_FCHOWNAT, FS_FCHOWN,
	FS_SYMLINK, FS_SYMLINKAT, FS_LINK, FS_LINKAT,
	SV_NCALLS
};

/* What the supervisor does with a call (dispatch.c). */
enum sv_kind { SV_KIND_EXEC, SV_KIND_CONNECT, SV_KIND_OPEN, SV_KIND_DELETE, SV_KIND_OWN };

struct sv_call_def {
	const char *name;  /* as libseccomp resolves it on each ABI */
	enum sv_kind kind;
	int strict;        /* trapped unless --no-strict */
	int fastopen_arg;  /* >= 0: trapped only with MSG_FASTOPEN in this argument */
};
extern const struct sv_call_def il_sv_calls[SV_NCALLS] IL_HIDDEN;

/* One ABI the filter covers: its audit arch, each call's number there (-1:
 * none on this ABI) and the target's pointer size. */
struct abi {
	uint32_t audit_arch;
	int nr[SV_NCALLS];
	int ptr;
};
#define IL_SV_MAX_ABIS 3
/* The native ABI first, then its compat ABIs; returns how many. */
int il_sv_init_abis(struct abi abis[IL_SV_MAX_ABIS]) IL_HIDDEN;
/* The call a notification is about, and on which ABI; SV_NONE when none
 * of the table (never trapped, so never expected). */
enum sv_call il_sv_call_of(const struct abi *abis, int nabi, const struct seccomp_data *d,
			   const struct abi **abi) IL_HIDDEN;
/* libseccomp's arch token of each ABI il_sv_init_abis returns, for the
 * filter (0 ends the list; the first is the native one). */
extern const uint32_t il_sv_scmp_arches[IL_SV_MAX_ABIS + 1] IL_HIDDEN;

#endif
