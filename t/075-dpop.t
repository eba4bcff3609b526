use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use JWTTest;
use JWTKeys;
use DPoP;

# DPoP-bound tokens (RFC 9449): "Authorization: DPoP <token>" with one
# DPoP proof per request, checked at the access phase: typ, alg, a public
# jwk that signed it, htm, htu, iat, ath, and the token's cnf.jkt; and
# the modes of auth_jwt_bind.  Proofs and tokens are minted by Crypt::JWT
# (t/lib/DPoP.pm); each proof has its own jti, so none is a replay unless
# a block says so.  Every refusal names its reason in $jwt_error_reason
# (X-Reason) and answers a DPoP challenge with the algs a proof may use.

no_shuffle(); repeat_each(1);
log_level('info');

$ENV{KALAMDB_JWT_SECRET} = $JWTTest::SECRET;

our $T = dpop_token(sub => 'alice');
our $JKT = jkt();
our $ALGS = 'algs="RS256 PS256 ES256 EdDSA"';

# the body and challenge of a refusal
sub refused {
    my ($msg, $code) = @_;
    return qq({"status":"error","error":{"code":"@{[ $code // 'INVALID_CREDENTIALS' ]}",)
         . qq("message":"$msg"}}\n);
}

sub challenge {
    my ($err, $msg, $algs) = @_;
    return qq(WWW-Authenticate: DPoP realm="api", error="$err", )
         . qq(error_description="$msg", @{[ $algs // $ALGS ]}\n);
}

our $default_config = <<'_EOC_';
location /upstream {
    return 200 "user=$http_x_user jkt=$http_x_jkt\n";
}
location /api/ {
    auth_jwt "api";
    add_header X-Reason $jwt_error_reason always;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Jkt $jwt_dpop_jkt;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
_EOC_

our $default_http_config = <<'_EOC_';
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
_EOC_

block_defaults(config => $default_config, http_config => $default_http_config);

run_tests();

__DATA__

=== TEST 1: a DPoP-bound token with a valid ES256 proof reaches the upstream, which sees $jwt_user and $jwt_dpop_jkt
--- request
GET /api/items
--- more_headers eval
dpop($main::T)
--- error_code: 200
--- response_body eval
"user=alice jkt=$main::JKT\n"
--- no_error_log
auth_jwt: refused



=== TEST 2: an RS256 proof of a token bound to an RSA key passes
--- request
GET /api/items
--- more_headers eval
dpop(dpop_token(sub => 'bob', -bind => 'rsa'), -key => 'rsa')
--- error_code: 200
--- response_body eval
"user=bob jkt=" . jkt('rsa') . "\n"



=== TEST 3: a PS256 proof passes
--- request
GET /api/items
--- more_headers eval
dpop(dpop_token(sub => 'bob', -bind => 'rsa'), -key => 'rsa', -alg => 'PS256')
--- error_code: 200
--- response_body eval
"user=bob jkt=" . jkt('rsa') . "\n"



=== TEST 4: an EdDSA (Ed25519) proof passes
--- request
GET /api/items
--- more_headers eval
dpop(dpop_token(sub => 'eve', -bind => 'ed25519'), -key => 'ed25519')
--- error_code: 200
--- response_body eval
"user=eve jkt=" . jkt('ed25519') . "\n"



=== TEST 5: a DPoP-bound token without a DPoP header is refused: DPoP proof missing
--- request
GET /api/items
--- more_headers eval
"Authorization: DPoP $main::T\n"
--- error_code: 401
--- response_headers eval
main::challenge('invalid_dpop_proof', 'DPoP proof missing') . "X-Reason: no DPoP header\n"
--- response_body eval
main::refused('DPoP proof missing')
--- error_log
auth_jwt: refused: no DPoP header (INVALID_CREDENTIALS)



=== TEST 6: two DPoP headers are refused
--- request
GET /api/items
--- more_headers eval
dpop($main::T) . "DPoP: " . proof(-token => $main::T) . "\n"
--- error_code: 401
--- response_headers eval
main::challenge('invalid_dpop_proof', 'Several DPoP proofs')
--- response_body eval
main::refused('Several DPoP proofs')



=== TEST 7: a proof for another method (htm POST on a GET) is refused
--- request
GET /api/items
--- more_headers eval
dpop($main::T, htm => 'POST')
--- error_code: 401
--- response_headers eval
main::challenge('invalid_dpop_proof', 'DPoP proof method (htm) mismatch')
. "X-Reason: DPoP proof htm is another method\n"
--- response_body eval
main::refused('DPoP proof method (htm) mismatch')



=== TEST 8: a proof for another host (htu) is refused
--- request
GET /api/items
--- more_headers eval
dpop($main::T, htu => 'http://evil.example/api/items')
--- error_code: 401
--- response_headers eval
main::challenge('invalid_dpop_proof', 'DPoP proof URL (htu) mismatch')
. "X-Reason: DPoP proof htu is another URL\n"
--- response_body eval
main::refused('DPoP proof URL (htu) mismatch')



=== TEST 9: a proof for another path is refused
--- request
GET /api/items
--- more_headers eval
dpop($main::T, htu => 'http://localhost/api/other')
--- error_code: 401
--- response_body eval
main::refused('DPoP proof URL (htu) mismatch')



=== TEST 10: an htu that carries a query is refused (RFC 9449 4.2: without query and fragment)
--- request
GET /api/items?a=1
--- more_headers eval
dpop($main::T, htu => 'http://localhost/api/items?a=1')
--- error_code: 401
--- response_headers
X-Reason: DPoP proof htu carries a query or a fragment
--- response_body eval
main::refused('DPoP proof URL (htu) mismatch')



=== TEST 11: the request's query is not compared, and htu is compared normalised (RFC 3986 6.2.2, 6.2.3)
--- request
GET /api/items?a=1
--- more_headers eval
dpop($main::T, htu => 'HTTP://LocalHost:80/api/./x/../%69tems')
--- error_code: 200
--- response_body eval
"user=alice jkt=$main::JKT\n"



=== TEST 12: a proof whose iat is older than the window (60s + leeway) is refused as stale
--- request
GET /api/items
--- more_headers eval
dpop($main::T, iat => time - 120)
--- error_code: 401
--- response_headers eval
main::challenge('invalid_dpop_proof', 'Stale DPoP proof (iat)')
. "X-Reason: DPoP proof iat is too old\n"
--- response_body eval
main::refused('Stale DPoP proof (iat)')



=== TEST 13: a proof whose iat is in the future is refused
--- request
GET /api/items
--- more_headers eval
dpop($main::T, iat => time + 120)
--- error_code: 401
--- response_headers
X-Reason: DPoP proof iat is in the future
--- response_body eval
main::refused('Stale DPoP proof (iat)')



=== TEST 14: auth_jwt_dpop_window widens the window
--- config
location /upstream {
    return 200 "user=$http_x_user\n";
}
location /api/ {
    auth_jwt "api";
    auth_jwt_dpop_window 300s;
    proxy_set_header X-User $jwt_user;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
dpop($main::T, iat => time - 120)
--- error_code: 200
--- response_body
user=alice



=== TEST 15: a proof without ath is refused
--- request
GET /api/items
--- more_headers eval
dpop($main::T, ath => undef)
--- error_code: 401
--- response_headers eval
main::challenge('invalid_dpop_proof', 'DPoP proof access token hash (ath) mismatch')
. "X-Reason: DPoP proof ath is missing\n"
--- response_body eval
main::refused('DPoP proof access token hash (ath) mismatch')



=== TEST 16: a proof whose ath is the hash of another token is refused
--- request
GET /api/items
--- more_headers eval
dpop($main::T, ath => ath(dpop_token(sub => 'mallory')))
--- error_code: 401
--- response_headers
X-Reason: DPoP proof ath is not the hash of this token
--- response_body eval
main::refused('DPoP proof access token hash (ath) mismatch')



=== TEST 17: a token bound to another key (cnf.jkt) is refused: key mismatch
--- request
GET /api/items
--- more_headers eval
dpop(dpop_token(-bind => 'rsa'))
--- error_code: 401
--- response_headers eval
main::challenge('invalid_dpop_proof', 'DPoP proof key does not match the token (cnf.jkt)')
--- response_body eval
main::refused('DPoP proof key does not match the token (cnf.jkt)')



=== TEST 18: a proof signed by another key than its jwk is refused: bad signature
--- request
GET /api/items
--- more_headers eval
dpop($main::T, -key => dpop_key('fresh'), -jwk => JSON::PP->new->decode(dpop_key('p256')->export_key_jwk('public')))
--- error_code: 401
--- response_headers eval
main::challenge('invalid_dpop_proof', 'DPoP proof bad signature')
--- response_body eval
main::refused('DPoP proof bad signature')



=== TEST 19: a proof whose jwk holds the private key (d) is refused
--- request
GET /api/items
--- more_headers eval
dpop($main::T, -jwk => JSON::PP->new->decode(dpop_key('p256')->export_key_jwk('private')))
--- error_code: 401
--- response_headers eval
main::challenge('invalid_dpop_proof', 'Invalid DPoP proof key')
. "X-Reason: DPoP proof jwk holds private or symmetric key material\n"
--- response_body eval
main::refused('Invalid DPoP proof key')



=== TEST 20: an HS256 proof with a symmetric jwk is refused
--- request
GET /api/items
--- more_headers eval
my $k = 'k' x 32;
"Authorization: DPoP $main::T\nDPoP: "
. Crypt::JWT::encode_jwt(payload => { jti => 'hs', htm => 'GET', htu => 'http://localhost/api/items', iat => time, ath => ath($main::T) },
                         alg => 'HS256', key => $k,
                         extra_headers => { typ => 'dpop+jwt', jwk => { kty => 'oct', k => b64u($k) } })
. "\n"
--- error_code: 401
--- response_headers eval
main::challenge('invalid_dpop_proof', 'DPoP proof algorithm not allowed')
. "X-Reason: DPoP proof alg is symmetric\n"
--- response_body eval
main::refused('DPoP proof algorithm not allowed')



=== TEST 21: an unsigned proof (alg none) is refused
--- request
GET /api/items
--- more_headers eval
my $jwk = JSON::PP->new->canonical->encode(JSON::PP->new->decode(dpop_key('p256')->export_key_jwk('public')));
"Authorization: DPoP $main::T\nDPoP: "
. b64u(qq({"alg":"none","typ":"dpop+jwt","jwk":$jwk})) . '.'
. b64u(qq({"jti":"none","htm":"GET","htu":"http://localhost/api/items","iat":@{[time]},"ath":"@{[ath($main::T)]}"})) . ".\n"
--- error_code: 401
--- response_body eval
main::refused('Invalid DPoP proof')



=== TEST 22: a proof with a signed but not allowed alg (ES384) is refused
--- request
GET /api/items
--- more_headers eval
dpop(dpop_token(-bind => 'p384'), -key => 'p384')
--- error_code: 401
--- response_headers
X-Reason: DPoP proof alg is not allowed
--- response_body eval
main::refused('DPoP proof algorithm not allowed')



=== TEST 23: auth_jwt_dpop_algorithms narrows the list, and the challenge says so
--- config
location /upstream {
    return 200 "user=$http_x_user jkt=$http_x_jkt\n";
}
location /api/ {
    auth_jwt "api";
    auth_jwt_dpop_algorithms ES256;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Jkt $jwt_dpop_jkt;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
dpop(dpop_token(-bind => 'rsa'), -key => 'rsa')
--- error_code: 401
--- response_headers eval
main::challenge('invalid_dpop_proof', 'DPoP proof algorithm not allowed', 'algs="ES256"')
--- response_body eval
main::refused('DPoP proof algorithm not allowed')



=== TEST 24: a proof with a kid header beside its jwk is refused
--- request
GET /api/items
--- more_headers eval
dpop($main::T, -header => { kid => 'p256' })
--- error_code: 401
--- response_headers
X-Reason: DPoP proof names a key besides its jwk
--- response_body eval
main::refused('Invalid DPoP proof key')



=== TEST 25: a proof with an x5c header beside its jwk is refused
--- request
GET /api/items
--- more_headers eval
dpop($main::T, -header => { x5c => ['MIIB'] })
--- error_code: 401
--- response_body eval
main::refused('Invalid DPoP proof key')



=== TEST 26: a proof with a jku header beside its jwk is refused
--- request
GET /api/items
--- more_headers eval
dpop($main::T, -header => { jku => 'https://evil.example/jwks' })
--- error_code: 401
--- response_body eval
main::refused('Invalid DPoP proof key')



=== TEST 27: a proof of typ JWT is refused
--- request
GET /api/items
--- more_headers eval
dpop($main::T, -header => { typ => 'JWT' })
--- error_code: 401
--- response_headers
X-Reason: DPoP proof typ is not dpop+jwt
--- response_body eval
main::refused('Invalid DPoP proof')



=== TEST 28: an oversized proof is refused before anything is decoded
--- request
GET /api/items
--- more_headers eval
dpop($main::T, pad => 'x' x 5000)
--- error_code: 401
--- response_headers
X-Reason: token too large
--- response_body eval
main::refused('Invalid DPoP proof')



=== TEST 29: a proof without jti is refused
--- request
GET /api/items
--- more_headers eval
dpop($main::T, jti => undef)
--- error_code: 401
--- response_headers
X-Reason: DPoP proof jti is missing, empty or too long
--- response_body eval
main::refused('Invalid DPoP proof')



=== TEST 30: the same proof twice is refused the second time (same worker): replayed
--- request eval
["GET /api/items", "GET /api/items"]
--- more_headers eval
my $p = proof(-token => $main::T);
["Authorization: DPoP $main::T\nDPoP: $p\n", "Authorization: DPoP $main::T\nDPoP: $p\n"]
--- error_code eval
[200, 401]
--- response_body eval
["user=alice jkt=$main::JKT\n", main::refused('Replayed DPoP proof')]



=== TEST 31: a DPoP-bound token presented as Bearer is refused (RFC 9449 7.1), with a DPoP challenge
--- request
GET /api/items
--- more_headers eval
bearer($main::T) . "DPoP: " . proof(-token => $main::T) . "\n"
--- error_code: 401
--- response_headers eval
main::challenge('invalid_token', 'DPoP-bound token presented as Bearer')
--- response_body eval
main::refused('DPoP-bound token presented as Bearer')



=== TEST 32: an unbound token with the DPoP scheme is refused
--- request
GET /api/items
--- more_headers eval
dpop(mint(sub => 'carol'))
--- error_code: 401
--- response_headers eval
main::challenge('invalid_token', 'Token is not DPoP-bound')
--- response_body eval
main::refused('Token is not DPoP-bound')



=== TEST 33: auth_jwt_bind optional (the default) lets an unbound Bearer token in
--- request
GET /api/items
--- more_headers eval
bearer(mint(sub => 'carol'))
--- error_code: 200
--- response_body
user=carol jkt=



=== TEST 34: auth_jwt_bind dpop refuses an unbound Bearer token, with a DPoP challenge
--- config
location /upstream {
    return 200 "user=$http_x_user jkt=$http_x_jkt\n";
}
location /api/ {
    auth_jwt "api";
    auth_jwt_bind dpop;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Jkt $jwt_dpop_jkt;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer(mint(sub => 'carol'))
--- error_code: 401
--- response_headers eval
main::challenge('invalid_token', 'Token is not DPoP-bound')
--- response_body eval
main::refused('Token is not DPoP-bound')



=== TEST 35: auth_jwt_bind dpop lets a DPoP-bound token with its proof in
--- config
location /upstream {
    return 200 "user=$http_x_user jkt=$http_x_jkt\n";
}
location /api/ {
    auth_jwt "api";
    auth_jwt_bind dpop;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Jkt $jwt_dpop_jkt;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
dpop($main::T)
--- error_code: 200
--- response_body eval
"user=alice jkt=$main::JKT\n"



=== TEST 36: auth_jwt_bind dpop answers a request without credentials with a DPoP challenge
--- config
location /upstream {
    return 200 "user=$http_x_user jkt=$http_x_jkt\n";
}
location /api/ {
    auth_jwt "api";
    auth_jwt_bind dpop;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Jkt $jwt_dpop_jkt;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- error_code: 401
--- response_headers eval
qq(WWW-Authenticate: DPoP realm="api", $main::ALGS\n)
--- response_body eval
main::refused('Missing bearer token', 'MISSING_AUTHORIZATION')



=== TEST 37: auth_jwt_bind any refuses an unbound token
--- config
location /upstream {
    return 200 "user=$http_x_user jkt=$http_x_jkt\n";
}
location /api/ {
    auth_jwt "api";
    auth_jwt_bind any;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Jkt $jwt_dpop_jkt;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer(mint(sub => 'carol'))
--- error_code: 401
--- response_body eval
main::refused('Token is not sender-constrained')



=== TEST 38: auth_jwt_bind any lets a DPoP-bound token with its proof in
--- config
location /upstream {
    return 200 "user=$http_x_user jkt=$http_x_jkt\n";
}
location /api/ {
    auth_jwt "api";
    auth_jwt_bind any;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Jkt $jwt_dpop_jkt;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
dpop($main::T)
--- error_code: 200
--- response_body eval
"user=alice jkt=$main::JKT\n"



=== TEST 39: auth_jwt_bind mtls refuses a DPoP-bound token: it is not bound to a certificate
--- config
location /upstream {
    return 200 "user=$http_x_user jkt=$http_x_jkt\n";
}
location /api/ {
    auth_jwt "api";
    auth_jwt_bind mtls;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Jkt $jwt_dpop_jkt;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
dpop($main::T)
--- error_code: 401
--- response_body eval
main::refused('Token is not bound to a client certificate')



=== TEST 40: auth_jwt_bind off ignores cnf: a DPoP-bound token passes as Bearer, and the DPoP scheme is unknown
--- config
location /upstream {
    return 200 "user=$http_x_user jkt=$http_x_jkt\n";
}
location /api/ {
    auth_jwt "api";
    auth_jwt_bind off;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Jkt $jwt_dpop_jkt;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request eval
["GET /api/items", "GET /api/items"]
--- more_headers eval
[bearer($main::T), dpop($main::T)]
--- error_code eval
[200, 401]
--- response_body eval
["user=alice jkt=\n", main::refused('Unsupported authorization scheme')]



=== TEST 41: auth_jwt_dpop_url sets the URL a proof is for, as a TLS-terminating proxy in front sees it
--- config
location /upstream {
    return 200 "user=$http_x_user jkt=$http_x_jkt\n";
}
location /api/ {
    auth_jwt "api";
    auth_jwt_dpop_url https://api.example.com$uri;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Jkt $jwt_dpop_jkt;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request eval
["GET /api/items", "GET /api/items"]
--- more_headers eval
[dpop($main::T, htu => 'https://api.example.com/api/items'), dpop($main::T)]
--- error_code eval
[200, 401]
--- response_body eval
["user=alice jkt=$main::JKT\n", main::refused('DPoP proof URL (htu) mismatch')]



=== TEST 42: the verified-token cache never skips the proof: a cached token needs a fresh, valid proof on every request
--- request eval
["GET /api/items", "GET /api/items", "GET /api/items", "GET /api/items", "GET /api/items"]
--- more_headers eval
my $p = proof(-token => $main::T);
[dpop($main::T), dpop($main::T), dpop($main::T),
 "Authorization: DPoP $main::T\n", "Authorization: DPoP $main::T\nDPoP: $p\nX: 1\n",
]
--- error_code eval
[200, 200, 200, 401, 200]
--- response_body eval
["user=alice jkt=$main::JKT\n", "user=alice jkt=$main::JKT\n", "user=alice jkt=$main::JKT\n",
 main::refused('DPoP proof missing'), "user=alice jkt=$main::JKT\n"]



=== TEST 43: a cached token's proof is still checked for replay and method
--- request eval
["GET /api/items", "GET /api/items", "GET /api/items", "GET /api/items"]
--- more_headers eval
my $p = proof(-token => $main::T);
[dpop($main::T), "Authorization: DPoP $main::T\nDPoP: $p\n", "Authorization: DPoP $main::T\nDPoP: $p\n",
 dpop($main::T, htm => 'DELETE')]
--- error_code eval
[200, 200, 401, 401]
--- response_body eval
["user=alice jkt=$main::JKT\n", "user=alice jkt=$main::JKT\n", main::refused('Replayed DPoP proof'),
 main::refused('DPoP proof method (htm) mismatch')]



=== TEST 44: a token whose cnf is not an object is refused
--- request
GET /api/items
--- more_headers eval
dpop(mint(cnf => 'p256'))
--- error_code: 401
--- response_body eval
main::refused('Malformed cnf claim')



=== TEST 45: an expired DPoP-bound token is refused as a token (invalid_token), with a DPoP challenge
--- request
GET /api/items
--- more_headers eval
dpop(dpop_token(exp => time - 3600))
--- error_code: 401
--- response_headers eval
main::challenge('invalid_token', 'Token expired')
--- response_body eval
main::refused('Token expired', 'TOKEN_EXPIRED')



=== TEST 46: auth_jwt_dpop_algorithms refuses a symmetric algorithm at nginx -t
--- config
location /upstream {
    return 200 "user=$http_x_user jkt=$http_x_jkt\n";
}
location /api/ {
    auth_jwt "api";
    auth_jwt_dpop_algorithms ES256 HS256;
}
--- must_die
--- error_log
"auth_jwt_dpop_algorithms": "HS256" is symmetric
