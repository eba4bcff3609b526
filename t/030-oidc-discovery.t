use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use JWTTest;
use JWTKeys;
use IdP;
use Digest::SHA ();

# OIDC issuers: discovery, the JWKS, users and providers, the status page.
# The IdP is nginx itself (user_files under html/) or, where a test counts
# fetches, the Perl IdP of t/lib/IdP.pm.

no_shuffle(); repeat_each(1);
log_level('info');

$ENV{KALAMDB_JWT_SECRET} = $JWTTest::SECRET;

IdP::start();
add_block_preprocessor(sub { IdP::reset() });

# CPAN's Test::Nginx sets TEST_NGINX_SERVER_PORT only in run_tests()
our $PORT = server_port();
our $IDP = $ENV{TEST_NGINX_IDP_PORT};
our $KC = "http://127.0.0.1:$PORT/realms/demo";
our $FB = 'https://securetoken.google.com/demo-project';
our $GOOD = "http://127.0.0.1:$IDP/good";

our $JWKS = jwks(jwk('rsa', alg => 'RS256', use => 'sig'));

IdP::put('/good/.well-known/openid-configuration',
         qq({"issuer":"$GOOD","jwks_uri":"$GOOD/jwks.json"}));
IdP::put('/good/jwks.json', $JWKS);

$ENV{KALAMDB_JWT_TRUSTED_ISSUERS} = " kalamdb, $KC ,";

sub kc { pk_mint(iss => $KC, aud => 'account', sub => 'f:1234',
                 -header => { kid => 'rsa' }, @_) }
sub fb { pk_mint(iss => $FB, aud => 'demo-project', sub => 'uid-7',
                 -header => { kid => 'rsa' }, @_) }

our %T = (
    kc          => kc(),
    kc_other    => kc(sub => 'stranger'),
    kc_bad_sig  => flip_sig(kc()),
    kc_expired  => kc(exp => time - 60),
    fb          => fb(),
    fb_project  => fb(iss => 'https://securetoken.google.com/other-project'),
    fb_aud      => fb(aud => 'other-project'),
    evil        => pk_mint(iss => "http://127.0.0.1:$IDP/evil",
                           -header => { kid => 'rsa' }),
    good        => pk_mint(iss => $GOOD, -header => { kid => 'rsa' }),
    hs          => mint(),
);

# provider codes: issuer => code, every one with the same local JWKS
our @PROVIDERS = (
    [ 'https://accounts.google.com', 'ggl' ],
    [ 'https://login.microsoftonline.com/9188040d/v2.0', 'msf' ],
    [ 'https://sts.windows.net/9188040d/', 'msf' ],
    [ 'https://dev-kalam.eu.auth0.com/', 'a0x' ],
    [ 'https://kalam.okta.com/oauth2/default', 'okt' ],
    [ 'https://kalam.oktapreview.com', 'okt' ],
    [ 'https://token.actions.githubusercontent.com', 'ghb' ],
    [ 'https://gitlab.com', 'glb' ],
    [ 'https://gitlab.kalam.example', 'glb' ],
    [ 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab12', 'cgn' ],
    [ 'https://appleid.apple.com', 'apl' ],
    [ 'https://www.facebook.com', 'fbk' ],
    [ 'https://abcd.supabase.co/auth/v1', 'sbs' ],
    [ 'https://kalam-x1.zitadel.cloud', 'zit' ],
    [ 'https://sso.kalam.example/realms/main', 'kcl' ],
    [ 'https://keycloak.kalam.example/auth', 'kcl' ],
    [ 'https://authentik.kalam.example/application/o/db/', 'atk' ],
    [ 'https://idp.kalam.example', substr(Digest::SHA::sha256_hex(
                                          'https://idp.kalam.example'), 0, 3) ],
);

our $PROVIDER_CONF = join '', map {
    "auth_jwt_issuer $_->[0] insecure_http\n"
    . "    jwks_uri=http://127.0.0.1:$PORT/p/jwks.json;\n"
} @PROVIDERS;

our $KC_FILES = [
    [ 'realms/demo/.well-known/openid-configuration',
      qq({"issuer":"$KC","jwks_uri":"$KC/protocol/openid-connect/certs"}) ],
    [ 'realms/demo/protocol/openid-connect/certs', $JWKS ],
];

our $default_config = <<'_EOC_';
location /upstream {
    return 200 "user=$http_x_user provider=$http_x_provider\n";
}
location /api/ {
    auth_jwt "api";
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Provider $jwt_provider;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
_EOC_

block_defaults(config => $default_config);

run_tests();

__DATA__

=== TEST 1: discovery, then the JWKS it names, let a valid RS256 token through as oidc:kcl:<sub> with $jwt_provider kcl
--- http_config
auth_jwt_issuer http://127.0.0.1:$TEST_NGINX_SERVER_PORT/realms/demo
                insecure_http audience=account;
--- user_files eval
$::KC_FILES
--- request
GET /api/items
--- more_headers eval
bearer($::T{kc})
--- response_body
user=oidc:kcl:f:1234 provider=kcl
--- error_log eval
qr{auth_jwt: keys of "http://127\.0\.0\.1:\d+/realms/demo" from "http://127\.0\.0\.1:\d+/realms/demo/protocol/openid-connect/certs": 1 keys, generation 1}
--- no_error_log
[error]
[warn]



=== TEST 2: the verified user replaces a client-sent X-User on its way to the upstream
--- http_config
auth_jwt_issuer http://127.0.0.1:$TEST_NGINX_SERVER_PORT/realms/demo
                insecure_http audience=account;
--- user_files eval
$::KC_FILES
--- request
GET /api/items
--- more_headers eval
"X-User: admin\n" . bearer($::T{kc})
--- response_body
user=oidc:kcl:f:1234 provider=kcl



=== TEST 3: a Firebase-shaped issuer: the project's ID token passes as oidc:fbs:<uid>; another project's token and another audience are refused
--- http_config
auth_jwt_issuer https://securetoken.google.com/demo-project
                jwks_uri=http://127.0.0.1:$TEST_NGINX_SERVER_PORT/fb/jwks.json
                insecure_http audience=demo-project;
--- user_files eval
[[ 'fb/jwks.json', $::JWKS ]]
--- request eval
["GET /api/items", "GET /api/items", "GET /api/items"]
--- more_headers eval
[bearer($::T{fb}), bearer($::T{fb_project}), bearer($::T{fb_aud})]
--- error_code eval
[200, 401, 401]
--- response_body eval
["user=oidc:fbs:uid-7 provider=fbs\n",
 qq({"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Issuer not trusted"}}\n),
 qq({"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Audience mismatch"}}\n)]



