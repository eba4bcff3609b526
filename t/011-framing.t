use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use JWTTest;
$ENV{KALAMDB_JWT_SECRET} = $JWTTest::SECRET;
no_shuffle(); repeat_each(1);

# at debug level nginx itself logs every request header, Authorization too
log_level('info');

my $B64 = join '', 'A' .. 'Z', 'a' .. 'z', '0' .. '9', '-', '_';

# the same 6 data bits with a non-zero unused low bit: a lax decoder
# reads it as the original character
sub bump_last {
    my ($s) = @_;
    my $c = substr $s, -1;
    return substr($s, 0, -1) . substr($B64, index($B64, $c) + 1, 1);
}

my $good = mint();
my ($h, $p, $s) = split /\./, $good;

# a payload whose encoding ends in a partial group (unused bits exist)
my $pj = cjson();
$pj = cjson(pad => 'x') if length($pj) % 3 == 0;

our %T = (
    good          => $good,
    spaced        => "$h.$p.$s extra",
    two_segments  => "$h.$p",
    empty_sig     => "$h.$p.",
    trailing_dot  => "$h.$p.$s.",
    empty_header  => ".$p.$s",
    empty_payload => "$h..$s",
    four_segments => "$h.$p.$s.$s",
    five_segments => "$h.$p.$s.$s.$s",
    many_dots     => ('a.' x 3000) . 'a',
    plus          => "$h.$p.+" . substr($s, 1),
    slash         => "$h.$p./" . substr($s, 1),
    padded        => "$good=",
    non_ascii     => "$h.$p\xc3\xa9.$s",
    json_serial   => qq({"payload":"$p","protected":"$h","signature":"$s"}),
    sig_1mod4     => "$h.$p." . substr($s, 0, 41),
    sig_bits      => "$h.$p." . bump_last($s),
    header_1mod4  => seal("${h}A", $p),
    payload_bits  => seal($h, bump_last(b64u($pj))),
    sig_short     => "$h.$p." . b64u(substr(hs_sign('HS256', "$h.$p"), 0, 31)),
    sig_long      => "$h.$p." . b64u(hs_sign('HS256', "$h.$p") . "\0"),
    size_1k       => mint_len(1024),
    size_1k_over  => mint_len(1025),
    size_8k       => mint_len(8192),
    size_8k_over  => mint_len(8193),
);

our $default_config = <<'_EOC_';
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    proxy_set_header X-User $jwt_user;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
_EOC_

our $default_http_config = <<'_EOC_';
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
_EOC_

block_defaults(config => $default_config, http_config => $default_http_config);

run_tests();

__DATA__

=== TEST 1: Basic credentials on a protected location are refused with a pointer to the login endpoint and are not logged
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers
Authorization: Basic YWxpY2U6czNjcjN0LXBhc3N3b3Jk
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"User/password credentials are only accepted by the login endpoint; send a Bearer token"}}
--- error_log
auth_jwt: refused: Basic credentials on a bearer-protected location (INVALID_CREDENTIALS)
--- no_error_log
YWxpY2U6czNjcjN0LXBhc3N3b3Jk



=== TEST 2: an authorization scheme other than Bearer or Basic is refused as unsupported
--- request
GET /api/items
--- more_headers
Authorization: Digest username="alice", response="6629fae49393a05397450978507c4ef1"
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Unsupported authorization scheme"}}
--- error_log
auth_jwt: refused: Authorization scheme is not Bearer (INVALID_CREDENTIALS)
--- no_error_log
6629fae49393a05397450978507c4ef1



=== TEST 3: "Bearer" with nothing after it is a malformed request (400 invalid_request)
--- request
GET /api/items
--- more_headers
Authorization: Bearer
--- error_code: 400
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_request", error_description="Malformed Authorization header"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed Authorization header"}}
--- error_log
auth_jwt: refused: malformed Authorization header (INVALID_CREDENTIALS)



=== TEST 4: two spaces between "Bearer" and the token are a malformed request
--- request
GET /api/items
--- more_headers eval
"Authorization: Bearer  $::T{good}\n"
--- error_code: 400
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_request", error_description="Malformed Authorization header"
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed Authorization header"}}
--- no_error_log eval
[$::T{good}]



