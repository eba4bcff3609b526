use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use JWTTest;
use JWTKeys;
use Crypt::PK::RSA ();
use MIME::Base64 qw(decode_base64url);
no_shuffle(); repeat_each(1);

# CPAN's Test::Nginx does not export this one itself
$ENV{TEST_NGINX_HTML_DIR} ||= html_dir();

# Key files through nginx: broken keys skipped with a warning at startup
# while good ones load, files that stop nginx -t, oct and private keys,
# auth_jwt_key_file (NGINX Plus style), kid lookup, issuers kept apart,
# header parameters that point at other keys, PEM and X.509 files.

# at debug level nginx itself logs every request header, Authorization too
log_level('info');

# the test-only keys of t/keys (see t/keys/README), as an absolute path
$ENV{TEST_NGINX_KEYS} = $JWTKeys::KEYS;
$ENV{KALAMDB_JWT_SECRET} = $JWTTest::SECRET;

my $ISS = 'https://idp.example';

# tok(alg, key, claim => value, ..., -header => {...}): a valid token of
# $ISS signed with t/keys/<key>.pem, kid = key name unless -header is given
sub tok {
    my ($alg, $key, %a) = @_;
    my $hdr = delete $a{-header} // { kid => $key };
    return pk_mint(iss => $ISS, %a, -alg => $alg, -key => $key,
                   -header => $hdr);
}

# a base64url member of a JWK changed as raw bytes
sub member {
    my ($name, $m, $f) = @_;
    return b64u($f->(decode_base64url(jwk($name)->{$m})));
}

# keys derived from the good ones of t/keys, each with its own kid: broken
# keys, plus an oct key and a private JWK for the "never from a file" rules
our %BAD = (
    short      => jwk('rsa1024'),
    padded     => jwk('rsa1024', kid => 'padded',
                      n => member('rsa1024', n => sub { ("\0" x 128) . $_[0] })),
    huge       => jwk('rsa', kid => 'huge', n => b64u("\xff" x 1040)),
    e1         => jwk('rsa', kid => 'e1', e => b64u("\x01")),
    e_even     => jwk('rsa', kid => 'e-even', e => b64u("\x01\x00\x00")),
    off_curve  => jwk('p256', kid => 'off-curve',
                      y => member('p256', y => sub { my $y = $_[0];
                          substr($y, -1) = chr(ord(substr($y, -1)) ^ 1); $y })),
    x_short    => jwk('p256', kid => 'x-short',
                      x => member('p256', x => sub { substr($_[0], 1) })),
    x_long     => jwk('p256', kid => 'x-long',
                      x => member('p256', x => sub { "\0$_[0]" })),
    no_y       => jwk('p256', kid => 'no-y', y => undef),
    no_crv     => jwk('p256', kid => 'no-crv', crv => undef),
    no_e       => jwk('rsa', kid => 'no-e', e => undef),
    no_n       => jwk('rsa', kid => 'no-n', n => undef),
    no_x       => jwk('ed25519', kid => 'no-x', x => undef),
    no_kty     => jwk('rsa', kid => 'no-kty', kty => undef),
    kid_number => jwk('rsa-b', kid => 42),
    n_number   => jwk('rsa', kid => 'n-number', n => 12345),
    oct        => { kty => 'oct', kid => 'hs', k => b64u($SECRET) },
    private    => do {
        my $k = Crypt::PK::RSA->new(key_path('rsa-b.pem'))
                              ->export_key_jwk('private', 1);
        $k->{kid} = 'rsa-b';
        $k;
    },
);

