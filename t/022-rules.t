use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use JWTTest;
use JWTKeys;
no_shuffle(); repeat_each(1);

# Rules on verified claims: auth_jwt_require (with map), auth_jwt_claim_set
# and auth_jwt_header_set, auth_jwt_type, the values of the claim, header
# and payload variables, auth_jwt_allow_missing, and the claims checks of
# ATTACKS.md not covered by t/013-claims.t (Firebase-shaped tokens, exp at
# the end of the NumericDate range, huge claims, trailing JSON).

# at debug level nginx itself logs every request header, Authorization too
log_level('info');

$ENV{KALAMDB_JWT_SECRET} = $JWTTest::SECRET;
$ENV{TEST_NGINX_KEYS} = $JWTKeys::KEYS;

my $now = time;
my $FB = 'https://securetoken.google.com/proj-a';

# a Firebase-shaped ID token signed with t/keys/rsa.pem
sub fb {
    my (%a) = @_;
    return pk_mint(iss => $FB, aud => 'proj-a', sub => 'fb-uid-1',
                   token_type => undef, auth_time => $now,
                   firebase => { sign_in_provider => 'password' }, %a,
                   -alg => 'RS256', -key => 'rsa',
                   -header => { kid => 'rsa' });
}

our %T = (
    dba            => mint(role => 'dba'),
    system         => mint(role => 'system'),
    user           => mint(role => 'user'),
    no_role        => mint(role => undef),
    dba_no_email   => mint(role => 'dba', email => undef),
    dba_email      => mint(role => 'dba'),
    level_0        => mint(level => 0),
    level_0_str    => mint(level => '0'),
    level_2        => mint(level => 2),
    team_empty     => mint(team => ''),
    bad_sig        => mint(role => 'dba', -key => $SECRET2),
    admin_true     => mint(admin => JSON::PP::true()),
    admin_false    => mint(admin => JSON::PP::false()),

    org            => mint(org => { id => 7, name => 'acme' }),
    groups         => mint(groups => ['dev', 'ops']),
    realm_access   => mint(realm_access => { roles => ['admin', 'user'] }),
    mixed          => mint(list => [1, JSON::PP::true(), 'x', { a => 1 },
                                    [2, 3], undef]),
    kid_typ        => mint(-header => { kid => 'key-1', typ => 'JWT',
                                        x => { y => 'z' } }),
    comma          => mint(groups => ['a,b', 'c']),
    empty_array    => mint(groups => []),

    numbers        => craft('{"alg":"HS256"}',
                            cjson(neg => -3, zero => 0,
                                  big => 9007199254740993,
                                  f => JSON::PP::false(), ea => [], eo => {})
                            =~ s/\}\z/,"nul":null}/r),
    hdr_values     => mint(-header => { n => 1, b => JSON::PP::true(),
                                        a => ['x'], o => { k => 'v' } }),
    payload_ws     => craft('{"alg":"HS256"}',
                            '{ "sub" : "\u0041lice",  "iss":"kalamdb", '
                            . '"exp" : 4102444800, "path":"a\/b",'
                            . ' "token_type":"access" }'),

    fb_ok          => fb(),
    fb_other       => fb(iss => 'https://securetoken.google.com/proj-b',
                         aud => 'proj-b'),
    fb_aud         => fb(aud => 'proj-b'),
    fb_custom      => fb(iss => 'sa@proj-a.iam.gserviceaccount.com',
                         aud => 'https://identitytoolkit.googleapis.com/'
                              . 'google.identity.identitytoolkit.v1.'
                              . 'IdentityToolkit',
                         uid => 'fb-uid-1'),
    google         => fb(iss => 'https://accounts.google.com',
                         aud => '1234.apps.googleusercontent.com'),

    exp_max        => mint(exp => 253402300799),
    exp_over       => mint(exp => 253402300800),
    huge_claim     => mint(blob => 'x' x 100_000),
    payload_trail  => craft('{"alg":"HS256"}', cjson() . ' {"role":"admin"}'),

);

our $default_config = <<'_EOC_';
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    auth_jwt_require $jwt_role_ok error=403;
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

=== TEST 1: auth_jwt_require with a map lets role dba through
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
map $jwt_claim_role $jwt_role_ok {
    default  0;
    dba      1;
    system   1;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{dba})
