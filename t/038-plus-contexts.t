use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use JWTTest;
use JWTKeys;
no_shuffle(); repeat_each(1);

# NGINX Plus configurations run unchanged: every Plus-named directive is
# accepted in each context the Plus documentation lists for it, with
# limit_except among them (auth_jwt, auth_jwt_key_file,
# auth_jwt_key_request, auth_jwt_require, auth_jwt_type), and a
# limit_except block inherits from its location like any nested level.
# (nginx's "return" does not reach into limit_except: the locations
# proxy to a backend, as real ones do.)

log_level('info');

$ENV{TEST_NGINX_KEYS} = $JWTKeys::KEYS;

our $OK = pk_mint(iss => 'https://plus.example', -key => 'rsa',
                  -header => { kid => 'rsa' });
our $B = pk_mint(iss => 'https://plus.example', -key => 'rsa-b',
                 -header => { kid => 'rsa-b' });

block_defaults();

run_tests();

__DATA__

=== TEST 1: limit_except GET { auth_jwt } leaves GET open and checks POST
--- config
location /api/ {
    auth_jwt_key_file $TEST_NGINX_KEYS/rsa.jwks;
    limit_except GET {
        auth_jwt "api";
    }
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/;
}
location /backend/ {
    return 200 "in\n";
}
--- request eval
["GET /api/x", "POST /api/x", "POST /api/x", "HEAD /api/x"]
--- more_headers eval
["", "", bearer($::OK), ""]
--- error_code eval
[200, 401, 200, 200]
--- response_body_like eval
[qr/^in$/, qr/"code":"MISSING_AUTHORIZATION"/, qr/^in$/, qr/^$/]



=== TEST 2: every limit_except directive Plus allows applies to the methods it limits
--- config
location /api/ {
    limit_except GET {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_KEYS/rsa.jwks;
        auth_jwt_require $jwt_claim_email error=403;
        auth_jwt_require $jwt_claim_nope;
        auth_jwt_type signed;
    }
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/;
}
location /backend/ {
    return 200 "in\n";
}
--- request eval
["GET /api/x", "PUT /api/x", "DELETE /api/x"]
--- more_headers eval
["", bearer($::OK), bearer($::B)]
--- error_code eval
[200, 401, 401]
--- response_body_like eval
[qr/^in$/, qr/"message":"Token does not satisfy the required claims"/,
 qr/"message":"No matching key"/]



=== TEST 3: auth_jwt off in limit_except opens the methods it limits
--- config
location /api/ {
    auth_jwt "api";
    auth_jwt_key_file $TEST_NGINX_KEYS/rsa.jwks;
    limit_except POST {
        auth_jwt off;
    }
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/;
}
location /backend/ {
    return 200 "in\n";
}
--- request eval
["GET /api/x", "POST /api/x", "POST /api/x"]
--- more_headers eval
["", "", bearer($::B)]
--- error_code eval
[200, 401, 401]



=== TEST 4: limit_except inherits keys and rules from its location and server
--- config
auth_jwt_key_file $TEST_NGINX_KEYS/rsa-b.jwks;
location /api/ {
    auth_jwt_require $jwt_claim_role;
    limit_except GET {
        auth_jwt "api";
    }
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/;
}
location /backend/ {
    return 200 "in\n";
}
--- request eval
["POST /api/x", "POST /api/x"]
--- more_headers eval
[bearer($::B), bearer($::OK)]
--- error_code eval
[200, 401]



=== TEST 5: each Plus directive at each context Plus lists starts nginx
--- http_config
auth_jwt "h";
auth_jwt_key_file $TEST_NGINX_KEYS/rsa.jwks;
auth_jwt_key_request /_jwks;
auth_jwt_key_cache 10m;
auth_jwt_leeway 10s;
auth_jwt_require $jwt_claim_sub;
auth_jwt_type signed;
auth_jwt_claim_set $email email;
auth_jwt_header_set $kid kid;
--- config
auth_jwt "s";
auth_jwt_key_file $TEST_NGINX_KEYS/rsa.jwks;
auth_jwt_key_request /_jwks;
auth_jwt_key_cache 10m;
auth_jwt_leeway 10s;
auth_jwt_require $jwt_claim_sub;
auth_jwt_type signed;
location = /_jwks {
    internal;
    alias $TEST_NGINX_KEYS/rsa.jwks;
}
location /api/ {
    auth_jwt "l";
    auth_jwt_key_file $TEST_NGINX_KEYS/rsa.jwks;
    auth_jwt_key_request /_jwks;
    auth_jwt_key_cache 10m;
    auth_jwt_leeway 10s;
    auth_jwt_require $jwt_claim_sub;
    auth_jwt_type signed;
    limit_except GET {
        auth_jwt "x";
        auth_jwt_key_file $TEST_NGINX_KEYS/rsa.jwks;
        auth_jwt_key_request /_jwks;
        auth_jwt_require $jwt_claim_sub;
        auth_jwt_type signed;
    }
    proxy_set_header X-Claims "email=$email kid=$kid";
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/;
}
location /backend/ {
    return 200 "$http_x_claims\n";
}
--- request eval
["GET /api/x", "POST /api/x"]
--- more_headers eval
[bearer($::OK), bearer($::OK)]
--- error_code eval
[200, 200]
--- response_body eval
["email=alice\@example.com kid=rsa\n", "email=alice\@example.com kid=rsa\n"]



=== TEST 6: auth_jwt_leeway is not allowed in limit_except, as in Plus
--- config
location /api/ {
    auth_jwt_key_file $TEST_NGINX_KEYS/rsa.jwks;
    limit_except GET {
        auth_jwt_leeway 10s;
    }
}
--- request
GET /api/x
--- must_die
--- error_log
"auth_jwt_leeway" directive is not allowed here



=== TEST 7: auth_jwt_key_cache is not allowed in limit_except, as in Plus
--- config
location /api/ {
    auth_jwt_key_file $TEST_NGINX_KEYS/rsa.jwks;
    limit_except GET {
        auth_jwt_key_cache 10s;
    }
}
--- request
GET /api/x
--- must_die
--- error_log
"auth_jwt_key_cache" directive is not allowed here



=== TEST 8: auth_jwt_claim_set is not allowed in a server, as in Plus
--- config
auth_jwt_claim_set $email email;
location /api/ {
    return 200;
}
--- request
GET /api/x
--- must_die
--- error_log
"auth_jwt_claim_set" directive is not allowed here
