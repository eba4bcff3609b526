#!/usr/bin/env bash
#
# scripts/plus-compat.sh: how much of an NGINX Plus style test suite runs
# unchanged against this module.  Not part of make test: it needs files
# fetched at development time, and they are never committed.
#
#   scripts/plus-compat.sh T_DIR TEST_NGINX_LIB [MODULE]
#
# T_DIR           a directory of Test::Nginx .t files written for NGINX
#                 Plus's auth_jwt directives, with their conf/ and data/
#                 (kjdev/nginx-auth-jwt's t/, from its public source)
# TEST_NGINX_LIB  the lib/ of an openresty/test-nginx checkout (CPAN's
#                 Test::Nginx; it needs Test::LongString, List::MoreUtils,
#                 HTTP::Message and Text::Diff)
# MODULE          the module to load (default build/ngx_http_auth_bearer_
#                 module.so); nginx is TEST_NGINX_BINARY or /usr/sbin/nginx
#
# Only the files that use nothing but NGINX Plus directives are run
# (auth_jwt, auth_jwt_claim_set, auth_jwt_header_set, auth_jwt_key_cache,
# auth_jwt_key_file, auth_jwt_key_request, auth_jwt_leeway,
# auth_jwt_require, auth_jwt_type); the others are listed as kjdev-only.
# The files are copied to a temporary directory, where the one fixed port
# of kjdev's conf/ (8080, a helper server) is replaced by a free one;
# nothing else is changed.  Each block runs on its own (CPAN's
# Test::Nginx gives up a whole file at the first configuration nginx
# refuses outside a must_die block).  For each file the script prints the
# passing and total Test::Nginx checks (a refused block counts as one
# failing check), why nginx refused configurations, and each failing
# block with a tag naming the likely cause.
#
# Measured on kjdev/nginx-auth-jwt at its public HEAD of December 2026,
# 10 files run, 33 kjdev-only (docs/MIGRATING.md has the counts per file
# and classifies every remaining failure):
#
#   before issue 13 (main 7328df8):  121/355 checks pass; limit_except
#                                    blocks and all 29 auth_jwt_key_request
#                                    blocks refused by nginx
#   after issue 13:                  155/469 checks pass; no block refused
#                                    for its directive or its context

set -u

tdir=${1:?usage: $0 T_DIR TEST_NGINX_LIB [MODULE]}
lib=${2:?usage: $0 T_DIR TEST_NGINX_LIB [MODULE]}
module=${3:-$PWD/build/ngx_http_auth_bearer_module.so}
bin=${TEST_NGINX_BINARY:-/usr/sbin/nginx}

tdir=$(cd "$tdir" && pwd) || exit 1
lib=$(cd "$lib" && pwd) || exit 1
module=$(cd "$(dirname "$module")" && pwd)/$(basename "$module")

[ -f "$module" ] || { echo "$0: no module $module (make module)" >&2; exit 1; }
[ -f "$lib/Test/Nginx/Socket.pm" ] || {
    echo "$0: $lib has no Test/Nginx/Socket.pm" >&2; exit 1; }

plus='auth_jwt|auth_jwt_claim_set|auth_jwt_header_set|auth_jwt_key_cache'
plus+='|auth_jwt_key_file|auth_jwt_key_request|auth_jwt_leeway'
plus+='|auth_jwt_require|auth_jwt_type'

work=$(mktemp -d /tmp/plus-compat.XXXXXX)
trap 'rm -rf "$work"' EXIT

cp -r "$tdir" "$work/t"

