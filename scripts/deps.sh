#!/bin/sh
# Installs the Debian packages the build, the tests and the demo need;
# "deps.sh fuzz" those of "make fuzz" instead (clang and its libFuzzer
# runtime, which "make test" does not need); "deps.sh bench" those of
# "make bench" (wrk), on top of the default list; "deps.sh peers" those
# of scripts/build-peers.sh (libjwt for TeslaGov's module); "deps.sh deb"
# those of "make deb" (dpkg-dev, lintian); "deps.sh matrix" those of
# "make matrix" (nginx's own build needs, PCRE1 included).
# As root it runs apt-get; otherwise it prints the command and stops.

set -e

case "${1:-}" in

fuzz)
    pkgs="clang libclang-rt-dev make pkg-config libssl-dev libjansson-dev"
    ;;

matrix)
    # make matrix: nginx's own build needs (PCRE1 for nginx before
    # 1.21.5, which predates PCRE2), on top of the default list
    pkgs="libpcre3-dev libpcre2-dev zlib1g-dev libssl-dev"
    ;;

bench)
    # make bench: the load generator, the openssl CLI for keys and
    # "openssl speed", Crypt::JWT (and CryptX) to mint tokens; the build's
    # own packages come from the default list
    pkgs="wrk openssl perl libcrypt-jwt-perl"
    ;;

peers)
    # scripts/build-peers.sh: the JWT modules make bench can compare
    # with (PEER=): TeslaGov's links Debian's libjwt (1.10.2 on Debian
    # 12), kjdev's jansson and OpenSSL; neither is needed by make test
    pkgs="gcc make nginx-dev libssl-dev libjansson-dev libjwt-dev"
    ;;

deb)
    # dpkg-shlibdeps, dpkg-gencontrol, dpkg-parsechangelog; lintian to
    # check the package
    pkgs="dpkg-dev lintian"
    ;;

"")
    pkgs="gcc make pkg-config perl curl nginx nginx-dev libssl-dev \
libjansson-dev libcurl4-openssl-dev libpcre2-dev zlib1g-dev \
libcmocka-dev libcrypt-jwt-perl libtest-base-perl openssl"
    ;;

*)
    echo "usage: $0 [fuzz|bench|peers|deb|matrix]" >&2
    exit 2
    ;;
esac

missing=
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' \
        || missing="$missing $p"
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages; run as root:" >&2
    echo "  apt-get update && apt-get install -y$missing" >&2
    exit 1
fi

echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends $missing
