use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use JWTTest;
use JWTKeys;
use Crypt::PK::RSA ();
use File::Temp ();
use Math::BigInt;
use MIME::Base64 qw(decode_base64 decode_base64url);
no_shuffle(); repeat_each(1);

# CPAN's Test::Nginx does not export this one itself
$ENV{TEST_NGINX_HTML_DIR} ||= html_dir();

# Every JOSE signature algorithm through nginx: a valid token and the same
# token with one signature byte changed; keys whose kty, crv, alg, use or
# key_ops do not fit the token; HS/RS confusion with the issuer's public
# key in every encoding; and signature bytes that must never verify.

# at debug level nginx itself logs every request header, Authorization too
log_level('info');

# the test-only keys of t/keys (see t/keys/README), as an absolute path:
# "key_file=$TEST_NGINX_KEYS/rsa.jwks"
$ENV{TEST_NGINX_KEYS} = $JWTKeys::KEYS;

my $ISS = 'https://idp.example';

# tok(alg, key, claim => value, ..., -header => {...}): a valid token of
# $ISS signed with t/keys/<key>.pem; its kid names the key unless -header
# says otherwise.  Crypt::JWT mints all but Ed448 and the RFC 9864 names.
sub tok {
    my ($alg, $key, %a) = @_;
    my $hdr = delete $a{-header} // { kid => $key };
    return pk_mint(iss => $ISS, %a, -alg => $alg, -key => $key,
                   -header => $hdr);
}

# a token of $ISS whose signature segment is replaced by the bytes given
sub with_sig {
    my ($token, $sig) = @_;
    my ($h, $p) = split /\./, $token;
    return "$h.$p." . b64u($sig);
}

sub sig_of { decode_base64url((split /\./, $_[0])[2]) }

# big-endian bytes <-> Math::BigInt, padded to $len bytes
sub int_of   { Math::BigInt->from_bytes($_[0]) }
sub bytes_of {
    my ($n, $len) = @_;
    my $b = $n->copy->to_bytes;
    return ("\0" x ($len - length $b)) . $b;
}

my $claims = cjson(iss => $ISS);

# the issuer's RSA public key in every encoding an HS/RS confusion
# attacker may try as the HMAC secret
my $pem      = key_text('rsa.pub.pem');
(my $pem_nonl = $pem) =~ s/\n\z//;
my $der      = decode_base64(join '', grep { !/-----/ } split /\n/, $pem);
my $modulus  = decode_base64url(jwk('rsa')->{n});
my $jwk_text = key_text('rsa.jwks');
my $hs_hdr   = '{"alg":"HS256","kid":"rsa","typ":"JWT"}';

# ECDSA: one P-256 signature and the order n of the curve
my $es256    = tok('ES256', 'p256');
my $es_sig   = sig_of($es256);
my ($es_r, $es_s) = (substr($es_sig, 0, 32), substr($es_sig, 32));
my $p256_n   = Math::BigInt->from_hex('FFFFFFFF00000000FFFFFFFFFFFFFFFF'
                                      . 'BCE6FAADA7179E84F3B9CAC2FC632551');

# the DER form OpenSSL itself produces: SEQUENCE { INTEGER r, INTEGER s }
sub der_int {
    my $v = $_[0] =~ s/\A\0+//r;
    $v = "\0$v" if ord($v) & 0x80;
    return "\x02" . chr(length $v) . $v;
}
my $es_der = der_int($es_r) . der_int($es_s);
$es_der = "\x30" . chr(length $es_der) . $es_der;

# RSA: a signature whose first octet is zero, found by varying a claim
my $rs_lz;
for my $i (1 .. 5000) {
    my $t = tok('RS256', 'rsa', jti => "lz-$i");
    if (substr(sig_of($t), 0, 1) eq "\0") { $rs_lz = $t; last }
}
die "no RS256 signature with a leading zero octet\n" unless $rs_lz;
my $rsa_n = int_of($modulus);

# EdDSA: S + L, the same signature with a non-canonical S (RFC 8032 5.1.7)
my $ed    = tok('EdDSA', 'ed25519');
my $ed_s  = sig_of($ed);
my $ed_L  = Math::BigInt->new(2)->bpow(252)
                ->badd('27742317777372353535851937790883648493');
my $ed_sl = substr($ed_s, 0, 32)
          . reverse(bytes_of(int_of(scalar reverse substr($ed_s, 32))
                             ->badd($ed_L), 32));

# RSA-PSS: the right hash, but a 20-byte salt; MGF1 with SHA-1
my $ps_input = b64u('{"alg":"PS256","kid":"rsa"}') . '.' . b64u($claims);
my $ps_salt20 = $ps_input . '.' . b64u(Crypt::PK::RSA->new(key_path('rsa.pem'))
                              ->sign_message($ps_input, 'SHA256', 'pss', 20));
my $ps_mgf1 = do {
    my $tmp = File::Temp->new;
    print $tmp $ps_input;
    close $tmp;
    my $k = key_path('rsa.pem');
    my $sig = `openssl dgst -sha256 -sign '$k' -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 -sigopt rsa_mgf1_md:sha1 '$tmp'`;
    die "openssl dgst failed\n" if $? || length $sig != 256;
    "$ps_input." . b64u($sig);
};

our %T;

