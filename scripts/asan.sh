#!/bin/bash
# Runs the Test::Nginx suite against Debian's nginx with the module built
# for AddressSanitizer and UBSan (make asan): nginx itself is not
# instrumented, so the sanitizer runtimes are preloaded into it by a
# wrapper that the suites take as their nginx binary.  Each process writes
# its reports to <build>/log/; any report fails the run.
#
#   scripts/asan.sh <asan build dir> <module .so> [prove arguments]

set -euo pipefail

build=$(cd "$1" && pwd)
module=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
shift 2

nginx=${NGINX_BIN:-/usr/sbin/nginx}
log=$build/log
wrapper=$build/nginx-asan

preload="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"

rm -rf "$log"
mkdir -p "$log"
chmod 1777 "$log"     # workers may run as nobody (t/036)

# the runtimes come first, before a test's own preload (t/034's shim);
# nginx leaks its cycle at exit by design: leaks are not checked
cat > "$wrapper" <<_EOF_
#!/bin/sh
LD_PRELOAD="$preload\${LD_PRELOAD:+ \$LD_PRELOAD}" \\
ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:log_path=$log/asan" \\
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$log/ubsan" \\
exec "$nginx" "\$@"
_EOF_
chmod +x "$wrapper"

inc=
perl -MTest::Nginx::Socket -e1 2>/dev/null || inc="-I t/harness"

start=$(date +%s)
rc=0

TEST_NGINX_BINARY=$wrapper TEST_NGINX_MODULE=$module \
    prove $inc -j"${PROVE_JOBS:-2}" -r "${@:-t/}" || rc=$?

reports=$(find "$log" -type f | sort)

if [ -n "$reports" ]; then
    for f in $reports; do
        echo "==== $f"
        head -60 "$f"
    done
    echo "asan: sanitizer reports in $log" >&2
    exit 1
fi

echo "asan: no sanitizer report ($(( $(date +%s) - start )) s)"
exit $rc
