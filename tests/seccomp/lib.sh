# shellcheck shell=bash disable=SC2034
# Harness for the seccomp layer's tests: the integration harness (sandbox,
# HOME, assertions, `guard`) plus the static test programs and a rule set of
# their own, so these tests do not move when the shipped rules do.
#
#     . "$(dirname "$0")/lib.sh"
#
# Exit 77 (ctest: skipped) where the layer cannot be tested: no static libc,
# or no seccomp user notification in this kernel.
_seccomp_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$_seccomp_dir/../integration/lib.sh"

skip() {
    echo "$TEST_NAME: SKIP: $*"
    exit 77
}

# rawexec and probe, statically linked: no LD_PRELOAD hook ever sees them.
for _p in rawexec probe rawconnect swapconnect rawread rawdel inthread; do
    cc -static -O2 -pthread -Wall -Wextra -o "$SANDBOX/bin/$_p" "$_seccomp_dir/$_p.c" 2>"$SANDBOX/cc.err" ||
        skip "cannot link a static program (install libc6-dev): $(head -c 300 "$SANDBOX/cc.err")"
done
# The kernel's answer, not ours: is user notification there at all?
_avail=$("$PYTHON" -c '
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
act = ctypes.c_uint32(0x7fc00000)  # SECCOMP_RET_USER_NOTIF
print(libc.syscall(317, 2, 0, ctypes.byref(act)) == 0)  # seccomp(SECCOMP_GET_ACTION_AVAIL)
' 2>/dev/null)
if [ "$(uname -m)" = x86_64 ] && [ "$_avail" != True ]; then
    skip "no seccomp user notification in this kernel"
fi

RULES_DIR="$SANDBOX/rules"
mkdir -p "$RULES_DIR"
cat >"$RULES_DIR/50-seccomp-test.conf" <<'RULES'
[test-rm-r]
on = exec
program = rm
option = ^(-r|-R|-rf|-fr|--recursive)$
action = confirm
why = test rule: recursive rm
confirm = {target}
match = rm -r x

[test-shred]
on = exec
program = shred
action = deny
why = test rule: shred is never allowed
match = shred x
RULES
export INTERLOCK_RULES_PATH="$RULES_DIR"

# victim DIR: a directory with one file that a refused command must leave
victim() {
    mkdir -p "$1" && echo precious >"$1/data"
}