for my $c (['RS256', 'rsa'], ['RS384', 'rsa'], ['RS512', 'rsa'],
           ['PS256', 'rsa'], ['PS384', 'rsa'], ['PS512', 'rsa'],
           ['ES256', 'p256'], ['ES384', 'p384'], ['ES512', 'p521'],
           ['EdDSA', 'ed25519'], ['EdDSA', 'ed448'],
           ['Ed25519', 'ed25519'], ['Ed448', 'ed448'])
{
    my ($alg, $key) = @$c;
    my $name = lc($alg eq 'EdDSA' ? "eddsa_$key" : $alg);
    $T{$name} = tok($alg, $key);
    $T{"${name}_flipped"} = flip_sig($T{$name});
}

%T = (%T,
    rs_and_ps_rs    => tok('RS256', 'rsa'),
    rs_and_ps_ps    => tok('PS512', 'rsa'),

    ps_vs_rs_key    => tok('PS256', 'rsa'),
    rs_vs_ps_key    => tok('RS256', 'rsa'),
    ps_vs_rs_nokid  => tok('PS256', 'rsa', -header => {}),
    ps_vs_rs_only   => tok('PS256', 'rsa'),
    es256_vs_p384   => tok('ES256', 'p256', -header => { kid => 'p384' }),
    es256_vs_p384_nokid => tok('ES256', 'p256', -header => {}),
    es384_vs_p256   => tok('ES384', 'p384', -header => { kid => 'p256' }),
    eddsa_vs_rsa    => tok('EdDSA', 'ed25519', -header => { kid => 'rsa' }),
    rs_vs_ed25519   => tok('RS256', 'rsa', -header => { kid => 'ed25519' }),
    rs_vs_ps_only   => tok('RS256', 'rsa'),
    ed25519_vs_448  => tok('Ed25519', 'ed25519', -header => { kid => 'ed448' }),
    ed448_vs_25519  => tok('Ed448', 'ed448', -header => { kid => 'ed25519' }),
    ed448_as_25519  => tok('EdDSA', 'ed448', -header => { kid => 'ed25519' }),

    hs_pem          => craft($hs_hdr, $claims, 'HS256', $pem),
    hs_pem_nonl     => craft($hs_hdr, $claims, 'HS256', $pem_nonl),
    hs_der          => craft($hs_hdr, $claims, 'HS256', $der),
    hs_modulus      => craft($hs_hdr, $claims, 'HS256', $modulus),
    hs_jwk          => craft($hs_hdr, $claims, 'HS256', $jwk_text),
    hs_empty        => craft($hs_hdr, $claims, 'HS256', ''),

    use_enc         => tok('ES256', 'p256'),
    key_ops_sign    => tok('ES256', 'p256'),
    alg_vs_crv      => tok('ES256', 'p256'),
    crv_vs_coords   => tok('ES256', 'p256'),
    kty_vs_members  => tok('ES256', 'p256'),
    usage_ok        => tok('ES256', 'p256'),

    crit_b64        => pk_craft('{"alg":"RS256","b64":false,"crit":["b64"],"kid":"rsa"}',
                                $claims, 'RS256', 'rsa'),
    crit_alg        => pk_craft('{"alg":"RS256","crit":["alg"],"kid":"rsa"}',
                                $claims, 'RS256', 'rsa'),
    question        => do {
        my ($h, $p, $s) = split /\./, tok('RS256', 'rsa');
        "$h.$p?.$s";
    },

    es_der          => with_sig($es256, $es_der),
    es_short        => with_sig($es256, substr($es_sig, 0, 63)),
    es_long         => with_sig($es256, "$es_sig\0"),
    es_padded       => with_sig($es256, "\0$es_r\0$es_s"),
    es_zero         => with_sig($es256, "\0" x 64),
    es_r_order      => with_sig($es256, bytes_of($p256_n, 32) . $es_s),
    es_s_order      => with_sig($es256, $es_r . bytes_of($p256_n, 32)),
    rs_lz           => $rs_lz,
    rs_lz_stripped  => with_sig($rs_lz, substr(sig_of($rs_lz), 1)),
    rs_zero_prefix  => with_sig($rs_lz, "\0" . sig_of($rs_lz)),
    rs_sig_0        => with_sig($rs_lz, "\0" x 256),
    rs_sig_1        => with_sig($rs_lz, ("\0" x 255) . "\1"),
    rs_sig_n_1      => with_sig($rs_lz, bytes_of($rsa_n->copy->bdec, 256)),
    rs_sig_n        => with_sig($rs_lz, bytes_of($rsa_n, 256)),
    ps_salt20       => $ps_salt20,
    ps_mgf1_sha1    => $ps_mgf1,
    ed_short        => with_sig($ed, substr($ed_s, 0, 63)),
    ed_long         => with_sig($ed, "$ed_s\0"),
    ed_noncanon     => with_sig($ed, $ed_sl),
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

=== TEST 1: an RS256 token, minted by Crypt::JWT, verifies with the issuer's RSA JWK and the upstream gets the identity
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks algorithms=RS256;
--- request
GET /api/items
--- more_headers eval
bearer($::T{rs256})
--- error_code: 200
--- response_body
user=user-42 role=user alg=RS256
--- no_error_log
auth_jwt: refused



=== TEST 2: an RS256 token with one signature byte changed is refused as Bad signature and nothing reaches the upstream
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks algorithms=RS256;
--- request
GET /api/items
--- more_headers eval
bearer($::T{rs256_flipped})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{rs256_flipped})]
--- no_error_log eval
[$::T{rs256_flipped}]



=== TEST 3: an RS384 token, minted by Crypt::JWT, verifies with the issuer's RSA JWK and the upstream gets the identity
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks algorithms=RS384;
--- request
GET /api/items
--- more_headers eval
bearer($::T{rs384})
--- error_code: 200
--- response_body
user=user-42 role=user alg=RS384
--- no_error_log
auth_jwt: refused



