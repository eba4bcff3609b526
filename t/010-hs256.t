use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use JWTTest;
$ENV{KALAMDB_JWT_SECRET} = $JWTTest::SECRET;
no_shuffle(); repeat_each(1);

# at debug level nginx itself logs every request header, Authorization too
log_level('info');

$ENV{OTHER_JWT_SECRET} = $JWTTest::SECRET2;

our %T = (
    wrong_key  => mint(-key => $SECRET2),
    tampered   => do {
        my ($h, $p, $s) = split /\./, mint();
        join '.', $h, b64u(cjson(role => 'admin')), $s;
    },
    expired    => mint(exp => time - 3600),
    cookie_bad => mint(-key => $SECRET2),
    b_with_a   => mint(iss => 'other', sub => 'bob'),
    a_with_b   => mint(-key => $SECRET2),
    payload    => mint(scope => ['read', 'write']),
    ignored    => mint(),
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

=== TEST 1: a valid HS256 access token reaches the upstream with X-User and X-Role from its claims
--- request
GET /api/items
--- more_headers eval
bearer(mint())
--- error_code: 200
--- response_body
user=user-42 role=user
--- no_error_log
auth_jwt: refused



=== TEST 2: client-sent X-User and X-Role headers are replaced by the verified identity, not appended
--- request
GET /api/items
--- more_headers eval
"X-User: evil\nX-Role: admin\n" . bearer(mint(sub => 'carol'))
--- error_code: 200
--- response_body
user=carol role=user



=== TEST 3: a request without Authorization gets 401 MISSING_AUTHORIZATION with a Bearer challenge and nothing reaches the upstream
--- request
GET /api/items
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"MISSING_AUTHORIZATION","message":"Missing bearer token"}}
--- error_log
auth_jwt: refused: no bearer token in the request (MISSING_AUTHORIZATION)



=== TEST 4: the realm is quoted in the challenge with its quotes and backslashes escaped
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt 'my "app" \\ api';
    proxy_set_header X-User $jwt_user;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="my \"app\" \\ api"
--- response_body
{"status":"error","error":{"code":"MISSING_AUTHORIZATION","message":"Missing bearer token"}}



=== TEST 5: a token signed with another secret is refused as Bad signature and logged by fingerprint only
--- request
GET /api/items
--- more_headers eval
bearer($::T{wrong_key})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
"auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: \"kalamdb\", token: " . fp($::T{wrong_key})
--- no_error_log eval
[$::T{wrong_key}]



=== TEST 6: a payload changed after signing (role escalated to admin) is refused as Bad signature
--- request
GET /api/items
--- more_headers eval
bearer($::T{tampered})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Bad signature"
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log
auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: "kalamdb"
--- no_error_log eval
[$::T{tampered}]