free_port() {
    python3 -c 'import socket; s = socket.socket();
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

port=$(free_port)
sed -i "s/\b8080\b/$port/g" "$work"/t/conf/*.conf "$work"/t/*.t 2>/dev/null

# nginx's own port too, so that two runs (before, after) may overlap
export TEST_NGINX_PORT=$(free_port)

export TEST_NGINX_BINARY=$bin
export TEST_NGINX_LOAD_MODULES=$module
export TEST_NGINX_CONF_DIR=$work/t/conf
export TEST_NGINX_DATA_DIR=$work/t/data
export TEST_NGINX_SERVROOT=$work/servroot

# "not ok" lines of a .t file on stdin: one line per failing block, with
# its failing checks and a tag naming the likely cause.  The tags are a
# heuristic over the block's text; docs/MIGRATING.md says what each means.
classify() {
    perl -e '
        use strict; use warnings; use MIME::Base64 qw(decode_base64url);
        my ($t, $conf) = @ARGV;
        local $/;
        open my $fh, "<", $t or die "$t: $!"; my $text = <$fh>;
        my %tok;                    # token variables of conf/jwt.conf
        if (open my $c, "<", "$conf/jwt.conf") {
            my $j = <$c>;
            $tok{$1} = $2 while $j =~ /set \$(\w+) "([^"]*)"/g;
        }
        my %block;
        for my $b (split /^=== /m, $text) {
            my ($name) = $b =~ /\A(.*)$/m or next;
            $block{$name} = $b;
        }
        my (%fail, @order);
        for (split /\n/, <STDIN>) {
            my ($name, $check) = /^not ok \d+ - \S+ (.*?) - (.*)$/ or next;
            push @order, $name unless $fail{$name};
            push @{ $fail{$name} }, $check =~ /pattern/ ? "log"
                                   : $check =~ /status code/ ? "status"
                                   : $check =~ /header (\S+)/ ? "header $1"
                                   : $check =~ /body/ ? "body" : "other";
        }
        sub hs {
            my ($jwt) = @_;
            my ($h) = split /\./, $jwt;
            my $json = eval { decode_base64url($h) } // "";
            return $json =~ /"alg"\s*:\s*"HS/;
        }
        for my $name (@order) {
            my $b = $block{$name} // "";
            my %k = map { $_ => 1 } @{ $fail{$name} };
            my @jwts = ($b =~ /(eyJ[\w-]+\.[\w-]*\.[\w-]*)/g,
                        map { $tok{$_} // () } $b =~ /\$(\w+)/g);
            my @kr = $b =~ /auth_jwt_key_request\s+(\S+?);/g;
            my $tag =
                $b =~ /jwt_claims\b/ ? "kjdev-only: \$jwt_claims"
              : $b =~ /\b(?:keyval|error=(?!40[13]\b)\d+)/
                                      ? "kjdev-only: keyval or error= code"
              : join(",", sort keys %k) eq "log"
                                      ? "kjdev-only: its error log wording"
              : $b =~ /^Authorization: Bearer\s*$/m
                                      ? "deliberate: 400 invalid_request for an empty Bearer"
              : $k{"header WWW-Authenticate"} && !$k{status}
                && $b =~ /^WWW-Authenticate:\s*$/m
                                      ? "deliberate: a challenge on every 401 (RFC 6750)"
              : $k{"header WWW-Authenticate"} && !$k{status}
                && $b =~ /^WWW-Authenticate:.*error=/m
                                      ? "deliberate: error_description in the challenge (RFC 6750)"
              : @kr && !grep({ /test(?:1|2|3|10)\.jwks?\b|\$/ } @kr)
                && $b =~ /error_code: 401/ && $k{status}
                                      ? "deliberate: 503 when keys cannot be had"
              : (grep { hs($_) } @jwts) || $b =~ /test(?:1|2|3|10)\.jwks?\b/
                                      ? "deliberate: HMAC key shorter than the hash (RFC 7518 3.2)"
              : "unclassified";
            printf "%s [%s]: %s\n", $name,
                   join(",", sort keys %k), $tag;
        }
    ' "$1" "$TEST_NGINX_CONF_DIR"
}

total_pass=0
total_all=0
files=0
skipped=()

printf '%-44s %9s\n' file passing

cd "$work" || exit 1

for t in t/*.t; do
    name=$(basename "$t")
    other=$(grep -o 'auth_jwt[a-z_]*' "$t" | sort -u \
            | grep -Evx "$plus" | tr '\n' ' ')

    if [ -n "$other" ]; then
        skipped+=("$name ($other)")
        continue
    fi

    # one block at a time: CPAN's Test::Nginx bails out of a whole file
    # at the first configuration nginx refuses outside a must_die block
    mkdir -p "blocks/$name"
    perl -e '
        my ($t, $dir) = @ARGV;
        local $/; open my $fh, "<", $t or die "$t: $!"; my $text = <$fh>;
        my ($head, $data) = $text =~ /\A(.*?^__DATA__\n)(.*)\z/ms
            or die "$t: no __DATA__\n";
        my @blocks = split /^(?==== )/m, $data;
        shift @blocks while @blocks && $blocks[0] !~ /^=== /;
        for my $n (0 .. $#blocks) {
            open my $out, ">", sprintf("%s/%03d.t", $dir, $n) or die $!;
            print $out $head, $blocks[$n];
        }
    ' "$t" "blocks/$name"

    pass=0
    fail=0
    refused=0
    failing=''
    reasons=''

    for b in "blocks/$name"/*.t; do
        out=$(perl -I "$lib" "$b" 2>&1)
        pass=$((pass + $(grep -c '^ok ' <<<"$out")))
        fail=$((fail + $(grep -c '^not ok ' <<<"$out")))
        failing+=$(grep '^not ok ' <<<"$out")$'\n'

        if grep -q '^Bail out!' <<<"$out"; then
            refused=$((refused + 1))
            reasons+=$(grep -o '^nginx: \[emerg\] .*' <<<"$out" \
                       | sed 's/ in \/.*//' | sort -u)$'\n'
        fi
    done

    all=$((pass + fail + refused))
    blocks=$(grep -c '^===' "$t")
    dies=$(grep -c '^--- must_die' "$t")

    printf '%-44s %4d/%-4d  %d blocks, %d must_die, %d refused\n' \
           "$name" "$pass" "$all" "$blocks" "$dies" "$refused"

    # a refused block counts as one failing check; its reason
    grep -v '^$' <<<"$reasons" | sort | uniq -c \
        | sed 's/^ *\([0-9]*\) /    refused (\1 blocks): /'

    # the failing blocks, each with the likely cause (see classify below)
    grep '^not ok ' <<<"$failing" | classify "$t" | sed 's/^/    /'

    total_pass=$((total_pass + pass))
    total_all=$((total_all + all))
    files=$((files + 1))
done

printf '\n%d files, %d/%d checks pass\n' "$files" "$total_pass" "$total_all"
printf 'kjdev-only (not run): %d files\n' "${#skipped[@]}"
for s in "${skipped[@]}"; do
    printf '    %s\n' "$s"
done
