use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use JWTTest;
$ENV{KALAMDB_JWT_SECRET} = $JWTTest::SECRET;
no_shuffle(); repeat_each(1);

# at debug level nginx itself logs every request header, Authorization too
log_level('info');

# CPAN's Test::Nginx does not export this one itself
$ENV{TEST_NGINX_HTML_DIR} ||= html_dir();

$ENV{SHORT_JWT_SECRET} = '0123456789';                  # 10 bytes
$ENV{HS256_ONLY_SECRET} = 'x' x 40;                     # enough for HS256 only
$ENV{EMPTY_JWT_SECRET} = '';
delete $ENV{NO_SUCH_VAR};

our $LITERAL = 'literal-secret-written-in-nginx-conf-0123456789';
our $FILE_SECRET = 'file-secret-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789-ABCD';
our $WITH_NEWLINE = mint(-key => "$FILE_SECRET\n");

our $default_config = <<'_EOC_';
location /api/ {
    auth_jwt "kalamdb";
}
_EOC_

block_defaults(config => $default_config);

run_tests();

__DATA__

=== TEST 1: a secret shorter than the HS256 output (10 bytes) stops nginx from starting
--- http_config
auth_jwt_issuer kalamdb secret=env:SHORT_JWT_SECRET;
--- request
GET /api/items
--- must_die
--- error_log
[emerg]
"auth_jwt_issuer" "kalamdb": the secret is 10 bytes, shorter than the 32-byte hash output



=== TEST 2: a 40-byte secret with algorithms=HS512 stops nginx: the longest allowed hash sets the minimum
--- http_config
auth_jwt_issuer kalamdb secret=env:HS256_ONLY_SECRET algorithms=HS256,HS512;
--- request
GET /api/items
--- must_die
--- error_log
[emerg]
"auth_jwt_issuer" "kalamdb": the secret is 40 bytes, shorter than the 64-byte hash output



=== TEST 3: an unknown auth_jwt_issuer parameter stops nginx and is named in the message
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET foo=bar;
--- request
GET /api/items
--- must_die
--- error_log
[emerg]
"auth_jwt_issuer"
invalid parameter "foo=bar"



=== TEST 4: a secret=env: naming an unset variable stops nginx
--- http_config
auth_jwt_issuer kalamdb secret=env:NO_SUCH_VAR;
--- request
GET /api/items
--- must_die
--- error_log
[emerg]
environment variable "NO_SUCH_VAR" is not set



=== TEST 5: a secret=env: naming an empty variable stops nginx
--- http_config
auth_jwt_issuer kalamdb secret=env:EMPTY_JWT_SECRET;
--- request
GET /api/items
--- must_die
--- error_log
[emerg]
environment variable "EMPTY_JWT_SECRET" is not set or empty



=== TEST 6: an unknown algorithm name stops nginx
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET algorithms=HS256,HS257;
--- request
GET /api/items
--- must_die
--- error_log
[emerg]
unknown algorithm in "algorithms=HS256,HS257"



=== TEST 7: algorithm names are case-sensitive: "hs256" stops nginx
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET algorithms=hs256;
--- request
GET /api/items
--- must_die
--- error_log
[emerg]
unknown algorithm in "algorithms=hs256"



=== TEST 8: RS256 on an issuer with a shared secret stops nginx
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET algorithms=HS256,RS256;
--- request
GET /api/items
--- must_die
--- error_log
[emerg]
"auth_jwt_issuer" "kalamdb": a secret= issuer verifies HS256, HS384 and HS512 only



=== TEST 9: auth_jwt turned on without any auth_jwt_issuer stops nginx
--- request
GET /api/items
--- must_die
--- error_log
[emerg]
"auth_jwt" is on but no key source is configured



=== TEST 10: the same issuer declared twice stops nginx
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET;
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
--- request
GET /api/items
--- must_die
--- error_log
[emerg]
"auth_jwt_issuer" "kalamdb" is duplicate



=== TEST 11: an issuer without secret= stops nginx
--- http_config
auth_jwt_issuer kalamdb token_type=access;
--- request
GET /api/items
--- must_die
--- error_log
[emerg]
"auth_jwt_issuer" "kalamdb" has no key source



=== TEST 12: a secret=file: that does not exist stops nginx
--- http_config
auth_jwt_issuer kalamdb secret=file:$TEST_NGINX_HTML_DIR/no-such-secret.txt;
--- request
GET /api/items
--- must_die
--- error_log
[emerg]
cannot open secret file



=== TEST 13: auth_jwt_issuer is an http-level directive: inside server it stops nginx
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET;
--- config
auth_jwt_issuer other secret=env:KALAMDB_JWT_SECRET;
location /api/ {
    auth_jwt "kalamdb";
}
--- request
GET /api/items
--- must_die
--- error_log
[emerg]
"auth_jwt_issuer" directive is not allowed here



=== TEST 14: an unknown auth_jwt parameter stops nginx
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET;
--- config
location /api/ {
    auth_jwt "kalamdb" foo=bar;
}
--- request
GET /api/items
--- must_die
--- error_log
[emerg]
"auth_jwt": unknown parameter "foo=bar"