=== TEST 7: $jwt_claim_ gives strings decoded, numbers and booleans as JSON text, arrays and objects as compact JSON, absent claims empty
--- config
location /upstream {
    return 200 "s=[$http_x_s] n=[$http_x_n] f=[$http_x_f] b=[$http_x_b] a=[$http_x_a] o=[$http_x_o] none=[$http_x_none]\n";
}
location /api/ {
    auth_jwt "kalamdb";
    proxy_set_header X-S $jwt_claim_quote;
    proxy_set_header X-N $jwt_claim_n;
    proxy_set_header X-F $jwt_claim_f;
    proxy_set_header X-B $jwt_claim_admin;
    proxy_set_header X-A $jwt_claim_groups;
    proxy_set_header X-O $jwt_claim_org;
    proxy_set_header X-None $jwt_claim_nosuchclaim;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer(mint(quote => 'say "hi" \\o/', n => 42, f => 1.5,
            admin => JSON::PP::true(), groups => ['dev', 'ops'],
            org => { id => 7, name => 'acme' }))
--- error_code: 200
--- response_body
s=[say "hi" \o/] n=[42] f=[1.5] b=[true] a=[["dev","ops"]] o=[{"id":7,"name":"acme"}] none=[]



=== TEST 8: $jwt_header_<name> exposes members of the verified JOSE header
--- config
location /upstream {
    return 200 "alg=$http_x_alg kid=$http_x_kid typ=$http_x_typ\n";
}
location /api/ {
    auth_jwt "kalamdb";
    proxy_set_header X-Alg $jwt_header_alg;
    proxy_set_header X-Kid $jwt_header_kid;
    proxy_set_header X-Typ $jwt_header_typ;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer(mint(-header => { kid => 'key-1', typ => 'JWT' }))
--- error_code: 200
--- response_body
alg=HS256 kid=key-1 typ=JWT



=== TEST 9: $jwt_payload is the verified claims set as compact JSON
--- config
location /upstream {
    return 200 "payload=$http_x_payload\n";
}
location /api/ {
    auth_jwt "kalamdb";
    proxy_set_header X-Payload $jwt_payload;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{payload})
--- error_code: 200
--- response_body eval
"payload=" . segment($::T{payload}, 1) . "\n"



=== TEST 10: $jwt_error and $jwt_error_reason are empty when the token is accepted
--- config
location /upstream {
    return 200 "user=$http_x_user error=[$http_x_error]\n";
}
location /api/ {
    auth_jwt "kalamdb";
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Error "$jwt_error$jwt_error_reason";
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer(mint())
--- error_code: 200
--- response_body
user=user-42 error=[]



=== TEST 11: an error_page in a named location sees $jwt_error and $jwt_error_reason of the refusal
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    error_page 401 = @err;
    proxy_set_header X-User $jwt_user;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
location @err {
    return 401 "code=$jwt_error reason=$jwt_error_reason\n";
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{expired})
--- error_code: 401
--- response_body
code=TOKEN_EXPIRED reason=token expired
--- error_log
auth_jwt: refused: token expired (TOKEN_EXPIRED), iss: "kalamdb"
--- no_error_log eval
[$::T{expired}]



=== TEST 12: the error variables also describe a request that carried no token
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    error_page 401 = @err;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
location @err {
    return 401 "code=$jwt_error reason=$jwt_error_reason\n";
}
--- request
GET /api/items
--- error_code: 401
--- response_body
code=MISSING_AUTHORIZATION reason=no bearer token in the request



=== TEST 13: after a refusal the user, claim, header and payload variables are all empty
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    error_page 401 = @err;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
location @err {
    return 401 "user=[$jwt_user] sub=[$jwt_claim_sub] alg=[$jwt_header_alg] payload=[$jwt_payload] code=$jwt_error\n";
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{wrong_key})
--- error_code: 401
--- response_body
user=[] sub=[] alg=[] payload=[] code=INVALID_CREDENTIALS
--- no_error_log eval
[$::T{wrong_key}]



=== TEST 14: an operator's error_page URI replaces the JSON body, which is only substituted for nginx's built-in page
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    error_page 401 /denied.html;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- user_files
>>> denied.html
<p>please sign in</p>
--- request
GET /api/items
--- error_code: 401
--- response_headers
Content-Type: text/html
--- response_body
<p>please sign in</p>



=== TEST 15: token=$cookie_access_token takes the token from the Cookie header
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb" token=$cookie_access_token;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
"Cookie: theme=dark; access_token=" . mint(sub => 'dave') . "; lang=en\n"
--- error_code: 200
--- response_body
user=dave role=user



=== TEST 16: with token= an empty cookie is a missing token, even when an Authorization header carries a valid one
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb" token=$cookie_access_token;
    proxy_set_header X-User $jwt_user;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
"Cookie: theme=dark\n" . bearer($::T{ignored})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"MISSING_AUTHORIZATION","message":"Missing bearer token"}}
--- error_log
auth_jwt: refused: no bearer token in the request (MISSING_AUTHORIZATION)
--- no_error_log eval
[$::T{ignored}]



=== TEST 17: a bad token taken from a cookie is refused with an invalid_token challenge and not logged
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb" token=$cookie_access_token;
    proxy_set_header X-User $jwt_user;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
"Cookie: access_token=$::T{cookie_bad}\n"
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Bad signature"
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
"auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: \"kalamdb\", token: " . fp($::T{cookie_bad})
--- no_error_log eval
[$::T{cookie_bad}]



=== TEST 18: auth_jwt off in a nested location (the login endpoint) leaves it open
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    proxy_set_header X-User $jwt_user;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;

    location /api/auth/login {
        auth_jwt off;
        proxy_set_header X-User $jwt_user;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
    }
}
--- request
POST /api/auth/login
--- more_headers
Authorization: Basic YWxpY2U6c2VjcmV0
--- error_code: 200
--- response_body
user= role=
--- no_error_log
auth_jwt: refused



=== TEST 19: the variables stay empty where auth_jwt is off, even when a valid token is sent
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;

    location /api/auth/login {
        auth_jwt off;
        proxy_set_header X-User $jwt_user;
        proxy_set_header X-Role $jwt_claim_role;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
    }
}
--- request
POST /api/auth/login
--- more_headers eval
bearer(mint())
--- error_code: 200
--- response_body
user= role=



=== TEST 20: auth_jwt at server level protects a location that does not mention it
--- config
auth_jwt "kalamdb";
location /upstream {
    auth_jwt off;
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /reports/ {
    proxy_set_header X-User $jwt_user;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /reports/2024
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb"
--- response_body
{"status":"error","error":{"code":"MISSING_AUTHORIZATION","message":"Missing bearer token"}}



=== TEST 21: a token of a second issuer verifies with that issuer's own secret
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
auth_jwt_issuer other secret=env:OTHER_JWT_SECRET token_type=access;
--- request
GET /api/items
--- more_headers eval
bearer(mint(iss => 'other', sub => 'bob', -key => $SECRET2))
--- error_code: 200
--- response_body
user=bob role=user



=== TEST 22: a token claiming the second issuer but signed with the first issuer's secret is a Bad signature
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
auth_jwt_issuer other secret=env:OTHER_JWT_SECRET token_type=access;
--- config
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
bearer($::T{b_with_a})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Bad signature"
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
"auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: \"other\", token: " . fp($::T{b_with_a})
--- no_error_log eval
[$::T{b_with_a}]



=== TEST 23: a token of the first issuer signed with the second issuer's secret is a Bad signature
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
auth_jwt_issuer other secret=env:OTHER_JWT_SECRET token_type=access;
--- config
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
bearer($::T{a_with_b})
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- no_error_log eval
[$::T{a_with_b}]



=== TEST 24: an HS512 token verifies when the issuer allows HS256,HS384,HS512
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET algorithms=HS256,HS384,HS512 token_type=access;
--- config
location /upstream {
    return 200 "user=$http_x_user alg=$http_x_alg\n";
}
location /api/ {
    auth_jwt "kalamdb";
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Alg $jwt_header_alg;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer(mint(-alg => 'HS512'))
--- error_code: 200
--- response_body
user=user-42 alg=HS512



=== TEST 25: an HS384 token verifies when the issuer allows HS384
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET algorithms=HS384 token_type=access;
--- config
location /upstream {
    return 200 "user=$http_x_user alg=$http_x_alg\n";
}
location /api/ {
    auth_jwt "kalamdb";
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Alg $jwt_header_alg;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer(mint(-alg => 'HS384'))
--- error_code: 200
--- response_body
user=user-42 alg=HS384
