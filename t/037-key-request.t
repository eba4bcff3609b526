use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use JWTTest;
use JWTKeys;
use IdP;
no_shuffle(); repeat_each(1); no_root_location();

# auth_jwt_key_request (NGINX Plus): a location's keys come from the body
# of a subrequest, here to a location that proxies the IdP stand-in of
# t/lib/IdP.pm, which counts what it serves.  With auth_jwt_key_cache one
# subrequest serves every request of its time; without it every request
# makes its own (as in Plus).  Keys that cannot be had (an error status,
# not JSON, no usable key, a body over the room nginx keeps for it) give
# 503 KEYS_UNAVAILABLE with Retry-After, never 401.  The client's headers
# never reach the key request.  Time and concurrency: t/039-key-cache.t.

log_level('info');

$ENV{TEST_NGINX_KEYS} = $JWTKeys::KEYS;
$ENV{TEST_NGINX_HTML_DIR} ||= html_dir();

IdP::start();
add_block_preprocessor(sub { IdP::reset() });

our $JWKS_A = jwks(jwk('rsa', alg => 'RS256'));
our $JWKS_B = jwks(jwk('rsa-b', alg => 'RS256'));

IdP::put('/kr/jwks.json', $JWKS_A);
IdP::put('/rot/jwks.json', $JWKS_A, $JWKS_B);
IdP::put('/broken/jwks.json', '#status 500');
IdP::put('/notjson/jwks.json', '{"keys": [');
IdP::put('/nokeys/jwks.json', '{"keys": []}');
IdP::put('/oct/jwks.json',
         jwks({ kty => 'oct', kid => 's1', alg => 'HS256', k => b64u($SECRET) },
              { kty => 'oct', kid => 'short', alg => 'HS256',
                k => b64u('test1.secret') }));
IdP::put('/big/jwks.json', jwks(jwk('rsa', alg => 'RS256'),
                                map { jwk('rsa-b', kid => "k$_") } 1 .. 20));

sub tok {
    my ($key, %a) = @_;
    return pk_mint(iss => 'https://idp.example', %a, -key => $key,
                   -header => { kid => $key });
}

our %T = (a => tok('rsa'), b => tok('rsa-b'), c => tok('rsa-b', sub => 'x'));

# requests after the first, then the stand-in's count (a thousand, over
# keep-alive: t/039-key-cache.t)
our @MANY = (('GET /api/x') x 21, 'GET /hits/kr/jwks.json');

block_defaults(http_config => <<'_EOC_');
proxy_cache_path jwks_cache keys_zone=jwks:1m;
_EOC_

run_tests();

__DATA__

=== TEST 1: the NGINX Plus example runs unchanged: one subrequest serves the requests of its time
--- config
location / {
    auth_jwt "api";
    auth_jwt_key_request /_jwks_uri;
    auth_jwt_key_cache 10m;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/;
}
location = /_jwks_uri {
    internal;
    proxy_pass http://127.0.0.1:$TEST_NGINX_IDP_PORT/kr/jwks.json;
    proxy_cache jwks;
}
location /backend/ {
    return 200 "ok\n";
}
location /hits/ {
    proxy_pass http://127.0.0.1:$TEST_NGINX_IDP_PORT/__hits/;
}
--- request eval
[@::MANY]
--- more_headers eval
[(bearer($::T{a})) x 21, ""]
--- error_code eval
[(200) x 22]
--- response_body eval
[("ok\n") x 21, "1\n"]



=== TEST 2: without auth_jwt_key_cache every request makes its own subrequest, as in Plus
--- config
location /api/ {
    auth_jwt "api";
    auth_jwt_key_request /_jwks;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/;
}
location = /_jwks {
    internal;
    proxy_pass http://127.0.0.1:$TEST_NGINX_IDP_PORT/kr/jwks.json;
}
location /backend/ {
    return 200 "ok\n";
}
location /hits/ {
    proxy_pass http://127.0.0.1:$TEST_NGINX_IDP_PORT/__hits/;
}
--- request eval
["GET /api/1", "GET /api/2", "GET /api/3", "GET /hits/kr/jwks.json"]
--- more_headers eval
[bearer($::T{a}), bearer($::T{a}), bearer($::T{a}), ""]
--- response_body eval
["ok\n", "ok\n", "ok\n", "3\n"]