=== TEST 4: an RS384 token with one signature byte changed is refused as Bad signature and nothing reaches the upstream
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks algorithms=RS384;
--- request
GET /api/items
--- more_headers eval
bearer($::T{rs384_flipped})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{rs384_flipped})]
--- no_error_log eval
[$::T{rs384_flipped}]



=== TEST 5: an RS512 token, minted by Crypt::JWT, verifies with the issuer's RSA JWK and the upstream gets the identity
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks algorithms=RS512;
--- request
GET /api/items
--- more_headers eval
bearer($::T{rs512})
--- error_code: 200
--- response_body
user=user-42 role=user alg=RS512
--- no_error_log
auth_jwt: refused



=== TEST 6: an RS512 token with one signature byte changed is refused as Bad signature and nothing reaches the upstream
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks algorithms=RS512;
--- request
GET /api/items
--- more_headers eval
bearer($::T{rs512_flipped})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{rs512_flipped})]
--- no_error_log eval
[$::T{rs512_flipped}]



=== TEST 7: a PS256 token, minted by Crypt::JWT, verifies with the issuer's RSA JWK and the upstream gets the identity
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks algorithms=PS256;
--- request
GET /api/items
--- more_headers eval
bearer($::T{ps256})
--- error_code: 200
--- response_body
user=user-42 role=user alg=PS256
--- no_error_log
auth_jwt: refused



=== TEST 8: a PS256 token with one signature byte changed is refused as Bad signature and nothing reaches the upstream
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks algorithms=PS256;
--- request
GET /api/items
--- more_headers eval
bearer($::T{ps256_flipped})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{ps256_flipped})]
--- no_error_log eval
[$::T{ps256_flipped}]



=== TEST 9: a PS384 token, minted by Crypt::JWT, verifies with the issuer's RSA JWK and the upstream gets the identity
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks algorithms=PS384;
--- request
GET /api/items
--- more_headers eval
bearer($::T{ps384})
--- error_code: 200
--- response_body
user=user-42 role=user alg=PS384
--- no_error_log
auth_jwt: refused



=== TEST 10: a PS384 token with one signature byte changed is refused as Bad signature and nothing reaches the upstream
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks algorithms=PS384;
--- request
GET /api/items
--- more_headers eval
bearer($::T{ps384_flipped})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{ps384_flipped})]
--- no_error_log eval
[$::T{ps384_flipped}]



=== TEST 11: a PS512 token, minted by Crypt::JWT, verifies with the issuer's RSA JWK and the upstream gets the identity
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks algorithms=PS512;
--- request
GET /api/items
--- more_headers eval
bearer($::T{ps512})
--- error_code: 200
--- response_body
user=user-42 role=user alg=PS512
--- no_error_log
auth_jwt: refused



=== TEST 12: a PS512 token with one signature byte changed is refused as Bad signature and nothing reaches the upstream
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks algorithms=PS512;
--- request
GET /api/items
--- more_headers eval
bearer($::T{ps512_flipped})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{ps512_flipped})]
--- no_error_log eval
[$::T{ps512_flipped}]



=== TEST 13: an ES256 token, minted by Crypt::JWT, verifies with the issuer's P-256 JWK and the upstream gets the identity
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/p256.jwks algorithms=ES256;
--- request
GET /api/items
--- more_headers eval
bearer($::T{es256})
--- error_code: 200
--- response_body
user=user-42 role=user alg=ES256
--- no_error_log
auth_jwt: refused



=== TEST 14: an ES256 token with one signature byte changed is refused as Bad signature and nothing reaches the upstream
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/p256.jwks algorithms=ES256;
--- request
GET /api/items
--- more_headers eval
bearer($::T{es256_flipped})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{es256_flipped})]
--- no_error_log eval
[$::T{es256_flipped}]



=== TEST 15: an ES384 token, minted by Crypt::JWT, verifies with the issuer's P-384 JWK and the upstream gets the identity
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/p384.jwks algorithms=ES384;
--- request
GET /api/items
--- more_headers eval
bearer($::T{es384})
--- error_code: 200
--- response_body
user=user-42 role=user alg=ES384
--- no_error_log
auth_jwt: refused



=== TEST 16: an ES384 token with one signature byte changed is refused as Bad signature and nothing reaches the upstream
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/p384.jwks algorithms=ES384;
--- request
GET /api/items
--- more_headers eval
bearer($::T{es384_flipped})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{es384_flipped})]
--- no_error_log eval
[$::T{es384_flipped}]



=== TEST 17: an ES512 token, minted by Crypt::JWT, verifies with the issuer's P-521 JWK and the upstream gets the identity
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/p521.jwks algorithms=ES512;
--- request
GET /api/items
--- more_headers eval
bearer($::T{es512})
--- error_code: 200
--- response_body
user=user-42 role=user alg=ES512
--- no_error_log
auth_jwt: refused



=== TEST 18: an ES512 token with one signature byte changed is refused as Bad signature and nothing reaches the upstream
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/p521.jwks algorithms=ES512;
--- request
GET /api/items
--- more_headers eval
bearer($::T{es512_flipped})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{es512_flipped})]
--- no_error_log eval
[$::T{es512_flipped}]



=== TEST 19: an EdDSA token of an Ed25519 key, minted by Crypt::JWT, verifies with the issuer's Ed25519 JWK and the upstream gets the identity
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/ed25519.jwks algorithms=EdDSA;
--- request
GET /api/items
--- more_headers eval
bearer($::T{eddsa_ed25519})
--- error_code: 200
--- response_body
user=user-42 role=user alg=EdDSA
--- no_error_log
auth_jwt: refused