our %T = (
    good           => tok('RS256', 'rsa'),
    short          => tok('RS256', 'rsa1024'),
    private        => tok('RS256', 'rsa-b'),
    oct_in_issuer  => mint(iss => $ISS, -header => { kid => 'hs' }),

    plus_hs        => mint(iss => 'any-app', -header => { kid => 'hs' }),
    plus_hs_nokid  => mint(iss => undef),
    plus_hs_wrong  => mint(iss => 'any-app', -key => $SECRET2,
                           -header => { kid => 'hs' }),
    plus_hs512     => mint(iss => 'any-app', -alg => 'HS512',
                           -header => { kid => 'hs' }),
    plus_issuer    => mint(-key => $SECRET2, -header => { kid => 'hs' }),

    nokid_many     => tok('RS256', 'rsa', -header => {}),
    nokid_one      => tok('ES256', 'p256', -header => {}),
    kid_unknown    => tok('RS256', 'rsa', -header => { kid => 'rsa-2' }),
    kid_empty      => tok('RS256', 'rsa', -header => { kid => '' }),
    kid_64k        => tok('RS256', 'rsa', -header => { kid => 'k' x 65536 }),
    kid_array      => tok('RS256', 'rsa', -header => { kid => ['rsa'] }),
    kid_crlf       => tok('RS256', 'rsa', -header => { kid => "rsa\r\nX-Injected: 1" }),
    kid_dotdot     => tok('RS256', 'rsa', -header => { kid => '../rsa' }),
    kid_path       => tok('RS256', 'attacker',
                          -header => { kid => key_path('attacker.pub.pem') }),

    b_own          => tok('RS256', 'rsa-b', iss => 'https://b.example'),
    b_with_a_kid   => tok('RS256', 'rsa', iss => 'https://b.example'),
    b_with_a_nokid => tok('RS256', 'rsa', iss => 'https://b.example',
                          -header => {}),
    a_with_b_kid   => tok('RS256', 'rsa-b'),

    urls_ignored   => tok('RS256', 'rsa', -header => {
                          kid => 'rsa',
                          jku => 'https://attacker.example/jwks.json',
                          x5u => 'https://attacker.example/cert.pem',
                          jwk => jwk('attacker'),
                          x5c => [join '', grep { !/-----/ }
                                  split /\n/, key_text('attacker.crt')],
                      }),
    jwk_attacker   => tok('RS256', 'attacker', -header => {
                          jwk => jwk('attacker', kid => undef) }),
    jwk_attacker_kid => tok('RS256', 'attacker', -header => {
                          kid => 'attacker', jwk => jwk('attacker') }),
    x5c_attacker   => tok('RS256', 'attacker', -header => {
                          x5c => [join '', grep { !/-----/ }
                                  split /\n/, key_text('attacker.crt')] }),
    jku_attacker   => tok('RS256', 'attacker', -header => {
                          kid => 'rsa',
                          jku => 'https://attacker.example/jwks.json',
                          x5u => 'https://attacker.example/cert.pem' }),

    pem_rs         => tok('RS256', 'rsa', -header => {}),
    pem_rs_kid     => tok('RS256', 'rsa'),
    crt_es         => tok('ES256', 'p256', -header => {}),
    bundle_ed      => tok('EdDSA', 'ed25519', -header => {}),
    single_jwk     => tok('ES384', 'p384'),
);