=== TEST 4: user_prefix= replaces the whole prefix of $jwt_user
--- http_config
auth_jwt_issuer https://securetoken.google.com/demo-project
                jwks_uri=http://127.0.0.1:$TEST_NGINX_SERVER_PORT/fb/jwks.json
                insecure_http audience=demo-project user_prefix=fb:;
--- user_files eval
[[ 'fb/jwks.json', $::JWKS ]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{fb})
--- response_body
user=fb:uid-7 provider=fbs



=== TEST 5: a token of an untrusted issuer is refused before any I/O: the IdP never sees its discovery URL
--- http_config
auth_jwt_issuer http://127.0.0.1:$TEST_NGINX_IDP_PORT/good insecure_http;
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
--- request eval
["GET /api/items", "GET /api/items",
 "GET /idp-hits/evil/.well-known/openid-configuration",
 "GET /idp-hits/good/.well-known/openid-configuration",
 "GET /idp-hits/good/jwks.json"]
--- more_headers eval
[bearer($::T{evil}), bearer($::T{good}), "", "", ""]
--- error_code eval
[401, 200, 200, 200, 200]
--- response_body eval
[qq({"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Issuer not trusted"}}\n),
 "user=oidc:" . substr(Digest::SHA::sha256_hex($::GOOD), 0, 3)
   . ":user-42\n", "0\n", "1\n", "1\n"]



=== TEST 6: with the IdP down from the start, a valid token gets 503 KEYS_UNAVAILABLE with Retry-After, never 401
--- http_config
auth_jwt_issuer https://securetoken.google.com/demo-project
                jwks_uri=http://127.0.0.1:1/jwks.json
                insecure_http audience=demo-project;
--- config
location /upstream {
    return 200 "user=$http_x_user\n";
}
location /api/ {
    auth_jwt "api";
    proxy_set_header X-User $jwt_user;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{fb})
--- error_code: 503
--- response_headers_like
Retry-After: [1-9]\d*
WWW-Authenticate: Bearer realm="api"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"KEYS_UNAVAILABLE","message":"Signing keys are not available yet; retry later"}}
--- error_log eval
[qr{\[error\] .*auth_jwt: refreshing the keys of "https://securetoken\.google\.com/demo-project" failed \(1 in a row\): JWKS "http://127\.0\.0\.1:1/jwks\.json": .*; no keys yet, tokens get 503},
 qr{auth_jwt: refused: no usable keys for this issuer \(KEYS_UNAVAILABLE\)}]



=== TEST 7: the status page answers JSON: state, jwks_uri, key ids, generation, times and counters of each OIDC issuer
--- http_config
auth_jwt_issuer http://127.0.0.1:$TEST_NGINX_SERVER_PORT/realms/demo
                insecure_http audience=account;