=== TEST 20: an EdDSA token of an Ed25519 key with one signature byte changed is refused as Bad signature and nothing reaches the upstream
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/ed25519.jwks algorithms=EdDSA;
--- request
GET /api/items
--- more_headers eval
bearer($::T{eddsa_ed25519_flipped})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{eddsa_ed25519_flipped})]
--- no_error_log eval
[$::T{eddsa_ed25519_flipped}]



=== TEST 21: an EdDSA token of an Ed448 key, signed with openssl pkeyutl, verifies with the issuer's Ed448 JWK and the upstream gets the identity
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/ed448.jwks algorithms=EdDSA;
--- request
GET /api/items
--- more_headers eval
bearer($::T{eddsa_ed448})
--- error_code: 200
--- response_body
user=user-42 role=user alg=EdDSA
--- no_error_log
auth_jwt: refused



=== TEST 22: an EdDSA token of an Ed448 key with one signature byte changed is refused as Bad signature and nothing reaches the upstream
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/ed448.jwks algorithms=EdDSA;
--- request
GET /api/items
--- more_headers eval
bearer($::T{eddsa_ed448_flipped})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{eddsa_ed448_flipped})]
--- no_error_log eval
[$::T{eddsa_ed448_flipped}]



=== TEST 23: an Ed25519 token, signed with openssl pkeyutl, verifies with the issuer's Ed25519 JWK and the upstream gets the identity
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/ed25519.jwks algorithms=Ed25519;
--- request
GET /api/items
--- more_headers eval
bearer($::T{ed25519})
--- error_code: 200
--- response_body
user=user-42 role=user alg=Ed25519
--- no_error_log
auth_jwt: refused



=== TEST 24: an Ed25519 token with one signature byte changed is refused as Bad signature and nothing reaches the upstream
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/ed25519.jwks algorithms=Ed25519;
--- request
GET /api/items
--- more_headers eval
bearer($::T{ed25519_flipped})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{ed25519_flipped})]
--- no_error_log eval
[$::T{ed25519_flipped}]



=== TEST 25: an Ed448 token, signed with openssl pkeyutl, verifies with the issuer's Ed448 JWK and the upstream gets the identity
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/ed448.jwks algorithms=Ed448;
--- request
GET /api/items
--- more_headers eval
bearer($::T{ed448})
--- error_code: 200
--- response_body
user=user-42 role=user alg=Ed448
--- no_error_log
auth_jwt: refused



=== TEST 26: an Ed448 token with one signature byte changed is refused as Bad signature and nothing reaches the upstream
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/ed448.jwks algorithms=Ed448;
--- request
GET /api/items
--- more_headers eval
bearer($::T{ed448_flipped})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{ed448_flipped})]
--- no_error_log eval
[$::T{ed448_flipped}]



=== TEST 27: an issuer without algorithms= allows what its RSA key can verify: an RS256 token
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks;
--- request
GET /api/items
--- more_headers eval
bearer($::T{rs_and_ps_rs})
--- error_code: 200
--- response_body
user=user-42 role=user alg=RS256
--- no_error_log
auth_jwt: refused



=== TEST 28: an issuer without algorithms= allows what its RSA key can verify: a PS512 token
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks;
--- request
GET /api/items
--- more_headers eval
bearer($::T{rs_and_ps_ps})
--- error_code: 200
--- response_body
user=user-42 role=user alg=PS512
--- no_error_log
auth_jwt: refused



