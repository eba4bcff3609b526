use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use JWTTest;
$ENV{KALAMDB_JWT_SECRET} = $JWTTest::SECRET;
no_shuffle(); repeat_each(1);

# at debug level nginx itself logs every request header, Authorization too
log_level('info');

# valid claims: only the header is at fault, and every crafted token
# carries a correct HMAC tag made with the issuer's secret over its bytes
my $c = cjson();

our %T = (
    none          => craft('{"alg":"none"}', $c),
    none_upper    => craft('{"alg":"NONE"}', $c),
    none_mixed    => craft('{"alg":"None"}', $c),
    none_empty    => b64u('{"alg":"none"}') . '.' . b64u($c) . '.',
    alg_missing   => craft('{"typ":"JWT"}', $c),
    alg_null      => craft('{"alg":null}', $c),
    alg_number    => craft('{"alg":256}', $c),
    alg_array     => craft('{"alg":["HS256"]}', $c),
    alg_lower     => craft('{"alg":"hs256"}', $c),
    alg_space     => craft('{"alg":"RS256 "}', $c),
    hs384         => mint(-alg => 'HS384'),
    rs256_hmac    => craft('{"alg":"RS256"}', $c),
    dup_alg       => craft('{"alg":"HS256","alg":"none"}', $c),
    crit          => craft('{"alg":"HS256","crit":["exp"],"exp":1}', $c),
    crit_empty    => craft('{"alg":"HS256","crit":[]}', $c),
    enc           => craft('{"alg":"HS256","enc":"A256GCM"}', $c),
    cty_jwt       => craft('{"alg":"HS256","cty":"JWT"}', $c),
    cty_lower     => craft('{"alg":"HS256","cty":"jwt"}', $c),
    cty_number    => craft('{"alg":"HS256","cty":1}', $c),
    kid_number    => craft('{"alg":"HS256","kid":7}', $c),
    kid_crlf      => craft('{"alg":"HS256","kid":"k1\r\nX-Injected: 1"}', $c),
    urls          => mint(-header => {
                         jku => 'https://evil.example/jwks.json',
                         x5u => 'https://evil.example/cert.pem',
                         jwk => { kty => 'oct', k => b64u($SECRET2) },
                         x5c => ['MIIBszCCAVmgAwIBAgIUJq'],
                     }),
    jwk_other     => mint(-key => $SECRET2, -header => {
                         jwk => { kty => 'oct', k => b64u($SECRET2) },
                     }),
    header_array  => craft('[{"alg":"HS256"}]', $c),
    header_str    => craft('"HS256"', $c),
    header_utf8   => craft(qq({"alg":"HS256","x":"\xff\xfe"}), $c),
    header_trail  => craft('{"alg":"HS256"}x', $c),
    header_deep   => craft('{"alg":"HS256","x":' . ('[' x 20) . (']' x 20)
                           . '}', $c),
    header_deeper => craft('{"alg":"HS256","x":' . ('[' x 2100)
                           . (']' x 2100) . '}', $c),
);

our $default_config = <<'_EOC_';
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
_EOC_

our $default_http_config = <<'_EOC_';
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
_EOC_

block_defaults(config => $default_config, http_config => $default_http_config);

run_tests();

__DATA__

=== TEST 1: alg "none" is refused even with a signature present
--- request
GET /api/items
--- more_headers eval
bearer($::T{none})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Algorithm not allowed"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Algorithm not allowed"}}
--- error_log eval
"auth_jwt: refused: alg none is not allowed (INVALID_CREDENTIALS), iss: \"\", token: " . fp($::T{none})
--- no_error_log eval
[$::T{none}]



=== TEST 2: alg "NONE" is refused as alg none
--- request
GET /api/items
--- more_headers eval
bearer($::T{none_upper})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Algorithm not allowed"}}
--- error_log
auth_jwt: refused: alg none is not allowed (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{none_upper}]