our $default_config = <<'_EOC_';
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role alg=$http_x_alg\n";
}
location /api/ {
    auth_jwt "api";
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_set_header X-Alg $jwt_header_alg;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
_EOC_

block_defaults(config => $default_config);

run_tests();

__DATA__

=== TEST 1: an RSA key of 1024 bits is skipped at startup with a warning while the good key of the same file verifies
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => jwks($::BAD{short}, jwk('rsa'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{good})
--- error_code: 200
--- response_body
user=user-42 role=user alg=RS256
--- error_log
key #0 (kid "rsa1024") skipped: RSA key is shorter than 2048 bits
--- no_error_log
auth_jwt: refused



=== TEST 2: a 1024-bit RSA modulus padded with zero bytes to 256 bytes is skipped at startup with a warning while the good key of the same file verifies
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => jwks($::BAD{padded}, jwk('rsa'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{good})
--- error_code: 200
--- response_body
user=user-42 role=user alg=RS256
--- error_log
key #0 (kid "padded") skipped: RSA key is shorter than 2048 bits
--- no_error_log
auth_jwt: refused



=== TEST 3: an RSA modulus of 8320 bits is skipped at startup with a warning while the good key of the same file verifies
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => jwks($::BAD{huge}, jwk('rsa'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{good})
--- error_code: 200
--- response_body
user=user-42 role=user alg=RS256
--- error_log
key #0 (kid "huge") skipped: RSA key is longer than 8192 bits
--- no_error_log
auth_jwt: refused



=== TEST 4: an RSA key with exponent 1 is skipped at startup with a warning while the good key of the same file verifies
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => jwks($::BAD{e1}, jwk('rsa'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{good})
--- error_code: 200
--- response_body
user=user-42 role=user alg=RS256
--- error_log
key #0 (kid "e1") skipped: RSA exponent is 1 or even
--- no_error_log
auth_jwt: refused



=== TEST 5: an RSA key with the even exponent 65536 is skipped at startup with a warning while the good key of the same file verifies
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => jwks($::BAD{e_even}, jwk('rsa'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{good})
--- error_code: 200
--- response_body
user=user-42 role=user alg=RS256
--- error_log
key #0 (kid "e-even") skipped: RSA exponent is 1 or even
--- no_error_log
auth_jwt: refused



=== TEST 6: an EC key whose point is not on P-256 is skipped at startup with a warning while the good key of the same file verifies
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => jwks($::BAD{off_curve}, jwk('rsa'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{good})
--- error_code: 200
--- response_body
user=user-42 role=user alg=RS256
--- error_log
key #0 (kid "off-curve") skipped: EC point is not on the curve
--- no_error_log
auth_jwt: refused



=== TEST 7: a P-256 key whose x is 31 bytes is skipped at startup with a warning while the good key of the same file verifies
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => jwks($::BAD{x_short}, jwk('rsa'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{good})
--- error_code: 200
--- response_body
user=user-42 role=user alg=RS256
--- error_log
key #0 (kid "x-short") skipped: EC coordinate length does not fit crv
--- no_error_log
auth_jwt: refused



=== TEST 8: a P-256 key whose x is zero-padded to 33 bytes is skipped at startup with a warning while the good key of the same file verifies
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => jwks($::BAD{x_long}, jwk('rsa'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{good})
--- error_code: 200
--- response_body
user=user-42 role=user alg=RS256
--- error_log
key #0 (kid "x-long") skipped: EC coordinate length does not fit crv
--- no_error_log
auth_jwt: refused



=== TEST 9: an EC key without y is skipped at startup with a warning while the good key of the same file verifies
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => jwks($::BAD{no_y}, jwk('rsa'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{good})
--- error_code: 200
--- response_body
user=user-42 role=user alg=RS256
--- error_log
key #0 (kid "no-y") skipped: EC y is missing or malformed
--- no_error_log
auth_jwt: refused



=== TEST 10: an EC key without crv is skipped at startup with a warning while the good key of the same file verifies
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => jwks($::BAD{no_crv}, jwk('rsa'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{good})
--- error_code: 200
--- response_body
user=user-42 role=user alg=RS256
--- error_log
key #0 (kid "no-crv") skipped: EC crv is missing or not a string
--- no_error_log
auth_jwt: refused



=== TEST 11: an RSA key without e is skipped at startup with a warning while the good key of the same file verifies
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => jwks($::BAD{no_e}, jwk('rsa'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{good})
--- error_code: 200
--- response_body
user=user-42 role=user alg=RS256
--- error_log
key #0 (kid "no-e") skipped: RSA e is missing or malformed
--- no_error_log
auth_jwt: refused



=== TEST 12: an RSA key without n is skipped at startup with a warning while the good key of the same file verifies
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => jwks($::BAD{no_n}, jwk('rsa'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{good})
--- error_code: 200
--- response_body
user=user-42 role=user alg=RS256
--- error_log
key #0 (kid "no-n") skipped: RSA n is missing or malformed
--- no_error_log
auth_jwt: refused



=== TEST 13: an OKP key without x is skipped at startup with a warning while the good key of the same file verifies
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => jwks($::BAD{no_x}, jwk('rsa'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{good})
--- error_code: 200
--- response_body
user=user-42 role=user alg=RS256
--- error_log
key #0 (kid "no-x") skipped: OKP x is missing or malformed
--- no_error_log
auth_jwt: refused



=== TEST 14: a key without kty is skipped at startup with a warning while the good key of the same file verifies
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => jwks($::BAD{no_kty}, jwk('rsa'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{good})
--- error_code: 200
--- response_body
user=user-42 role=user alg=RS256
--- error_log
key #0 (kid "no-kty") skipped: kty is missing or not a string
--- no_error_log
auth_jwt: refused



=== TEST 15: a key whose kid is a number is skipped at startup with a warning while the good key of the same file verifies
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => jwks($::BAD{kid_number}, jwk('rsa'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{good})
--- error_code: 200
--- response_body
user=user-42 role=user alg=RS256
--- error_log
key #0 (kid "") skipped: kid is not a string
--- no_error_log
auth_jwt: refused



=== TEST 16: an RSA key whose n is a number is skipped at startup with a warning while the good key of the same file verifies
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => jwks($::BAD{n_number}, jwk('rsa'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{good})
--- error_code: 200
--- response_body
user=user-42 role=user alg=RS256
--- error_log
key #0 (kid "n-number") skipped: RSA n is missing or malformed
--- no_error_log
auth_jwt: refused



=== TEST 17: JSON garbage mixed with a good key (a string, a number, null) is skipped entry by entry and the good key verifies
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => '{"keys":["garbage",42,null,' . JSON::PP->new->canonical->encode(jwk('rsa')) . ']}']]
--- request
GET /api/items
--- more_headers eval
bearer($::T{good})
--- error_code: 200
--- response_body
user=user-42 role=user alg=RS256
--- error_log
key #0 (kid "") skipped: key is not a JSON object
key #1 (kid "") skipped: key is not a JSON object
key #2 (kid "") skipped: key is not a JSON object
--- no_error_log
auth_jwt: refused



=== TEST 18: a skipped key's kid carrying CR LF is not written raw to the log, so a key set cannot forge log lines
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => jwks(jwk('rsa', kid => "e1\r\nINJECTED [emerg] forged", e => b64u("\x01")), jwk('rsa'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{good})
--- error_code: 200
--- response_body
user=user-42 role=user alg=RS256
--- error_log
key #0 (kid "e1\x0d\x0aINJECTED [emerg] forged") skipped: RSA exponent is 1 or even
--- no_error_log eval
['auth_jwt: refused', qr/^INJECTED/]



=== TEST 19: a token signed by the skipped 1024-bit key and naming its kid is refused
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => jwks($::BAD{short}, jwk('rsa'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{short})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="No matching key"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"No matching key"}}
--- error_log eval
["auth_jwt: refused: no key with this kid (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{short}),
 'key #0 (kid "rsa1024") skipped: RSA key is shorter than 2048 bits']
--- no_error_log eval
[$::T{short}]



=== TEST 20: a key file holding only broken keys stops nginx, naming each skipped key
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => jwks($::BAD{short}, $::BAD{e1})]]
--- request
GET /api/items
--- must_die
--- error_log
key #0 (kid "rsa1024") skipped: RSA key is shorter than 2048 bits
key #1 (kid "e1") skipped: RSA exponent is 1 or even
keys.jwks": no usable key



=== TEST 21: a key file with two keys of the same kid stops nginx
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => jwks(jwk('rsa'), jwk('rsa-b', kid => 'rsa'))]]
--- request
GET /api/items
--- must_die
--- error_log
keys.jwks": duplicate kid



=== TEST 22: a key file that is not valid JSON stops nginx
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => '{"keys":[' . JSON::PP->new->encode(jwk('rsa'))]]
--- request
GET /api/items
--- must_die
--- error_log
keys.jwks": JWKS is not valid JSON



=== TEST 23: a key file naming "keys" twice is not valid JSON and stops nginx
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => '{"keys":[],"keys":[' . JSON::PP->new->encode(jwk('rsa')) . ']}']]
--- request
GET /api/items
--- must_die
--- error_log
keys.jwks": JWKS is not valid JSON



=== TEST 24: a key file with an empty "keys" array stops nginx
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => '{"keys":[]}']]
--- request
GET /api/items
--- must_die
--- error_log
keys.jwks": JWKS "keys" is empty



=== TEST 25: a key file whose "keys" is an object stops nginx
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => '{"keys":' . JSON::PP->new->encode(jwk('rsa')) . '}']]
--- request
GET /api/items
--- must_die
--- error_log
keys.jwks": JWKS "keys" is not an array



=== TEST 26: a key file holding a JSON array of keys is not a JWK Set and stops nginx
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => '[' . JSON::PP->new->encode(jwk('rsa')) . ']']]
--- request
GET /api/items
--- must_die
--- error_log
keys.jwks": no PEM public key or certificate found



=== TEST 27: a key file that is neither a JWK Set nor a JWK stops nginx
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => '{"issuer":"https://idp.example"}']]
--- request
GET /api/items
--- must_die
--- error_log
keys.jwks": neither a JWK Set nor a JWK



