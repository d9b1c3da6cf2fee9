# Shared by scripts/check, scripts/demo and scripts/bench: find what is missing
# and install it with apt-get, only when something is missing.
# shellcheck shell=bash

# Debian packages the build and the tests need.
DTLS_BUILD_PKGS="autoconf automake libtool pkg-config make gcc libc6-dev libssl-dev openssl libcjson-dev libcriterion-dev libcurl4-openssl-dev"
DTLS_TEST_PKGS="valgrind clang libclang-rt-14-dev gnutls-bin haproxy python3 python3-cryptography curl tshark gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm"
DTLS_BENCH_PKGS="libgnutls28-dev libwolfssl-dev gnuplot-nox hyperfine time"

dtls_log() { printf '==> %s\n' "$*" >&2; }

# dtls_need_pkgs PKG... : install the ones that are not installed yet.
dtls_need_pkgs() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            SUDO=sudo
        else
            echo "missing Debian packages: ${missing[*]}" >&2
            echo "run as root:  apt-get update && apt-get install -y ${missing[*]}" >&2
            exit 1
        fi
    fi
    dtls_log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    ${SUDO:-} apt-get update -q >/dev/null
    ${SUDO:-} apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

# dtls_build DIR [CONFIGURE ARGS...] : bootstrap once, configure DIR out of tree, build.
dtls_build() {
    local dir=$1; shift
    (cd "$DTLS_TOP" && { [ -x configure ] && [ configure -nt configure.ac ] && [ Makefile.in -nt Makefile.am ]; } \
        || autoreconf -fi >/dev/null 2>&1 || { cd "$DTLS_TOP" && autoreconf -fi; })
    mkdir -p "$dir"
    (cd "$dir" && { [ -f Makefile ] && [ config.status -nt "$DTLS_TOP/configure" ]; } \
        || "$DTLS_TOP/configure" -q "$@")
    make -C "$dir" -j"$(nproc)" -s
}