--- error_code: 200
--- response_body
user=user-42 role=dba
--- no_error_log
auth_jwt: refused



=== TEST 2: auth_jwt_require with a map lets role system through
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
map $jwt_claim_role $jwt_role_ok {
    default  0;
    dba      1;
    system   1;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{system})
--- error_code: 200
--- response_body
user=user-42 role=system
--- no_error_log
auth_jwt: refused



=== TEST 3: auth_jwt_require error=403 refuses role user with 403 INSUFFICIENT_PERMISSIONS and an insufficient_scope challenge
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
map $jwt_claim_role $jwt_role_ok {
    default  0;
    dba      1;
    system   1;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{user})
--- error_code: 403
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="insufficient_scope", error_description="Insufficient permissions"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INSUFFICIENT_PERMISSIONS","message":"Insufficient permissions"}}
--- error_log eval
["auth_jwt: refused: auth_jwt_require rule not satisfied (INSUFFICIENT_PERMISSIONS), iss: \"kalamdb\", token: " . fp($::T{user})]
--- no_error_log eval
[$::T{user}]



=== TEST 4: auth_jwt_require error=403 refuses a token without role (the map default 0)
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
map $jwt_claim_role $jwt_role_ok {
    default  0;
    dba      1;
    system   1;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{no_role})
--- error_code: 403
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="insufficient_scope", error_description="Insufficient permissions"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INSUFFICIENT_PERMISSIONS","message":"Insufficient permissions"}}
--- error_log eval
["auth_jwt: refused: auth_jwt_require rule not satisfied (INSUFFICIENT_PERMISSIONS), iss: \"kalamdb\", token: " . fp($::T{no_role})]
--- no_error_log eval
[$::T{no_role}]



=== TEST 5: auth_jwt_require without error= refuses with 401 INVALID_CREDENTIALS "Token does not satisfy the required claims"
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
map $jwt_claim_role $jwt_role_ok {
    default  0;
    dba      1;
    system   1;
}
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    auth_jwt_require $jwt_role_ok;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{user})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Token does not satisfy the required claims"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Token does not satisfy the required claims"}}
--- error_log eval
["auth_jwt: refused: auth_jwt_require rule not satisfied (INVALID_CREDENTIALS), iss: \"kalamdb\", token: " . fp($::T{user})]
--- no_error_log eval
[$::T{user}]



=== TEST 6: auth_jwt_require error=401 is the default spelled out
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
map $jwt_claim_role $jwt_role_ok {
    default  0;
    dba      1;
    system   1;
}
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    auth_jwt_require $jwt_role_ok error=401;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{user})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Token does not satisfy the required claims"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Token does not satisfy the required claims"}}
--- error_log eval
["auth_jwt: refused: auth_jwt_require rule not satisfied (INVALID_CREDENTIALS), iss: \"kalamdb\", token: " . fp($::T{user})]
--- no_error_log eval
[$::T{user}]



=== TEST 7: auth_jwt_require with several values refuses when one of them is empty
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
map $jwt_claim_role $jwt_role_ok {
    default  0;
    dba      1;
    system   1;
}
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    auth_jwt_require $jwt_role_ok $jwt_claim_email error=403;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{dba_no_email})
--- error_code: 403
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="insufficient_scope", error_description="Insufficient permissions"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INSUFFICIENT_PERMISSIONS","message":"Insufficient permissions"}}
--- error_log eval
["auth_jwt: refused: auth_jwt_require rule not satisfied (INSUFFICIENT_PERMISSIONS), iss: \"kalamdb\", token: " . fp($::T{dba_no_email})]
--- no_error_log eval
[$::T{dba_no_email}]



=== TEST 8: auth_jwt_require with several values passes when all of them are non-empty and not "0"
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
map $jwt_claim_role $jwt_role_ok {
    default  0;
    dba      1;
    system   1;
}
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    auth_jwt_require $jwt_role_ok $jwt_claim_email error=403;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{dba_email})
--- error_code: 200
--- response_body
user=user-42 role=dba
--- no_error_log
auth_jwt: refused



