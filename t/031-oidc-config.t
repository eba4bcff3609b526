use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use JWTTest;

# Configurations of OIDC issuers that cannot be safe fail to start, with
# a message naming the directive and the fix; sound ones start.

no_shuffle(); repeat_each(1);
log_level('info');

$ENV{KALAMDB_JWT_SECRET} = $JWTTest::SECRET;
$ENV{TEST_EMPTY_ISSUERS} = ' , ';
delete $ENV{TEST_NO_SUCH_ISSUERS};

our $default_config = <<'_EOC_';
location /api/ {
    auth_jwt "api";
}
_EOC_

block_defaults(config => $default_config);

run_tests();

__DATA__

=== TEST 1: an https issuer without secret= or key_file= is an OIDC issuer, and nginx starts with the implicit zone
--- http_config
auth_jwt_issuer https://securetoken.google.com/demo-project
                audience=demo-project;
--- config
location /api/ {
    auth_jwt "api";
}
location = /ping {
    return 200 "pong\n";
}
--- request
GET /ping
--- response_body
pong



=== TEST 2: HS256 is never allowed for an OIDC issuer
--- http_config
auth_jwt_issuer https://idp.example/realms/demo algorithms=RS256,HS256;
--- request
GET /api/items
--- must_die
--- error_log
"auth_jwt_issuer" "https://idp.example/realms/demo": HS256, HS384 and HS512 are never allowed for an OIDC issuer



=== TEST 3: a plain http issuer needs the insecure_http opt-in
--- http_config
auth_jwt_issuer http://idp.example/realms/demo;
--- request
GET /api/items
--- must_die
--- error_log
"auth_jwt_issuer" "http://idp.example/realms/demo": the discovery URL "http://idp.example/realms/demo/.well-known/openid-configuration" is plain http; use https, or add insecure_http (tests and labs only)



=== TEST 4: a plain http jwks_uri= needs the opt-in too, even for an https issuer
--- http_config
auth_jwt_issuer https://securetoken.google.com/demo-project
                jwks_uri=http://keys.example/jwks.json;
--- request
GET /api/items
--- must_die
--- error_log
the jwks_uri "http://keys.example/jwks.json" is plain http; use https, or add insecure_http



=== TEST 5: discovery= and jwks_uri= are exclusive
--- http_config
auth_jwt_issuer https://idp.example discovery=https://idp.example/d
                jwks_uri=https://idp.example/k;
--- request
GET /api/items
--- must_die
--- error_log
"auth_jwt_issuer" "https://idp.example": discovery= and jwks_uri= are exclusive



=== TEST 6: an issuer that is neither a URL nor has a key source stops nginx
--- http_config
auth_jwt_issuer kalamdb audience=x;
--- request
GET /api/items
--- must_die
--- error_log
"auth_jwt_issuer" "kalamdb" has no key source: add secret=env:NAME, secret=file:PATH or key_file=PATH, or, for an OIDC issuer, use its https:// issuer URL or discovery=URL or jwks_uri=URL



=== TEST 7: OIDC parameters on a secret= issuer stop nginx
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET refresh=5m;
--- request
GET /api/items
--- must_die
--- error_log
"auth_jwt_issuer" "kalamdb": discovery=, jwks_uri=, refresh=, max_stale= and insecure_http are for OIDC issuers



=== TEST 8: refresh= takes a time of at least 1s
--- http_config
auth_jwt_issuer https://idp.example refresh=0s;
--- request
GET /api/items
--- must_die
--- error_log
"auth_jwt_issuer" "https://idp.example": invalid "refresh=0s"; use a time from 1s to 366d



=== TEST 9: a jwks_uri= that is not an https URL stops nginx
--- http_config
auth_jwt_issuer https://idp.example jwks_uri=ftp://idp.example/jwks;
--- request
GET /api/items
--- must_die
--- error_log
the jwks_uri "ftp://idp.example/jwks" is not an https:// URL



=== TEST 10: env: naming a variable that is not set stops nginx
--- http_config
auth_jwt_issuer env:TEST_NO_SUCH_ISSUERS;
--- request
GET /api/items
--- must_die
--- error_log
"auth_jwt_issuer" "env:TEST_NO_SUCH_ISSUERS": the environment variable is not set



=== TEST 11: env: with an empty list only warns
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET;
auth_jwt_issuer env:TEST_EMPTY_ISSUERS;
--- config
location = /ping {
    return 200 "pong\n";
}
--- request
GET /ping
--- response_body
pong



=== TEST 12: auth_jwt_ca_file that cannot be read stops nginx
--- http_config
auth_jwt_ca_file /nonexistent/ca.pem;
auth_jwt_issuer https://idp.example;
--- request
GET /api/items
--- must_die
--- error_log
"auth_jwt_ca_file": cannot open CA file "/nonexistent/ca.pem"



=== TEST 13: auth_jwt_zone needs name:size of at least 8 pages
--- http_config
auth_jwt_zone jwks:4k;
auth_jwt_issuer https://idp.example;
--- request
GET /api/items
--- must_die
--- error_log
"auth_jwt_zone": zone "jwks" is too small



=== TEST 14: auth_jwt_zone without a size stops nginx
--- http_config
auth_jwt_zone jwks;
--- config
location /api/ {
    auth_jwt "api" ;
}
--- request
GET /api/items
--- must_die
--- error_log
"auth_jwt_zone": invalid "jwks"; use name:size



=== TEST 15: an explicit zone, fetch timeout and refresh policy start
--- http_config
auth_jwt_zone jwks:256k;
auth_jwt_fetch_timeout 3s;
auth_jwt_issuer https://idp.example/realms/demo refresh=5m max_stale=1h
                algorithms=RS256,ES256 leeway=30s;
--- config
location = /ping {
    return 200 "pong\n";
}
--- request
GET /ping
--- response_body
pong



=== TEST 16: auth_jwt_fetch_timeout 0 (no timeout at all for libcurl) stops nginx
--- http_config
auth_jwt_fetch_timeout 0;
auth_jwt_issuer https://idp.example;
--- request
GET /api/items
--- must_die
--- error_log
"auth_jwt_fetch_timeout" must not be 0



=== TEST 17: auth_jwt_ca_file that is not a PEM file of certificates stops nginx
--- http_config
auth_jwt_ca_file $TEST_NGINX_HTML_DIR/hostname;
auth_jwt_issuer https://idp.example;
--- user_files
>>> hostname
build-host-1
--- request
GET /api/items
--- must_die
--- error_log
is not a PEM file of certificates

