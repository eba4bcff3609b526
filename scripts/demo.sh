#!/bin/bash
# make demo / make demo-stop: runs nginx with the module from
# conf-examples/demo.conf on 127.0.0.1:8080, state in build/demo.

set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
run=$root/build/demo
nginx=${NGINX_BIN:-/usr/sbin/nginx}

stop() {
    if [ -f "$run/nginx.pid" ] && kill -0 "$(cat "$run/nginx.pid")" 2>/dev/null
    then
        kill -QUIT "$(cat "$run/nginx.pid")"
        for _ in $(seq 50); do
            [ -f "$run/nginx.pid" ] || break
            sleep 0.1
        done
        echo "demo stopped"
    fi
}

if [ "${1:-start}" = stop ]; then
    stop
    exit 0
fi

stop
mkdir -p "$run/tmp"

if [ ! -s "$run/secret" ]; then
    (umask 077; openssl rand -hex 32 > "$run/secret")
fi

export KALAMDB_JWT_SECRET
KALAMDB_JWT_SECRET=$(cat "$run/secret")

cd "$root"
"$nginx" -p "$root/" -c conf-examples/demo.conf -t -q
"$nginx" -p "$root/" -c conf-examples/demo.conf

for _ in $(seq 50); do
    curl -s -o /dev/null http://127.0.0.1:8080/ && break
    sleep 0.1
done

access=$(scripts/mint-token --sub alice --role user)
expired=$(scripts/mint-token --sub alice --expired)
refresh=$(scripts/mint-token --sub alice --type refresh)

cat <<MSG

nginx with ngx_http_auth_bearer_module is listening on 127.0.0.1:8080
(config conf-examples/demo.conf, logs in build/demo/).

A valid access token for "alice" (24 h):

  $access

1. Valid token: 200, the upstream sees X-User: alice

  curl -i http://127.0.0.1:8080/v1/api/sql -H 'Authorization: Bearer $access'

2. Expired token: 401, code TOKEN_EXPIRED (the SDKs refresh and retry)

  curl -i http://127.0.0.1:8080/v1/api/sql -H 'Authorization: Bearer $expired'

3. No token: 401, code MISSING_AUTHORIZATION

  curl -i http://127.0.0.1:8080/v1/api/sql

4. Refresh token used as an access token: 401, code INVALID_CREDENTIALS,
   "Refresh token used as access token"

  curl -i http://127.0.0.1:8080/v1/api/sql -H 'Authorization: Bearer $refresh'

More tokens: KALAMDB_JWT_SECRET=\$(cat build/demo/secret) scripts/mint-token --help
Stop the demo: make demo-stop
MSG
