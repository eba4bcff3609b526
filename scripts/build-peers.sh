#!/bin/bash
# build-peers.sh: builds other JWT modules ("peers") as nginx dynamic
# modules against Debian's nginx, with the same flags as "make module",
# for "make bench PEER=... PEER_CONF=..." (bench/README.md).  Development
# time only: neither the sources nor the builds are committed.
#
#   scripts/build-peers.sh SRC...
#
#   SRC     a peer module's source directory (with its nginx "config"
#           file); never written to: it is copied to
#           build/peers/<name>/src (name: the basename of SRC), where
#           the nginx tree, configure.log and make.log go too; the module
#           is build/peers/<name>.so.
#
# One compatibility edit is made to the copy for nginx before 1.23.0,
# whose ngx_table_elt_t has no "next" member (Debian 12 has 1.22.1):
# lines "r->headers_out.<header>->next = NULL;" are dropped (they end a
# list of same-named headers that 1.22 does not keep; kjdev's module has
# one, for WWW-Authenticate).
#
# The peers of bench/peers/, and the commits their results were measured
# with (bench/results/2026-12-02-peers.md); with a bare git mirror of each
# repository (git clone --mirror https://github.com/OWNER/NAME), extract
# them with "git archive":
#
#   kjdev/nginx-auth-jwt at 308474a, with its submodules at the commits
#   that commit pins ("git ls-tree 308474a": kjdev/nxe-json be32b569,
#   kjdev/nxe-jwx 686a74df); needs libjansson-dev and libssl-dev.  (Its
#   newest commit we had, ab9d9c1 of 2026-06-26, pins nxe-json e071c833,
#   which our snapshot of nxe-json, ending at be32b569, lacks.)
#
#       mkdir -p kjdev teslagov
#       git --git-dir=nginx-auth-jwt.git archive 308474a | tar -x -C kjdev
#       git --git-dir=nxe-json.git archive be32b569 | tar -x -C kjdev/nxe-json
#       git --git-dir=nxe-jwx.git archive 686a74df | tar -x -C kjdev/nxe-jwx
#
#   TeslaGov/ngx-http-auth-jwt-module at 85ec6cb, against Debian's libjwt
#   1.10.2 (libjwt-dev: "scripts/deps.sh peers"):
#
#       git --git-dir=ngx-http-auth-jwt-module.git archive 85ec6cb \
#           | tar -x -C teslagov
#
#   then: scripts/build-peers.sh kjdev teslagov
#         -> build/peers/kjdev.so, build/peers/teslagov.so
#
# NGINX_SRC (default /usr/share/nginx/src, Debian's nginx-dev) is the
# nginx source configured with its conf_flags, as in the Makefile.

set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
nginx_src=${NGINX_SRC:-/usr/share/nginx/src}
out=$repo/build/peers

if [ $# -eq 0 ]; then
    sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2
    exit 2
fi

[ -f "$nginx_src/conf_flags" ] || {
    echo "$0: $nginx_src/conf_flags not found (apt-get install nginx-dev)" >&2
    exit 1
}

ngx_version=$(sed -n 's/^#define nginx_version *\([0-9]*\)/\1/p' \
                  "$nginx_src/src/core/nginx.h")

mkdir -p "$out"
rc=0

for src in "$@"; do
    src=$(cd "$src" && pwd)
    name=$(basename "$src")
    dir=$out/$name

    if [ ! -f "$src/config" ]; then
        echo "$name: $src/config not found: not an nginx module" >&2
        rc=1
        continue
    fi

    rm -rf "$dir" && mkdir -p "$dir"
    cp -r "$nginx_src" "$dir/nginx"
    cp -r "$src" "$dir/src"

    if [ "$ngx_version" -lt 1023000 ]; then
        find "$dir/src" -name '*.c' -exec \
            sed -i '/headers_out\.[a-z_]*->next = NULL;/d' {} +
    fi

    # the same configure as the Makefile's, with the peer instead of us
    if ! (cd "$dir/nginx" && . ./conf_flags && \
          ./configure "${NGX_CONF_FLAGS[@]}" \
              --with-cc-opt='-g -O2 -fstack-protector-strong -Wformat -Werror=format-security -fPIC -D_FORTIFY_SOURCE=2' \
              --with-ld-opt='-Wl,-z,relro -Wl,-z,now -fPIC' \
              --add-dynamic-module="$dir/src") > "$dir/configure.log" 2>&1
    then
        echo "$name: configure failed ($dir/configure.log):" >&2
        tail -20 "$dir/configure.log" >&2
        rc=1
        continue
    fi

    if ! make -C "$dir/nginx" -f objs/Makefile modules \
             > "$dir/make.log" 2>&1
    then
        echo "$name: build failed ($dir/make.log):" >&2
        grep -E 'error' "$dir/make.log" | head -20 >&2
        rc=1
        continue
    fi

    so=$(ls "$dir"/nginx/objs/*.so)
    if [ "$(echo "$so" | wc -l)" != 1 ]; then
        echo "$name: expected one module in objs/, found: $so" >&2
        rc=1
        continue
    fi
    cp "$so" "$out/$name.so"
    echo "built $out/$name.so ($(basename "$so"))"
done

exit $rc