=== TEST 9: auth_jwt_require refuses a value of "0" (a claim of number 0)
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    auth_jwt_require $jwt_claim_level;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{level_0})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Token does not satisfy the required claims"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Token does not satisfy the required claims"}}
--- error_log eval
["auth_jwt: refused: auth_jwt_require rule not satisfied (INVALID_CREDENTIALS), iss: \"kalamdb\", token: " . fp($::T{level_0})]
--- no_error_log eval
[$::T{level_0}]



=== TEST 10: auth_jwt_require refuses a value of "0" (a claim of string "0")
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    auth_jwt_require $jwt_claim_level;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{level_0_str})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Token does not satisfy the required claims"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Token does not satisfy the required claims"}}
--- error_log eval
["auth_jwt: refused: auth_jwt_require rule not satisfied (INVALID_CREDENTIALS), iss: \"kalamdb\", token: " . fp($::T{level_0_str})]
--- no_error_log eval
[$::T{level_0_str}]



=== TEST 11: auth_jwt_require passes a value of "2"
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    auth_jwt_require $jwt_claim_level;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{level_2})
--- error_code: 200
--- response_body
user=user-42 role=user
--- no_error_log
auth_jwt: refused



=== TEST 12: auth_jwt_require refuses a claim that is the empty string
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    auth_jwt_require $jwt_claim_team;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{team_empty})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Token does not satisfy the required claims"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Token does not satisfy the required claims"}}
--- error_log eval
["auth_jwt: refused: auth_jwt_require rule not satisfied (INVALID_CREDENTIALS), iss: \"kalamdb\", token: " . fp($::T{team_empty})]
--- no_error_log eval
[$::T{team_empty}]



=== TEST 13: with two auth_jwt_require rules the failing one decides: the first passes, the second answers 403
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
map $jwt_claim_role $jwt_role_ok {
    default  0;
    dba      1;
    system   1;
}
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    auth_jwt_require $jwt_claim_email;
    auth_jwt_require $jwt_role_ok error=403;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{user})
--- error_code: 403
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="insufficient_scope", error_description="Insufficient permissions"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INSUFFICIENT_PERMISSIONS","message":"Insufficient permissions"}}
--- error_log eval
["auth_jwt: refused: auth_jwt_require rule not satisfied (INSUFFICIENT_PERMISSIONS), iss: \"kalamdb\", token: " . fp($::T{user})]
--- no_error_log eval
[$::T{user}]



=== TEST 14: with two failing auth_jwt_require rules the first one answers (401)
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
map $jwt_claim_role $jwt_role_ok {
    default  0;
    dba      1;
    system   1;
}
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    auth_jwt_require $jwt_claim_team;
    auth_jwt_require $jwt_role_ok error=403;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{user})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Token does not satisfy the required claims"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Token does not satisfy the required claims"}}
--- error_log eval
["auth_jwt: refused: auth_jwt_require rule not satisfied (INVALID_CREDENTIALS), iss: \"kalamdb\", token: " . fp($::T{user})]
--- no_error_log eval
[$::T{user}]



=== TEST 15: auth_jwt_require at server level applies to a location without rules of its own
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
map $jwt_claim_role $jwt_role_ok {
    default  0;
    dba      1;
    system   1;
}
--- config
auth_jwt_require $jwt_role_ok error=403;
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
bearer($::T{user})
--- error_code: 403
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="insufficient_scope", error_description="Insufficient permissions"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INSUFFICIENT_PERMISSIONS","message":"Insufficient permissions"}}
--- error_log eval
["auth_jwt: refused: auth_jwt_require rule not satisfied (INSUFFICIENT_PERMISSIONS), iss: \"kalamdb\", token: " . fp($::T{user})]
--- no_error_log eval
[$::T{user}]



=== TEST 16: a location's own auth_jwt_require replaces the server's rules
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
map $jwt_claim_role $jwt_role_ok {
    default  0;
    dba      1;
    system   1;
}
--- config
auth_jwt_require $jwt_role_ok error=403;
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    auth_jwt_require $jwt_claim_email;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{user})
--- error_code: 200
--- response_body
user=user-42 role=user
--- no_error_log
auth_jwt: refused



=== TEST 17: a token refused on its signature is answered as such (401 Bad signature) before any auth_jwt_require rule
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
map $jwt_claim_role $jwt_role_ok {
    default  0;
    dba      1;
    system   1;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{bad_sig})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: \"kalamdb\", token: " . fp($::T{bad_sig})]
