use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use JWTTest;
use JWTKeys;
use IdP;
use Digest::SHA ();
use File::Path ();
use IO::Socket::INET ();

# Fetching keys from a hostile or broken IdP: TLS verification, no
# redirects, the discovery issuer, size caps, compression, timeouts; and
# workers keep serving while an IdP stalls.  The Perl IdP of t/lib/IdP.pm
# plays the broken servers; nginx's own ssl server block the TLS IdP.

no_shuffle(); repeat_each(1);

# CPAN's Test::Nginx does not export this one itself
$ENV{TEST_NGINX_HTML_DIR} ||= html_dir();
log_level('info');

$ENV{KALAMDB_JWT_SECRET} = $JWTTest::SECRET;

IdP::start();
add_block_preprocessor(sub { IdP::reset() });

our $IDP = "http://127.0.0.1:$ENV{TEST_NGINX_IDP_PORT}";
our $JWKS = jwks(jwk('rsa', alg => 'RS256'));

IdP::put('/r3/jwks.json', $JWKS);
IdP::put('/mismatch/.well-known/openid-configuration',
         qq({"issuer":"$IDP/mismatch/","jwks_uri":"$IDP/mismatch/jwks.json"}));
IdP::put('/mismatch/jwks.json', $JWKS);
IdP::put('/quote/.well-known/openid-configuration',
         qq({"issuer":"$IDP/quote","jwks_uri":"$IDP/quote/a\\"b.json"}));
IdP::put('/gzip/jwks.json', $JWKS);
IdP::put('/status/500/jwks.json', $JWKS);
IdP::put('/endless/jwks.json', $JWKS);
IdP::put('/slow/5/jwks.json', $JWKS);
IdP::put('/fast/jwks.json', jwks(jwk('rsa-b', alg => 'RS256')));
IdP::put('/unusable/jwks.json',
         jwks({ kty => 'oct', kid => 'hs', k => b64u('k' x 32) },
              jwk('rsa1024')));

# a test CA and a server certificate for 127.0.0.1, made at test time
our $TLS = JWTTest::aux_dir() . "/tls";
File::Path::remove_tree($TLS);
File::Path::make_path($TLS);
test_ca($TLS);

{
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Listen => 1) or die "no free port: $@\n";
    $ENV{TEST_NGINX_TLS_PORT} = $s->sockport;
}

our $TLS_ISS = "https://127.0.0.1:$ENV{TEST_NGINX_TLS_PORT}/tls";

sub tok {
    my ($iss, @more) = @_;
    return pk_mint(iss => $iss, -header => { kid => 'rsa' }, @more);
}

our %T = (
    tls      => tok($TLS_ISS),
    r3       => tok('https://r3.example'),
    mismatch => tok("$IDP/mismatch"),
    quote    => tok("$IDP/quote"),
    big      => tok('https://big.example'),
    endless  => tok('https://endless.example'),
    gzip     => tok('https://gzip.example'),
    e500     => tok('https://500.example'),
    unusable => tok('https://unusable.example'),
    hang     => tok('https://hang.example'),
    fast     => pk_mint(iss => 'https://fast.example', -key => 'rsa-b',
                        -header => { kid => 'rsa-b' }),
    hs       => mint(),
);

our $TLS_FILES = [
    [ 'tls/.well-known/openid-configuration',
      qq({"issuer":"$TLS_ISS","jwks_uri":"$TLS_ISS/jwks.json"}) ],
    [ 'tls/jwks.json', $JWKS ],
];

our $UNAVAILABLE = qq({"status":"error","error":{"code":"KEYS_UNAVAILABLE",)
                 . qq("message":"Signing keys are not available yet; retry )
                 . qq(later"}}\n);

our $default_config = <<'_EOC_';
location /api/ {
    auth_jwt "api";
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
_EOC_

block_defaults(config => $default_config);

run_tests();

__DATA__

=== TEST 1: an https IdP whose certificate is signed by the CA of auth_jwt_ca_file serves discovery and keys
--- http_config
auth_jwt_ca_file $TEST_NGINX_AUX_DIR/tls/ca.crt;
auth_jwt_issuer https://127.0.0.1:$TEST_NGINX_TLS_PORT/tls;
server {
    listen 127.0.0.1:$TEST_NGINX_TLS_PORT ssl;
    ssl_certificate $TEST_NGINX_AUX_DIR/tls/server.crt;
    ssl_certificate_key $TEST_NGINX_AUX_DIR/tls/server.key;
    location / {
        root $TEST_NGINX_HTML_DIR;
    }
}
--- config
location /upstream {
    return 200 "user=$http_x_user\n";
}
location /api/ {
    auth_jwt "api";
    proxy_set_header X-User $jwt_user;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- user_files eval
$::TLS_FILES
--- request
GET /api/items
--- more_headers eval
bearer($::T{tls})
--- response_body eval
"user=oidc:" . substr(Digest::SHA::sha256_hex($::TLS_ISS), 0, 3)
. ":user-42\n"
--- no_error_log
[error]
[alert]



=== TEST 2: the same IdP without the test CA fails verification: no keys, 503, and the log says why
--- http_config
auth_jwt_issuer https://127.0.0.1:$TEST_NGINX_TLS_PORT/tls;
server {
    listen 127.0.0.1:$TEST_NGINX_TLS_PORT ssl;
    ssl_certificate $TEST_NGINX_AUX_DIR/tls/server.crt;
    ssl_certificate_key $TEST_NGINX_AUX_DIR/tls/server.key;
    location / {
        root $TEST_NGINX_HTML_DIR;
    }
}
--- user_files eval
$::TLS_FILES
--- request
GET /api/items
--- more_headers eval
bearer($::T{tls})
--- error_code: 503
--- response_body eval
$::UNAVAILABLE
--- error_log eval
qr{\[error\] .*auth_jwt: refreshing the keys of "https://127\.0\.0\.1:\d+/tls" failed \(1 in a row\): discovery "https://127\.0\.0\.1:\d+/tls/\.well-known/openid-configuration": SSL certificate problem}



=== TEST 3: a redirect from the IdP is not followed
--- http_config
auth_jwt_issuer https://r3.example insecure_http
                jwks_uri=http://127.0.0.1:$TEST_NGINX_IDP_PORT/redirect/r3/jwks.json;
--- config
location /api/ {
    auth_jwt "api";
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
location /idp-hits/ {
    proxy_pass http://127.0.0.1:$TEST_NGINX_IDP_PORT/__hits/;
}
location = /status {
    auth_jwt_status;
}
--- request eval
["GET /api/items", "GET /idp-hits/redirect/r3/jwks.json",
 "GET /idp-hits/r3/jwks.json", "GET /status"]
--- more_headers eval
[bearer($::T{r3}), "", "", ""]
--- error_code eval
[503, 200, 200, 200]
--- response_body_like eval
[qr{^\Q$::UNAVAILABLE\E\z}, qr{^1\n\z}, qr{^0\n\z},
 qr{"state":"unavailable",.*"last_error":"JWKS \\"http://127\.0\.0\.1:\d+/redirect/r3/jwks\.json\\": HTTP 302 redirect not followed"}]



=== TEST 4: a discovery document whose issuer is not the configured one, byte for byte, is refused and its jwks_uri never fetched
--- http_config
auth_jwt_issuer http://127.0.0.1:$TEST_NGINX_IDP_PORT/mismatch insecure_http;
--- config
location /api/ {
    auth_jwt "api";
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
location /idp-hits/ {
    proxy_pass http://127.0.0.1:$TEST_NGINX_IDP_PORT/__hits/;
}
location = /status {
    auth_jwt_status;
}
--- request eval
["GET /api/items", "GET /idp-hits/mismatch/jwks.json", "GET /status"]
--- more_headers eval
[bearer($::T{mismatch}), "", ""]
--- error_code eval
[503, 200, 200]
--- response_body_like eval
[qr{^\Q$::UNAVAILABLE\E\z}, qr{^0\n\z},
 qr{"last_error":"discovery \\"http://127\.0\.0\.1:\d+/mismatch/\.well-known/openid-configuration\\": its \\"issuer\\" is not the configured issuer"}]



=== TEST 5: a JWKS larger than 1m is refused by its Content-Length
--- http_config
auth_jwt_issuer https://big.example insecure_http
                jwks_uri=http://127.0.0.1:$TEST_NGINX_IDP_PORT/big/2000000;
--- request
GET /api/items
--- more_headers eval
bearer($::T{big})
--- error_code: 503
--- response_body eval
$::UNAVAILABLE
--- error_log eval
qr{JWKS "http://127\.0\.0\.1:\d+/big/2000000": response body larger than 1m}



=== TEST 6: an endless body is cut by the fetch timeout while the worker keeps serving
--- http_config
auth_jwt_fetch_timeout 1500ms;
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET;
auth_jwt_issuer https://endless.example insecure_http
                jwks_uri=http://127.0.0.1:$TEST_NGINX_IDP_PORT/endless/jwks.json;
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
--- request eval
["GET /api/items", "GET /api/items", "GET /api/items", "GET /status"]
--- more_headers eval
[bearer($::T{hs}), bearer($::T{hs}), bearer($::T{hs}), ""]
--- timeout: 0.5
--- wait: 0.6
--- response_body_like eval
[qr{^user=user-42\n\z}, qr{^user=user-42\n\z}, qr{^user=user-42\n\z},
 qr{"last_error":"JWKS \\"http://127\.0\.0\.1:\d+/endless/jwks\.json\\": Operation timed out after 15\d\d milliseconds with \d+ bytes received"}]



=== TEST 7: a compressed response is refused
--- http_config
auth_jwt_issuer https://gzip.example insecure_http
                jwks_uri=http://127.0.0.1:$TEST_NGINX_IDP_PORT/gzip/jwks.json;
--- request
GET /api/items
--- more_headers eval
bearer($::T{gzip})
--- error_code: 503
--- error_log
compressed response refused



=== TEST 8: an IdP answering 500 leaves the issuer without keys
--- http_config
auth_jwt_issuer https://500.example insecure_http
                jwks_uri=http://127.0.0.1:$TEST_NGINX_IDP_PORT/status/500/jwks.json;
--- request
GET /api/items
--- more_headers eval
bearer($::T{e500})
--- error_code: 503
--- error_log
HTTP status 500



=== TEST 9: a JWKS with no usable key (an oct key, a 1024-bit RSA key) is refused: remote sets never contribute oct keys
--- http_config
auth_jwt_issuer https://unusable.example insecure_http
                jwks_uri=http://127.0.0.1:$TEST_NGINX_IDP_PORT/unusable/jwks.json;
--- request
GET /api/items
--- more_headers eval
bearer($::T{unusable})
--- error_code: 503
--- error_log eval
[qr{JWKS of "https://unusable\.example": key #0 \(kid "hs"\) skipped},
 qr{JWKS of "https://unusable\.example": key #1 \(kid "rsa1024"\) skipped},
 qr{failed \(1 in a row\): JWKS "http://127\.0\.0\.1:\d+/unusable/jwks\.json": }]



=== TEST 10: an IdP that never answers is cut by auth_jwt_fetch_timeout; the token waits at most a second, then gets 503
--- http_config
auth_jwt_fetch_timeout 1s;
auth_jwt_issuer https://hang.example insecure_http
                jwks_uri=http://127.0.0.1:$TEST_NGINX_IDP_PORT/hang/jwks.json;
--- request
GET /api/items
--- more_headers eval
bearer($::T{hang})
--- timeout: 2
--- error_code: 503
--- response_body eval
$::UNAVAILABLE
--- error_log eval
qr{JWKS "http://127\.0\.0\.1:\d+/hang/jwks\.json": Operation timed out after 10\d\d milliseconds}



=== TEST 11: with 2 workers, a body trickled for 5 s by one IdP adds no latency to requests that need no refresh (each answered within 0.5 s)
--- main_config
load_module $TEST_NGINX_MODULE;
worker_processes 2;
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET;
auth_jwt_issuer https://slow.example insecure_http
                jwks_uri=http://127.0.0.1:$TEST_NGINX_IDP_PORT/slow/5/jwks.json;
auth_jwt_issuer https://fast.example insecure_http
                jwks_uri=http://127.0.0.1:$TEST_NGINX_IDP_PORT/fast/jwks.json;
--- config
location /upstream {
    return 200 "user=$http_x_user\n";
}
location /api/ {
    auth_jwt "api";
    proxy_set_header X-User $jwt_user;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request eval
[map { "GET /api/items" } 1 .. 16]
--- more_headers eval
[map { bearer($_ % 2 ? $::T{hs} : $::T{fast}) } 1 .. 16]
--- timeout: 0.5
--- wait: 0.25
--- response_body eval
[map { $_ % 2 ? "user=user-42\n"
              : "user=oidc:" . substr(Digest::SHA::sha256_hex(
                    'https://fast.example'), 0, 3) . ":user-42\n" } 1 .. 16]
--- no_error_log
[error]
[alert]



=== TEST 12: a discovered jwks_uri with a raw quote (never in a URL) is refused before it is fetched or logged
--- http_config
auth_jwt_issuer http://127.0.0.1:$TEST_NGINX_IDP_PORT/quote insecure_http;
--- config
location /api/ {
    auth_jwt "api";
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
location = /status {
    auth_jwt_status;
}
--- request eval
["GET /api/items", "GET /status"]
--- more_headers eval
[bearer($::T{quote}), ""]
--- error_code eval
[503, 200]
--- response_body_like eval
[qr{^\Q$::UNAVAILABLE\E\z},
 qr{"last_error":"discovery \\"http://127\.0\.0\.1:\d+/quote/\.well-known/openid-configuration\\": \\"jwks_uri\\" has a byte that a URL escapes"}]
--- no_error_log
a"b.json
