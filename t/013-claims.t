use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use JWTTest;
$ENV{KALAMDB_JWT_SECRET} = $JWTTest::SECRET;
no_shuffle(); repeat_each(1);

# at debug level nginx itself logs every request header, Authorization too
log_level('info');

my $now = time;
my $H = '{"alg":"HS256"}';

# the backend's claims with one member's value replaced by raw JSON text
sub raw_claim {
    my ($name, $json) = @_;
    my $c = cjson($name => 0);
    $c =~ s/"\Q$name\E":0([,}])/"$name":$json$1/ or die "no claim $name\n";
    return $c;
}

our %T = (
    # first: the block runs within a second or two of this line
    exp_now            => mint(exp => $now),
    exp_past           => mint(exp => $now - 3600),
    exp_missing        => mint(exp => undef),
    exp_string         => craft($H, raw_claim(exp => '"' . ($now + 3600) . '"')),
    exp_null           => craft($H, raw_claim(exp => 'null')),
    exp_negative       => craft($H, raw_claim(exp => '-1')),
    exp_1e308          => craft($H, raw_claim(exp => '1e308')),
    exp_int64          => craft($H, raw_claim(exp => '9223372036854775807')),
    exp_2p63           => craft($H, raw_claim(exp => '9223372036854775808')),
    exp_fraction       => craft($H, raw_claim(exp => ($now + 3600) . '.5')),
    leeway_in          => mint(exp => $now - 60),
    leeway_out         => mint(exp => $now - 600),
    nbf_future         => mint(nbf => $now + 3600),
    nbf_soon           => mint(nbf => $now + 60),
    iat_future         => mint(iat => $now + 3600),
    iat_soon           => mint(iat => $now + 60),
    nbf_string         => craft($H, raw_claim(nbf => '"0"')),
    iat_string         => craft($H, raw_claim(iat => '"yesterday"')),
    aud_string         => mint(aud => 'api'),
    aud_array          => mint(aud => ['web', 'admin']),
    aud_missing        => mint(),
    aud_empty          => mint(aud => []),
    aud_number         => mint(aud => 42),
    aud_nonstring      => craft($H, raw_claim(aud => '[7,{"api":1}]')),
    aud_case           => mint(aud => 'API'),
    aud_near           => mint(aud => ['ap', 'api ', 'api,admin']),
    aud_order          => mint(aud => 'web'),
    refresh            => mint_refresh(),
    tt_missing         => mint(token_type => undef),
    tt_other           => mint(token_type => 'id'),
    tt_case            => mint(token_type => 'Access'),
    tt_number          => craft($H, raw_claim(token_type => '1')),
    sub_crlf           => craft($H, raw_claim(sub => '"alice\r\nX-Injected: 1"')),
    nul                => craft($H, raw_claim(role => '"user\u0000admin"')),
    del                => craft($H, raw_claim(role => qq("user\x7f"))),
    ctl_key            => craft($H, raw_claim(role => '"user","ro\u0001le":"admin"')),
    tab_nested         => craft($H, raw_claim(groups => '["dev",["ops\tadmin"]]')),
    deep_claims        => craft($H, raw_claim(x => ('[' x 20) . (']' x 20))),
    dup_sub            => craft($H, raw_claim(sub => '"alice","sub":"admin"')),
    payload_array      => craft($H, '[' . cjson() . ']'),
    payload_utf8       => craft($H, raw_claim(role => qq("\xff\xfe"))),
    iss_number         => craft($H, raw_claim(iss => '7')),
    iss_missing        => mint(iss => undef),
    iss_unknown        => mint(iss => 'evil'),
    iss_slash          => mint(iss => 'kalamdb/'),
    iss_case           => mint(iss => 'KalamDB'),
    iss_scheme         => mint(iss => 'https://kalamdb'),
    user_email         => mint(),
    user_email_missing => mint(email => undef),
    sub_missing        => mint(sub => undef),
    sub_number         => craft($H, raw_claim(sub => '42')),
    sub_empty          => mint(sub => ''),
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

=== TEST 1: a token whose exp is the current second is already expired
--- request
GET /api/items
--- more_headers eval
bearer($::T{exp_now})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Token expired"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"TOKEN_EXPIRED","message":"Token expired"}}
--- error_log eval
"auth_jwt: refused: token expired (TOKEN_EXPIRED), iss: \"kalamdb\", token: " . fp($::T{exp_now})
--- no_error_log eval
[$::T{exp_now}]



=== TEST 2: a token that expired an hour ago is refused with TOKEN_EXPIRED
--- request
GET /api/items
--- more_headers eval
bearer($::T{exp_past})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Token expired"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"TOKEN_EXPIRED","message":"Token expired"}}
--- error_log
auth_jwt: refused: token expired (TOKEN_EXPIRED)
--- no_error_log eval
[$::T{exp_past}]



=== TEST 3: a token without exp is refused: exp is required
--- request
GET /api/items
--- more_headers eval
bearer($::T{exp_missing})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Invalid claims"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Invalid claims"}}
--- error_log eval
"auth_jwt: refused: exp claim missing (INVALID_CREDENTIALS), iss: \"kalamdb\", token: " . fp($::T{exp_missing})
--- no_error_log eval
[$::T{exp_missing}]