=== TEST 3: a key request answered 500 gives 503 KEYS_UNAVAILABLE with Retry-After, logged with the status
--- config
location /api/ {
    auth_jwt "api";
    auth_jwt_key_request /_jwks;
    auth_jwt_key_cache 10m;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/;
}
location = /_jwks {
    internal;
    proxy_pass http://127.0.0.1:$TEST_NGINX_IDP_PORT/broken/jwks.json;
}
location /backend/ {
    return 200 "ok\n";
}
--- request
GET /api/x
--- more_headers eval
bearer($::T{a})
--- error_code: 503
--- response_headers_like
Retry-After: \d+
WWW-Authenticate: Bearer realm="api"
--- response_body_like: "code":"KEYS_UNAVAILABLE"
--- error_log
auth_jwt_key_request "/_jwks": no keys: status 500
auth_jwt: refused: auth_jwt_key_request keys not available (KEYS_UNAVAILABLE)



=== TEST 4: a key request body that is not JSON gives 503, logged with the reason
--- config
location /api/ {
    auth_jwt "api";
    auth_jwt_key_request /_jwks;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/;
}
location = /_jwks {
    internal;
    proxy_pass http://127.0.0.1:$TEST_NGINX_IDP_PORT/notjson/jwks.json;
}
location /backend/ {
    return 200 "ok\n";
}
--- request
GET /api/x
--- more_headers eval
bearer($::T{a})
--- error_code: 503
--- response_headers_like
Retry-After: \d+
--- error_log eval
qr/auth_jwt_key_request "\/_jwks": no keys: (?!status)/



=== TEST 5: a JWKS with no usable key, a missing location and a 404 give 503
--- config
location /api/ {
    auth_jwt "api";
    auth_jwt_key_request /_jwks;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/;
}
location /gone/ {
    auth_jwt "api";
    auth_jwt_key_request /_no_such_location;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/;
}
location = /_jwks {
    internal;
    proxy_pass http://127.0.0.1:$TEST_NGINX_IDP_PORT/nokeys/jwks.json;
}
location /backend/ {
    return 200 "ok\n";
}
--- request eval
["GET /api/x", "GET /gone/x"]
--- more_headers eval
[bearer($::T{a}), bearer($::T{a})]
--- error_code eval
[503, 503]



=== TEST 6: a larger subrequest_output_buffer_size takes a big JWKS, and one over it gives 503
--- config
location /api/ {
    auth_jwt "api";
    auth_jwt_key_request /_jwks;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/;
}
location /roomy/ {
    auth_jwt "api";
    auth_jwt_key_request /_jwks_roomy;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/;
}
location = /_jwks {
    internal;
    subrequest_output_buffer_size 4k;
    proxy_pass http://127.0.0.1:$TEST_NGINX_IDP_PORT/big/jwks.json;
}
location = /_jwks_roomy {
    internal;
    subrequest_output_buffer_size 64k;
    proxy_pass http://127.0.0.1:$TEST_NGINX_IDP_PORT/big/jwks.json;
}
location /backend/ {
    return 200 "ok\n";
}
--- request eval
["GET /roomy/x", "GET /api/x"]
--- more_headers eval
[bearer($::T{a}), bearer($::T{a})]
--- error_code eval
[200, 503]



=== TEST 7: a kid not in the cached set is refused without a refetch (no refetch storm)
--- config
location /api/ {
    auth_jwt "api";
    auth_jwt_key_request /_jwks;
    auth_jwt_key_cache 10m;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/;
}
location = /_jwks {
    internal;
    proxy_pass http://127.0.0.1:$TEST_NGINX_IDP_PORT/rot/jwks.json;
}
location /backend/ {
    return 200 "ok\n";
}
location /hits/ {
    proxy_pass http://127.0.0.1:$TEST_NGINX_IDP_PORT/__hits/;
}
--- request eval
["GET /api/1", "GET /api/2", "GET /api/3", "GET /api/4",
 "GET /hits/rot/jwks.json"]