--- no_error_log eval
[$::T{bad_sig}]



=== TEST 18: a boolean claim is checked through a map: "admin": true passes
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
map $jwt_claim_admin $jwt_is_admin {
    default  0;
    true     1;
}
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    auth_jwt_require $jwt_is_admin error=403;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{admin_true})
--- error_code: 200
--- response_body
user=user-42 role=user
--- no_error_log
auth_jwt: refused



=== TEST 19: a boolean claim is checked through a map: "admin": false is refused with 403
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
map $jwt_claim_admin $jwt_is_admin {
    default  0;
    true     1;
}
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    auth_jwt_require $jwt_is_admin error=403;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{admin_false})
--- error_code: 403
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="insufficient_scope", error_description="Insufficient permissions"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INSUFFICIENT_PERMISSIONS","message":"Insufficient permissions"}}
--- error_log eval
["auth_jwt: refused: auth_jwt_require rule not satisfied (INSUFFICIENT_PERMISSIONS), iss: \"kalamdb\", token: " . fp($::T{admin_false})]
--- no_error_log eval
[$::T{admin_false}]



=== TEST 20: auth_jwt_require with error=402 stops nginx
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
map $jwt_claim_role $jwt_role_ok {
    default  0;
    dba      1;
    system   1;
}
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    auth_jwt_require $jwt_role_ok error=402;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- must_die
--- error_log
"auth_jwt_require": invalid "error=402"; use error=401 or error=403



=== TEST 21: auth_jwt_require with error= but no value stops nginx
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    auth_jwt_require error=403;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- must_die
--- error_log
needs at least one value



=== TEST 22: auth_jwt_claim_set reaches nested members: org.name and org.id
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
auth_jwt_claim_set $jwt_org_name org name;
auth_jwt_claim_set $jwt_org_id org id;
--- config
location /upstream {
    return 200 "name=$http_x_name id=$http_x_id\n";
}
location /api/ {
    auth_jwt "kalamdb";
    proxy_set_header X-Name $jwt_org_name;
    proxy_set_header X-Id $jwt_org_id;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{org})
--- error_code: 200
--- response_body
name=acme id=7
--- no_error_log
auth_jwt: refused



=== TEST 23: auth_jwt_claim_set of a whole object gives it as compact JSON
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
auth_jwt_claim_set $jwt_org org;
--- config
location /upstream {
    return 200 "org=$http_x_org\n";
}
location /api/ {
    auth_jwt "kalamdb";
    proxy_set_header X-Org $jwt_org;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{org})
--- error_code: 200
--- response_body
org={"id":7,"name":"acme"}
--- no_error_log
auth_jwt: refused



=== TEST 24: auth_jwt_claim_set joins an array of strings with commas
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
auth_jwt_claim_set $jwt_groups groups;
--- config
location /upstream {
    return 200 "groups=$http_x_groups\n";
}
location /api/ {
    auth_jwt "kalamdb";
    proxy_set_header X-Groups $jwt_groups;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{groups})
--- error_code: 200
--- response_body
groups=dev,ops
--- no_error_log
auth_jwt: refused



=== TEST 25: auth_jwt_claim_set joins a nested array (realm_access.roles) with commas
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
auth_jwt_claim_set $jwt_roles realm_access roles;
--- config
location /upstream {
    return 200 "roles=$http_x_roles\n";
}
location /api/ {
    auth_jwt "kalamdb";
    proxy_set_header X-Roles $jwt_roles;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{realm_access})
--- error_code: 200
--- response_body
roles=admin,user
--- no_error_log
auth_jwt: refused



=== TEST 26: auth_jwt_claim_set joins a mixed array: strings as text, other values as JSON, null as nothing
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
auth_jwt_claim_set $jwt_list list;
--- config
location /upstream {
    return 200 "list=$http_x_list\n";
}
location /api/ {
    auth_jwt "kalamdb";
    proxy_set_header X-List $jwt_list;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{mixed})
--- error_code: 200
--- response_body
list=1,true,x,{"a":1},[2,3],
--- no_error_log
auth_jwt: refused



