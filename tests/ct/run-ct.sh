#!/usr/bin/env bash
# Constant-time checks: runs every check of ct_crypto (primitives) and ct_tls
# (key schedule, traffic keys, record seal/open) under valgrind memcheck,
# one check per valgrind process, and fails if memcheck sees a branch or a
# memory index that depends on a secret (see ct_crypto.c for the technique).
#
#   tests/ct/run-ct.sh [CT_CRYPTO_BINARY|-] [CHECK...]
#
# Without a binary (or with "-" in its place) the program is built from the
# sources into a temporary directory:  $CC (gcc) -std=c11 $CT_OPT (-O2) -g.
# CHECK names restrict the run (see `ct_crypto list`).
# Environment: CT_OPT (e.g. -O0, -O3), CC, CT_VERBOSE=1 (print every valgrind
# log), CT_KEEP=1 (keep the temporary directory and say where it is).
#
# Declassification. Some branches depend on a secret but only on a fact the
# library RETURNS, which is public anyway: an AEAD open's accept/reject, "the
# private key is out of range", "retry with the next RFC 6979 candidate".
# The test program cannot declassify inside the library (the library includes
# no valgrind header), so those branches are listed in tests/ct/declassify.list
# by function AND the exact text of the source line. A report is forgiven
# only when it is a conditional jump (never a secret-dependent address) whose
# innermost frame matches an entry; when the code on that line changes, the
# entry stops matching and the check fails until someone looks again.
#
# Prints "PASS name" / "FAIL name" / "SKIP name" per check and ends with the
# line "N passed, N failed". The self-tests marked expect-leak must be
# REPORTED by memcheck: they count as passed when memcheck reports them, as
# failed when it does not (which would mean the harness cannot see leaks).
# Exit status: 0 all passed, 1 a failure, 77 (automake's SKIP) no valgrind.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
allow=$top/tests/ct/declassify.list
work=$(mktemp -d "${TMPDIR:-/tmp}/dtls-ct.XXXXXX")
if [ "${CT_KEEP:-0}" = 1 ]; then
    echo "(keeping $work)"
else
    trap 'rm -rf "$work"' EXIT
fi

if ! command -v valgrind >/dev/null 2>&1; then
    echo "valgrind not found: install the Debian package valgrind (apt-get install valgrind); constant-time checks skipped" >&2
    echo "0 passed, 0 failed"
    exit 77
fi

bin=${1:-}
[ $# -gt 0 ] && shift
bins=()
if [ -z "$bin" ] || [ "$bin" = - ]; then
    srcs=()
    for f in "$top"/src/crypto/*.c; do
        # The provider table names every primitive; the crypto checks do not need it.
        [ "$(basename "$f")" = provider.c ] || srcs+=("$f")
    done
    # ct_crypto: the primitives; ct_tls: the key schedule and the record layer
    # (the whole library: the TLS layer reaches crypto through the provider).
    # shellcheck disable=SC2086
    # DTLS_CT_PUBLIC (src/crypto/util.h): the library's own "this is output now" marks
    ctpub=(-include valgrind/memcheck.h "-DDTLS_CT_PUBLIC(p,n)=((void)VALGRIND_MAKE_MEM_DEFINED((p),(n)))")
    if ! ${CC:-gcc} -std=c11 ${CT_OPT:--O2} -g -I"$top/include" -I"$top/src" "${ctpub[@]}" \
            "${srcs[@]}" "$top/tests/ct/ct_crypto.c" -o "$work/ct_crypto" 2>"$work/build.log" ||
       ! ${CC:-gcc} -std=c11 ${CT_OPT:--O2} -g -Wall -Werror -I"$top/include" -I"$top/src" "${ctpub[@]}" \
            "$top"/src/crypto/*.c "$top"/src/x509/*.c "$top"/src/tls/*.c "$top/tests/ct/ct_tls.c" \
            -o "$work/ct_tls" 2>>"$work/build.log"; then
        cat "$work/build.log" >&2
        echo "FAIL build"
        echo "0 passed, 1 failed"
        exit 1
    fi
    bins=("$work/ct_crypto" "$work/ct_tls")
else
    bins=("$bin")
fi

# names: one "BINARY NAME [expect-leak]" line per check to run.
passed=0 failed=0 skipped=0
all=$(for b in "${bins[@]}"; do "$b" list | sed "s|^|$b |"; done)
if [ $# -gt 0 ]; then
    names=""
    for c in "$@"; do
        line=$(grep -E "^[^ ]+ $c( |\$)" <<<"$all")
        if [ -z "$line" ]; then
            echo "FAIL $c (no such check; see: ct_crypto list, ct_tls list)"
            failed=$((failed + 1))
        fi
        names="$names$line"$'\n'
    done
else
    names=$all
fi

# Normalise a line of C for comparison: trim, squeeze blanks.
norm() { sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' -e 's/[[:space:]][[:space:]]*/ /g'; }

# The source line FILE:LINE as valgrind printed it (full path, or relative to
# the top directory, or only a file name under src/).
src_line() {
    local file=$1 line=$2 path=""
    if [ -f "$file" ]; then path=$file
    elif [ -f "$top/$file" ]; then path=$top/$file
    else path=$(find "$top/src" "$top/tests/ct" -name "$(basename "$file")" 2>/dev/null | head -n 1)
    fi
    [ -n "$path" ] && sed -n "${line}p" "$path" | norm
}

# allowed FUNC TEXT: is (FUNC, TEXT) an entry of declassify.list?
allowed() {
    local func=$1 text=$2 f t
    [ -f "$allow" ] || return 1
    while IFS=$'\t' read -r f t; do
        case "$f" in ''|'#'*) continue ;; esac
        t=$(printf '%s' "$t" | norm)
        [ "$f" = "$func" ] && [ "$t" = "$text" ] && return 0
    done <"$allow"
    return 1
}