=== TEST 5: a tab instead of the space after "Bearer" is a malformed request
--- request
GET /api/items
--- more_headers eval
"Authorization: Bearer\t$::T{good}\n"
--- error_code: 400
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_request", error_description="Malformed Authorization header"
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed Authorization header"}}
--- no_error_log eval
[$::T{good}]



=== TEST 6: a token containing a space is a malformed request and the header value is not logged
--- request
GET /api/items
--- more_headers eval
bearer($::T{spaced})
--- error_code: 400
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_request", error_description="Malformed Authorization header"
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed Authorization header"}}
--- error_log
auth_jwt: refused: malformed Authorization header (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{spaced}, (split / /, $::T{spaced})[0]]



=== TEST 7: the scheme is case-insensitive: "bearer" in lower case is accepted
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
"Authorization: bearer " . mint() . "\n"
--- error_code: 200
--- response_body
user=user-42 role=user



=== TEST 8: the scheme is case-insensitive: "BEARER" in upper case is accepted
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
"Authorization: BEARER " . mint() . "\n"
--- error_code: 200
--- response_body
user=user-42 role=user



=== TEST 9: two Authorization headers are answered 400 by nginx before any token is looked at
--- request
GET /api/items
--- more_headers eval
bearer(mint()) . bearer(mint(sub => 'admin'))
--- error_code: 400



=== TEST 10: a token of two segments is malformed and logged by its fingerprint
--- request
GET /api/items
--- more_headers eval
bearer($::T{two_segments})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Malformed token"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token"}}
--- error_log eval
"auth_jwt: refused: token does not have three segments (INVALID_CREDENTIALS), iss: \"\", token: " . fp($::T{two_segments})
--- no_error_log eval
[$::T{two_segments}]



=== TEST 11: a token with an empty signature segment ("h.p.") is malformed
--- request
GET /api/items
--- more_headers eval
bearer($::T{empty_sig})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Malformed token"
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token"}}
--- error_log
auth_jwt: refused: empty token segment (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{empty_sig}]



=== TEST 12: a valid token with a trailing dot ("h.p.s.") is malformed
--- request
GET /api/items
--- more_headers eval
bearer($::T{trailing_dot})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token"}}
--- error_log
auth_jwt: refused: token does not have three segments (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{trailing_dot}]



=== TEST 13: a token with an empty header segment (".p.s") is malformed
--- request
GET /api/items
--- more_headers eval
bearer($::T{empty_header})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token"}}
--- error_log
auth_jwt: refused: empty token segment (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{empty_header}]



=== TEST 14: a token with an empty payload segment ("h..s") is malformed
--- request
GET /api/items
--- more_headers eval
bearer($::T{empty_payload})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token"}}
--- error_log
auth_jwt: refused: empty token segment (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{empty_payload}]



=== TEST 15: a token of four segments is malformed
--- request
GET /api/items
--- more_headers eval
bearer($::T{four_segments})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token"}}
--- error_log
auth_jwt: refused: token does not have three segments (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{four_segments}]



=== TEST 16: a token of five segments (compact JWE) is an unsupported token type
--- request
GET /api/items
--- more_headers eval
bearer($::T{five_segments})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Unsupported token type"
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Unsupported token type"}}
--- error_log
auth_jwt: refused: JWE tokens are not supported (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{five_segments}]



=== TEST 17: a token of three thousand dots is refused as malformed in one pass
--- request
GET /api/items
--- more_headers eval
bearer($::T{many_dots})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token"}}
--- error_log
auth_jwt: refused: token does not have three segments (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{many_dots}]



=== TEST 18: a "+" (base64, not base64url) in a segment is an invalid character, logged by fingerprint
--- request
GET /api/items
--- more_headers eval
bearer($::T{plus})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Malformed token"
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token"}}
--- error_log eval
"auth_jwt: refused: invalid character in token (INVALID_CREDENTIALS), iss: \"\", token: " . fp($::T{plus})
--- no_error_log eval
[$::T{plus}]



=== TEST 19: a "/" in a segment is an invalid character
--- request
GET /api/items
--- more_headers eval
bearer($::T{slash})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token"}}
--- error_log
auth_jwt: refused: invalid character in token (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{slash}]



