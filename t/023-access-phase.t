use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use JWTTest;
use JWTKeys;

no_shuffle(); repeat_each(1);

# The module as one of nginx's access modules: under "satisfy any" it lets
# the others decide and answers with its own precise refusal only when
# none allows; its challenge and JSON body appear only on its own
# refusals; subrequests (SSI, auth_request, mirror) have no access phase
# and read the main request's verdict; auth_jwt_require is inherited as
# nginx's array directives are; a "refused" line is logged only for a
# request the module refused.  The test client is 127.0.0.1: "allowed"
# blocks allow it, "denied" blocks allow only another address.

log_level('info');

$ENV{KALAMDB_JWT_SECRET} = $JWTTest::SECRET;

our %T = (
    good     => mint(sub => 'alice'),
    bad      => mint(sub => 'alice', -key => $SECRET2),
    admin    => mint(sub => 'root', role => 'admin', banned => JSON::PP::true()),
    fb       => pk_mint(iss => 'https://securetoken.google.com/demo-project',
                        aud => 'demo-project', sub => 'uid-7',
                        -header => { kid => 'rsa' }),
);

our $UNAVAILABLE = qq({"status":"error","error":{"code":"KEYS_UNAVAILABLE","message":"Signing keys are not available yet; retry later"}}\n);

sub any_config {
    my ($allow) = @_;
    return <<"_EOC_";
location /upstream {
    return 200 "user=\$http_x_user\\n";
}
location /api/ {
    satisfy any;
    allow $allow;
    deny all;
    auth_jwt "api";
    proxy_set_header X-User \$jwt_user;
    proxy_pass http://127.0.0.1:\$TEST_NGINX_SERVER_PORT/upstream;
}
_EOC_
}

our $ALLOWED = any_config('127.0.0.1');
our $DENIED = any_config('10.9.9.9');

our $MIRROR_HTTP = <<'_EOC_';
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET;
log_format mirrored 'MIRRORED user=[$http_x_user]';
_EOC_

# a mirror target with its own token source, and a sink logging what it
# saw into error.log
our $MIRROR = <<'_EOC_';
location /upstream {
    return 200 "main=$http_x_user\n";
}
location /api/ {
    auth_jwt "api";
    mirror /m;
    proxy_set_header X-User $jwt_user;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
location /open/ {
    mirror /m;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
location = /m {
    internal;
    auth_jwt "m" token=$arg_t;
    proxy_set_header X-User $jwt_user;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/sink;
}
location = /sink {
    log_subrequest on;
    access_log logs/error.log mirrored;
    return 204;
}
_EOC_

block_defaults(http_config => <<'_EOC_');
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET;
auth_jwt_issuer https://securetoken.google.com/demo-project
                jwks_uri=http://127.0.0.1:1/jwks.json
                insecure_http audience=demo-project;
_EOC_

run_tests();

__DATA__

=== TEST 1: satisfy any, allowed address, valid token: served with the user
--- config eval: $::ALLOWED
--- request
GET /api/x
--- more_headers eval
bearer($::T{good})
--- error_code: 200
--- response_body
user=alice
--- no_error_log
auth_jwt: refused



=== TEST 2: satisfy any, allowed address, bad signature: served, no user, no challenge, no refused line
--- config eval: $::ALLOWED
--- request
GET /api/x
--- more_headers eval
bearer($::T{bad})
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- response_body
user=
--- no_error_log
auth_jwt: refused



=== TEST 3: satisfy any, allowed address, no token: served
--- config eval: $::ALLOWED
--- request
GET /api/x
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- response_body
user=
--- no_error_log
auth_jwt: refused



=== TEST 4: satisfy any, allowed address, malformed Authorization header: served (allow decides), not 400
--- config eval: $::ALLOWED
--- request
GET /api/x
--- more_headers
Authorization: Bearer
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- response_body
user=
--- no_error_log
auth_jwt: refused



=== TEST 5: satisfy any, allowed address, OIDC keys unavailable: served at once, not 503
--- config eval: $::ALLOWED
--- request
GET /api/x
--- more_headers eval
bearer($::T{fb})
--- error_code: 200
--- response_headers
!WWW-Authenticate
!Retry-After
--- response_body
user=
--- no_error_log
auth_jwt: refused



=== TEST 6: satisfy any, denied address, valid token: the module allows
--- config eval: $::DENIED
--- request
GET /api/x
--- more_headers eval
bearer($::T{good})
--- error_code: 200
--- response_body
user=alice
--- no_error_log
auth_jwt: refused



=== TEST 7: satisfy any, denied address, bad signature: the module's 401 with its challenge and JSON body
--- config eval: $::DENIED
--- request
GET /api/x
--- more_headers eval
bearer($::T{bad})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log
auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS)



=== TEST 8: satisfy any, denied address, no token: 401 MISSING_AUTHORIZATION
--- config eval: $::DENIED
--- request
GET /api/x
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"MISSING_AUTHORIZATION","message":"Missing bearer token"}}
--- error_log
auth_jwt: refused: no bearer token in the request (MISSING_AUTHORIZATION)