# Split a valgrind log into its error contexts: $work/ctx.N holds the report
# (kind line, stack, origin) and ctx.list gets "N<TAB>kind<TAB>func<TAB>file<TAB>line".
split_log() {
    rm -f "$work"/ctx.*
    awk -v dir="$work" '
        { sub(/^==[0-9]+== ?/, "") }
        /^(Conditional jump|Use of uninitialised|Syscall param|Invalid |Source and destination|Mismatched|Argument )/ {
            n++; out = dir "/ctx." n; kind = ($0 ~ /^Conditional jump/) ? "cond" : "other"; want = 1
            print > out; next
        }
        n && /^$/ { if (out) close(out); out = ""; next }
        out {
            print > out
            if (want && $1 == "at") {
                want = 0; func = $3
                loc = $0; sub(/.*\(/, "", loc); sub(/\)$/, "", loc)
                file = loc; line = loc; sub(/:[0-9]+$/, "", file); sub(/.*:/, "", line)
                if (line !~ /^[0-9]+$/) { file = "?"; line = 0 }
                printf "%d\t%s\t%s\t%s\t%s\n", n, kind, func, file, line > (dir "/ctx.list")
            }
        }' "$1"
    touch "$work/ctx.list"
}

while read -r bin name flag; do
    [ -n "$name" ] || continue
    log=$work/$name.vg
    valgrind --tool=memcheck --error-exitcode=1 --track-origins=yes --num-callers=30 \
        --fullpath-after= --log-file="$log" "$bin" "$name" >"$work/$name.out" 2>&1 </dev/null
    rc=$?
    # The program's own status (valgrind replaces it with 1 when it reports).
    prc=$(sed -n "s/^ct_crypto: $name rc=\\([0-9]*\\)\$/\\1/p" "$work/$name.out" | tail -n 1)
    prc=${prc:-crashed}
    errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$log" | tail -n 1)
    errors=${errors:-?}

    if [ "$flag" = expect-leak ]; then
        if [ "$rc" = 1 ] && [ "$errors" != 0 ] && [ "$errors" != "?" ]; then
            echo "PASS $name (leak detected as expected: $errors errors)"
            passed=$((passed + 1))
        else
            echo "FAIL $name (a deliberate leak was NOT detected: exit $rc, $errors errors)"
            failed=$((failed + 1))
        fi
        continue
    fi
    if [ "$prc" = 77 ]; then
        echo "SKIP $name ($(head -n 1 "$work/$name.out"))"
        skipped=$((skipped + 1))
        continue
    fi

    split_log "$log"
    bad=() forgiven=0
    while IFS=$'\t' read -r idx kind func file line; do
        text=$(src_line "$file" "$line")
        if [ "$kind" = cond ] && [ -n "$text" ] && allowed "$func" "$text"; then
            forgiven=$((forgiven + 1))
        else
            bad+=("$idx")
        fi
    done <"$work/ctx.list"

    if [ "$prc" = 0 ] && [ ${#bad[@]} -eq 0 ] && { [ "$rc" = 0 ] || [ "$forgiven" -gt 0 ]; }; then
        if [ "$forgiven" -gt 0 ]; then
            echo "PASS $name ($forgiven public-outcome branches, see declassify.list)"
        else
            echo "PASS $name"
        fi
        passed=$((passed + 1))
    else
        if [ "$prc" = 3 ]; then
            echo "FAIL $name (wrong result: $(grep -m1 'functional check failed' "$work/$name.out"))"
        elif [ "$prc" != 0 ]; then
            echo "FAIL $name (program exit status $prc)"
            head -n 20 "$work/$name.out" | sed 's/^/    /'
        fi
        if [ ${#bad[@]} -gt 0 ]; then
            echo "FAIL $name (memcheck: ${#bad[@]} secret-dependent places not declassified; $errors errors in all)"
            # One entry per distinct place (function, file, line), with how many
            # distinct call stacks reached it; the full report of the first few.
            shown=0 seen=""
            for idx in "${bad[@]}"; do
                IFS=$'\t' read -r _ kind func file line < <(grep -P "^$idx\t" "$work/ctx.list")
                key="$func $file:$line"
                case "$seen" in *"|$key|"*) continue ;; esac
                seen="$seen|$key|"
                n=$(awk -F'\t' -v f="$func" -v l="$file:$line" '$3 == f && $4 ":" $5 == l' "$work/ctx.list" | wc -l)
                echo "    -- $func ($file:$line) [$kind, $n stacks]: $(src_line "$file" "$line")"
                if [ $shown -lt 3 ]; then
                    sed 's/^/         /' "$work/ctx.$idx"
                    shown=$((shown + 1))
                fi
            done
        elif [ "$prc" = 0 ]; then
            echo "FAIL $name (valgrind exit $rc)"
            tail -n 20 "$log" | sed 's/^/    /'
        fi
        failed=$((failed + 1))
    fi
    if [ "${CT_VERBOSE:-0}" = 1 ]; then
        sed 's/^/    /' "$log"
    fi
done <<<"$names"

[ $skipped -gt 0 ] && echo "($skipped checks skipped: their primitive is not built)"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ] || exit 1
exit 0
