use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use JWTTest;
use JWTKeys;
use IdP;

# Refreshing an OIDC issuer's keys: rotation through an unknown kid, the
# refresh cooldown under a flood of random kids (2 workers), stale keys
# while the IdP is down, max_stale, one fetch across workers.

no_shuffle(); repeat_each(1);
log_level('info');

IdP::start();
add_block_preprocessor(sub { IdP::reset() });

our $JWKS_A = jwks(jwk('rsa', alg => 'RS256'));
our $JWKS_B = jwks(jwk('rsa-b', alg => 'RS256'));

# the n-th GET gets the n-th body: a rotation, an IdP that breaks
IdP::put('/rot/jwks.json', $JWKS_A, $JWKS_B);
IdP::put('/same/jwks.json', $JWKS_A);
IdP::put('/flaky/jwks.json', $JWKS_A, '#status 503');

our $IDP = "http://127.0.0.1:$ENV{TEST_NGINX_IDP_PORT}";
IdP::put('/two/.well-known/openid-configuration',
         qq({"issuer":"$IDP/two","jwks_uri":"$IDP/two/jwks.json"}));
IdP::put('/two/jwks.json', $JWKS_A);

sub tok {
    my ($iss, $key, @more) = @_;
    return pk_mint(iss => $iss, -key => $key, -header => { kid => $key },
                   @more);
}

our %T = (
    rot_a   => tok('https://rot.example', 'rsa'),
    rot_b   => tok('https://rot.example', 'rsa-b'),
    same    => tok('https://same.example', 'rsa'),
    flaky   => tok('https://flaky.example', 'rsa'),
    two     => tok("$IDP/two", 'rsa'),
    forged  => pk_mint(iss => 'https://same.example',
                       -header => { kid => 'x" forged="1\\' }),
    random  => [ map {
                     pk_mint(iss => 'https://same.example',
                             -header => { kid => "rnd-$_-" . int(rand(1e9)) })
                 } 1 .. 200 ],
);

our $NO_KEY = qq({"status":"error","error":{"code":"INVALID_CREDENTIALS",)
            . qq("message":"No matching key"}}\n);

block_defaults();

run_tests();

__DATA__

=== TEST 1: rotation: a token with a new kid is held until the refresh it asked for lands, then verifies; the removed key stops verifying
--- http_config
auth_jwt_issuer https://rot.example insecure_http
                jwks_uri=http://127.0.0.1:$TEST_NGINX_IDP_PORT/rot/jwks.json;