=== TEST 3: alg "None" is refused as alg none
--- request
GET /api/items
--- more_headers eval
bearer($::T{none_mixed})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Algorithm not allowed"}}
--- error_log
auth_jwt: refused: alg none is not allowed (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{none_mixed}]



=== TEST 4: the classic alg "none" token with an empty signature segment is refused as malformed
--- request
GET /api/items
--- more_headers eval
bearer($::T{none_empty})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token"}}
--- error_log
auth_jwt: refused: empty token segment (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{none_empty}]



=== TEST 5: a header without alg is refused
--- request
GET /api/items
--- more_headers eval
bearer($::T{alg_missing})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Algorithm not allowed"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Algorithm not allowed"}}
--- error_log
auth_jwt: refused: alg is missing or not a string (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{alg_missing}]



=== TEST 6: alg null is refused
--- request
GET /api/items
--- more_headers eval
bearer($::T{alg_null})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Algorithm not allowed"}}
--- error_log
auth_jwt: refused: alg is missing or not a string (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{alg_null}]



=== TEST 7: alg given as a number is refused
--- request
GET /api/items
--- more_headers eval
bearer($::T{alg_number})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Algorithm not allowed"}}
--- error_log
auth_jwt: refused: alg is missing or not a string (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{alg_number}]



=== TEST 8: alg given as an array holding "HS256" is refused
--- request
GET /api/items
--- more_headers eval
bearer($::T{alg_array})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Algorithm not allowed"}}
--- error_log
auth_jwt: refused: alg is missing or not a string (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{alg_array}]



=== TEST 9: alg "hs256" is refused: names are exact and case-sensitive
--- request
GET /api/items
--- more_headers eval
bearer($::T{alg_lower})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Algorithm not allowed"}}
--- error_log
auth_jwt: refused: alg is not supported (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{alg_lower}]



=== TEST 10: alg "RS256 " with a trailing space is refused
--- request
GET /api/items
--- more_headers eval
bearer($::T{alg_space})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Algorithm not allowed"}}
--- error_log
auth_jwt: refused: alg is not supported (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{alg_space}]



=== TEST 11: a correctly signed HS384 token is refused when the issuer allows only HS256
--- request
GET /api/items
--- more_headers eval
bearer($::T{hs384})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Algorithm not allowed"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Algorithm not allowed"}}
--- error_log eval
"auth_jwt: refused: alg not allowed for this issuer (INVALID_CREDENTIALS), iss: \"kalamdb\", token: " . fp($::T{hs384})
--- no_error_log eval
[$::T{hs384}]



=== TEST 12: an RS256 header over an HMAC tag made with the secret (HS/RS confusion) is refused
--- request
GET /api/items
--- more_headers eval
bearer($::T{rs256_hmac})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Algorithm not allowed"}}
--- error_log
auth_jwt: refused: alg not allowed for this issuer (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{rs256_hmac}]



=== TEST 13: a header with a duplicated alg member ("HS256" then "none") is refused as malformed
--- request
GET /api/items
--- more_headers eval
bearer($::T{dup_alg})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Malformed token header"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token header"}}
--- error_log
auth_jwt: refused: token header is not valid JSON (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{dup_alg}]



=== TEST 14: a header with crit naming a parameter is an unsupported token type
--- request
GET /api/items
--- more_headers eval
bearer($::T{crit})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Unsupported token type"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Unsupported token type"}}
--- error_log
auth_jwt: refused: crit header parameter is not supported (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{crit}]



=== TEST 15: a header with an empty crit list is an unsupported token type
--- request
GET /api/items
--- more_headers eval
bearer($::T{crit_empty})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Unsupported token type"}}
--- error_log
auth_jwt: refused: crit header parameter is not supported (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{crit_empty}]



=== TEST 16: a three-segment token whose header carries enc (JWE) is an unsupported token type
--- request
GET /api/items
--- more_headers eval
bearer($::T{enc})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Unsupported token type"}}
--- error_log
auth_jwt: refused: JWE tokens are not supported (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{enc}]