=== TEST 29: a PS256 token is refused by an RSA key restricted to "alg":"RS256", even when the issuer allows PS256
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/rsa-rs256.jwks algorithms=RS256,PS256;
--- user_files eval
[['rsa-rs256.jwks' => jwks(jwk('rsa', alg => 'RS256'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{ps_vs_rs_key})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="No matching key"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"No matching key"}}
--- error_log eval
["auth_jwt: refused: key does not fit alg (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{ps_vs_rs_key})]
--- no_error_log eval
[$::T{ps_vs_rs_key}]



=== TEST 30: an RS256 token is refused by an RSA key restricted to "alg":"PS256", even when the issuer allows RS256
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/rsa-ps256.jwks algorithms=RS256,PS256;
--- user_files eval
[['rsa-ps256.jwks' => jwks(jwk('rsa', alg => 'PS256'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{rs_vs_ps_key})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="No matching key"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"No matching key"}}
--- error_log eval
["auth_jwt: refused: key does not fit alg (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{rs_vs_ps_key})]
--- no_error_log eval
[$::T{rs_vs_ps_key}]



=== TEST 31: a PS256 token without kid finds no key when the only RSA key is restricted to "alg":"RS256"
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/rsa-rs256.jwks algorithms=RS256,PS256;
--- user_files eval
[['rsa-rs256.jwks' => jwks(jwk('rsa', alg => 'RS256'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{ps_vs_rs_nokid})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="No matching key"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"No matching key"}}
--- error_log eval
["auth_jwt: refused: no key for alg (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{ps_vs_rs_nokid})]
--- no_error_log eval
[$::T{ps_vs_rs_nokid}]



=== TEST 32: without algorithms= an issuer whose only key is "alg":"RS256" does not allow PS256 at all
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/rsa-rs256.jwks;
--- user_files eval
[['rsa-rs256.jwks' => jwks(jwk('rsa', alg => 'RS256'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{ps_vs_rs_only})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Algorithm not allowed"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Algorithm not allowed"}}
--- error_log eval
["auth_jwt: refused: alg not allowed for this issuer (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{ps_vs_rs_only})]
--- no_error_log eval
[$::T{ps_vs_rs_only}]



=== TEST 33: an ES256 token naming the kid of a P-384 key is refused: the curve does not fit the alg
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/p384.jwks algorithms=ES256,ES384;
--- request
GET /api/items
--- more_headers eval
bearer($::T{es256_vs_p384})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="No matching key"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"No matching key"}}
--- error_log eval
["auth_jwt: refused: key does not fit alg (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{es256_vs_p384})]
--- no_error_log eval
[$::T{es256_vs_p384}]



=== TEST 34: an ES256 token without kid finds no key in a set holding only a P-384 key
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/p384.jwks algorithms=ES256,ES384;
--- request
GET /api/items
--- more_headers eval
bearer($::T{es256_vs_p384_nokid})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="No matching key"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"No matching key"}}
--- error_log eval
["auth_jwt: refused: no key for alg (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{es256_vs_p384_nokid})]
--- no_error_log eval
[$::T{es256_vs_p384_nokid}]



=== TEST 35: an ES384 token naming the kid of a P-256 key is refused: the curve does not fit the alg
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/p256.jwks algorithms=ES256,ES384;
--- request
GET /api/items
--- more_headers eval
bearer($::T{es384_vs_p256})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="No matching key"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"No matching key"}}
--- error_log eval
["auth_jwt: refused: key does not fit alg (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{es384_vs_p256})]
--- no_error_log eval
[$::T{es384_vs_p256}]



=== TEST 36: an EdDSA token naming the kid of an RSA key is refused even when the issuer allows EdDSA
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks algorithms=RS256,EdDSA;
--- request
GET /api/items
--- more_headers eval
bearer($::T{eddsa_vs_rsa})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="No matching key"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"No matching key"}}
--- error_log eval
["auth_jwt: refused: key does not fit alg (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{eddsa_vs_rsa})]
--- no_error_log eval
[$::T{eddsa_vs_rsa}]



=== TEST 37: an RS256 token naming the kid of an Ed25519 key is refused even when the issuer allows RS256
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/ed25519.jwks algorithms=EdDSA,RS256;
--- request
GET /api/items
--- more_headers eval
bearer($::T{rs_vs_ed25519})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="No matching key"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"No matching key"}}
--- error_log eval
["auth_jwt: refused: key does not fit alg (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{rs_vs_ed25519})]
--- no_error_log eval
[$::T{rs_vs_ed25519}]



=== TEST 38: a correctly signed RS256 token is refused by an issuer that allows only PS256
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks algorithms=PS256;
--- request
GET /api/items
--- more_headers eval
bearer($::T{rs_vs_ps_only})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Algorithm not allowed"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Algorithm not allowed"}}
--- error_log eval
["auth_jwt: refused: alg not allowed for this issuer (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{rs_vs_ps_only})]
--- no_error_log eval
[$::T{rs_vs_ps_only}]



=== TEST 39: a correctly signed PS256 token is refused by an issuer that allows only RS256
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks algorithms=RS256;
--- request
GET /api/items
--- more_headers eval
bearer($::T{ps256})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Algorithm not allowed"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Algorithm not allowed"}}
--- error_log eval
["auth_jwt: refused: alg not allowed for this issuer (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{ps256})]
--- no_error_log eval
[$::T{ps256}]



=== TEST 40: an "Ed25519" token naming the kid of an Ed448 key is refused: RFC 9864 names fix the curve
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/ed448.jwks algorithms=Ed25519,Ed448;
--- request
GET /api/items
--- more_headers eval
bearer($::T{ed25519_vs_448})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="No matching key"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"No matching key"}}
--- error_log eval
["auth_jwt: refused: key does not fit alg (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{ed25519_vs_448})]
--- no_error_log eval
[$::T{ed25519_vs_448}]



=== TEST 41: an "Ed448" token naming the kid of an Ed25519 key is refused: RFC 9864 names fix the curve
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/ed25519.jwks algorithms=Ed25519,Ed448;
--- request
GET /api/items
--- more_headers eval
bearer($::T{ed448_vs_25519})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="No matching key"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"No matching key"}}
--- error_log eval
["auth_jwt: refused: key does not fit alg (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{ed448_vs_25519})]
--- no_error_log eval
[$::T{ed448_vs_25519}]



=== TEST 42: an EdDSA token signed by an Ed448 key is refused by the Ed25519 key its kid names (signature length)
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/ed25519.jwks algorithms=EdDSA;
--- request
GET /api/items
--- more_headers eval
bearer($::T{ed448_as_25519})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature length is wrong (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{ed448_as_25519})]
--- no_error_log eval
[$::T{ed448_as_25519}]



