use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use JWTTest;
use MockKalamDB;

# The KalamDB edge: nginx in front of the mock backend, as in
# conf-examples/kalamdb.conf.

$ENV{KALAMDB_JWT_SECRET} = $JWTTest::SECRET;
MockKalamDB::start();

# CPAN's Test::Nginx does not export this one itself
$ENV{TEST_NGINX_SERVROOT} ||= server_root();

our $alice   = mint(sub => 'alice', role => 'user');
our $bob     = mint(sub => 'bob', role => 'user');
our $admin   = mint(sub => 'admin', role => 'dba');
our $refresh = mint_refresh(sub => 'alice');
our $expired = mint(sub => 'alice', exp => time - 600, iat => time - 3600);

our $http_config = <<'_EOC_';
    auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET
                    algorithms=HS256 token_type=access;

    log_format edge_json escape=json
        '{"user":"$jwt_user","status":$status,"code":"$jwt_error",'
        '"reason":"$jwt_error_reason"}';

    limit_req_zone $jwt_user zone=per_user:1m rate=1r/m;
    limit_req_status 429;

    map $jwt_claim_role $is_admin {
        dba      1;
        system   1;
        default  0;
    }

    upstream kalamdb {
        server 127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
_EOC_

our $config = <<'_EOC_';
    proxy_set_header X-Real-IP       $remote_addr;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-User          $jwt_user;
    proxy_set_header X-Role          $jwt_claim_role;

    location /v1/ {
        auth_jwt "kalamdb";
        proxy_pass http://kalamdb;
    }

    location /v1/api/auth/ {
        auth_jwt off;
        proxy_pass http://kalamdb;
    }

    location /v1/api/admin/ {
        auth_jwt "kalamdb";
        auth_jwt_require $is_admin error=403;
        proxy_pass http://kalamdb;
    }

    location = /__mock/requests {
        proxy_pass http://kalamdb;
    }
_EOC_

no_shuffle();
repeat_each(1);
block_defaults();

run_tests();

__DATA__

=== TEST 1: an access token reaches the backend, which sees the user, X-Real-IP and X-Forwarded-For
--- http_config eval: $::http_config
--- config eval: $::config
--- request
POST /v1/api/sql
{"sql":"SELECT CURRENT_USER()"}
--- more_headers eval
bearer($::alice) . "X-Forwarded-For: 198.51.100.7\n"
--- error_code: 200
--- response_body_like eval
qr/^(?=.*"rows":\[\["alice"\]\])(?=.*"x_forwarded_for":"198\.51\.100\.7, 127\.0\.0\.1")(?=.*"x_real_ip":"127\.0\.0\.1")(?=.*"x_user":"alice")/s



=== TEST 2: a refresh token used on /v1/api/sql is refused at the edge and never reaches the backend
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
["POST /v1/api/sql?probe=refresh-at-edge\n{\"sql\":\"SELECT CURRENT_USER()\"}",
 "GET /__mock/requests"]
--- more_headers eval
[bearer($::refresh), ""]
--- error_code eval
[401, 200]
--- response_body_like eval
[qr/^\{"status":"error","error":\{"code":"INVALID_CREDENTIALS","message":"Refresh token used as access token"\}\}$/,
 qr/^(?![\s\S]*probe=refresh-at-edge)[\s\S]*GET \/__mock\/requests/]



=== TEST 3: an expired token answers TOKEN_EXPIRED without reaching the backend
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
["POST /v1/api/sql?probe=expired-at-edge\n{\"sql\":\"SELECT CURRENT_USER()\"}",
 "GET /__mock/requests"]
--- more_headers eval
[bearer($::expired), ""]
--- error_code eval
[401, 200]
--- response_body_like eval
[qr/"code":"TOKEN_EXPIRED"/,
 qr/^(?![\s\S]*probe=expired-at-edge)/]



=== TEST 4: login and refresh stay open and reach the backend without a token
--- http_config eval: $::http_config
--- config eval: $::config
--- request
POST /v1/api/auth/login
{"user":"alice","password":"alice-password"}
--- error_code: 200
--- response_body_like: "access_token":"ey[^"]+".*"refresh_token":"ey