=== TEST 28: a key file holding only an oct key stops nginx: an issuer never takes symmetric keys from a file
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => jwks($::BAD{oct})]]
--- request
GET /api/items
--- must_die
--- error_log
key #0 (kid "hs") skipped: symmetric key not allowed here
keys.jwks": no usable key



=== TEST 29: a PEM file holding a private key stops nginx: only public keys and certificates are read
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.pem;
--- request
GET /api/items
--- must_die
--- error_log
rsa.pem": PEM block is neither a public key nor a certificate



=== TEST 30: a PEM file holding a 1024-bit public key stops nginx
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa1024.pub.pem;
--- request
GET /api/items
--- must_die
--- error_log
rsa1024.pub.pem": RSA key is shorter than 2048 bits



=== TEST 31: an issuer with key_file= and algorithms=HS256 stops nginx: HS* only ever uses secret=
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks algorithms=RS256,HS256;
--- request
GET /api/items
--- must_die
--- error_log
HS256, HS384 and HS512 need secret=, not key_file=



=== TEST 32: an issuer with both secret= and key_file= stops nginx
--- http_config
auth_jwt_issuer https://idp.example secret=env:KALAMDB_JWT_SECRET key_file=$TEST_NGINX_KEYS/rsa.jwks;
--- request
GET /api/items
--- must_die
--- error_log
secret= and key_file= are exclusive