=== TEST 43: an HS256 token whose HMAC key is the issuer's RSA public key as its SPKI PEM text with the trailing newline is refused: a key_file issuer never allows HS*
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks;
--- request
GET /api/items
--- more_headers eval
bearer($::T{hs_pem})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Algorithm not allowed"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Algorithm not allowed"}}
--- error_log eval
["auth_jwt: refused: alg not allowed for this issuer (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{hs_pem})]
--- no_error_log eval
[$::T{hs_pem}]



=== TEST 44: an HS256 token whose HMAC key is the issuer's RSA public key as its SPKI PEM text without the trailing newline is refused: a key_file issuer never allows HS*
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks;
--- request
GET /api/items
--- more_headers eval
bearer($::T{hs_pem_nonl})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Algorithm not allowed"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Algorithm not allowed"}}
--- error_log eval
["auth_jwt: refused: alg not allowed for this issuer (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{hs_pem_nonl})]
--- no_error_log eval
[$::T{hs_pem_nonl}]



=== TEST 45: an HS256 token whose HMAC key is the issuer's RSA public key as its DER (SPKI) bytes is refused: a key_file issuer never allows HS*
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks;
--- request
GET /api/items
--- more_headers eval
bearer($::T{hs_der})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Algorithm not allowed"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Algorithm not allowed"}}
--- error_log eval
["auth_jwt: refused: alg not allowed for this issuer (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{hs_der})]
--- no_error_log eval
[$::T{hs_der}]



=== TEST 46: an HS256 token whose HMAC key is the issuer's RSA public key as its modulus bytes is refused: a key_file issuer never allows HS*
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks;
--- request
GET /api/items
--- more_headers eval
bearer($::T{hs_modulus})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Algorithm not allowed"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Algorithm not allowed"}}
--- error_log eval
["auth_jwt: refused: alg not allowed for this issuer (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{hs_modulus})]
--- no_error_log eval
[$::T{hs_modulus}]



=== TEST 47: an HS256 token whose HMAC key is the issuer's RSA public key as the text of its JWK Set file is refused: a key_file issuer never allows HS*
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks;
--- request
GET /api/items
--- more_headers eval
bearer($::T{hs_jwk})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Algorithm not allowed"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Algorithm not allowed"}}
--- error_log eval
["auth_jwt: refused: alg not allowed for this issuer (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{hs_jwk})]
--- no_error_log eval
[$::T{hs_jwk}]



=== TEST 48: an HS256 token whose HMAC key is the issuer's RSA public key as the empty string is refused: a key_file issuer never allows HS*
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks;
--- request
GET /api/items
--- more_headers eval
bearer($::T{hs_empty})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Algorithm not allowed"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Algorithm not allowed"}}
--- error_log eval
["auth_jwt: refused: alg not allowed for this issuer (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{hs_empty})]
--- no_error_log eval
[$::T{hs_empty}]



=== TEST 49: an HS256 token whose HMAC key is the RSA public key of auth_jwt_key_file as its SPKI PEM text with the trailing newline is refused: an RSA key never verifies HS*
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role alg=$http_x_alg\n";
}
location /api/ {
    auth_jwt "api";
    auth_jwt_key_file $TEST_NGINX_KEYS/rsa.jwks;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_set_header X-Alg $jwt_header_alg;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{hs_pem})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="No matching key"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"No matching key"}}
--- error_log eval
["auth_jwt: refused: key does not fit alg (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{hs_pem})]
--- no_error_log eval
[$::T{hs_pem}]



=== TEST 50: an HS256 token whose HMAC key is the RSA public key of auth_jwt_key_file as its SPKI PEM text without the trailing newline is refused: an RSA key never verifies HS*
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role alg=$http_x_alg\n";
}
location /api/ {
    auth_jwt "api";
    auth_jwt_key_file $TEST_NGINX_KEYS/rsa.jwks;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_set_header X-Alg $jwt_header_alg;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{hs_pem_nonl})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="No matching key"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"No matching key"}}
--- error_log eval
["auth_jwt: refused: key does not fit alg (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{hs_pem_nonl})]
--- no_error_log eval
[$::T{hs_pem_nonl}]



=== TEST 51: an HS256 token whose HMAC key is the RSA public key of auth_jwt_key_file as its DER (SPKI) bytes is refused: an RSA key never verifies HS*
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role alg=$http_x_alg\n";
}
location /api/ {
    auth_jwt "api";
    auth_jwt_key_file $TEST_NGINX_KEYS/rsa.jwks;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_set_header X-Alg $jwt_header_alg;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{hs_der})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="No matching key"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"No matching key"}}
--- error_log eval
["auth_jwt: refused: key does not fit alg (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{hs_der})]
--- no_error_log eval
[$::T{hs_der}]



=== TEST 52: an HS256 token whose HMAC key is the RSA public key of auth_jwt_key_file as its modulus bytes is refused: an RSA key never verifies HS*
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role alg=$http_x_alg\n";
}
location /api/ {
    auth_jwt "api";
    auth_jwt_key_file $TEST_NGINX_KEYS/rsa.jwks;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_set_header X-Alg $jwt_header_alg;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{hs_modulus})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="No matching key"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"No matching key"}}
--- error_log eval
["auth_jwt: refused: key does not fit alg (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{hs_modulus})]
--- no_error_log eval
[$::T{hs_modulus}]



=== TEST 53: an HS256 token whose HMAC key is the RSA public key of auth_jwt_key_file as the text of its JWK Set file is refused: an RSA key never verifies HS*
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role alg=$http_x_alg\n";
}
location /api/ {
    auth_jwt "api";
    auth_jwt_key_file $TEST_NGINX_KEYS/rsa.jwks;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_set_header X-Alg $jwt_header_alg;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{hs_jwk})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="No matching key"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"No matching key"}}
--- error_log eval
["auth_jwt: refused: key does not fit alg (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{hs_jwk})]
--- no_error_log eval
[$::T{hs_jwk}]



=== TEST 54: an HS256 token whose HMAC key is the RSA public key of auth_jwt_key_file as the empty string is refused: an RSA key never verifies HS*
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role alg=$http_x_alg\n";
}
location /api/ {
    auth_jwt "api";
    auth_jwt_key_file $TEST_NGINX_KEYS/rsa.jwks;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_set_header X-Alg $jwt_header_alg;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{hs_empty})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="No matching key"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"No matching key"}}