=== TEST 5: a client-sent X-User never reaches the backend on an open endpoint
--- http_config eval: $::http_config
--- config eval: $::config
--- request
GET /v1/api/auth/status
--- more_headers
X-User: admin
--- error_code: 200
--- response_body_like: "endpoint":"/v1/api/auth/status"
--- no_error_log
[error]



=== TEST 6: per-user rate limiting keyed by $jwt_user separates two users
--- http_config eval: $::http_config
--- config
location /v1/ {
    auth_jwt "kalamdb";
    limit_req zone=per_user;
    proxy_set_header X-User $jwt_user;
    proxy_pass http://kalamdb;
}
--- request eval
["POST /v1/api/sql\n{\"sql\":\"SELECT CURRENT_USER()\"}",
 "POST /v1/api/sql\n{\"sql\":\"SELECT CURRENT_USER()\"}",
 "POST /v1/api/sql\n{\"sql\":\"SELECT CURRENT_USER()\"}"]
--- more_headers eval
[bearer($::alice), bearer($::alice), bearer($::bob)]
--- error_code eval
[200, 429, 200]
--- response_body_like eval
[qr/"rows":\[\["alice"\]\]/, qr/429/, qr/"rows":\[\["bob"\]\]/]



=== TEST 7: requests without a valid token have an empty rate-limit key and are refused, not counted
--- http_config eval: $::http_config
--- config
location /v1/ {
    auth_jwt "kalamdb";
    limit_req zone=per_user;
    proxy_pass http://kalamdb;
}
--- request eval
["GET /v1/api/topics", "GET /v1/api/topics", "GET /v1/api/topics"]
--- error_code eval
[401, 401, 401]
--- response_body_like eval
[qr/MISSING_AUTHORIZATION/, qr/MISSING_AUTHORIZATION/, qr/MISSING_AUTHORIZATION/]



=== TEST 8: $jwt_user drives a map and an if in the rewrite phase, before the access phase runs
--- http_config eval
$::http_config . q{
    map $jwt_user $user_bucket {
        alice    a;
        default  other;
    }
}
--- config
location /v1/ {
    auth_jwt "kalamdb";
    if ($jwt_user = "alice") {
        set $seen_in_rewrite "yes";
    }
    return 200 "rewrite=$seen_in_rewrite bucket=$user_bucket user=$jwt_user\n";
}
--- request
GET /v1/api/topics
--- more_headers eval
bearer($::alice)
--- error_code: 200
--- response_body
rewrite=yes bucket=a user=alice



=== TEST 9: a forged token evaluated in the rewrite phase yields no identity and is still refused in the access phase
--- http_config eval: $::http_config
--- config
location /v1/ {
    auth_jwt "kalamdb";
    set $who "[$jwt_user]";
    proxy_set_header X-User $who;
    proxy_pass http://kalamdb;
}
--- request
GET /v1/api/topics
--- more_headers eval
bearer(mint(sub => 'alice', -key => $JWTTest::SECRET2))
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log
auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS)



=== TEST 10: the JSON access log line carries the user of an accepted request
--- http_config eval: $::http_config
--- config
location /v1/ {
    auth_jwt "kalamdb";
    access_log $TEST_NGINX_SERVROOT/logs/edge.log edge_json;
    proxy_pass http://kalamdb;
}
location /logs/ {
    alias $TEST_NGINX_SERVROOT/logs/;
}
--- request eval
["GET /v1/api/topics", "GET /logs/edge.log"]
--- more_headers eval
[bearer($::bob), ""]
--- error_code eval
[404, 200]
--- response_body_like eval
[qr/NOT_FOUND/, qr/^\{"user":"bob","status":404,"code":"","reason":""\}$/m]



