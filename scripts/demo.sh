#!/bin/bash
# make demo / make demo-stop: the KalamDB edge from conf-examples/demo.conf
# (which includes kalamdb.conf) on 127.0.0.1:8080, in front of the mock
# backend on 127.0.0.1:8081; state, logs and the demo secret in build/demo.

set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
run=$root/build/demo
nginx=${NGINX_BIN:-/usr/sbin/nginx}

stop() {
    local pid

    if [ -f "$run/logs/nginx.pid" ]; then
        pid=$(cat "$run/logs/nginx.pid")
        if kill -0 "$pid" 2>/dev/null; then
            kill -QUIT "$pid"
            for _ in $(seq 50); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            echo "demo nginx stopped"
        fi
    fi

    if [ -f "$run/mock.pid" ]; then
        pid=$(cat "$run/mock.pid")
        kill "$pid" 2>/dev/null && echo "demo backend stopped" || true
        rm -f "$run/mock.pid"
    fi
}

if [ "${1:-start}" = stop ]; then
    stop
    exit 0
fi

stop
mkdir -p "$run/logs" "$run/tmp" "$run/modules"
ln -sf "$root/build/ngx_http_auth_bearer_module.so" \
       "$run/modules/ngx_http_auth_bearer_module.so"

if [ ! -s "$run/secret" ]; then
    (umask 077; openssl rand -hex 32 > "$run/secret")
fi

export KALAMDB_JWT_SECRET
KALAMDB_JWT_SECRET=$(cat "$run/secret")

# the backend stand-in: login, refresh, SQL, WebSocket echo
nohup perl "$root/scripts/mock-kalamdb" --listen 127.0.0.1:8081 \
    --pid "$run/mock.pid" --log "$run/logs/backend.log" \
    > "$run/logs/backend.out" 2>&1 &

"$nginx" -p "$run/" -c "$root/conf-examples/demo.conf" -t -q
"$nginx" -p "$run/" -c "$root/conf-examples/demo.conf"

for _ in $(seq 50); do
    curl -sf -o /dev/null http://127.0.0.1:8080/v1/api/auth/status && break
    sleep 0.1
done

cd "$root"
access=$(scripts/mint-token --sub alice --role user)
expired=$(scripts/mint-token --sub alice --expired)
refresh=$(scripts/mint-token --sub alice --type refresh)

cat <<MSG

nginx with ngx_http_auth_bearer_module is listening on 127.0.0.1:8080 in
front of a mock KalamDB backend on 127.0.0.1:8081 (configuration
conf-examples/kalamdb.conf, logs in build/demo/logs/).

A valid access token for "alice" (24 h):

  $access

1. Valid token: 200, the backend answers SELECT CURRENT_USER() with alice
   and shows the X-User header nginx set

  curl -s http://127.0.0.1:8080/v1/api/sql -H 'Authorization: Bearer $access' -d '{"sql":"SELECT CURRENT_USER()"}'

2. Expired token: 401, code TOKEN_EXPIRED (the SDKs refresh and retry)

  curl -i http://127.0.0.1:8080/v1/api/sql -H 'Authorization: Bearer $expired' -d '{"sql":"SELECT CURRENT_USER()"}'

3. No token: 401, code MISSING_AUTHORIZATION

  curl -i http://127.0.0.1:8080/v1/api/sql -d '{"sql":"SELECT CURRENT_USER()"}'

4. Refresh token used as an access token: 401, INVALID_CREDENTIALS,
   "Refresh token used as access token"

  curl -i http://127.0.0.1:8080/v1/api/sql -H 'Authorization: Bearer $refresh' -d '{"sql":"SELECT CURRENT_USER()"}'

Expected [error] lines in build/demo/logs/error.log: "refreshing the keys
of "https://securetoken.google.com/kalamdb-demo" failed".  That is
kalamdb.conf's second issuer, a placeholder Firebase project whose keys
cannot be fetched here; nginx retries with backoff (at most every 5
minutes) and shows it as "unavailable" in
http://127.0.0.1:8080/auth_jwt_status.  The demo's tokens (issuer
"kalamdb") are not affected.

The login -> SQL -> TOKEN_EXPIRED -> refresh walkthrough, and "log out
everywhere" (POST /v1/api/auth/logout; nginx polls the backend's
revocation feed every 5 s and refuses the old tokens) are in README.md
(demo users: alice/alice-password, bob/bob-password, admin/admin-password).
More tokens: KALAMDB_JWT_SECRET=\$(cat build/demo/secret) scripts/mint-token --help
Stop the demo: make demo-stop
MSG