--- error_log eval
["auth_jwt: refused: key does not fit alg (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{hs_empty})]
--- no_error_log eval
[$::T{hs_empty}]



=== TEST 55: a key with "use":"enc" is skipped at startup with a warning and an ES256 token naming it is refused
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks algorithms=RS256,ES256;
--- user_files eval
[['keys.jwks' => jwks(jwk('rsa'), jwk('p256', use => 'enc'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{use_enc})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="No matching key"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"No matching key"}}
--- error_log eval
["auth_jwt: refused: no key with this kid (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{use_enc}),
 'key #1 (kid "p256") skipped: use is not sig']
--- no_error_log eval
[$::T{use_enc}]



=== TEST 56: a key whose key_ops lacks "verify" is skipped at startup with a warning and an ES256 token naming it is refused
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks algorithms=RS256,ES256;
--- user_files eval
[['keys.jwks' => jwks(jwk('rsa'), jwk('p256', key_ops => ['sign']))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{key_ops_sign})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="No matching key"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"No matching key"}}
--- error_log eval
["auth_jwt: refused: no key with this kid (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{key_ops_sign}),
 'key #1 (kid "p256") skipped: key_ops does not allow verify']
--- no_error_log eval
[$::T{key_ops_sign}]



=== TEST 57: a P-256 key labelled "alg":"ES384" is skipped at startup with a warning and an ES256 token naming it is refused
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks algorithms=RS256,ES256;
--- user_files eval
[['keys.jwks' => jwks(jwk('rsa'), jwk('p256', alg => 'ES384'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{alg_vs_crv})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="No matching key"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"No matching key"}}
--- error_log eval
["auth_jwt: refused: no key with this kid (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{alg_vs_crv}),
 'key #1 (kid "p256") skipped: alg does not fit key']
--- no_error_log eval
[$::T{alg_vs_crv}]



=== TEST 58: a P-256 key labelled "crv":"P-384" is skipped at startup with a warning and an ES256 token naming it is refused
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks algorithms=RS256,ES256;
--- user_files eval
[['keys.jwks' => jwks(jwk('rsa'), jwk('p256', crv => 'P-384'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{crv_vs_coords})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="No matching key"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"No matching key"}}
--- error_log eval
["auth_jwt: refused: no key with this kid (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{crv_vs_coords}),
 'key #1 (kid "p256") skipped: EC coordinate length does not fit crv']
--- no_error_log eval
[$::T{crv_vs_coords}]



=== TEST 59: an EC key labelled "kty":"RSA" is skipped at startup with a warning and an ES256 token naming it is refused
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks algorithms=RS256,ES256;
--- user_files eval
[['keys.jwks' => jwks(jwk('rsa'), jwk('p256', kty => 'RSA'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{kty_vs_members})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="No matching key"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"No matching key"}}
--- error_log eval
["auth_jwt: refused: no key with this kid (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{kty_vs_members}),
 'key #1 (kid "p256") skipped: RSA n is missing or malformed']
--- no_error_log eval
[$::T{kty_vs_members}]



=== TEST 60: a key with "use":"sig", "key_ops":["verify"] and a fitting "alg" verifies
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_HTML_DIR/keys.jwks;
--- user_files eval
[['keys.jwks' => jwks(jwk('p256', use => 'sig', key_ops => ['verify'], alg => 'ES256'))]]
--- request
GET /api/items
--- more_headers eval
bearer($::T{usage_ok})
--- error_code: 200
--- response_body
user=user-42 role=user alg=ES256
--- no_error_log
auth_jwt: refused



=== TEST 61: a correctly signed RS256 token with crit naming the registered b64 parameter is an unsupported token type
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks algorithms=RS256;
--- request
GET /api/items
--- more_headers eval
bearer($::T{crit_b64})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Unsupported token type"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Unsupported token type"}}
--- error_log eval
["auth_jwt: refused: crit header parameter is not supported (INVALID_CREDENTIALS), iss: \"\", token: " . fp($::T{crit_b64})]
--- no_error_log eval
[$::T{crit_b64}]



=== TEST 62: a correctly signed RS256 token with crit naming alg is an unsupported token type
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks algorithms=RS256;
--- request
GET /api/items
--- more_headers eval
bearer($::T{crit_alg})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Unsupported token type"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Unsupported token type"}}
--- error_log eval
["auth_jwt: refused: crit header parameter is not supported (INVALID_CREDENTIALS), iss: \"\", token: " . fp($::T{crit_alg})]
--- no_error_log eval
[$::T{crit_alg}]



=== TEST 63: a "?" inside an RS256 token is an invalid character, refused before any key is used
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks algorithms=RS256;
--- request
GET /api/items
--- more_headers eval
bearer($::T{question})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Malformed token"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token"}}
--- error_log eval
["auth_jwt: refused: invalid character in token (INVALID_CREDENTIALS), iss: \"\", token: " . fp($::T{question})]
--- no_error_log eval
[$::T{question}]



=== TEST 64: an RS256 token whose signature starts with a zero octet verifies: the signature is exactly the modulus size
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks algorithms=RS256;
--- request
GET /api/items
--- more_headers eval
bearer($::T{rs_lz})
--- error_code: 200
--- response_body
user=user-42 role=user alg=RS256
--- no_error_log
auth_jwt: refused