=== TEST 27: auth_jwt_claim_set of an empty array is the empty string
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
auth_jwt_claim_set $jwt_groups groups;
--- config
location /upstream {
    return 200 "groups=[$http_x_groups]\n";
}
location /api/ {
    auth_jwt "kalamdb";
    proxy_set_header X-Groups $jwt_groups;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{empty_array})
--- error_code: 200
--- response_body
groups=[]
--- no_error_log
auth_jwt: refused



=== TEST 28: auth_jwt_claim_set of a missing member, or of a path through a string, is empty
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
auth_jwt_claim_set $jwt_missing org missing;
auth_jwt_claim_set $jwt_through email name;
--- config
location /upstream {
    return 200 "missing=[$http_x_missing] through=[$http_x_through]\n";
}
location /api/ {
    auth_jwt "kalamdb";
    proxy_set_header X-Missing $jwt_missing;
    proxy_set_header X-Through $jwt_through;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{org})
--- error_code: 200
--- response_body
missing=[] through=[]
--- no_error_log
auth_jwt: refused



=== TEST 29: auth_jwt_claim_set feeds auth_jwt_require through a map over the joined roles
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
auth_jwt_claim_set $jwt_roles realm_access roles;
map $jwt_roles $jwt_is_admin {
    default 0;
    "~(^|,)admin(,|$)" 1;
}
--- config
location /upstream {
    return 200 "user=$http_x_user roles=$http_x_roles\n";
}
location /api/ {
    auth_jwt "kalamdb";
    auth_jwt_require $jwt_is_admin error=403;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Roles $jwt_roles;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{realm_access})
--- error_code: 200
--- response_body
user=user-42 roles=admin,user
--- no_error_log
auth_jwt: refused



=== TEST 30: auth_jwt_header_set exposes JOSE header members, nested ones included
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
auth_jwt_header_set $jwt_hdr_kid kid;
auth_jwt_header_set $jwt_hdr_typ typ;
auth_jwt_header_set $jwt_hdr_xy x y;
--- config
location /upstream {
    return 200 "kid=$http_x_kid typ=$http_x_typ xy=$http_x_xy\n";
}
location /api/ {
    auth_jwt "kalamdb";
    proxy_set_header X-Kid $jwt_hdr_kid;
    proxy_set_header X-Typ $jwt_hdr_typ;
    proxy_set_header X-Xy $jwt_hdr_xy;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{kid_typ})
--- error_code: 200
--- response_body
kid=key-1 typ=JWT xy=z
--- no_error_log
auth_jwt: refused



=== TEST 31: auth_jwt_claim_set and auth_jwt_header_set variables are empty after a refusal
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
auth_jwt_claim_set $jwt_org_name org name;
auth_jwt_header_set $jwt_hdr_alg alg;
--- config
location /upstream {
    return 200 "unreachable\n";
}
location /api/ {
    auth_jwt "kalamdb";
    error_page 401 = @err;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
location @err {
    return 401 "org=[$jwt_org_name] alg=[$jwt_hdr_alg] code=$jwt_error\n";
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{bad_sig})
--- error_code: 401
--- response_body
org=[] alg=[] code=INVALID_CREDENTIALS



=== TEST 32: $jwt_claim_ of an array whose strings hold commas is JSON, so the elements stay unambiguous
--- config
location /upstream {
    return 200 "groups=$http_x_groups\n";
}
location /api/ {
    auth_jwt "kalamdb";
    proxy_set_header X-Groups $jwt_claim_groups;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{comma})
--- error_code: 200
--- response_body
groups=["a,b","c"]
--- no_error_log
auth_jwt: refused



=== TEST 33: auth_jwt_type signed is accepted and tokens verify
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    auth_jwt_type signed;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{user})
--- error_code: 200
--- response_body
user=user-42 role=user
--- no_error_log
auth_jwt: refused



=== TEST 34: auth_jwt_type encrypted stops nginx: JWE is not supported
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    auth_jwt_type encrypted;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- must_die
--- error_log
"auth_jwt_type encrypted" is not supported



=== TEST 35: auth_jwt_type nested stops nginx: nested tokens are not supported
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    auth_jwt_type nested;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- must_die
--- error_log
"auth_jwt_type nested" is not supported



=== TEST 36: an unknown auth_jwt_type stops nginx
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    auth_jwt_type jws;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- must_die
--- error_log
"auth_jwt_type": unknown type "jws"; use signed



