use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use JWTTest;
use JWTKeys;
use Digest::SHA ();
use File::Path ();
use IO::Socket::INET ();
use MIME::Base64 ();

# Certificate-bound tokens (RFC 8705 section 3): cnf["x5t#S256"] is the
# SHA-256 of the DER of the client certificate of the TLS connection the
# token comes on.  The TLS server is a server block of the same nginx,
# with ssl_verify_client; the client is the main server's proxy, which
# presents a certificate per location (proxy_ssl_certificate) and resumes
# its TLS sessions (proxy_ssl_session_reuse, the default), so that a
# resumed session is tested too.  The test CA and the certificates are
# made here with openssl.

no_shuffle(); repeat_each(1);
log_level('info');

$ENV{KALAMDB_JWT_SECRET} = $JWTTest::SECRET;

our $TLS = JWTTest::aux_dir() . "/tls";
File::Path::remove_tree($TLS);
File::Path::make_path($TLS);
test_ca($TLS);

# client certificates: a and b by the test CA, s self-signed
sub openssl_run { system("cd '$TLS' && $_[0] >/dev/null 2>&1") == 0 or die "'$_[0]' failed\n" }

my $ec = '-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes';
open my $fh, '>', "$TLS/client.cnf" or die $!;
print $fh "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n";
close $fh;
for my $c ('a', 'b') {
    openssl_run("openssl req $ec -keyout client-$c.key -out client-$c.csr -subj /CN=client-$c");
    openssl_run("openssl x509 -req -in client-$c.csr -CA ca.crt -CAkey ca.key"
        . " -CAcreateserial -out client-$c.crt -days 3650 -extfile client.cnf");
}
openssl_run("openssl req -x509 $ec -keyout client-s.key -out client-s.crt -days 3650 -subj /CN=self");

# base64url(SHA-256(DER)) of a certificate
sub x5t {
    my ($c) = @_;
    my $der = `openssl x509 -in '$TLS/client-$c.crt' -outform DER`;
    die "openssl x509 failed\n" if $? || $der eq '';
    return MIME::Base64::encode_base64url(Digest::SHA::sha256($der));
}

our %X5T = map { $_ => x5t($_) } qw(a b s);

for my $name ('TLS_PORT', 'TLS_PORT2') {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Listen => 1) or die "no free port: $@\n";
    $ENV{"TEST_NGINX_$name"} = $s->sockport;
}

# a token bound to the certificate of client $c
sub cert_token {
    my ($c, @more) = @_;
    return mint(cnf => { 'x5t#S256' => $X5T{$c} }, @more);
}

sub refused {
    my ($msg) = @_;
    return qq({"status":"error","error":{"code":"INVALID_CREDENTIALS",)
         . qq("message":"$msg"}}\n);
}

our $default_http_config = <<'_EOC_';
auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;

upstream tls_a { server 127.0.0.1:$TEST_NGINX_TLS_PORT; }
upstream tls_b { server 127.0.0.1:$TEST_NGINX_TLS_PORT; }
upstream tls_none { server 127.0.0.1:$TEST_NGINX_TLS_PORT; }
upstream tls_s { server 127.0.0.1:$TEST_NGINX_TLS_PORT2; }

server {
    listen 127.0.0.1:$TEST_NGINX_TLS_PORT ssl;
    listen 127.0.0.1:$TEST_NGINX_TLS_PORT2 ssl;
    ssl_certificate $TEST_NGINX_AUX_DIR/tls/server.crt;
    ssl_certificate_key $TEST_NGINX_AUX_DIR/tls/server.key;
    ssl_client_certificate $TEST_NGINX_AUX_DIR/tls/ca.crt;
    ssl_verify_client optional_no_ca;
    ssl_session_cache shared:tls:1m;

    proxy_set_header X-User $jwt_user;
    proxy_set_header X-Reused $ssl_session_reused;
    proxy_set_header X-Verify $ssl_client_verify;

    location /api/ {
        auth_jwt "api";
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
    }

    location /mtls/ {
        auth_jwt "api";
        auth_jwt_bind mtls;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
    }

    location /dpop/ {
        auth_jwt "api";
        auth_jwt_bind dpop;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
    }
}
_EOC_