=== TEST 17: a nested token (cty "JWT") is an unsupported token type
--- request
GET /api/items
--- more_headers eval
bearer($::T{cty_jwt})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Unsupported token type"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Unsupported token type"}}
--- error_log
auth_jwt: refused: nested JWT (cty) is not supported (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{cty_jwt}]



=== TEST 18: cty "jwt" in lower case is also a nested token
--- request
GET /api/items
--- more_headers eval
bearer($::T{cty_lower})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Unsupported token type"}}
--- error_log
auth_jwt: refused: nested JWT (cty) is not supported (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{cty_lower}]



=== TEST 19: a cty that is not a string is a malformed header
--- request
GET /api/items
--- more_headers eval
bearer($::T{cty_number})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token header"}}
--- error_log
auth_jwt: refused: cty is not a string (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{cty_number}]



=== TEST 20: a kid that is not a string is a malformed header
--- request
GET /api/items
--- more_headers eval
bearer($::T{kid_number})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Malformed token header"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token header"}}
--- error_log
auth_jwt: refused: kid is not a string (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{kid_number}]



=== TEST 21: a kid with a path is only a label for a secret issuer: the token still verifies with the secret
--- request
GET /api/items
--- more_headers eval
bearer(mint(-header => { kid => "../../../etc/passwd" }))
--- error_code: 200
--- response_body
user=user-42 role=user
--- no_error_log
auth_jwt: refused



=== TEST 22: a kid carrying CR LF is refused as a control character
--- request
GET /api/items
--- more_headers eval
bearer($::T{kid_crlf})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token header"}}
--- error_log
auth_jwt: refused: control character or deep nesting in token header (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{kid_crlf}]



=== TEST 23: jku, x5u, jwk and x5c in the header are never used: the token verifies with the configured secret
--- request
GET /api/items
--- more_headers eval
bearer($::T{urls})
--- error_code: 200
--- response_body
user=user-42 role=user
--- no_error_log
auth_jwt: refused



=== TEST 24: a token signed with a key it carries in its own jwk header is a Bad signature
--- request
GET /api/items
--- more_headers eval
bearer($::T{jwk_other})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
"auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: \"kalamdb\", token: " . fp($::T{jwk_other})
--- no_error_log eval
[$::T{jwk_other}]



=== TEST 25: a header that is a JSON array is malformed
--- request
GET /api/items
--- more_headers eval
bearer($::T{header_array})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Malformed token header"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token header"}}
--- error_log
auth_jwt: refused: token header is not a JSON object (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{header_array}]



=== TEST 26: a header that is a JSON string is malformed
--- request
GET /api/items
--- more_headers eval
bearer($::T{header_str})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token header"}}
--- error_log
auth_jwt: refused: token header is not valid JSON (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{header_str}]



=== TEST 27: a header holding invalid UTF-8 is malformed
--- request
GET /api/items
--- more_headers eval
bearer($::T{header_utf8})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token header"}}
--- error_log
auth_jwt: refused: token header is not valid JSON (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{header_utf8}]



=== TEST 28: a header with garbage after the JSON object is malformed
--- request
GET /api/items
--- more_headers eval
bearer($::T{header_trail})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token header"}}
--- error_log
auth_jwt: refused: token header is not valid JSON (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{header_trail}]



=== TEST 29: a header nested 20 levels deep is refused
--- request
GET /api/items
--- more_headers eval
bearer($::T{header_deep})
--- error_code: 401
--- response_body_like: ^\{"status":"error","error":\{"code":"INVALID_CREDENTIALS","message":"Malformed token (?:header|claims)"\}\}$
--- error_log
auth_jwt: refused: control character or deep nesting in token header (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{header_deep}]



=== TEST 30: a header nested 2100 levels deep (past the JSON parser's own limit) is a malformed header
--- request
GET /api/items
--- more_headers eval
bearer($::T{header_deeper})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token header"}}
--- error_log
auth_jwt: refused: token header is not valid JSON (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{header_deeper}]
