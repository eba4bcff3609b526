use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use JWTTest;
use JWTKeys;
use IdP;

# The verified-token cache and an OIDC issuer's keys: a cached verdict is
# tied to the key generation it was reached under, so it never outlives
# the removal of its key.  Token A is used three times (cached from its
# second use, a hit on the third, see t/060-cache.t); token B's unknown kid
# makes the worker refresh to a key set without A's key; A must then fail,
# which it would not if its cached verdict were still trusted.

no_shuffle(); repeat_each(1);
log_level('info');

IdP::start();
add_block_preprocessor(sub { IdP::reset() });

our $JWKS_A = jwks(jwk('rsa', alg => 'RS256'));
our $JWKS_B = jwks(jwk('rsa-b', alg => 'RS256'));

# the first fetch has key A only, every later one key B only
IdP::put('/rot/jwks.json', $JWKS_A, $JWKS_B);

sub tok {
    my ($key) = @_;
    return pk_mint(iss => 'https://rot.example', -key => $key,
                   -header => { kid => $key });
}

our %T = (a => tok('rsa'), b => tok('rsa-b'));

block_defaults();

run_tests();

__DATA__

=== TEST 1: a cached token stops verifying once a refresh removed its key
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
--- request eval
["GET /api/1", "GET /api/2", "GET /api/3", "GET /api/4", "GET /api/5"]
--- more_headers eval
[bearer($::T{a}), bearer($::T{a}), bearer($::T{a}), bearer($::T{b}),
 bearer($::T{a})]
--- error_code eval
[200, 200, 200, 200, 401]
--- response_body_like eval
[qr{^user=oidc:\w{3}:user-42\n\z}, qr{^user=oidc:\w{3}:user-42\n\z},
 qr{^user=oidc:\w{3}:user-42\n\z}, qr{^user=oidc:\w{3}:user-42\n\z},
 qr{"message":"No matching key"}]
