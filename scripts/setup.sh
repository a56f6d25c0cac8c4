#!/usr/bin/env bash
# Install what interlock needs to build and test on Debian/Ubuntu (only the
# packages that are missing), then configure and build build/.
#
#   scripts/setup.sh            # deps + build/
#   SKIP_BUILD=1 scripts/setup.sh   # deps only
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DEPS=(cmake gcc libc6-dev make pkg-config libpcre2-dev libinih-dev libseccomp-dev libjson-c-dev)
TEST_DEPS=(git python3 perl sqlite3 curl wget make binutils file procps openssh-client strace nodejs
    dnsmasq-base iproute2 golang-go tmux zsh fish zip unzip rsync
    postgresql mariadb-server python3-psycopg2 python3-mysqldb)

missing=()
for pkg in "${BUILD_DEPS[@]}" "${TEST_DEPS[@]}"; do
    case " ${missing[*]:-} " in *" $pkg "*) continue ;; esac
    if ! dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed'; then
        missing+=("$pkg")
    fi
done

if [ ${#missing[@]} -gt 0 ]; then
    if ! command -v apt-get >/dev/null; then
        echo "setup: missing packages (${missing[*]}) and no apt-get; install them by hand" >&2
        exit 1
    fi
    sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
        sudo=(sudo)
    fi
    echo "setup: installing ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
else
    echo "setup: all packages present"
fi

# npm comes with NodeSource's nodejs; Debian's own nodejs ships it apart.
if ! command -v npm >/dev/null && command -v apt-get >/dev/null; then
    sudo=()
    [ "$(id -u)" -ne 0 ] && sudo=(sudo)
    echo "setup: installing npm"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends npm
fi

if [ -z "${SKIP_BUILD:-}" ]; then
    cmake -S . -B build -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}"
    cmake --build build -j"$(nproc)"
fi