=== TEST 11: the JSON access log line carries the code and precise reason of a refusal
--- http_config eval: $::http_config
--- config
location /v1/ {
    auth_jwt "kalamdb";
    access_log $TEST_NGINX_SERVROOT/logs/edge.log edge_json;
    proxy_pass http://kalamdb;
}
location /logs/ {
    alias $TEST_NGINX_SERVROOT/logs/;
}
--- request eval
["GET /v1/api/topics", "GET /logs/edge.log"]
--- more_headers eval
[bearer($::expired), ""]
--- error_code eval
[401, 200]
--- response_body_like eval
[qr/TOKEN_EXPIRED/, qr/^\{"user":"","status":401,"code":"TOKEN_EXPIRED","reason":"token expired"\}$/m]



=== TEST 12: satisfy any lets a loopback client in without a token
--- http_config eval: $::http_config
--- config
location /v1/ {
    satisfy any;
    allow 127.0.0.1;
    deny all;
    auth_jwt "kalamdb";
    proxy_set_header X-User $jwt_user;
    proxy_pass http://kalamdb;
}
--- request
GET /v1/api/auth-free-probe
--- error_code: 404
--- response_headers
!WWW-Authenticate
--- response_body_like: "code":"NOT_FOUND"



=== TEST 13: satisfy any holds a non-loopback client (seen through realip) to the token
--- http_config eval: $::http_config
--- config
set_real_ip_from 127.0.0.1;
real_ip_header X-Forwarded-For;
location /v1/ {
    satisfy any;
    allow 127.0.0.1;
    deny all;
    auth_jwt "kalamdb";
    proxy_pass http://kalamdb;
}
--- request
GET /v1/api/topics
--- more_headers
X-Forwarded-For: 203.0.113.9
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb"
--- response_body
{"status":"error","error":{"code":"MISSING_AUTHORIZATION","message":"Missing bearer token"}}



=== TEST 14: satisfy any lets a non-loopback client with a valid token through, with its identity
--- http_config eval: $::http_config
--- config
set_real_ip_from 127.0.0.1;
real_ip_header X-Forwarded-For;
location /v1/ {
    satisfy any;
    allow 127.0.0.1;
    deny all;
    auth_jwt "kalamdb";
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_pass http://kalamdb;
}
--- request
POST /v1/api/sql
{"sql":"SELECT CURRENT_USER()"}
--- more_headers eval
bearer($::alice) . "X-Forwarded-For: 203.0.113.9\n"
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- response_body_like: ^(?=.*"rows":\[\["alice"\]\])(?=.*"x_forwarded_for":"203\.0\.113\.9)(?=.*"x_user":"alice")



=== TEST 15: an admin location admits dba and refuses a user role with 403 INSUFFICIENT_PERMISSIONS
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
["GET /v1/api/admin/users", "GET /v1/api/admin/users"]
--- more_headers eval
[bearer($::admin), bearer($::alice)]
--- error_code eval
[404, 403]
--- response_body_like eval
[qr/NOT_FOUND/, qr/^\{"status":"error","error":\{"code":"INSUFFICIENT_PERMISSIONS","message":"Insufficient permissions"\}\}$/]



=== TEST 16: allow_missing passes a request without a token, unauthenticated, to the backend
--- http_config eval: $::http_config
--- config
location = /v1/api/sql {
    auth_jwt "kalamdb";
    auth_jwt_allow_missing on;
    proxy_set_header X-User "[$jwt_user]";
    proxy_pass http://kalamdb;
}
--- request
POST /v1/api/sql
{"sql":"SELECT CURRENT_USER()"}
--- error_code: 401
--- response_body_like: Backend refused the token
--- no_error_log
auth_jwt: refused



=== TEST 17: allow_missing still refuses a request whose token does not verify
--- http_config eval: $::http_config
--- config
location = /v1/api/sql {
    auth_jwt "kalamdb";
    auth_jwt_allow_missing on;
    proxy_pass http://kalamdb;
}
--- request
POST /v1/api/sql
{"sql":"SELECT CURRENT_USER()"}
--- more_headers eval
bearer($::expired)
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"TOKEN_EXPIRED","message":"Token expired"}}
