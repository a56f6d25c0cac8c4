/* The table of supervised system calls (calls.h), and their numbers on
 * each ABI the filter covers, resolved once through libseccomp. */
#include <linux/audit.h>
#include <seccomp.h>
#include <sys/socket.h>

#include "calls.h"

const struct sv_call_def il_sv_calls[SV_NCALLS] = {
	[SV_EXECVE] = { "execve", SV_KIND_EXEC, 0, -1 },
	[SV_EXECVEAT] = { "execveat", SV_KIND_EXEC, 0, -1 },
	[SV_CONNECT] = { "connect", SV_KIND_CONNECT, 0, -1 },
	/* TCP Fast Open connects inside a send: the flags argument says so */
	[SV_SENDTO] = { "sendto", SV_KIND_CONNECT, 0, 3 },
	[SV_SENDMSG] = { "sendmsg", SV_KIND_CONNECT, 0, 2 },
	[FS_OPEN] = { "open", SV_KIND_OPEN, 1, -1 },
	[FS_OPENAT] = { "openat", SV_KIND_OPEN, 1, -1 },
	[FS_OPENAT2] = { "openat2", SV_KIND_OPEN, 1, -1 },
	[FS_CREAT] = { "creat", SV_KIND_OPEN, 1, -1 },
	[FS_UNLINK] = { "unlink", SV_KIND_DELETE, 1, -1 },
	[FS_UNLINKAT] = { "unlinkat", SV_KIND_DELETE, 1, -1 },
	[FS_RMDIR] = { "rmdir", SV_KIND_DELETE, 1, -1 },
	[FS_RENAME] = { "rename", SV_KIND_DELETE, 1, -1 },
	[FS_RENAMEAT] = { "renameat", SV_KIND_DELETE, 1, -1 },
	[FS_RENAMEAT2] = { "renameat2", SV_KIND_DELETE, 1, -1 },
	[FS_CHMOD] = { "chmod", SV_KIND_OWN, 1, -1 },
	[FS_FCHMODAT] = { "fchmodat", SV_KIND_OWN, 1, -1 },
	[FS_FCHMOD] = { "fchmod", SV_KIND_OWN, 1, -1 },
	[FS_CHOWN] = { "chown", SV_KIND_OWN, 1, -1 },
	[FS_LCHOWN] = { "lchown", SV_KIND_OWN, 1, -1 },
	[FS_FCHOWNAT] = { "fchownat", SV_KIND_OWN, 1, -1 },
	[FS_FCHOWN] = { "fchown", SV_KIND_OWN, 1, -1 },
	[FS_SYMLINK] = { "symlink", SV_KIND_OWN, 1, -1 },
	[FS_SYMLINKAT] = { "symlinkat", SV_KIND_OWN, 1, -1 },
	[FS_LINK] = { "link", SV_KIND_OWN, 1, -1 },
	[FS_LINKAT] = { "linkat", SV_KIND_OWN, 1, -1 },
};

static const struct {
	uint32_t scmp, audit;
	int ptr;
} abi_defs[] = {
#if defined(__x86_64__)
	{ SCMP_ARCH_X86_64, AUDIT_ARCH_X86_64, 8 },
	{ SCMP_ARCH_X32, AUDIT_ARCH_X86_64, 4 }, /* same audit arch, syscall numbers with bit 30 */
	{ SCMP_ARCH_X86, AUDIT_ARCH_I386, 4 },
#elif defined(__aarch64__)
	{ SCMP_ARCH_AARCH64, AUDIT_ARCH_AARCH64, 8 },
	{ SCMP_ARCH_ARM, AUDIT_ARCH_ARM, 4 },
#else
	{ SCMP_ARCH_NATIVE, 0, (int)sizeof(void *) },
#endif
};
#define NABI_DEFS (sizeof abi_defs / sizeof abi_defs[0])

const uint32_t il_sv_scmp_arches[IL_SV_MAX_ABIS + 1] = {
#if defined(__x86_64__)
	SCMP_ARCH_X86_64, SCMP_ARCH_X32, SCMP_ARCH_X86, 0
#elif defined(__aarch64__)
	SCMP_ARCH_AARCH64, SCMP_ARCH_ARM, 0
#else
	SCMP_ARCH_NATIVE, 0
#endif
};

int il_sv_init_abis(struct abi abis[IL_SV_MAX_ABIS])
{
	int n = 0;
	for (size_t i = 0; i < NABI_DEFS && n < IL_SV_MAX_ABIS; i++) {
		struct abi *a = &abis[n++];
		a->audit_arch = abi_defs[i].audit ? abi_defs[i].audit : seccomp_arch_native();
		for (int c = 0; c < SV_NCALLS; c++)
			a->nr[c] = seccomp_syscall_resolve_name_arch(abi_defs[i].scmp, il_sv_calls[c].name);
		a->ptr = abi_defs[i].ptr;
	}
	return n;
}

enum sv_call il_sv_call_of(const struct abi *abis, int nabi, const struct seccomp_data *d, const struct abi **abi)
{
	if (d->nr < 0)
		return SV_NONE;
	for (int i = 0; i < nabi; i++) {
		const struct abi *a = &abis[i];
		if (a->audit_arch != d->arch)
			continue;
		for (int c = 0; c < SV_NCALLS; c++)
			if (a->nr[c] == d->nr) {
				if (abi)
					*abi = a;
				return (enum sv_call)c;
			}
	}
	return SV_NONE;
}
