#!/usr/bin/env bash
# completions/dtls-send must offer what the binary accepts: every long option in
# --help, the subcommands, and the fixed value lists (checked against the binary
# by running it with each offered value).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${DTLS_BUILD_DIR:-$PWD}
bin=$build/dtls-send
pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }

# Run the completion function for a command line (the last word is completed).
complete_line() {
    local -a w=("$bin" "$@")
    COMP_WORDS=("${w[@]}")
    COMP_CWORD=$((${#w[@]} - 1))
    COMPREPLY=()
    _dtls_send
    printf '%s\n' "${COMPREPLY[@]}"
}
. "$top/completions/dtls-send"

got=$(complete_line --dia)
[ "$got" = "--dialect" ] && ok "--dia completes to --dialect" || bad "--dia gave '$got'"

# Every long option the binary documents is offered for a bare "--".
want=$("$bin" --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
got=$(complete_line -- | sort -u)
[ "$want" = "$got" ] && ok "all $(echo "$want" | wc -l) long options offered" || bad "options differ: $(diff <(echo "$want") <(echo "$got") | tr '\n' ' ')"

got=$(complete_line p)
[ "$got" = "probe" ] && ok "subcommand probe" || bad "subcommand: '$got'"

# Each offered value is accepted by the option parser (exit 2 means refused).
check_values() {
    local opt=$1 v rc; shift
    for v in $(complete_line "$@" "$opt" ""); do
        "$bin" "$@" "$opt" "$v" --help >/dev/null 2>&1; rc=$?
        [ $rc -eq 0 ] || { bad "$opt $v refused (exit $rc)"; return; }
    done
    ok "values of $opt are accepted"
}
check_values --dialect
check_values --engine
check_values --max-fragment
check_values --purpose verify

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