=== TEST 4: an exp given as a string of digits is refused
--- request
GET /api/items
--- more_headers eval
bearer($::T{exp_string})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Invalid claims"}}
--- error_log
auth_jwt: refused: exp is not a number (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{exp_string}]



=== TEST 5: an exp of null is refused
--- request
GET /api/items
--- more_headers eval
bearer($::T{exp_null})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Invalid claims"}}
--- error_log
auth_jwt: refused: exp is not a number (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{exp_null}]



=== TEST 6: a negative exp is refused
--- request
GET /api/items
--- more_headers eval
bearer($::T{exp_negative})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Invalid claims"}}
--- error_log
auth_jwt: refused: exp out of range (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{exp_negative}]



=== TEST 7: an exp of 1e308 is refused as out of range, not taken as far future
--- request
GET /api/items
--- more_headers eval
bearer($::T{exp_1e308})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Invalid claims"}}
--- error_log
auth_jwt: refused: exp out of range (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{exp_1e308}]



=== TEST 8: an exp of 2^63-1 is refused as out of range
--- request
GET /api/items
--- more_headers eval
bearer($::T{exp_int64})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Invalid claims"}}
--- error_log
auth_jwt: refused: exp out of range (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{exp_int64}]



=== TEST 9: an exp of 2^63, past any integer type, makes the claims unparseable and is refused
--- request
GET /api/items
--- more_headers eval
bearer($::T{exp_2p63})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token claims"}}
--- error_log
auth_jwt: refused: token payload is not valid JSON (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{exp_2p63}]



=== TEST 10: a fractional NumericDate exp in the future is accepted
--- request
GET /api/items
--- more_headers eval
bearer($::T{exp_fraction})
--- error_code: 200
--- response_body
user=user-42 role=user
--- no_error_log
auth_jwt: refused



=== TEST 11: auth_jwt_leeway 300s accepts a token that expired 60 seconds ago
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    auth_jwt_leeway 300s;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{leeway_in})
--- error_code: 200
--- response_body
user=user-42 role=user
--- no_error_log
auth_jwt: refused



=== TEST 12: auth_jwt_leeway 60s still refuses a token that expired 10 minutes ago
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    auth_jwt_leeway 60s;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{leeway_out})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"TOKEN_EXPIRED","message":"Token expired"}}
--- error_log
auth_jwt: refused: token expired (TOKEN_EXPIRED)
--- no_error_log eval
[$::T{leeway_out}]



=== TEST 13: the issuer's leeway= (600s) wins over a smaller auth_jwt_leeway of the location
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access leeway=600s;
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    auth_jwt_leeway 0s;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{leeway_in})
--- error_code: 200
--- response_body
user=user-42 role=user
--- no_error_log
auth_jwt: refused



=== TEST 14: the issuer's leeway=0s wins over a larger auth_jwt_leeway of the location
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access leeway=0s;
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    auth_jwt_leeway 600s;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{leeway_in})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"TOKEN_EXPIRED","message":"Token expired"}}
--- error_log
auth_jwt: refused: token expired (TOKEN_EXPIRED)
--- no_error_log eval
[$::T{leeway_in}]