=== TEST 15: auth_jwt token= without a variable stops nginx
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET;
--- config
location /api/ {
    auth_jwt "kalamdb" token=access_token;
}
--- request
GET /api/items
--- must_die
--- error_log
[emerg]
"auth_jwt": token= needs a variable



=== TEST 16: "auth_jwt off" with a parameter stops nginx
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET;
--- config
location /api/ {
    auth_jwt off token=$cookie_access_token;
}
--- request
GET /api/items
--- must_die
--- error_log
[emerg]
takes no parameters with "off"



=== TEST 17: an unparsable issuer leeway= stops nginx
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET leeway=soon;
--- request
GET /api/items
--- must_die
--- error_log
[emerg]
"auth_jwt_issuer" "kalamdb": invalid "leeway=soon"



=== TEST 18: auth_jwt_leeway over a year stops nginx
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET;
--- config
location /api/ {
    auth_jwt "kalamdb";
    auth_jwt_leeway 400d;
}
--- request
GET /api/items
--- must_die
--- error_log
[emerg]
"auth_jwt_leeway" must not exceed 366d



=== TEST 19: an empty audience= stops nginx rather than checking nothing
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET audience=;
--- request
GET /api/items
--- must_die
--- error_log
[emerg]
"auth_jwt_issuer" "kalamdb": empty "audience="



=== TEST 20: an empty value inside an audience= list stops nginx
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET audience=api,,admin;
--- request
GET /api/items
--- must_die
--- error_log
[emerg]
empty value in "audience=api,,admin"



=== TEST 21: a literal secret in the configuration logs a warning, nginx starts, and tokens signed with it verify
--- http_config
auth_jwt_issuer kalamdb secret=literal-secret-written-in-nginx-conf-0123456789 token_type=access;
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
bearer(mint(-key => $::LITERAL))
--- error_code: 200
--- response_body
user=user-42 role=user
--- error_log
the secret is written in the configuration



=== TEST 22: a secret=file: has its trailing newline stripped, so tokens signed with the line verify
--- http_config
auth_jwt_issuer kalamdb secret=file:$TEST_NGINX_HTML_DIR/secret.txt token_type=access;
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
--- user_files eval
">>> secret.txt\n$::FILE_SECRET\n"
--- request
GET /api/items
--- more_headers eval
bearer(mint(-key => $::FILE_SECRET))
--- error_code: 200
--- response_body
user=user-42 role=user
--- no_error_log
the secret is written in the configuration



=== TEST 23: a secret=file: key is the line without its newline: a token signed with the newline is a Bad signature
--- http_config
auth_jwt_issuer kalamdb secret=file:$TEST_NGINX_HTML_DIR/secret.txt token_type=access;
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    proxy_set_header X-User $jwt_user;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- user_files eval
">>> secret.txt\n$::FILE_SECRET\n"
--- request
GET /api/items
--- more_headers eval
bearer($::WITH_NEWLINE)
--- error_code: 401
--- response_body
{"status":"error","error":{"code":"INVALID_CREDENTIALS","message":"Bad signature"}}
--- error_log
auth_jwt: refused: signature mismatch (INVALID_CREDENTIALS)
--- no_error_log eval
[$::WITH_NEWLINE]



=== TEST 24: every issuer parameter together is accepted and each one takes effect
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET algorithms=HS256,HS384,HS512 token_type=access leeway=300s audience=api,admin user_claim=email;
--- config
location /upstream {
    return 200 "user=$http_x_user role=$http_x_role\n";
}
location /api/ {
    auth_jwt "kalamdb";
    auth_jwt_max_size 4k;
    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Role $jwt_claim_role;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer(mint(-alg => 'HS512', aud => 'admin', exp => time - 60))
--- error_code: 200
--- response_body
user=alice@example.com role=user



=== TEST 25: secret=ENV:NAME (a misspelt source) stops nginx instead of being a literal secret
--- http_config
auth_jwt_issuer kalamdb secret=ENV:KALAMDB_JWT_SECRET_WITH_A_LONG_NAME;
--- request
GET /api/items
--- must_die
--- error_log
looks like a misspelt source; write secret=env:NAME or secret=file:PATH



=== TEST 26: secret=File:path stops nginx likewise
--- http_config
auth_jwt_issuer kalamdb secret=File:/etc/nginx/a-secret-file-that-is-long-enough;
--- request
GET /api/items
--- must_die
--- error_log
secret "File:..." looks like a misspelt source



=== TEST 27: secret=env: without a variable name stops nginx
--- http_config
auth_jwt_issuer kalamdb secret=env:;
--- request
GET /api/items
--- must_die
--- error_log
secret=env: names no variable



=== TEST 28: an unusual token_type= value is a warning: every token whose token_type differs is refused
--- http_config
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=acess;
--- config
location /api/ {
    auth_jwt "kalamdb";
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
--- request
GET /api/items
--- more_headers eval
bearer(mint())
--- error_code: 401
--- error_log
token_type=acess is neither "access" nor "refresh"