=== TEST 9: satisfy any, denied address, malformed Authorization header: the module's precise 400 invalid_request
--- config eval: $::DENIED
--- request
GET /api/x
--- more_headers
Authorization: Bearer
--- error_code: 400
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_request", error_description="Malformed Authorization header"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed Authorization header"}}
--- error_log
auth_jwt: refused: malformed Authorization header (INVALID_CREDENTIALS)



=== TEST 10: satisfy any, denied address, OIDC keys unavailable: 503 KEYS_UNAVAILABLE with Retry-After
--- config eval: $::DENIED
--- request
GET /api/x
--- more_headers eval
bearer($::T{fb})
--- error_code: 503
--- response_headers_like
Retry-After: [1-9]\d*
WWW-Authenticate: Bearer realm="api"
Content-Type: application/json
--- response_body eval
$::UNAVAILABLE
--- error_log
auth_jwt: refused: no usable keys for this issuer (KEYS_UNAVAILABLE)



=== TEST 11: satisfy all (the default) keeps its answers: malformed header 400, unavailable keys 503
--- config
location /api/ {
    auth_jwt "api";
    return 200 "never\n";
}
location /p/ {
    auth_jwt "api";
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/never;
}
--- request eval
["GET /p/x", "GET /p/y"]
--- more_headers eval
["Authorization: Bearer", bearer($::T{fb})]
--- error_code eval
[400, 503]
--- response_body eval
[qq({"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed Authorization header"}}\n),
 $::UNAVAILABLE]