--- config
location /upstream {
    return 200 "user=$http_x_user\n";
}
location /api/ {
    auth_jwt "api";
    proxy_set_header X-User $jwt_user;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
location /idp-hits/ {
    proxy_pass http://127.0.0.1:$TEST_NGINX_IDP_PORT/__hits/;
}
location = /status {
    auth_jwt_status;
}
--- request eval
["GET /api/items", "GET /api/items", "GET /api/items",
 "GET /idp-hits/rot/jwks.json", "GET /status"]
--- more_headers eval
[bearer($::T{rot_a}), bearer($::T{rot_b}), bearer($::T{rot_a}), "", ""]
--- error_code eval
[200, 200, 401, 200, 200]
--- response_body_like eval
[qr{^user=oidc:\w{3}:user-42\n\z}, qr{^user=oidc:\w{3}:user-42\n\z},
 qr{^\Q$::NO_KEY\E\z}, qr{^2\n\z},
 qr{"keys":\["rsa-b"\],"generation":2,.*"counters":\{"accepted":2,"refused":\{"expired":0,"signature":0,"unknown_key":1,.*"fetches":\{"ok":2,"failed":0\},"refresh_wanted":1\}}]



=== TEST 2: 200 requests with random kids, spread over 2 workers, cause one refresh in the cooldown, not one per request or per worker
--- main_config
load_module $TEST_NGINX_MODULE;
worker_processes 2;
--- http_config
auth_jwt_issuer https://same.example insecure_http
                jwks_uri=http://127.0.0.1:$TEST_NGINX_IDP_PORT/same/jwks.json;
--- config
location /upstream {
    return 200 "ok\n";
}
location /api/ {
    auth_jwt "api";
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
location /idp-hits/ {
    proxy_pass http://127.0.0.1:$TEST_NGINX_IDP_PORT/__hits/;
}
--- request eval
["GET /api/items", (map { "GET /api/items" } 1 .. 200),
 "GET /idp-hits/same/jwks.json"]
--- more_headers eval
[bearer($::T{same}), (map { bearer($_) } @{ $::T{random} }), ""]
--- error_code eval
[200, (401) x 200, 200]
--- response_body_like eval
["^ok\n\\z", ("^\Q$::NO_KEY\E\\z") x 200, "^2\n\\z"]



=== TEST 3: with 2 workers the keys are fetched once, by one of them, and discovery runs once
--- main_config
load_module $TEST_NGINX_MODULE;
worker_processes 2;
--- http_config
auth_jwt_issuer http://127.0.0.1:$TEST_NGINX_IDP_PORT/two insecure_http;
--- config
location /upstream {
    return 200 "ok\n";
}
location /api/ {
    auth_jwt "api";
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
location /idp-hits/ {
    proxy_pass http://127.0.0.1:$TEST_NGINX_IDP_PORT/__hits/;
}
--- request eval
[(map { "GET /api/items" } 1 .. 20),
 "GET /idp-hits/two/.well-known/openid-configuration",
 "GET /idp-hits/two/jwks.json"]
--- more_headers eval
[(map { bearer($::T{two}) } 1 .. 20), "", ""]
--- response_body eval
[("ok\n") x 20, "1\n", "1\n"]



=== TEST 4: the IdP down after a good fetch: tokens keep verifying with the last good keys while the refresh fails
--- http_config
auth_jwt_issuer https://flaky.example insecure_http refresh=1s
                jwks_uri=http://127.0.0.1:$TEST_NGINX_IDP_PORT/flaky/jwks.json;
--- config
location /upstream {
    return 200 "ok\n";
}
location /api/ {
    auth_jwt "api";
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
location = /status {
    auth_jwt_status;
}
--- request eval
["GET /api/items", "GET /api/items", "GET /api/items", "GET /status"]
--- more_headers eval
[bearer($::T{flaky}), bearer($::T{flaky}), bearer($::T{flaky}), ""]
--- wait: 1.3
--- response_body_like eval
["^ok\n\\z", "^ok\n\\z", "^ok\n\\z",
 qr{"state":"stale",.*"keys":\["rsa"\],"generation":1,.*"failures":[1-9]\d*,"last_error":"JWKS \\"http://127\.0\.0\.1:\d+/flaky/jwks\.json\\": HTTP status 503",.*"fetches":\{"ok":1,"failed":[1-9]\d*\}}]



=== TEST 5: keys older than max_stale are no longer used: 503 KEYS_UNAVAILABLE
--- http_config
auth_jwt_issuer https://flaky.example insecure_http refresh=1s max_stale=2s
                jwks_uri=http://127.0.0.1:$TEST_NGINX_IDP_PORT/flaky/jwks.json;
--- config
location /upstream {
    return 200 "ok\n";
}
location /api/ {
    auth_jwt "api";
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request eval
["GET /api/items", "GET /api/items"]
--- more_headers eval
[bearer($::T{flaky}), bearer($::T{flaky})]
--- wait: 3.2
--- error_code eval
[200, 503]
--- response_body_like eval
["^ok\n\\z", "KEYS_UNAVAILABLE"]



=== TEST 6: a failed refresh that keeps stale keys is a warning, not an error
--- http_config
auth_jwt_issuer https://flaky.example insecure_http refresh=1s
                jwks_uri=http://127.0.0.1:$TEST_NGINX_IDP_PORT/flaky/jwks.json;
--- config
location /upstream {
    return 200 "ok\n";
}
location /api/ {
    auth_jwt "api";
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{flaky})
--- wait: 2.5
--- response_body
ok
--- error_log eval
qr{\[warn\] .*auth_jwt: refreshing the keys of "https://flaky\.example" failed \(1 in a row\): JWKS "http://127\.0\.0\.1:\d+/flaky/jwks\.json": HTTP status 503; the last good keys stay in use; next attempt in \d+ s}
--- no_error_log
[error]



=== TEST 7: an unknown kid carrying quotes and a backslash is not written raw to the log, so a client cannot forge log fields
--- http_config
auth_jwt_issuer https://same.example insecure_http
                jwks_uri=http://127.0.0.1:$TEST_NGINX_IDP_PORT/same/jwks.json;
--- config
location /upstream {
    return 200 "ok\n";
}
location /api/ {
    auth_jwt "api";
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{forged})
--- error_code: 401
--- error_log
unknown kid "x\" forged=\"1\\" for "https://same.example": keys refresh wanted
--- no_error_log
forged="1