=== TEST 33: auth_jwt_key_file with an unknown format stops nginx
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role alg=$http_x_alg\n";
}
location /api/ {
    auth_jwt "api";
    auth_jwt_key_file $TEST_NGINX_KEYS/rsa.pub.pem der;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_set_header X-Alg $jwt_header_alg;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- must_die
--- error_log
"auth_jwt_key_file": unknown format "der"; use jwks or pem



=== TEST 34: auth_jwt_key_file with the jwks format given a PEM file stops nginx
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role alg=$http_x_alg\n";
}
location /api/ {
    auth_jwt "api";
    auth_jwt_key_file $TEST_NGINX_KEYS/rsa.pub.pem jwks;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_set_header X-Alg $jwt_header_alg;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- must_die
--- error_log
rsa.pub.pem": JWKS is not valid JSON



=== TEST 35: an oct key in an issuer's key_file is skipped with a warning and an HS256 token made with its secret is refused
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => jwks($::BAD{oct}, jwk('rsa'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{oct_in_issuer})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Algorithm not allowed"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Algorithm not allowed"}}
--- error_log eval
["auth_jwt: refused: alg not allowed for this issuer (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{oct_in_issuer}),
 'key #0 (kid "hs") skipped: symmetric key not allowed here']
--- no_error_log eval
[$::T{oct_in_issuer}]



=== TEST 36: a key with private members in an issuer's key_file is skipped with a warning and a token naming it is refused
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => jwks($::BAD{private}, jwk('rsa'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{private})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="No matching key"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"No matching key"}}
--- error_log eval
["auth_jwt: refused: no key with this kid (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{private}),
 'key #0 (kid "rsa-b") skipped: private key material in JWKS']
--- no_error_log eval
[$::T{private}]



=== TEST 37: auth_jwt_key_file with an oct key verifies an HS256 token of no configured issuer (NGINX Plus style)
--- user_files eval
[['keys.jwks' => jwks($::BAD{oct})]]
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role alg=$http_x_alg\n";
}
location /api/ {
    auth_jwt "api";
    auth_jwt_key_file $TEST_NGINX_HTML_DIR/keys.jwks;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_set_header X-Alg $jwt_header_alg;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{plus_hs})
--- error_code: 200
--- response_body
user=user-42 role=user alg=HS256
--- no_error_log
auth_jwt: refused



=== TEST 38: auth_jwt_key_file with one oct key verifies an HS256 token without kid or iss
--- user_files eval
[['keys.jwks' => jwks($::BAD{oct})]]
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role alg=$http_x_alg\n";
}
location /api/ {
    auth_jwt "api";
    auth_jwt_key_file $TEST_NGINX_HTML_DIR/keys.jwks;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_set_header X-Alg $jwt_header_alg;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{plus_hs_nokid})
--- error_code: 200
--- response_body
user=user-42 role=user alg=HS256
--- no_error_log
auth_jwt: refused



=== TEST 39: auth_jwt_key_file with a 64-byte oct key verifies an HS512 token
--- user_files eval
[['keys.jwks' => jwks($::BAD{oct})]]
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role alg=$http_x_alg\n";
}
location /api/ {
    auth_jwt "api";
    auth_jwt_key_file $TEST_NGINX_HTML_DIR/keys.jwks;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_set_header X-Alg $jwt_header_alg;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{plus_hs512})
--- error_code: 200
--- response_body
user=user-42 role=user alg=HS512
--- no_error_log
auth_jwt: refused



