/* The marker prologue of the seccomp filter (see marker.h and
 * docs/seccomp.md, "The marker").
 *
 * A few classic-BPF instructions put in front of libseccomp's program:
 *
 *     arch != native                       -> libseccomp's program
 *     nr not one of the calls the preload
 *        makes marked (below)               -> libseccomp's program
 *     args[5] != marker (both 32-bit halves)-> libseccomp's program
 *     otherwise                             -> SECCOMP_RET_ALLOW
 *
 * Only native numbers are compared: an x32 call on x86_64 has the same
 * audit arch but its numbers carry bit 30, so it never matches, and a
 * compat ABI has another arch. Every call listed takes at most five
 * arguments on x86_64 and aarch64, so args[5] is a register the kernel
 * does not read for it; sendto, whose sixth argument is real, is not
 * listed. The prologue lets a call through only where libseccomp's program
 * would notify the supervisor or allow it: none of its refusals (ioctl,
 * ptrace, process_vm_*, pidfd_open, io_uring_setup) is about these calls. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "marker.h"

/* The calls the preload makes with il_sysm (lib/preload/rawsys.h). */
static const char *const marked_calls[] = {
	"execve",   "execveat", "openat",    "openat2",   "unlinkat", "renameat", "renameat2",
	"fchmodat", "fchmod",   "fchownat",  "fchown",    "symlinkat", "linkat",  "connect",
};
#define NMARKED (sizeof marked_calls / sizeof marked_calls[0])

#define ARG5_LO (offsetof(struct seccomp_data, args) + 5 * sizeof(__u64))
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define LO_OFF ARG5_LO
#define HI_OFF (ARG5_LO + 4)
#else
#define LO_OFF (ARG5_LO + 4)
#define HI_OFF ARG5_LO
#endif

/* Writes the prologue into out (room for NMARKED + 8); returns its length.
 * Jumps are relative to the next instruction; `end` is the first of
 * libseccomp's program. */
static unsigned build(struct sock_filter *out, uint64_t marker)
{
	unsigned n = 0;
	int nrs[NMARKED];
	unsigned k = 0;
	for (size_t i = 0; i < NMARKED; i++) {
		int nr = seccomp_syscall_resolve_name(marked_calls[i]);
		if (nr >= 0) /* a call this architecture lacks is never marked */
			nrs[k++] = nr;
	}
	const unsigned check = 3 + k, end = check + 5;
	out[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	out[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, seccomp_arch_native(), 0,
						 (__u8)(end - 2));
	out[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	for (unsigned j = 0; j < k; j++) {
		unsigned at = 3 + j;
		__u8 jf = j + 1 == k ? (__u8)(end - at - 1) : 0;
		out[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (__u32)nrs[j], (__u8)(check - at - 1), jf);
	}
	out[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, LO_OFF);
	out[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (__u32)marker, 0, (__u8)(end - (check + 1) - 1));
	out[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, HI_OFF);
	out[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (__u32)(marker >> 32), 0,
						 (__u8)(end - (check + 3) - 1));
	out[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	return n;
}

int il_seccomp_prepend_marker(struct sock_fprog *prog, uint64_t marker)
{
	if (!marker)
		return 0; /* no marker, no way through */
	struct sock_filter pro[NMARKED + 8];
	unsigned np = build(pro, marker);
	size_t total = (size_t)np + prog->len;
	if (total > BPF_MAXINSNS) {
		errno = E2BIG;
		return -1;
	}
	struct sock_filter *f = malloc(total * sizeof *f);
	if (!f)
		return -1;
	memcpy(f, pro, np * sizeof *f);
	memcpy(f + np, prog->filter, prog->len * sizeof *f);
	free(prog->filter);
	prog->filter = f;
	prog->len = (unsigned short)total;
	return 0;
}

uint64_t il_seccomp_new_marker(void)
{
	uint64_t m = 0;
	for (int tries = 0; !m && tries < 4; tries++)
		if (getrandom(&m, sizeof m, 0) != (ssize_t)sizeof m)
			m = 0;
	return m;
}