=== TEST 65: an ES256 signature in DER (as OpenSSL makes it) instead of raw R || S is a Bad signature
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/p256.jwks algorithms=ES256;
--- request
GET /api/items
--- more_headers eval
bearer($::T{es_der})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature length is wrong (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{es_der})]
--- no_error_log eval
[$::T{es_der}]



=== TEST 66: an ES256 signature of 63 bytes is a Bad signature
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/p256.jwks algorithms=ES256;
--- request
GET /api/items
--- more_headers eval
bearer($::T{es_short})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature length is wrong (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{es_short})]
--- no_error_log eval
[$::T{es_short}]



=== TEST 67: an ES256 signature of 65 bytes is a Bad signature
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/p256.jwks algorithms=ES256;
--- request
GET /api/items
--- more_headers eval
bearer($::T{es_long})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature length is wrong (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{es_long})]
--- no_error_log eval
[$::T{es_long}]



=== TEST 68: an ES256 signature whose halves are zero-padded to 33 bytes is a Bad signature
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/p256.jwks algorithms=ES256;
--- request
GET /api/items
--- more_headers eval
bearer($::T{es_padded})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature length is wrong (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{es_padded})]
--- no_error_log eval
[$::T{es_padded}]



=== TEST 69: an ES256 signature with r = s = 0 is a Bad signature
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/p256.jwks algorithms=ES256;
--- request
GET /api/items
--- more_headers eval
bearer($::T{es_zero})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{es_zero})]
--- no_error_log eval
[$::T{es_zero}]



=== TEST 70: an ES256 signature with r equal to the curve order is a Bad signature
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/p256.jwks algorithms=ES256;
--- request
GET /api/items
--- more_headers eval
bearer($::T{es_r_order})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{es_r_order})]
--- no_error_log eval
[$::T{es_r_order}]



=== TEST 71: an ES256 signature with s equal to the curve order is a Bad signature
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/p256.jwks algorithms=ES256;
--- request
GET /api/items
--- more_headers eval
bearer($::T{es_s_order})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{es_s_order})]
--- no_error_log eval
[$::T{es_s_order}]



=== TEST 72: an RS256 signature with its leading zero octet stripped is a Bad signature
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks algorithms=RS256;
--- request
GET /api/items
--- more_headers eval
bearer($::T{rs_lz_stripped})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature length is wrong (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{rs_lz_stripped})]
--- no_error_log eval
[$::T{rs_lz_stripped}]



=== TEST 73: an RS256 signature with a zero octet prepended is a Bad signature
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks algorithms=RS256;
--- request
GET /api/items
--- more_headers eval
bearer($::T{rs_zero_prefix})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature length is wrong (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{rs_zero_prefix})]
--- no_error_log eval
[$::T{rs_zero_prefix}]



=== TEST 74: an RS256 signature of value 0 is a Bad signature
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks algorithms=RS256;
--- request
GET /api/items
--- more_headers eval
bearer($::T{rs_sig_0})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{rs_sig_0})]
--- no_error_log eval
[$::T{rs_sig_0}]



=== TEST 75: an RS256 signature of value 1 is a Bad signature
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks algorithms=RS256;
--- request
GET /api/items
--- more_headers eval
bearer($::T{rs_sig_1})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{rs_sig_1})]
--- no_error_log eval
[$::T{rs_sig_1}]



=== TEST 76: an RS256 signature of value n - 1 is a Bad signature
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks algorithms=RS256;
--- request
GET /api/items
--- more_headers eval
bearer($::T{rs_sig_n_1})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{rs_sig_n_1})]
--- no_error_log eval
[$::T{rs_sig_n_1}]



=== TEST 77: an RS256 signature equal to the modulus n is a Bad signature
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks algorithms=RS256;
--- request
GET /api/items
--- more_headers eval
bearer($::T{rs_sig_n})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{rs_sig_n})]
--- no_error_log eval
[$::T{rs_sig_n}]



=== TEST 78: a PS256 signature with a 20-byte salt instead of 32 is a Bad signature
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks algorithms=PS256;
--- request
GET /api/items
--- more_headers eval
bearer($::T{ps_salt20})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{ps_salt20})]
--- no_error_log eval
[$::T{ps_salt20}]



=== TEST 79: a PS256 signature with MGF1 over SHA-1 is a Bad signature
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/rsa.jwks algorithms=PS256;
--- request
GET /api/items
--- more_headers eval
bearer($::T{ps_mgf1_sha1})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{ps_mgf1_sha1})]
--- no_error_log eval
[$::T{ps_mgf1_sha1}]



=== TEST 80: an Ed25519 signature of 63 bytes is a Bad signature
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/ed25519.jwks algorithms=EdDSA;
--- request
GET /api/items
--- more_headers eval
bearer($::T{ed_short})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature length is wrong (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{ed_short})]
--- no_error_log eval
[$::T{ed_short}]



=== TEST 81: an Ed25519 signature with a byte of garbage appended is a Bad signature
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/ed25519.jwks algorithms=EdDSA;
--- request
GET /api/items
--- more_headers eval
bearer($::T{ed_long})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature length is wrong (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{ed_long})]
--- no_error_log eval
[$::T{ed_long}]



=== TEST 82: an Ed25519 signature with the non-canonical S + L is a Bad signature
--- http_config
auth_jwt_issuer https://idp.example key_file=$TEST_NGINX_KEYS/ed25519.jwks algorithms=EdDSA;
--- request
GET /api/items
--- more_headers eval
bearer($::T{ed_noncanon})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: \"https://idp.example\", token: " . fp($::T{ed_noncanon})]
--- no_error_log eval
[$::T{ed_noncanon}]