=== TEST 20: "=" padding after a valid token is an invalid character
--- request
GET /api/items
--- more_headers eval
bearer($::T{padded})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token"}}
--- error_log
auth_jwt: refused: invalid character in token (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{padded}]



=== TEST 21: a non-ASCII byte in a segment is an invalid character
--- request
GET /api/items
--- more_headers eval
bearer($::T{non_ascii})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token"}}
--- error_log
auth_jwt: refused: invalid character in token (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{non_ascii}]



=== TEST 22: a JWS in JSON serialisation is not a compact token and is refused as malformed
--- request
GET /api/items
--- more_headers eval
bearer($::T{json_serial})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token"}}
--- error_log
auth_jwt: refused: invalid character in token (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{json_serial}]



=== TEST 23: a signature segment whose length is 1 mod 4 is malformed, and the log names the token's issuer intact
--- request
GET /api/items
--- more_headers eval
bearer($::T{sig_1mod4})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Malformed token"
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token"}}
--- error_log eval
qr/auth_jwt: refused: token signature is not base64url \(INVALID_CREDENTIALS\), iss: "(?:kalamdb)?", token: \Q${\ fp($::T{sig_1mod4})}\E, client: /
--- no_error_log eval
[$::T{sig_1mod4}]



=== TEST 24: a signature whose last character has non-zero unused bits is refused, so one signature never has two encodings
--- request
GET /api/items
--- more_headers eval
bearer($::T{sig_bits})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token"}}
--- error_log
auth_jwt: refused: token signature is not base64url (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{sig_bits}]



=== TEST 25: a header segment whose length is 1 mod 4 is not base64url: Malformed token
--- request
GET /api/items
--- more_headers eval
bearer($::T{header_1mod4})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Malformed token"
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token"}}
--- error_log
auth_jwt: refused: token header is not base64url (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{header_1mod4}]



=== TEST 26: a payload segment with non-zero unused bits, correctly signed over those bytes, is not base64url: Malformed token
--- request
GET /api/items
--- more_headers eval
bearer($::T{payload_bits})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Malformed token"
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token"}}
--- error_log
auth_jwt: refused: token payload is not base64url (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{payload_bits}]



=== TEST 27: an HMAC tag truncated to 31 bytes is a Bad signature
--- request
GET /api/items
--- more_headers eval
bearer($::T{sig_short})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Bad signature"
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log
auth_jwt: refused: signature length is wrong (INVALID_CREDENTIALS), iss: "kalamdb"
--- no_error_log eval
[$::T{sig_short}]



=== TEST 28: an HMAC tag extended by one byte is a Bad signature
--- request
GET /api/items
--- more_headers eval
bearer($::T{sig_long})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log
auth_jwt: refused: signature length is wrong (INVALID_CREDENTIALS), iss: "kalamdb"
--- no_error_log eval
[$::T{sig_long}]



=== TEST 29: a valid token of exactly auth_jwt_max_size (1k) bytes is accepted
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    auth_jwt_max_size 1k;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{size_1k})
--- error_code: 200
--- response_body
user=user-42 role=user



=== TEST 30: a valid token one byte over auth_jwt_max_size (1k) is refused before decoding
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    auth_jwt_max_size 1k;
    proxy_set_header X-User $jwt_user;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{size_1k_over})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Malformed token"
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token"}}
--- error_log eval
"auth_jwt: refused: token too large (INVALID_CREDENTIALS), iss: \"\", token: " . fp($::T{size_1k_over})
--- no_error_log eval
[$::T{size_1k_over}]



=== TEST 31: without auth_jwt_max_size a valid token of 8192 bytes is accepted
--- config
large_client_header_buffers 4 16k;
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{size_8k})
--- error_code: 200
--- response_body
user=user-42 role=user



=== TEST 32: without auth_jwt_max_size a valid token of 8193 bytes is over the 8k default and refused
--- config
large_client_header_buffers 4 16k;
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    proxy_set_header X-User $jwt_user;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{size_8k_over})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token"}}
--- error_log
auth_jwt: refused: token too large (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{size_8k_over}]