=== TEST 15: a token whose nbf is an hour ahead is not yet valid
--- request
GET /api/items
--- more_headers eval
bearer($::T{nbf_future})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Token not yet valid"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Token not yet valid"}}
--- error_log eval
"auth_jwt: refused: nbf is in the future (INVALID_CREDENTIALS), iss: \"kalamdb\", token: " . fp($::T{nbf_future})
--- no_error_log eval
[$::T{nbf_future}]



=== TEST 16: a token whose nbf is 60 seconds ahead is accepted within a leeway of 300s
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    auth_jwt_leeway 300s;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{nbf_soon})
--- error_code: 200
--- response_body
user=user-42 role=user
--- no_error_log
auth_jwt: refused



=== TEST 17: a token issued an hour in the future is not yet valid
--- request
GET /api/items
--- more_headers eval
bearer($::T{iat_future})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Token not yet valid"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Token not yet valid"}}
--- error_log
auth_jwt: refused: iat is in the future (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{iat_future}]



=== TEST 18: a token issued 60 seconds in the future is accepted within a leeway of 300s
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    auth_jwt_leeway 300s;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{iat_soon})
--- error_code: 200
--- response_body
user=user-42 role=user
--- no_error_log
auth_jwt: refused



=== TEST 19: an nbf that is not a number is refused
--- request
GET /api/items
--- more_headers eval
bearer($::T{nbf_string})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Invalid claims"}}
--- error_log
auth_jwt: refused: nbf is not a number (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{nbf_string}]



=== TEST 20: an iat that is not a number is refused
--- request
GET /api/items
--- more_headers eval
bearer($::T{iat_string})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Invalid claims"}}
--- error_log
auth_jwt: refused: iat is not a number (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{iat_string}]



=== TEST 21: an aud string naming one of the issuer's audiences is accepted
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access audience=api,admin;
--- request
GET /api/items
--- more_headers eval
bearer($::T{aud_string})
--- error_code: 200
--- response_body
user=user-42 role=user
--- no_error_log
auth_jwt: refused



=== TEST 22: an aud array with one of the issuer's audiences among others is accepted
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access audience=api,admin;
--- request
GET /api/items
--- more_headers eval
bearer($::T{aud_array})
--- error_code: 200
--- response_body
user=user-42 role=user
--- no_error_log
auth_jwt: refused



=== TEST 23: a token without aud is refused when the issuer requires an audience
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access audience=api,admin;
--- request
GET /api/items
--- more_headers eval
bearer($::T{aud_missing})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Audience mismatch"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Audience mismatch"}}
--- error_log
auth_jwt: refused: aud claim missing (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{aud_missing}]



=== TEST 24: an empty aud array is an audience mismatch
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access audience=api,admin;
--- request
GET /api/items
--- more_headers eval
bearer($::T{aud_empty})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Audience mismatch"}}
--- error_log
auth_jwt: refused: aud is neither a string nor a non-empty array (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{aud_empty}]



=== TEST 25: an aud that is a number is an audience mismatch
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access audience=api,admin;
--- request
GET /api/items
--- more_headers eval
bearer($::T{aud_number})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Audience mismatch"}}
--- error_log
auth_jwt: refused: aud is neither a string nor a non-empty array (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{aud_number}]



=== TEST 26: an aud array holding a non-string is an audience mismatch
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access audience=api,admin;
--- request
GET /api/items
--- more_headers eval
bearer($::T{aud_nonstring})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Audience mismatch"}}
--- error_log
auth_jwt: refused: aud array holds a non-string (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{aud_nonstring}]



=== TEST 27: an aud differing only in case ("API") is an audience mismatch
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access audience=api,admin;
--- request
GET /api/items
--- more_headers eval
bearer($::T{aud_case})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Audience mismatch"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Audience mismatch"}}
--- error_log eval
"auth_jwt: refused: aud does not match (INVALID_CREDENTIALS), iss: \"kalamdb\", token: " . fp($::T{aud_case})
--- no_error_log eval
[$::T{aud_case}]