our $default_config = <<'_EOC_';
location /upstream {
    return 200 "user=$http_x_user reused=$http_x_reused\n";
}
location /a/ {
    proxy_pass https://tls_a/;
    proxy_ssl_certificate $TEST_NGINX_AUX_DIR/tls/client-a.crt;
    proxy_ssl_certificate_key $TEST_NGINX_AUX_DIR/tls/client-a.key;
}
location /b/ {
    proxy_pass https://tls_b/;
    proxy_ssl_certificate $TEST_NGINX_AUX_DIR/tls/client-b.crt;
    proxy_ssl_certificate_key $TEST_NGINX_AUX_DIR/tls/client-b.key;
}
location /s/ {
    proxy_pass https://tls_s/;
    proxy_ssl_certificate $TEST_NGINX_AUX_DIR/tls/client-s.crt;
    proxy_ssl_certificate_key $TEST_NGINX_AUX_DIR/tls/client-s.key;
}
location /none/ {
    proxy_pass https://tls_none/;
}
location /api/ {
    auth_jwt "api";
    proxy_set_header X-User $jwt_user;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
}
_EOC_

block_defaults(config => $default_config,
               http_config => $default_http_config);

run_tests();

__DATA__

=== TEST 1: a token bound to client certificate a, presented over a TLS connection with that certificate, reaches the upstream; a resumed session keeps the certificate
--- request eval
["GET /a/api/items", "GET /a/api/items"]
--- more_headers eval
[bearer(main::cert_token('a', sub => 'alice')), bearer(main::cert_token('a', sub => 'alice'))]
--- error_code eval
[200, 200]
--- response_body eval
["user=alice reused=.\n", "user=alice reused=r\n"]
--- no_error_log
auth_jwt: refused



=== TEST 2: the same token over a connection with another certificate (b) is refused: bound to another certificate
--- request
GET /b/api/items
--- more_headers eval
bearer(main::cert_token('a'))
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Token is bound to another certificate"
--- response_body eval
main::refused('Token is bound to another certificate')
--- error_log
auth_jwt: refused: cnf x5t#S256 is not the client certificate's (INVALID_CREDENTIALS)



=== TEST 3: a certificate-bound token over TLS without a client certificate is refused
--- request
GET /none/api/items
--- more_headers eval
bearer(main::cert_token('a'))
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="Token is bound to a client certificate; none was presented"
--- response_body eval
main::refused('Token is bound to a client certificate; none was presented')



=== TEST 4: a certificate-bound token over plain HTTP is refused
--- request
GET /api/items
--- more_headers eval
bearer(main::cert_token('a'))
--- error_code: 401
--- response_body eval
main::refused('Token is bound to a client certificate; none was presented')



=== TEST 5: a self-signed client certificate binds a token too (ssl_verify_client optional_no_ca, RFC 8705 2.2)
--- request
GET /s/api/items
--- more_headers eval
bearer(main::cert_token('s', sub => 'sam'))
--- error_code: 200
--- response_body
user=sam reused=.



=== TEST 6: auth_jwt_bind mtls refuses an unbound token even with a client certificate
--- request
GET /a/mtls/items
--- more_headers eval
bearer(mint(sub => 'carol'))
--- error_code: 401
--- response_body eval
main::refused('Token is not bound to a client certificate')



=== TEST 7: auth_jwt_bind mtls lets a token bound to the connection's certificate in
--- request
GET /b/mtls/items
--- more_headers eval
bearer(main::cert_token('b', sub => 'bob'))
--- error_code: 200
--- response_body
user=bob reused=.



=== TEST 8: auth_jwt_bind optional (the default) lets an unbound token in, with or without a certificate
--- request eval
["GET /a/api/items", "GET /none/api/items"]
--- more_headers eval
[bearer(mint(sub => 'carol')), bearer(mint(sub => 'carol'))]
--- error_code eval
[200, 200]



=== TEST 9: auth_jwt_bind dpop refuses a certificate-bound token: it is not DPoP-bound
--- request
GET /a/dpop/items
--- more_headers eval
bearer(main::cert_token('a'))
--- error_code: 401
--- response_body eval
main::refused('Token is not DPoP-bound')



=== TEST 10: a cached certificate-bound token is checked against the certificate on every request
--- request eval
["GET /a/api/items", "GET /a/api/items", "GET /a/api/items", "GET /b/api/items", "GET /none/api/items", "GET /a/api/items"]
--- more_headers eval
my $t = main::cert_token('a', sub => 'alice');
[(bearer($t)) x 6]
--- error_code eval
[200, 200, 200, 401, 401, 200]



=== TEST 11: a malformed x5t#S256 (not a string) is refused
--- request
GET /a/api/items
--- more_headers eval
bearer(mint(cnf => { 'x5t#S256' => 42 }))
--- error_code: 401
--- response_body eval
main::refused('Malformed cnf claim')
