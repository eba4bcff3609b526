use lib 't/lib';
use strict;
use warnings;

# Sender-constrained tokens over HTTP/2 (TLS): a DPoP proof in a DPoP
# header field, and the TLS client certificate of the connection, checked
# as over HTTP/1.1 (t/075, t/077).  The client is the curl binary (with
# its own client certificates), so plain Test::More drives a real nginx
# (t/lib/NginxRun.pm); skipped, with the reason, where nginx or curl lacks
# HTTP/2.

use Test::More;
use Digest::SHA ();
use File::Path ();
use IO::Socket::INET ();
use MIME::Base64 ();
use JWTTest;
use JWTKeys;
use DPoP;
use NginxRun;

$ENV{KALAMDB_JWT_SECRET} = $JWTTest::SECRET;

my $BIN = $ENV{TEST_NGINX_BINARY} // 'nginx';
my $nginx_v = `'$BIN' -V 2>&1`;
my ($nginx_ver) = $nginx_v =~ m{nginx/(\d+\.\d+\.\d+)};
my $curl_v = `curl -V 2>/dev/null`;

plan skip_all => 'no curl binary' if $? || $curl_v !~ /^curl /;
plan skip_all => 'curl without HTTP/2 support'
    if $curl_v !~ /^Features:.*\bHTTP2\b/m;
plan skip_all => 'nginx built without http_v2 (--with-http_v2_module)'
    if $nginx_v !~ /--with-http_v2_module/;

sub vnum { my @v = split /\./, shift; $v[0] * 1e6 + $v[1] * 1e3 + $v[2] }
my ($listen, $h2_on) = vnum($nginx_ver) >= vnum('1.25.1')
    ? ('ssl', 'http2 on;') : ('ssl http2', '');

# a server certificate and two self-signed client certificates
my $TLS = JWTTest::aux_dir() . '/tls';
File::Path::remove_tree($TLS);
File::Path::make_path($TLS);
for my $name ('server', 'client-a', 'client-b') {
    system('openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256'
           . " -nodes -keyout '$TLS/$name.key' -out '$TLS/$name.crt'"
           . " -days 3650 -subj /CN=$name"
           . " -addext subjectAltName=IP:127.0.0.1 2>/dev/null") == 0
        or BAIL_OUT('openssl cannot make the test certificates');
}

sub x5t {
    my $der = `openssl x509 -in '$TLS/client-$_[0].crt' -outform DER`;
    return MIME::Base64::encode_base64url(Digest::SHA::sha256($der));
}

my $tls_port = do {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Listen => 1) or die "no free port: $@\n";
    $s->sockport;
};
$ENV{TEST_NGINX_AUX_DIR} = JWTTest::aux_dir();

my $port = NginxRun::start(<<"_EOC_");
    auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;

    server {
        listen 127.0.0.1:\$PORT;

        location /echo {
            return 200 "user=\$http_x_user jkt=\$http_x_jkt\\n";
        }
    }

    server {
        listen 127.0.0.1:$tls_port $listen;
        $h2_on
        ssl_certificate \$TEST_NGINX_AUX_DIR/tls/server.crt;
        ssl_certificate_key \$TEST_NGINX_AUX_DIR/tls/server.key;
        ssl_verify_client optional_no_ca;

        location /api/ {
            auth_jwt "api";
            auth_jwt_dpop_url https://127.0.0.1:$tls_port\$uri;
            proxy_set_header X-User \$jwt_user;
            proxy_set_header X-Jkt \$jwt_dpop_jkt;
            proxy_pass http://127.0.0.1:\$PORT/echo;
        }
    }
_EOC_

my $CURL_OUT = JWTTest::aux_dir() . '/curl';

# curl over HTTP/2: (version, status, body)
sub h2 {
    my ($headers, $cert) = @_;
    my @cmd = ('curl', '-sk', '--http2', '-o', $CURL_OUT,
               '-w', '%{http_version} %{http_code}');
    push @cmd, '--cert', "$TLS/client-$cert.crt", '--key',
               "$TLS/client-$cert.key" if $cert;
    push @cmd, map { ('-H', $_) } @$headers;
    push @cmd, "https://127.0.0.1:$tls_port/api/items";
    open my $p, '-|', @cmd or die "curl: $!";
    my $out = do { local $/; <$p> };
    close $p;
    my ($v, $st) = split / /, $out // '';
    open my $fh, '<', $CURL_OUT or return ($v, $st, '');
    my $body = do { local $/; <$fh> };
    return ($v, $st, $body);
}

sub refused {
    return qq({"status":"error","error":{"code":"INVALID_CREDENTIALS",)
         . qq("message":"$_[0]"}}\n);
}

my $htu = "https://127.0.0.1:$tls_port/api/items";
my $token = dpop_token(sub => 'alice');
my $proof = proof(-token => $token, htu => $htu);

my ($v, $st, $body) = h2(["Authorization: DPoP $token", "DPoP: $proof"]);
is($v, '2', 'the request went over HTTP/2');
is($st, 200, 'a DPoP-bound token with its proof passes over HTTP/2');
is($body, 'user=alice jkt=' . jkt() . "\n",
   '... and the upstream sees $jwt_user and $jwt_dpop_jkt');

($v, $st, $body) = h2(["Authorization: DPoP $token", "DPoP: $proof"]);
is($st, 401, 'the same proof again over HTTP/2 is refused');
is($body, refused('Replayed DPoP proof'), '... as replayed');

($v, $st, $body) = h2(["Authorization: DPoP $token"]);
is($body, refused('DPoP proof missing'),
   'a DPoP-bound token without a proof over HTTP/2 is refused');

my $bound = mint(sub => 'carol', cnf => { 'x5t#S256' => x5t('a') });

($v, $st, $body) = h2(["Authorization: Bearer $bound"], 'a');
is($v, '2', 'with a client certificate, over HTTP/2');
is($st, 200, 'a token bound to the client certificate passes over HTTP/2');
is($body, "user=carol jkt=\n", '... as its user');

($v, $st, $body) = h2(["Authorization: Bearer $bound"], 'b');
is($body, refused('Token is bound to another certificate'),
   'the same token over HTTP/2 with another certificate is refused');

($v, $st, $body) = h2(["Authorization: Bearer $bound"]);
is($body, refused('Token is bound to a client certificate; none was presented'),
   'the same token over HTTP/2 without a certificate is refused');

# bound both ways: both are checked

my $both = mint(sub => 'dave', cnf => { jkt => jkt(), 'x5t#S256' => x5t('a') });

($v, $st, $body) = h2(["Authorization: DPoP $both",
                       'DPoP: ' . proof(-token => $both, htu => $htu)], 'a');
is($st, 200, 'a token bound to a key and a certificate passes with both');

($v, $st, $body) = h2(["Authorization: DPoP $both",
                       'DPoP: ' . proof(-token => $both, htu => $htu)], 'b');
is($body, refused('Token is bound to another certificate'),
   '... and is refused with its proof but another certificate');

done_testing();