=== TEST 28: near-miss aud values ("ap", "api ", "api,admin") are an audience mismatch
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access audience=api,admin;
--- request
GET /api/items
--- more_headers eval
bearer($::T{aud_near})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Audience mismatch"}}
--- error_log
auth_jwt: refused: aud does not match (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{aud_near}]



=== TEST 29: an audience= written before leeway= is still enforced
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access audience=api leeway=60s;
--- request
GET /api/items
--- more_headers eval
bearer($::T{aud_order})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Audience mismatch"}}
--- error_log
auth_jwt: refused: aud does not match (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{aud_order}]



=== TEST 30: a refresh token is refused where an access token is required
--- request
GET /api/items
--- more_headers eval
bearer($::T{refresh})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Refresh token used as access token"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Refresh token used as access token"}}
--- error_log eval
"auth_jwt: refused: token_type does not match (INVALID_CREDENTIALS), iss: \"kalamdb\", token: " . fp($::T{refresh})
--- no_error_log eval
[$::T{refresh}]



=== TEST 31: a token without token_type is the wrong token type
--- request
GET /api/items
--- more_headers eval
bearer($::T{tt_missing})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Wrong token type"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Wrong token type"}}
--- error_log
auth_jwt: refused: token_type claim missing (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{tt_missing}]



=== TEST 32: a token_type other than access ("id") is the wrong token type
--- request
GET /api/items
--- more_headers eval
bearer($::T{tt_other})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Wrong token type"}}
--- error_log
auth_jwt: refused: token_type does not match (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{tt_other}]



=== TEST 33: token_type "Access" is the wrong token type: the match is exact
--- request
GET /api/items
--- more_headers eval
bearer($::T{tt_case})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Wrong token type"}}
--- error_log
auth_jwt: refused: token_type does not match (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{tt_case}]



=== TEST 34: a token_type that is not a string is the wrong token type
--- request
GET /api/items
--- more_headers eval
bearer($::T{tt_number})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Wrong token type"}}
--- error_log
auth_jwt: refused: token_type does not match (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{tt_number}]



=== TEST 35: a claim carrying CR LF (header injection) is refused and never reaches a header or the log
--- request
GET /api/items
--- more_headers eval
bearer($::T{sub_crlf})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Malformed token claims"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token claims"}}
--- error_log
auth_jwt: refused: control character or deep nesting in token (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{sub_crlf}, "X-Injected"]



=== TEST 36: a claim carrying NUL (\u0000) is refused
--- request
GET /api/items
--- more_headers eval
bearer($::T{nul})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token claims"}}
--- no_error_log eval
[$::T{nul}]



=== TEST 37: a claim carrying a raw DEL byte is refused
--- request
GET /api/items
--- more_headers eval
bearer($::T{del})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token claims"}}
--- error_log
auth_jwt: refused: control character or deep nesting in token (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{del}]



=== TEST 38: a claim name carrying a control character is refused
--- request
GET /api/items
--- more_headers eval
bearer($::T{ctl_key})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token claims"}}
--- error_log
auth_jwt: refused: control character or deep nesting in token (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{ctl_key}]



=== TEST 39: a tab inside a nested array of a claim is refused
--- request
GET /api/items
--- more_headers eval
bearer($::T{tab_nested})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token claims"}}
--- error_log
auth_jwt: refused: control character or deep nesting in token (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{tab_nested}]



=== TEST 40: claims nested 20 levels deep are refused
--- request
GET /api/items
--- more_headers eval
bearer($::T{deep_claims})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token claims"}}
--- error_log
auth_jwt: refused: control character or deep nesting in token (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{deep_claims}]



=== TEST 41: a claims set naming sub twice ("alice" then "admin") is refused as malformed
--- request
GET /api/items
--- more_headers eval
bearer($::T{dup_sub})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Malformed token claims"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token claims"}}
--- error_log
auth_jwt: refused: token payload is not valid JSON (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{dup_sub}]



=== TEST 42: a payload that is a JSON array is malformed claims
--- request
GET /api/items
--- more_headers eval
bearer($::T{payload_array})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token claims"}}
--- error_log
auth_jwt: refused: token payload is not a JSON object (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{payload_array}]