=== TEST 12: an upstream's own 401 passes through untouched when another module let the request in
--- config
location /upstream {
    return 401 "upstream says no\n";
}
location /api/ {
    satisfy any;
    allow 127.0.0.1;
    deny all;
    auth_jwt "api";
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/x
--- more_headers eval
bearer($::T{bad})
--- error_code: 401
--- response_headers
!WWW-Authenticate
Content-Type: text/plain
--- response_body
upstream says no
--- no_error_log
auth_jwt: refused



=== TEST 13: a 200 granted by auth_request under satisfy any carries no Bearer challenge
--- config
location = /grant {
    internal;
    return 204;
}
location /upstream {
    return 200 "ok\n";
}
location /api/ {
    satisfy any;
    auth_request /grant;
    auth_jwt "api";
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/x
--- more_headers eval
bearer($::T{bad})
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- response_body
ok
--- no_error_log
auth_jwt: refused



=== TEST 14: auth_request refusing too: the module's answer stands (401 JSON)
--- config
location = /refuse {
    internal;
    return 403;
}
location /api/ {
    satisfy any;
    auth_request /refuse;
    auth_jwt "api";
    return 200 "never\n";
}
location /p/ {
    satisfy any;
    auth_request /refuse;
    auth_jwt "api";
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/never;
}
--- request
GET /p/x
--- more_headers eval
bearer($::T{bad})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}



=== TEST 15: SSI: an include is a subrequest with no access phase; its $jwt_user is the main request's verdict
--- config
location /upstream {
    return 200 "<!--# include virtual=\"/inc/x\" -->|main=$http_x_user\n";
}
location /page/ {
    auth_jwt "api";
    ssi on;
    ssi_types *;
    proxy_set_header X-User $jwt_user;
    proxy_set_header Accept-Encoding "";
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
location /inc/ {
    auth_jwt "other" token=$arg_t;
    proxy_set_header X-User $jwt_user;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/echo;
}
location /echo {
    return 200 "inc=$http_x_user";
}
--- request
GET /page/x
--- more_headers eval
bearer($::T{good})
--- error_code: 200
--- response_body
inc=alice|main=alice
--- no_error_log
auth_jwt: refused



=== TEST 16: SSI include of a protected location from an open page: served (no access phase), its $jwt_* empty, nothing logged as refused
--- config
location /upstream {
    return 200 "<!--# include virtual=\"/inc/x\" -->|open\n";
}
location /page/ {
    ssi on;
    ssi_types *;
    proxy_set_header Accept-Encoding "";
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
location /inc/ {
    auth_jwt "other";
    proxy_set_header X-User $jwt_user;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/echo;
}
location /echo {
    return 200 "inc=$http_x_user";
}
--- request
GET /page/x
--- more_headers eval
bearer($::T{bad})
--- error_code: 200
--- response_body
inc=|open
--- no_error_log
auth_jwt: refused



=== TEST 17: auth_jwt in an auth_request target protects nothing (no access phase there): the safe place is the calling location
--- config
location = /auth {
    internal;
    auth_jwt "api";
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ok;
}
location /ok {
    return 204;
}
location /unsafe/ {
    auth_request /auth;
    return 200 "served\n";
}
location /upstream {
    return 200 "served\n";
}
location /unsafe2/ {
    auth_request /auth;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
location /safe/ {
    auth_jwt "api";
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request eval
["GET /unsafe2/x", "GET /safe/x"]
--- more_headers eval
[bearer($::T{bad}), bearer($::T{bad})]
--- error_code eval
[200, 401]



=== TEST 18: mirror: the mirrored subrequest reads the main request's verdict and never logs a refusal
--- http_config eval: $::MIRROR_HTTP
--- config eval: $::MIRROR
--- request
GET /api/x
--- more_headers eval
bearer($::T{good})
--- error_code: 200
--- response_body
main=alice
--- wait: 0.5
--- error_log
MIRRORED user=[alice]
--- no_error_log
auth_jwt: refused



=== TEST 19: a location's own auth_jwt_require replaces the inherited ones (as proxy_set_header): a banned admin passes
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET;
map $jwt_claim_banned $not_banned { default 1; true 0; }
map $jwt_claim_role $is_admin { default 0; admin 1; }
auth_jwt_require $not_banned error=403;
--- config
location /api/ {
    auth_jwt "api";
    return 200 "never\n";
}
location /upstream {
    return 200 "user=$http_x_user\n";
}
location /api2/ {
    auth_jwt "api";
    proxy_set_header X-User $jwt_user;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
location /admin/ {
    auth_jwt "api";
    auth_jwt_require $is_admin error=403;
    proxy_set_header X-User $jwt_user;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
location /admin-both/ {
    auth_jwt "api";
    auth_jwt_require $not_banned error=403;
    auth_jwt_require $is_admin error=403;
    proxy_set_header X-User $jwt_user;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request eval
["GET /api2/x", "GET /admin/x", "GET /admin-both/x"]
--- more_headers eval
[bearer($::T{admin}), bearer($::T{admin}), bearer($::T{admin})]
--- error_code eval
[403, 200, 403]



=== TEST 20: a verdict read by a server-level "if" (made under the server's auth_jwt) in a location then served with auth_jwt off: the verdict is readable, no refusal is logged
--- config
auth_jwt "api";
set $anon "";
if ($jwt_user = "") {
    set $anon "yes";
}
location /open/ {
    auth_jwt off;
    return 200 "anon=$anon error=$jwt_error\n";
}
--- request
GET /open/x
--- more_headers eval
bearer($::T{bad})
--- error_code: 200
--- response_body
anon=yes error=INVALID_CREDENTIALS
--- no_error_log
auth_jwt: refused



=== TEST 21: mirror from an open location to one with auth_jwt and its own token source: the subrequest verifies nothing, its $jwt_user is empty, no refusal is logged
--- http_config eval: $::MIRROR_HTTP
--- config eval: $::MIRROR
--- request
GET /open/x?t=whatever
--- more_headers eval
bearer($::T{good})
--- error_code: 200
--- response_body
main=
--- wait: 0.5
--- error_log
MIRRORED user=[-]
--- no_error_log
auth_jwt: refused