=== TEST 37: $jwt_claim_ gives negative, zero and large integers and false as JSON text; null is empty; empty array and object as JSON
--- config
location /upstream {
    return 200 "neg=$http_x_neg zero=$http_x_zero big=$http_x_big f=$http_x_f nul=[$http_x_nul] ea=$http_x_ea eo=$http_x_eo\n";
}
location /api/ {
    auth_jwt "kalamdb";
    proxy_set_header X-Neg $jwt_claim_neg;
    proxy_set_header X-Zero $jwt_claim_zero;
    proxy_set_header X-Big $jwt_claim_big;
    proxy_set_header X-F $jwt_claim_f;
    proxy_set_header X-Nul $jwt_claim_nul;
    proxy_set_header X-Ea $jwt_claim_ea;
    proxy_set_header X-Eo $jwt_claim_eo;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{numbers})
--- error_code: 200
--- response_body
neg=-3 zero=0 big=9007199254740993 f=false nul=[] ea=[] eo={}
--- no_error_log
auth_jwt: refused



=== TEST 38: $jwt_header_ gives numbers, booleans, arrays and objects of the header as JSON text
--- config
location /upstream {
    return 200 "n=$http_x_n b=$http_x_b a=$http_x_a o=$http_x_o\n";
}
location /api/ {
    auth_jwt "kalamdb";
    proxy_set_header X-N $jwt_header_n;
    proxy_set_header X-B $jwt_header_b;
    proxy_set_header X-A $jwt_header_a;
    proxy_set_header X-O $jwt_header_o;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{hdr_values})
--- error_code: 200
--- response_body
n=1 b=true a=["x"] o={"k":"v"}
--- no_error_log
auth_jwt: refused



=== TEST 39: $jwt_payload is the claims set re-serialised compactly: white space and escapes of the token are not passed through
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
bearer($::T{payload_ws})
--- error_code: 200
--- response_body
payload={"sub":"Alice","iss":"kalamdb","exp":4102444800,"path":"a/b","token_type":"access"}
--- no_error_log
auth_jwt: refused



=== TEST 40: auth_jwt_allow_missing on lets a request without a token through with no identity
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    auth_jwt_allow_missing on;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- error_code: 200
--- response_body
user= role=
--- no_error_log
auth_jwt: refused



=== TEST 41: auth_jwt_allow_missing on still refuses a token that does not verify
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    auth_jwt_allow_missing on;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{bad_sig})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Bad signature"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log eval
["auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS), iss: \"kalamdb\", token: " . fp($::T{bad_sig})]
--- no_error_log eval
[$::T{bad_sig}]



=== TEST 42: a Firebase-shaped ID token of the configured project verifies
--- http_config
auth_jwt_issuer https://securetoken.google.com/proj-a key_file=$TEST_NGINX_KEYS/rsa.jwks algorithms=RS256 audience=proj-a;
auth_jwt_claim_set $jwt_fb_provider firebase sign_in_provider;
--- config
location /upstream {
    return 200 "user=$http_x_user provider=$http_x_provider\n";
}
location /api/ {
    auth_jwt "kalamdb";
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Provider $jwt_fb_provider;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{fb_ok})
--- error_code: 200
--- response_body
user=fb-uid-1 provider=password
--- no_error_log
auth_jwt: refused



=== TEST 43: a Firebase ID token of another project is refused: its issuer is not trusted
--- http_config
auth_jwt_issuer https://securetoken.google.com/proj-a key_file=$TEST_NGINX_KEYS/rsa.jwks algorithms=RS256 audience=proj-a;
auth_jwt_claim_set $jwt_fb_provider firebase sign_in_provider;
--- config
location /upstream {
    return 200 "user=$http_x_user provider=$http_x_provider\n";
}
location /api/ {
    auth_jwt "kalamdb";
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Provider $jwt_fb_provider;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{fb_other})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Issuer not trusted"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Issuer not trusted"}}
--- error_log eval
["auth_jwt: refused: issuer not trusted (INVALID_CREDENTIALS), iss: \"https://securetoken.google.com/proj-b\", token: " . fp($::T{fb_other})]
--- no_error_log eval
[$::T{fb_other}]