=== TEST 43: a payload holding invalid UTF-8 is malformed claims
--- request
GET /api/items
--- more_headers eval
bearer($::T{payload_utf8})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token claims"}}
--- error_log
auth_jwt: refused: token payload is not valid JSON (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{payload_utf8}]



=== TEST 44: an iss that is not a string is malformed claims
--- request
GET /api/items
--- more_headers eval
bearer($::T{iss_number})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token claims"}}
--- error_log
auth_jwt: refused: iss is not a string (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{iss_number}]



=== TEST 45: a token without iss is refused: no issuer is trusted by default
--- request
GET /api/items
--- more_headers eval
bearer($::T{iss_missing})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Issuer not trusted"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Issuer not trusted"}}
--- error_log
auth_jwt: refused: token has no iss claim (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{iss_missing}]



=== TEST 46: a token of an unknown issuer is refused before any key is used
--- request
GET /api/items
--- more_headers eval
bearer($::T{iss_unknown})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Issuer not trusted"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Issuer not trusted"}}
--- error_log eval
"auth_jwt: refused: issuer not trusted (INVALID_CREDENTIALS), iss: \"evil\", token: " . fp($::T{iss_unknown})
--- no_error_log eval
[$::T{iss_unknown}]



=== TEST 47: an iss with a trailing slash is not the configured issuer
--- request
GET /api/items
--- more_headers eval
bearer($::T{iss_slash})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Issuer not trusted"}}
--- error_log
auth_jwt: refused: issuer not trusted (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{iss_slash}]



=== TEST 48: an iss differing only in case is not the configured issuer
--- request
GET /api/items
--- more_headers eval
bearer($::T{iss_case})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Issuer not trusted"}}
--- error_log
auth_jwt: refused: issuer not trusted (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{iss_case}]



=== TEST 49: an iss with a scheme added is not the configured issuer
--- request
GET /api/items
--- more_headers eval
bearer($::T{iss_scheme})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Issuer not trusted"}}
--- error_log
auth_jwt: refused: issuer not trusted (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{iss_scheme}]



=== TEST 50: user_claim=email makes $jwt_user the email claim
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access user_claim=email;
--- request
GET /api/items
--- more_headers eval
bearer($::T{user_email})
--- error_code: 200
--- response_body
user=alice@example.com role=user
--- no_error_log
auth_jwt: refused



=== TEST 51: with user_claim=email a token without email is refused
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access user_claim=email;
--- request
GET /api/items
--- more_headers eval
bearer($::T{user_email_missing})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Invalid claims"}}
--- error_log
auth_jwt: refused: user claim missing or not a string (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{user_email_missing}]



=== TEST 52: a token without sub is refused: there is no user
--- request
GET /api/items
--- more_headers eval
bearer($::T{sub_missing})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Invalid claims"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Invalid claims"}}
--- error_log
auth_jwt: refused: user claim missing or not a string (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{sub_missing}]



=== TEST 53: a sub that is a number is refused
--- request
GET /api/items
--- more_headers eval
bearer($::T{sub_number})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Invalid claims"}}
--- error_log
auth_jwt: refused: user claim missing or not a string (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{sub_number}]



=== TEST 54: an empty sub is refused
--- request
GET /api/items
--- more_headers eval
bearer($::T{sub_empty})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Invalid claims"}}
--- error_log
auth_jwt: refused: user claim missing or not a string (INVALID_CREDENTIALS)
--- no_error_log eval
[$::T{sub_empty}]



=== TEST 55: the iss of an untrusted token is escaped in the refusal line: a quote cannot forge the fields after it, non-ASCII is hex, a long one is cut on a character boundary
--- request
GET /api/items
--- more_headers eval
bearer(mint(iss => qq(x", token: sha256:000000000000 \x{e9}) . ('y' x 200)))
--- error_code: 401
--- error_log eval
[qr{auth_jwt: refused: issuer not trusted \(INVALID_CREDENTIALS\), iss: "x\\", token: sha256:000000000000 \\xc3\\xa9y+\.\.\.", token: sha256:[0-9a-f]{12}, client}]
--- no_error_log eval
[qr{iss: "x", token}]