=== TEST 40: auth_jwt_key_file refuses an HS256 token signed with another secret as Bad signature
--- user_files eval
[['keys.jwks' => jwks($::BAD{oct})]]
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role alg=$http_x_alg\n";
}
location /api/ {
    auth_jwt "api";
    auth_jwt_key_file $TEST_NGINX_HTML_DIR/keys.jwks;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_set_header X-Alg $jwt_header_alg;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{plus_hs_wrong})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: \"any-app\", token: " . fp($::T{plus_hs_wrong})]
--- no_error_log eval
[$::T{plus_hs_wrong}]



=== TEST 41: an oct key shorter than 32 bytes in auth_jwt_key_file is skipped with a warning
--- user_files eval
[['keys.jwks' => jwks({ kty => 'oct', kid => 'tiny', k => b64u('0123456789abcdef') }, $::BAD{oct})]]
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role alg=$http_x_alg\n";
}
location /api/ {
    auth_jwt "api";
    auth_jwt_key_file $TEST_NGINX_HTML_DIR/keys.jwks;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_set_header X-Alg $jwt_header_alg;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{plus_hs})
--- error_code: 200
--- response_body
user=user-42 role=user alg=HS256
--- error_log
key #0 (kid "tiny") skipped: symmetric key is shorter than 32 bytes
--- no_error_log
auth_jwt: refused



=== TEST 42: a token whose iss names a configured issuer is verified by that issuer's secret, never by auth_jwt_key_file
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET;
--- user_files eval
[['keys.jwks' => jwks({ kty => 'oct', kid => 'hs', k => b64u($SECRET2) })]]
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role alg=$http_x_alg\n";
}
location /api/ {
    auth_jwt "api";
    auth_jwt_key_file $TEST_NGINX_HTML_DIR/keys.jwks;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_set_header X-Alg $jwt_header_alg;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{plus_issuer})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: \"kalamdb\", token: " . fp($::T{plus_issuer})]
--- no_error_log eval
[$::T{plus_issuer}]



=== TEST 43: a token without kid is refused when several keys of the set fit its alg: no key is tried in turn
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => jwks(jwk('rsa'), jwk('rsa-b'), jwk('p256'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{nokid_many})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="No matching key"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"No matching key"}}
--- error_log eval
["auth_jwt: refused: token has no kid and several keys fit (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{nokid_many})]
--- no_error_log eval
[$::T{nokid_many}]



=== TEST 44: a token without kid verifies with the only key of the set that fits its alg
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => jwks(jwk('rsa'), jwk('rsa-b'), jwk('p256'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{nokid_one})
--- error_code: 200
--- response_body
user=user-42 role=user alg=ES256
--- no_error_log
auth_jwt: refused



=== TEST 45: a token whose kid names no key of the set is refused
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => jwks(jwk('rsa'), jwk('rsa-b'), jwk('p256'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{kid_unknown})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="No matching key"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"No matching key"}}
--- error_log eval
["auth_jwt: refused: no key with this kid (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{kid_unknown})]
--- no_error_log eval
[$::T{kid_unknown}]



=== TEST 46: a token with an empty kid is refused
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => jwks(jwk('rsa'), jwk('rsa-b'), jwk('p256'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{kid_empty})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="No matching key"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"No matching key"}}
--- error_log eval
["auth_jwt: refused: no key with this kid (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{kid_empty})]
--- no_error_log eval
[$::T{kid_empty}]



=== TEST 47: a token with a 64 KiB kid, under a raised auth_jwt_max_size, is refused by the exact lookup
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => jwks(jwk('rsa'), jwk('rsa-b'), jwk('p256'))]]
--- config
large_client_header_buffers 4 128k;
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role alg=$http_x_alg\n";
}
location /api/ {
    auth_jwt "api";
    auth_jwt_max_size 128k;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_set_header X-Alg $jwt_header_alg;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{kid_64k})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="No matching key"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"No matching key"}}
--- error_log eval
["auth_jwt: refused: no key with this kid (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{kid_64k})]
--- no_error_log eval
[$::T{kid_64k}]



=== TEST 48: a token with a 64 KiB kid is over the default auth_jwt_max_size and refused before decoding
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => jwks(jwk('rsa'), jwk('rsa-b'), jwk('p256'))]]
--- config
large_client_header_buffers 4 128k;
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role alg=$http_x_alg\n";
}
location /api/ {
    auth_jwt "api";
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_set_header X-Alg $jwt_header_alg;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{kid_64k})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Malformed token"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token"}}
--- error_log eval
["auth_jwt: refused: token too large (INVALID_CREDENTIALS), iss: \"\", token: " . fp($::T{kid_64k})]
--- no_error_log eval
[$::T{kid_64k}]



