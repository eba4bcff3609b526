#!/bin/bash
# nginx-matrix.sh: builds the module against one or more nginx source
# trees and, with --test, builds each nginx too and runs the unit tests
# and the whole Test::Nginx suite against it.
#
#   scripts/nginx-matrix.sh [--test] [--lib DIR] [--jobs N] SRC...
#
#   SRC         an nginx source tree: a release tarball's or a git
#               checkout's (auto/configure); never written to
#   --test      also build that nginx (ssl, http_v2, realip, debug,
#               http_v3 where the version has it, pcre: PCRE2, or PCRE1
#               from Debian's libpcre3-dev before 1.21.5) and run the tests
#   --lib DIR   the lib/ of a Test::Nginx checkout (openresty/test-nginx);
#               default: CPAN's Test::Nginx if installed, else t/harness
#   --jobs N    test files run in parallel (default: PROVE_JOBS, else 1)
#
# Everything goes to build/matrix/<version>/ of this repository (without
# --test: build/matrix/<version>-module/): nginx/
# (a copy of SRC, configured and built), configure.log, make.log,
# unit.log, prove.log, summary.  MATRIX_TESTS="t/010-hs256.t ..." runs only
# those files.  The last lines printed are one summary line per version:
#
#   1.26.3   build ok       checks 2345/2345 (unit 120/120, nginx 2225/2225)
#
# Exits non-zero when a build or a check failed.

set -u

repo=$(cd "$(dirname "$0")/.." && pwd)
test=0
lib=
jobs=${PROVE_JOBS:-1}
srcs=()

while [ $# -gt 0 ]; do
    case "$1" in
    --test)  test=1 ;;
    --lib)   lib=$(cd "$2" && pwd) || exit 2; shift ;;
    --jobs)  jobs=$2; shift ;;
    -h|--help)
        sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
    -*)      echo "$0: unknown option $1" >&2; exit 2 ;;
    *)       srcs+=("$1") ;;
    esac
    shift
done

if [ ${#srcs[@]} -eq 0 ]; then
    echo "usage: $0 [--test] [--lib DIR] [--jobs N] NGINX_SRC..." >&2
    exit 2
fi

summary=()
status=0

# version as a comparable number: 1.21.5 -> 1021005
vnum() {
    local IFS=.
    set -- $1
    echo $(( $1 * 1000000 + $2 * 1000 + $3 ))
}

# "passed total" of the cmocka unit tests, from their output
unit_counts() {
    local run ok
    run=$(grep -c '^\[ RUN      \]' "$1")
    ok=$(grep -c '^\[       OK \]' "$1")
    echo "$ok $run"
}

build_one() {
    local src=$1 ver out cfg flags n
    src=$(cd "$src" && pwd) || return 1
    ver=$(sed -n 's/^#define NGINX_VERSION *"\(.*\)"/\1/p' \
              "$src/src/core/nginx.h")
    [ -n "$ver" ] || { echo "$src: not an nginx source tree" >&2; return 1; }
    # a module-only build never replaces a tested one
    out=$repo/build/matrix/$ver
    [ $test = 1 ] || out=$out-module
    mkdir -p "$out"
    VER=$ver OUT=$out

    n=$(vnum "$ver")
    flags=(--with-compat --add-dynamic-module="$repo")
        # nginx before 1.22 uses OpenSSL APIs deprecated in OpenSSL 3;
        # its -Werror would stop there
        [ "$n" -lt 1022000 ] \
            && flags+=(--with-cc-opt=-Wno-error=deprecated-declarations)
    if [ $test = 1 ]; then
        flags+=(--prefix="$out/prefix"
                --with-http_ssl_module --with-http_v2_module
                --with-http_realip_module --with-debug)
        grep -q 'with-http_v3_module' "$src/auto/options" \
            && flags+=(--with-http_v3_module)
        # before 1.21.5 nginx only knows PCRE1 (pcre.h: libpcre3-dev)
        if [ "$n" -lt 1021005 ] && [ ! -e /usr/include/pcre.h ]; then
            echo "$ver: needs PCRE1 headers (apt-get install libpcre3-dev)" \
                >&2
        fi
    fi

    # configure again only when the flags or the source tree changed
    cfg="$src ${flags[*]}"
    if [ ! -f "$out/nginx/objs/Makefile" ] \
       || [ "$(cat "$out/configure.args" 2>/dev/null)" != "$cfg" ]; then
        rm -rf "$out/nginx"
        cp -r "$src" "$out/nginx" || return 1
        local conf=./configure
        [ -x "$out/nginx/configure" ] || conf=auto/configure
        (cd "$out/nginx" && $conf "${flags[@]}") > "$out/configure.log" 2>&1 \
            || { tail -5 "$out/configure.log" >&2; return 1; }
        echo "$cfg" > "$out/configure.args"
    fi

    # the module always; the binary with --test
    local target=modules
    [ $test = 1 ] && target=
    make -j"${MAKE_JOBS:-2}" -C "$out/nginx" -f objs/Makefile $target \
            > "$out/make.log" 2>&1 \
        || { grep -E 'error|Error' "$out/make.log" | head -10 >&2; return 1; }
    [ -f "$out/nginx/objs/ngx_http_auth_bearer_module.so" ] || return 1
    [ $test = 0 ] || [ -x "$out/nginx/objs/nginx" ]
}

test_one() {
    local out=$1 inc u n files
    files=(${MATRIX_TESTS:-$repo/t})

    make -C "$repo" --no-print-directory unit > "$out/unit.log" 2>&1
    u=$(unit_counts "$out/unit.log")

    if [ -n "$lib" ]; then
        inc=(-I "$lib")
    elif perl -MTest::Nginx::Socket -e1 2>/dev/null; then
        inc=()
    else
        inc=(-I "$repo/t/harness")
    fi

    mkdir -p "$out/t"
    (cd "$repo" && \
     TEST_NGINX_BINARY=$out/nginx/objs/nginx \
     TEST_NGINX_MODULE=$out/nginx/objs/ngx_http_auth_bearer_module.so \
     scripts/prove-t "${inc[@]}" -j "$jobs" --servroot-base "$out/t" \
         "${files[@]}") > "$out/prove.log" 2>&1
    n=$(sed -n 's/^checks: \([0-9]*\)\/\([0-9]*\)$/\1 \2/p' "$out/prove.log")
    [ -n "$n" ] || n="0 0"

    set -- $u $n
    printf '%-8s build ok       checks %d/%d (unit %d/%d, nginx %d/%d)\n' \
        "$VER" $(( $1 + $3 )) $(( $2 + $4 )) "$1" "$2" "$3" "$4" \
        > "$out/summary"
    [ "$1" = "$2" ] && [ "$3" = "$4" ] && [ "$4" != 0 ]
}

for src in "${srcs[@]}"; do
    VER=$(basename "$src") OUT=
    echo "== $src" >&2
    if ! build_one "$src"; then
        line=$(printf '%-8s build FAILED   (see %s/*.log)' "$VER" \
                      "${OUT:-$src}")
        status=1
    elif [ $test = 0 ]; then
        line=$(printf '%-8s build ok' "$VER")
    else
        test_one "$OUT" || status=1
        line=$(cat "$OUT/summary")
    fi
    echo "$line" >&2
    summary+=("$line")
done

echo
printf '%s\n' "${summary[@]}"
exit $status
