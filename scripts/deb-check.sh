#!/bin/bash
# make deb-check: install build/libnginx-mod-http-auth-bearer_*.deb on this
# system as an operator would, and take it away again.  Needs root; never
# run by make test, since it installs a package and starts Debian's nginx.
#
#   1. records /etc/nginx (types, modes, owners, link targets, checksums)
#   2. dpkg -i the package: the module is enabled in modules-enabled/
#   3. nginx -t on Debian's own /etc/nginx/nginx.conf, then again with a
#      site in conf.d/ that uses auth_jwt on a free loopback port
#   4. starts Debian's nginx (its own nginx.conf, so the default site on
#      port 80 as well), expects 200 for a valid token, 401 for a token
#      signed with another secret and for no token, then stops it
#   5. removes the site, dpkg -r (link set aside), dpkg -P (link gone)
#   6. compares /etc/nginx with step 1: it must be exactly as found
#
# On any failure the trap stops the nginx it started, removes the site and
# purges the package.  Debian's nginx appends to /var/log/nginx/*.log.

set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
pkg=libnginx-mod-http-auth-bearer
nginx=/usr/sbin/nginx
site=/etc/nginx/conf.d/zz-deb-check-auth-bearer.conf
link=/etc/nginx/modules-enabled/50-mod-http-auth-bearer.conf
work=$root/build/deb-check
pidfile=/run/nginx.pid
started=
installed=

die() { echo "deb-check: FAIL: $*" >&2; exit 1; }
say() { echo "deb-check: $*"; }

[ "$(id -u)" = 0 ] || die "needs root (it installs the package)"

debs=("$root"/build/${pkg}_*.deb)
[ -f "${debs[0]}" ] || die "no package in build/: run make deb"
[ "${#debs[@]}" = 1 ] || die "several packages in build/"
deb=${debs[0]}

if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q installed; then
    die "$pkg is installed already: purge it first (dpkg -P $pkg)"
fi
[ -e "$link" ] || [ -L "$link.removed" ] && die "$link exists already"
[ -e "$site" ] && die "$site exists already"
if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    die "an nginx is running ($pidfile): stop it first"
fi
if [ -n "$(ss -Hnlt 'sport = :80')" ]; then
    die "port 80 is in use; Debian's default site needs it"
fi

snapshot() {
    (cd /etc/nginx && find . -printf '%y %m %u:%g %p -> %l\n' | LC_ALL=C sort
     cd /etc/nginx && find . -type f -print0 | LC_ALL=C sort -z \
        | xargs -0 -r md5sum)
}

stop_nginx() {
    local pid

    [ -n "$started" ] || return 0
    if [ -s "$pidfile" ]; then
        pid=$(cat "$pidfile")
        "$nginx" -s quit 2>/dev/null || kill -QUIT "$pid" 2>/dev/null || true
        for _ in $(seq 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && die "nginx $pid did not stop"
    fi
    started=
}

cleanup() {
    local rc=$?

    stop_nginx || true
    rm -f "$site"
    if [ -n "$installed" ]; then
        dpkg -P "$pkg" > /dev/null 2>&1 || true
    fi
    [ "$rc" = 0 ] || echo "deb-check: cleaned up after the failure" >&2
}
trap cleanup EXIT

rm -rf "$work"
mkdir -p "$work"

# 1. /etc/nginx as found
snapshot > "$work/etc-nginx.before"
say "/etc/nginx recorded: $(wc -l < "$work/etc-nginx.before") lines"

depends=$(dpkg-deb -f "$deb" Depends)
abi=$(dpkg-query -W -f='${Provides}' nginx | tr ',' '\n' \
      | sed -n 's/^ *\(nginx-abi-[^ ]*\).*$/\1/p')
case ", $depends," in
*", $abi,"*) say "Depends: $depends" ;;
*) die "Depends ($depends) lacks the installed nginx's $abi" ;;
esac

# 2. install
dpkg -i "$deb" > "$work/dpkg-install.log" 2>&1 \
    || { cat "$work/dpkg-install.log" >&2; die "dpkg -i failed"; }
installed=1
[ "$(readlink "$link")" = \
  /usr/share/nginx/modules-available/mod-http-auth-bearer.conf ] \
    || die "$link is not the link to modules-available"
say "installed $(basename "$deb"); $link enabled"

# 3. nginx -t: Debian's configuration as it is, then with an auth_jwt site
secret=$(openssl rand -hex 32)
export KALAMDB_JWT_SECRET=$secret

out=$("$nginx" -t 2>&1) || { echo "$out" >&2; die "nginx -t failed"; }
say "nginx -t on Debian's nginx.conf with the module: ok"

loads=$("$nginx" -T 2>/dev/null | grep -c 'ngx_http_auth_bearer_module.so' \
        || true)
[ "$loads" = 1 ] || die "the module is loaded $loads times, not once"

port=$(perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(
    LocalAddr => "127.0.0.1", LocalPort => 0, Listen => 1)->sockport')

cat > "$site" <<SITE
# written by ngx_http_auth_bearer's scripts/deb-check.sh, removed after
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;

server {
    listen 127.0.0.1:$port;
    root /usr/share/nginx/html;

    location / {
        auth_jwt "deb-check";
    }
}
SITE

out=$("$nginx" -t 2>&1) || { echo "$out" >&2; die "nginx -t with the site failed"; }
say "nginx -t with an auth_jwt site on 127.0.0.1:$port: ok"

# 4. Debian's nginx, answering
"$nginx" || die "nginx did not start"
started=1
for _ in $(seq 50); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && break
    sleep 0.1
done

valid=$("$root/scripts/mint-token" --sub alice)
forged=$(KALAMDB_JWT_SECRET=$(openssl rand -hex 32) \
         "$root/scripts/mint-token" --sub alice)

check() {
    local want=$1 code=$2 what=$3 status body
    shift 3

    status=$(curl -s -o "$work/body" -w '%{http_code}' "$@" \
             "http://127.0.0.1:$port/")
    body=$(cat "$work/body")
    [ "$status" = "$want" ] || die "$what: $status, not $want: $body"
    if [ -n "$code" ]; then
        case "$body" in
        *"\"code\":\"$code\""*) ;;
        *) die "$what: body without $code: $body" ;;
        esac
    fi
    say "$what: $status${code:+ $code}"
}

check 200 "" "valid token" -H "Authorization: Bearer $valid"
check 401 INVALID_CREDENTIALS "token signed with another secret" \
      -H "Authorization: Bearer $forged"
check 401 MISSING_AUTHORIZATION "no token"

stop_nginx
say "nginx stopped"

# 5. remove, then purge, as dpkg does them
rm -f "$site"
dpkg -r "$pkg" > "$work/dpkg-remove.log" 2>&1 \
    || { cat "$work/dpkg-remove.log" >&2; die "dpkg -r failed"; }
[ -L "$link.removed" ] && [ ! -e "$link" ] \
    || die "dpkg -r did not set $link aside"
say "removed: link set aside as $(basename "$link").removed"

dpkg -P "$pkg" > "$work/dpkg-purge.log" 2>&1 \
    || { cat "$work/dpkg-purge.log" >&2; die "dpkg -P failed"; }
installed=
[ ! -e "$link" ] && [ ! -L "$link.removed" ] \
    || die "dpkg -P left a link in modules-enabled/"
say "purged"

# 6. /etc/nginx exactly as found
snapshot > "$work/etc-nginx.after"
diff -u "$work/etc-nginx.before" "$work/etc-nginx.after" \
    || die "/etc/nginx differs from what was found"
say "/etc/nginx is exactly as found"
say "PASS"