--- more_headers eval
[bearer($::T{a}), bearer($::T{b}), bearer($::T{c}),
 bearer($::T{a}), ""]
--- error_code eval
[200, 401, 401, 200, 200]
--- response_body_like eval
[qr/^ok$/, qr/"message":"No matching key"/, qr/"message":"No matching key"/,
 qr/^ok$/, qr/^1$/]



=== TEST 8: several key requests at one level, one of them a variable, each with its keys
--- config
set $third /_jwks_p256;
location /api/ {
    auth_jwt "api";
    auth_jwt_key_request /_jwks_a;
    auth_jwt_key_request /_jwks_b;
    auth_jwt_key_request $third;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/;
}
location = /_jwks_a {
    internal;
    alias $TEST_NGINX_KEYS/rsa.jwks;
}
location = /_jwks_b {
    internal;
    alias $TEST_NGINX_KEYS/rsa-b.jwks;
}
location = /_jwks_p256 {
    internal;
    alias $TEST_NGINX_KEYS/p256.jwks;
}
location /backend/ {
    return 200 "ok\n";
}
--- request eval
["GET /api/1", "GET /api/2", "GET /api/3", "GET /api/4"]
--- more_headers eval
[bearer($::T{a}), bearer($::T{b}),
 bearer(pk_mint(iss => 'x', -alg => 'ES256', -key => 'p256',
                -header => { kid => 'p256' })),
 bearer(pk_mint(iss => 'x', -alg => 'ES384', -key => 'p384',
                -header => { kid => 'p384' }))]
--- error_code eval
[200, 200, 200, 401]



=== TEST 9: oct keys from a key request verify HS256, as in Plus; a short one is refused
--- config
location /api/ {
    auth_jwt "api";
    auth_jwt_key_request /_jwks;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/;
}
location = /_jwks {
    internal;
    proxy_pass http://127.0.0.1:$TEST_NGINX_IDP_PORT/oct/jwks.json;
}
location /backend/ {
    return 200 "ok\n";
}
--- request eval
["GET /api/1", "GET /api/2"]
--- more_headers eval
[bearer(mint(-alg => 'HS256', -header => { kid => 's1' })),
 bearer(mint(-alg => 'HS256', -key => 'test1.secret',
             -header => { kid => 'short' }))]
--- error_code eval
[200, 401]
--- error_log
(kid "short") skipped



=== TEST 10: the client's headers never reach the key request
--- config
location /api/ {
    auth_jwt "api";
    auth_jwt_key_request /_jwks;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/;
}
location = /_jwks {
    internal;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/strict.jwks;
}
location = /strict.jwks {
    if ($http_authorization) {
        return 403;
    }
    if ($http_range) {
        return 403;
    }
    alias $TEST_NGINX_KEYS/rsa.jwks;
}
location /backend/ {
    return 200 "ok\n";
}
--- request
GET /api/x
--- more_headers eval
bearer($::T{a}) . "Range: bytes=0-10\n"
--- error_code: 200
--- response_body
ok



=== TEST 11: key_file and key_request together: a token of the file needs no subrequest
--- config
location /api/ {
    auth_jwt "api";
    auth_jwt_key_file $TEST_NGINX_KEYS/rsa-b.jwks;
    auth_jwt_key_request /_jwks;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/;
}
location = /_jwks {
    internal;
    proxy_pass http://127.0.0.1:$TEST_NGINX_IDP_PORT/broken/jwks.json;
}
location /backend/ {
    return 200 "ok\n";
}
--- request eval
["GET /api/1", "GET /api/2"]
--- more_headers eval
[bearer($::T{b}), bearer($::T{a})]
--- error_code eval
[200, 503]