=== TEST 44: a token of the project's issuer with another project's audience is an audience mismatch
--- http_config
auth_jwt_issuer https://securetoken.google.com/proj-a key_file=$TEST_NGINX_KEYS/rsa.jwks algorithms=RS256 audience=proj-a;
auth_jwt_claim_set $jwt_fb_provider firebase sign_in_provider;
--- config
location /upstream {
    return 200 "user=$http_x_user provider=$http_x_provider\n";
}
location /api/ {
    auth_jwt "kalamdb";
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Provider $jwt_fb_provider;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{fb_aud})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Audience mismatch"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Audience mismatch"}}
--- error_log eval
["auth_jwt: refused: aud does not match (INVALID_CREDENTIALS), iss: \"https://securetoken.google.com/proj-a\", token: " . fp($::T{fb_aud})]
--- no_error_log eval
[$::T{fb_aud}]



=== TEST 45: a Firebase custom token (issued by a service account for the Identity Toolkit) is refused: its issuer is not trusted
--- http_config
auth_jwt_issuer https://securetoken.google.com/proj-a key_file=$TEST_NGINX_KEYS/rsa.jwks algorithms=RS256 audience=proj-a;
auth_jwt_claim_set $jwt_fb_provider firebase sign_in_provider;
--- config
location /upstream {
    return 200 "user=$http_x_user provider=$http_x_provider\n";
}
location /api/ {
    auth_jwt "kalamdb";
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Provider $jwt_fb_provider;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{fb_custom})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Issuer not trusted"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Issuer not trusted"}}
--- error_log eval
["auth_jwt: refused: issuer not trusted (INVALID_CREDENTIALS), iss: \"sa\@proj-a.iam.gserviceaccount.com\", token: " . fp($::T{fb_custom})]
--- no_error_log eval
[$::T{fb_custom}]



=== TEST 46: a Google Sign-In ID token is refused: accounts.google.com is not the project's issuer
--- http_config
auth_jwt_issuer https://securetoken.google.com/proj-a key_file=$TEST_NGINX_KEYS/rsa.jwks algorithms=RS256 audience=proj-a;
auth_jwt_claim_set $jwt_fb_provider firebase sign_in_provider;
--- config
location /upstream {
    return 200 "user=$http_x_user provider=$http_x_provider\n";
}
location /api/ {
    auth_jwt "kalamdb";
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Provider $jwt_fb_provider;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer($::T{google})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Issuer not trusted"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Issuer not trusted"}}
--- error_log eval
["auth_jwt: refused: issuer not trusted (INVALID_CREDENTIALS), iss: \"https://accounts.google.com\", token: " . fp($::T{google})]
--- no_error_log eval
[$::T{google}]



=== TEST 47: the largest exp (9999-12-31T23:59:59Z) with the largest leeway (366d) is accepted: exp + leeway does not overflow
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access leeway=366d;
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
bearer($::T{exp_max})
--- error_code: 200
--- response_body
user=user-42 role=user
--- no_error_log
auth_jwt: refused



=== TEST 48: an exp one second past 9999-12-31T23:59:59Z is out of range even with the largest leeway
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access leeway=366d;
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
bearer($::T{exp_over})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Invalid claims"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Invalid claims"}}
--- error_log eval
["auth_jwt: refused: exp out of range (INVALID_CREDENTIALS), iss: \"kalamdb\", token: " . fp($::T{exp_over})]
--- no_error_log eval
[$::T{exp_over}]



=== TEST 49: a 100 KB claim is refused by the size cap before decoding, so it never reaches an upstream header
--- config
large_client_header_buffers 4 256k;
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
bearer($::T{huge_claim})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Malformed token"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token"}}
--- error_log eval
['auth_jwt: refused: token too large (INVALID_CREDENTIALS)']
--- no_error_log eval
[$::T{huge_claim}]



=== TEST 50: a claims set followed by a second JSON object is refused as malformed claims, not read up to its first object
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
bearer($::T{payload_trail})
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="kalamdb", error="invalid_token", error_description="Malformed token claims"
Content-Type: application/json
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Malformed token claims"}}
--- error_log eval
["auth_jwt: refused: token payload is not valid JSON (INVALID_CREDENTIALS), iss: \"\", token: " . fp($::T{payload_trail})]
--- no_error_log eval
[$::T{payload_trail}]