=== TEST 49: a token whose kid is an array is refused as a malformed header
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => jwks(jwk('rsa'), jwk('rsa-b'), jwk('p256'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{kid_array})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Malformed token header"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token header"}}
--- error_log eval
["auth_jwt: refused: kid is not a string (INVALID_CREDENTIALS), iss: \"\", token: " . fp($::T{kid_array})]
--- no_error_log eval
[$::T{kid_array}]



=== TEST 50: a token whose kid carries CR LF is refused as a malformed header, the kid never reaching the log
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => jwks(jwk('rsa'), jwk('rsa-b'), jwk('p256'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{kid_crlf})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Malformed token header"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token header"}}
--- error_log eval
["auth_jwt: refused: control character or deep nesting in token header (INVALID_CREDENTIALS), iss: \"\", token: " . fp($::T{kid_crlf})]
--- no_error_log eval
[$::T{kid_crlf}]
--- no_error_log
X-Injected



=== TEST 51: a token whose kid is "../rsa" is refused: a kid is never a path
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => jwks(jwk('rsa'), jwk('rsa-b'), jwk('p256'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{kid_dotdot})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="No matching key"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"No matching key"}}
--- error_log eval
["auth_jwt: refused: no key with this kid (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{kid_dotdot})]
--- no_error_log eval
[$::T{kid_dotdot}]



=== TEST 52: a token signed by an attacker whose kid is the path of the attacker's public key file is refused
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => jwks(jwk('rsa'), jwk('rsa-b'), jwk('p256'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{kid_path})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="No matching key"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"No matching key"}}
--- error_log eval
["auth_jwt: refused: no key with this kid (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{kid_path})]
--- no_error_log eval
[$::T{kid_path}]



=== TEST 53: issuer B's own token verifies with B's key next to issuer A
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks;
auth_jwt_issuer https://b.example key_file=$TEST_NGINX_KEYS/rsa-b.jwks;
--- request
GET /api/items
--- more_headers eval
bearer($::T{b_own})
--- error_code: 200
--- response_body
user=user-42 role=user alg=RS256
--- no_error_log
auth_jwt: refused



=== TEST 54: a token of issuer B signed with issuer A's key and naming A's kid is refused: A's keys never verify B's tokens
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks;
auth_jwt_issuer https://b.example key_file=$TEST_NGINX_KEYS/rsa-b.jwks;
--- request
GET /api/items
--- more_headers eval
bearer($::T{b_with_a_kid})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="No matching key"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"No matching key"}}
--- error_log eval
["auth_jwt: refused: no key with this kid (INVALID_CREDENTIALS), iss: \"https://b.example\", token: " . fp($::T{b_with_a_kid})]
--- no_error_log eval
[$::T{b_with_a_kid}]



=== TEST 55: a token of issuer B signed with issuer A's key and no kid is a Bad signature under B's key
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks;
auth_jwt_issuer https://b.example key_file=$TEST_NGINX_KEYS/rsa-b.jwks;
--- request
GET /api/items
--- more_headers eval
bearer($::T{b_with_a_nokid})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: \"https://b.example\", token: " . fp($::T{b_with_a_nokid})]
--- no_error_log eval
[$::T{b_with_a_nokid}]



=== TEST 56: a token of issuer A signed with issuer B's key and naming B's kid is refused
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks;
auth_jwt_issuer https://b.example key_file=$TEST_NGINX_KEYS/rsa-b.jwks;
--- request
GET /api/items
--- more_headers eval
bearer($::T{a_with_b_kid})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="No matching key"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"No matching key"}}
--- error_log eval
["auth_jwt: refused: no key with this kid (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{a_with_b_kid})]
--- no_error_log eval
[$::T{a_with_b_kid}]



=== TEST 57: jku, x5u, jwk and x5c pointing at an attacker's key are ignored: the token verifies with the configured key
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks;
--- request
GET /api/items
--- more_headers eval
bearer($::T{urls_ignored})
--- error_code: 200
--- response_body
user=user-42 role=user alg=RS256
--- no_error_log
auth_jwt: refused



=== TEST 58: a token signed by an attacker key embedded in its own jwk header is a Bad signature
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks;
--- request
GET /api/items
--- more_headers eval
bearer($::T{jwk_attacker})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{jwk_attacker})]
--- no_error_log eval
[$::T{jwk_attacker}]



