#!/bin/bash
# make deb: build/libnginx-mod-http-auth-bearer_<version>_<arch>.deb, laid
# out like Debian's own libnginx-mod-* packages (packaging/deb/ holds the
# control file, changelog, copyright and the maintainer scripts that
# dh_nginx would write).  The module must be built already (make module);
# the package is assembled in build/deb/ and built with dpkg-deb, then
# checked with lintian when it is installed.

set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build
module=$build/ngx_http_auth_bearer_module.so
pkg=libnginx-mod-http-auth-bearer
src=$build/deb                  # a source-package layout for dpkg-gencontrol
dest=$src/debian/$pkg           # the package's file system tree
doc=$dest/usr/share/doc/$pkg

die() { echo "deb.sh: $*" >&2; exit 1; }

[ -f "$module" ] || die "$module is missing: run make module first"

# The nginx ABI the module was built for: the installed nginx's
# "Provides: nginx-abi-..." (the module is compiled from nginx-dev, which
# must be the same version, or the ABI read here would not be the one
# built against).
nginx_version=$(dpkg-query -W -f='${Version}' nginx 2>/dev/null) \
    || die "the nginx package is not installed"
dev_version=$(dpkg-query -W -f='${Version}' nginx-dev 2>/dev/null) \
    || die "the nginx-dev package is not installed"
[ "$nginx_version" = "$dev_version" ] \
    || die "nginx $nginx_version and nginx-dev $dev_version differ"
abi=$(dpkg-query -W -f='${Provides}' nginx | tr ',' '\n' \
      | sed -n 's/^ *\(nginx-abi-[^ ]*\).*$/\1/p')
[ -n "$abi" ] && [ "$(echo "$abi" | wc -l)" = 1 ] \
    || die "no single nginx-abi-* in the Provides of nginx $nginx_version"

umask 022
rm -rf "$src"
mkdir -p "$src/debian" "$dest/DEBIAN" "$dest/usr/lib/nginx/modules" \
         "$dest/usr/share/nginx/modules-available" "$doc/examples"

cp "$root/packaging/deb/control" "$root/packaging/deb/changelog" \
   "$src/debian/"

# files carry the changelog's date, so two builds of one tree are equal
export SOURCE_DATE_EPOCH
SOURCE_DATE_EPOCH=$(cd "$src" && dpkg-parsechangelog -S Timestamp)

# the module, stripped as dh_strip strips shared objects
install -m 0644 "$module" "$dest/usr/lib/nginx/modules/"
strip --remove-section=.comment --remove-section=.note --strip-unneeded \
      "$dest/usr/lib/nginx/modules/ngx_http_auth_bearer_module.so"

install -m 0644 "$root/packaging/deb/mod-http-auth-bearer.conf" \
        "$dest/usr/share/nginx/modules-available/"

install -m 0644 "$root/packaging/deb/copyright" "$doc/"
gzip -9n < "$root/packaging/deb/changelog" > "$doc/changelog.gz"
gzip -9n < "$root/README.md" > "$doc/README.md.gz"
install -m 0644 "$root"/conf-examples/* "$doc/examples/"

for s in postinst prerm postrm; do
    install -m 0755 "$root/packaging/deb/$s" "$dest/DEBIAN/"
done

# Depends: the ABI and the shared libraries the module links
cd "$src"
printf 'nginx:abi=%s\nmisc:Depends=\n' "$abi" > "debian/$pkg.substvars"
dpkg-shlibdeps -T"debian/$pkg.substvars" \
    "$dest/usr/lib/nginx/modules/ngx_http_auth_bearer_module.so" \
    2> "$src/shlibdeps.log" \
    || { cat "$src/shlibdeps.log" >&2; die "dpkg-shlibdeps failed"; }
dpkg-gencontrol -p"$pkg" -P"$dest" -T"debian/$pkg.substvars" \
    -f"$src/files"

(cd "$dest" && find usr -type f -printf '%P\n' | LC_ALL=C sort \
    | sed 's|^|usr/|' | xargs md5sum > DEBIAN/md5sums)
chmod 0644 "$dest/DEBIAN/md5sums" "$dest/DEBIAN/control"

find "$dest" -newermt "@$SOURCE_DATE_EPOCH" \
    -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

version=$(dpkg-parsechangelog -S Version)
arch=$(dpkg --print-architecture)
deb=$build/${pkg}_${version}_${arch}.deb
rm -f "$build/${pkg}"_*.deb
dpkg-deb --root-owner-group -Zxz --build "$dest" "$deb" > /dev/null

echo "built $deb"
dpkg-deb -f "$deb" Package Version Depends

# errors fail the build; warnings and info tags are shown
if command -v lintian > /dev/null; then
    echo "lintian $deb:"
    rc=0
    lintian --display-info --pedantic --fail-on error "$deb" \
        > "$src/lintian.log" 2>&1 || rc=$?
    grep -v '^running with root privileges' "$src/lintian.log" || true
    [ "$rc" = 0 ] || die "lintian found errors"
fi