--- config
location /upstream {
    return 200 "user=$http_x_user\n";
}
location /api/ {
    auth_jwt "api";
    proxy_set_header X-User $jwt_user;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
location = /status {
    auth_jwt_status;
}
--- user_files eval
$::KC_FILES
--- request eval
["GET /api/items", "GET /api/items", "GET /api/items", "GET /status"]
--- more_headers eval
[bearer($::T{kc}), bearer($::T{kc_bad_sig}), bearer($::T{kc_expired}), ""]
--- error_code eval
[200, 401, 401, 200]
--- response_headers eval
["", "", "", "Content-Type: application/json\nCache-Control: no-store"]
--- response_body_like eval
["", "", "",
 qr{^\{"time":\d+,"issuers":\[\{"issuer":"http://127\.0\.0\.1:\d+/realms/demo","provider":"kcl","state":"ok","discovery":"http://127\.0\.0\.1:\d+/realms/demo/\.well-known/openid-configuration","jwks_uri":"http://127\.0\.0\.1:\d+/realms/demo/protocol/openid-connect/certs","keys":\["rsa"\],"generation":1,"last_success":[1-9]\d*,"last_failure":0,"expires":\d+,"next_refresh":\d+,"failures":0,"last_error":"","counters":\{"accepted":1,"refused":\{"expired":1,"signature":1,"unknown_key":0,"claims":0,"token":0,"keys_unavailable":0\},"fetches":\{"ok":1,"failed":0\},"refresh_wanted":0\}\}\]\}\n\z}]



=== TEST 8: ?format=prometheus gives the same in the Prometheus text format
--- http_config
auth_jwt_issuer http://127.0.0.1:$TEST_NGINX_SERVER_PORT/realms/demo
                insecure_http audience=account;
--- config
location /upstream {
    return 200 "user=$http_x_user\n";
}
location /api/ {
    auth_jwt "api";
    proxy_set_header X-User $jwt_user;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
location = /status {
    auth_jwt_status;
}
--- user_files eval
$::KC_FILES
--- request eval
["GET /api/items", "GET /status?format=prometheus"]
--- more_headers eval
[bearer($::T{kc}), ""]
--- response_headers eval
["", "Content-Type: text/plain; version=0.0.4"]
--- response_body_like eval
["",
 qr{# TYPE auth_jwt_keys_up gauge
auth_jwt_keys_up\{issuer="http://127\.0\.0\.1:\d+/realms/demo"\} 1
.*auth_jwt_keys\{issuer="http://127\.0\.0\.1:\d+/realms/demo"\} 1
.*auth_jwt_keys_generation\{issuer="[^"]+"\} 1
.*auth_jwt_keys_last_success_seconds\{issuer="[^"]+"\} [1-9]\d*
.*auth_jwt_keys_failures\{issuer="[^"]+"\} 0
.*# TYPE auth_jwt_requests_total counter
auth_jwt_requests_total\{issuer="[^"]+",result="accepted"\} 1
auth_jwt_requests_total\{issuer="[^"]+",result="expired"\} 0
.*# TYPE auth_jwt_fetches_total counter
auth_jwt_fetches_total\{issuer="[^"]+",result="ok"\} 1
auth_jwt_fetches_total\{issuer="[^"]+",result="failed"\} 0
\z}s]



=== TEST 9: issuers listed in KALAMDB_JWT_TRUSTED_ISSUERS (env:) share the line's parameters; one declared on its own line keeps its own, and $jwt_provider is empty for it
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
auth_jwt_issuer env:KALAMDB_JWT_TRUSTED_ISSUERS insecure_http audience=account;
--- user_files eval
$::KC_FILES
--- request eval
["GET /api/items", "GET /api/items"]
--- more_headers eval
[bearer($::T{hs}), bearer($::T{kc})]
--- response_body eval
["user=user-42 provider=\n", "user=oidc:kcl:f:1234 provider=kcl\n"]
--- no_error_log
[warn]



=== TEST 10: map $jwt_user and auth_jwt_require let only known users through at the edge
--- http_config
auth_jwt_issuer http://127.0.0.1:$TEST_NGINX_SERVER_PORT/realms/demo
                insecure_http audience=account;
map $jwt_user $jwt_known_user {
    "oidc:kcl:f:1234"  1;
    default            0;
}
--- config
location /upstream {
    return 200 "user=$http_x_user\n";
}
location /api/ {
    auth_jwt "api";
    auth_jwt_require $jwt_known_user error=403;
    proxy_set_header X-User $jwt_user;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- user_files eval
$::KC_FILES
--- request eval
["GET /api/items", "GET /api/items"]
--- more_headers eval
[bearer($::T{kc}), bearer($::T{kc_other})]
--- error_code eval
[200, 403]
--- response_body eval
["user=oidc:kcl:f:1234\n",
 qq({"status":"error","error":{"code":"INSUFFICIENT_PERMISSIONS","message":"Insufficient permissions"}}\n)]



=== TEST 11: the provider code of $jwt_user and $jwt_provider is detected from the issuer; an unknown issuer gets 3 hex digits of SHA-256 of its iss
--- http_config eval
$::PROVIDER_CONF
--- user_files eval
[[ 'p/jwks.json', $::JWKS ]]
--- request eval
[map { "GET /api/items" } @::PROVIDERS]
--- more_headers eval
[map { bearer(pk_mint(iss => $_->[0], -header => { kid => 'rsa' })) }
 @::PROVIDERS]
--- response_body eval
[map { "user=oidc:$_->[1]:user-42 provider=$_->[1]\n" } @::PROVIDERS]