=== TEST 59: a token signed by an attacker key embedded in its jwk header and named by its kid is refused
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks;
--- request
GET /api/items
--- more_headers eval
bearer($::T{jwk_attacker_kid})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="No matching key"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"No matching key"}}
--- error_log eval
["auth_jwt: refused: no key with this kid (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{jwk_attacker_kid})]
--- no_error_log eval
[$::T{jwk_attacker_kid}]



=== TEST 60: a token signed by an attacker key whose certificate is in x5c is a Bad signature
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks;
--- request
GET /api/items
--- more_headers eval
bearer($::T{x5c_attacker})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{x5c_attacker})]
--- no_error_log eval
[$::T{x5c_attacker}]



=== TEST 61: a token signed by an attacker key published at its jku and x5u is a Bad signature under the configured key
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks;
--- request
GET /api/items
--- more_headers eval
bearer($::T{jku_attacker})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{jku_attacker})]
--- no_error_log eval
[$::T{jku_attacker}]



=== TEST 62: an issuer key_file in PEM (SPKI) verifies an RS256 token without kid
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.pub.pem;
--- request
GET /api/items
--- more_headers eval
bearer($::T{pem_rs})
--- error_code: 200
--- response_body
user=user-42 role=user alg=RS256
--- no_error_log
auth_jwt: refused



=== TEST 63: a PEM key has no kid: a token naming a kid is refused by a PEM key file
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.pub.pem;
--- request
GET /api/items
--- more_headers eval
bearer($::T{pem_rs_kid})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="No matching key"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"No matching key"}}
--- error_log eval
["auth_jwt: refused: no key with this kid (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{pem_rs_kid})]
--- no_error_log eval
[$::T{pem_rs_kid}]



=== TEST 64: an issuer key_file holding an X.509 certificate verifies with the certificate's RSA key
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.crt;
--- request
GET /api/items
--- more_headers eval
bearer($::T{pem_rs})
--- error_code: 200
--- response_body
user=user-42 role=user alg=RS256
--- no_error_log
auth_jwt: refused



=== TEST 65: an issuer key_file holding an X.509 certificate of a P-256 key verifies an ES256 token
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/p256.crt;
--- request
GET /api/items
--- more_headers eval
bearer($::T{crt_es})
--- error_code: 200
--- response_body
user=user-42 role=user alg=ES256
--- no_error_log
auth_jwt: refused



=== TEST 66: a PEM bundle of RSA, P-256 and Ed25519 public keys verifies an EdDSA token with the one key that fits
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/bundle.pem;
--- user_files eval
[['bundle.pem' => key_text('rsa.pub.pem') . key_text('p256.pub.pem') . key_text('ed25519.pub.pem')]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{bundle_ed})
--- error_code: 200
--- response_body
user=user-42 role=user alg=EdDSA
--- no_error_log
auth_jwt: refused



=== TEST 67: auth_jwt_key_file with the pem format verifies an RS256 token of no configured issuer
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role alg=$http_x_alg\n";
}
location /api/ {
    auth_jwt "api";
    auth_jwt_key_file $TEST_NGINX_KEYS/rsa.pub.pem pem;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_set_header X-Alg $jwt_header_alg;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{pem_rs})
--- error_code: 200
--- response_body
user=user-42 role=user alg=RS256
--- no_error_log
auth_jwt: refused



=== TEST 68: a JWK Set file starting with white space (a blank line) is read as JSON and verifies
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => "\n  " . jwks(jwk('rsa'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{good})
--- error_code: 200
--- response_body
user=user-42 role=user alg=RS256
--- no_error_log
auth_jwt: refused



=== TEST 69: a key file holding a single JWK rather than a set verifies
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/key.jwk;
--- user_files eval
[['key.jwk' => JSON::PP->new->encode(jwk('p384'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{single_jwk})
--- error_code: 200
--- response_body
user=user-42 role=user alg=ES384
--- no_error_log
auth_jwt: refused



=== TEST 70: a key file whose two entries share a kid stops nginx even when one of them is unusable and skipped
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => jwks(jwk('rsa'), jwk('rsa-b', kid => 'rsa', e => b64u("\x01")))]]
--- request
GET /api/items
--- must_die
--- error_log
keys.jwks": duplicate kid