=== TEST 12: a key request URI that is not a path stops nginx -t with the fix
--- config
location /api/ {
    auth_jwt "api";
    auth_jwt_key_request https://idp.example/keys;
}
--- request
GET /api/x
--- must_die
--- error_log
"auth_jwt_key_request" needs a URI of this server, such as /_jwks



=== TEST 13: auth_jwt_key_cache over 366d stops nginx -t
--- config
location /api/ {
    auth_jwt "api";
    auth_jwt_key_request /_jwks;
    auth_jwt_key_cache 400d;
}
--- request
GET /api/x
--- must_die
--- error_log
"auth_jwt_key_cache" must not exceed 366d



=== TEST 14: a variable key request URI resolving to a file of the key location works
--- config
location /api/ {
    auth_jwt "api";
    auth_jwt_key_request /_jwks/$arg_t;
    auth_jwt_key_cache 10m;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/;
}
location /_jwks/ {
    internal;
    alias $TEST_NGINX_KEYS/;
}
location /backend/ {
    return 200 "ok\n";
}
--- request
GET /api/x?t=rsa.jwks
--- more_headers eval
bearer($::T{a})
--- error_code: 200



=== TEST 15: a variable key request URI resolving to an unsafe one gives 503
--- config
location /api/ {
    auth_jwt "api";
    auth_jwt_key_request /_jwks/$arg_t;
    auth_jwt_key_cache 10m;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/;
}
location /_jwks/ {
    internal;
    alias $TEST_NGINX_KEYS/;
}
--- request
GET /api/x?t=../keys/rsa.jwks
--- more_headers eval
bearer($::T{a})
--- error_code: 503
--- error_log
auth_jwt_key_request "/_jwks/../keys/rsa.jwks": not a safe local URI



=== TEST 16: a client's bytes in a key request URI are escaped in the log
--- config
location /api/ {
    auth_jwt "api";
    auth_jwt_key_request /_jwks/$arg_t;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/;
}
location /_jwks/ {
    internal;
    alias $TEST_NGINX_KEYS/;
}
--- request
GET /api/x?t=a"b
--- more_headers eval
bearer($::T{a})
--- error_code: 503
--- error_log
auth_jwt_key_request "/_jwks/a\"b": no keys: status 404



=== TEST 17: a key request to a location that is not there is logged with its status
--- config
location /api/ {
    auth_jwt "api";
    auth_jwt_key_request /_no_such_location;
}
--- request
GET /api/x
--- more_headers eval
bearer($::T{a})
--- error_code: 503
--- error_log
auth_jwt_key_request "/_no_such_location": no keys: status 404



=== TEST 18: a JWKS over subrequest_output_buffer_size is logged with the size
--- config
location /api/ {
    auth_jwt "api";
    auth_jwt_key_request /_jwks;
}
location = /_jwks {
    internal;
    subrequest_output_buffer_size 4k;
    proxy_pass http://127.0.0.1:$TEST_NGINX_IDP_PORT/big/jwks.json;
}
--- request
GET /api/x
--- more_headers eval
bearer($::T{a})
--- error_code: 503
--- error_log
no keys: body over 4096 bytes (subrequest_output_buffer_size



=== TEST 19: kjdev's "jwks" format argument is accepted
--- config
location /api/ {
    auth_jwt "api";
    auth_jwt_key_request /_jwks jwks;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/;
}
location = /_jwks {
    internal;
    alias $TEST_NGINX_KEYS/rsa.jwks;
}
location /backend/ {
    return 200 "ok\n";
}
--- request
GET /api/x
--- more_headers eval
bearer($::T{a})
--- error_code: 200



=== TEST 20: kjdev's "keyval" format stops nginx -t with the fix
--- config
location /api/ {
    auth_jwt "api";
    auth_jwt_key_request /_jwks keyval;
}
--- request
GET /api/x
--- must_die
--- error_log
"auth_jwt_key_request": unknown format "keyval"; the key request must answer a JWKS
