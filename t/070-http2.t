use lib 't/lib';
use strict;
use warnings;

# The same refusals over HTTP/2 (over TLS, and cleartext h2c with prior
# knowledge) and HTTP/3 (QUIC) as over HTTP/1.1: a valid, an expired, a
# missing and a Basic credential, and a token whose OIDC issuer has no
# keys (503 KEYS_UNAVAILABLE): same status, WWW-Authenticate, Retry-After
# and JSON body.  The client is the curl binary, so plain Test::More
# drives a real nginx (t/lib/NginxRun.pm); each protocol is skipped, with
# the reason, where nginx or curl lacks it.

use Test::More;
use File::Path ();
use IO::Socket::INET ();
use JSON::PP ();
use JWTTest;
use JWTKeys;
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

my $has_h3 = $nginx_v =~ /--with-http_v3_module/
             && $curl_v =~ /^Features:.*\bHTTP3\b/m;
my $why_no_h3 = $nginx_v !~ /--with-http_v3_module/
    ? 'nginx built without http_v3' : 'curl without HTTP/3 support';

# 1.25.1 replaced "listen ... http2" by the "http2" directive
sub vnum { my @v = split /\./, shift; $v[0] * 1e6 + $v[1] * 1e3 + $v[2] }
my $http2_directive = vnum($nginx_ver) >= vnum('1.25.1');

# a self-signed certificate for 127.0.0.1, made at test time
my $TLS = JWTTest::aux_dir() . '/tls';
File::Path::remove_tree($TLS);
File::Path::make_path($TLS);
system('openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256'
       . " -nodes -keyout '$TLS/server.key' -out '$TLS/server.crt'"
       . " -days 3650 -subj /CN=127.0.0.1"
       . " -addext subjectAltName=IP:127.0.0.1 2>/dev/null") == 0
    or BAIL_OUT('openssl cannot make the test certificate');

sub free_port {
    my ($proto) = @_;
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => $proto // 'tcp',
                                  $proto ? () : (Listen => 1))
        or die "no free port: $@\n";
    return $s->sockport;
}

# a closed port: the OIDC issuer's JWKS can never be fetched
my $closed = free_port();

$ENV{TEST_NGINX_TLS_PORT} = free_port();
$ENV{TEST_NGINX_H2C_PORT} = free_port();
$ENV{TEST_NGINX_H3_PORT}  = free_port('udp');
$ENV{TEST_NGINX_AUX_DIR}  = JWTTest::aux_dir();

my ($tls_listen, $h2c_listen, $h2_on) = $http2_directive
    ? ('ssl', '', 'http2 on;')
    : ('ssl http2', 'http2', '');
# nginx with http_v3 listens for QUIC too, even when curl cannot test it
my $nginx_h3 = $nginx_v =~ /--with-http_v3_module/;
my $h3_listen = $nginx_h3
    ? "listen 127.0.0.1:\$TEST_NGINX_H3_PORT quic;\n"
      . "        add_header Alt-Svc 'h3=\":\$TEST_NGINX_H3_PORT\"' always;"
    : '';

# one set of locations, served by every listener
my $locations = <<"_EOC_";
        ssl_certificate \$TEST_NGINX_AUX_DIR/tls/server.crt;
        ssl_certificate_key \$TEST_NGINX_AUX_DIR/tls/server.key;

        # return runs before the access phase: the protected locations
        # proxy to this echo, as a real upstream would be reached
        location /echo {
            return 200 "user=\$http_x_user\\n";
        }

        location /api/ {
            auth_jwt "kalamdb";
            proxy_set_header X-User \$jwt_user;
            proxy_pass http://127.0.0.1:\$PORT/echo;
        }

        location /oidc/ {
            auth_jwt "oidc";
            proxy_set_header X-User \$jwt_user;
            proxy_pass http://127.0.0.1:\$PORT/echo;
        }
_EOC_

my $port = NginxRun::start(<<"_EOC_");
    auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
    auth_jwt_issuer https://down.example insecure_http
                    jwks_uri=http://127.0.0.1:$closed/jwks.json;

    server {
        listen 127.0.0.1:\$PORT;
$locations
    }

    server {
        listen 127.0.0.1:\$TEST_NGINX_TLS_PORT $tls_listen;
        $h3_listen
        $h2_on
$locations
    }

    server {
        listen 127.0.0.1:\$TEST_NGINX_H2C_PORT $h2c_listen;
        $h2_on
$locations
    }
_EOC_

my $json = JSON::PP->new->canonical;
my $CURL_OUT = JWTTest::aux_dir() . '/curl';

# curl(proto, path, [header], [curl args]): one request; returns
# { version, status, headers => {lc name => value}, body, exit }
sub curl {
    my ($proto, $path, $hdr, @args) = @_;
    my %url = (
        'http/1.1' => ['--http1.1', "http://127.0.0.1:$port"],
        'h2'       => ['--http2',
                       "https://127.0.0.1:$ENV{TEST_NGINX_TLS_PORT}"],
        'h2c'      => ['--http2-prior-knowledge',
                       "http://127.0.0.1:$ENV{TEST_NGINX_H2C_PORT}"],
        'h3'       => ['--http3-only',
                       "https://127.0.0.1:$ENV{TEST_NGINX_TLS_PORT}"],
    );
    my ($opt, $base) = @{ $url{$proto} };
    unlink "$CURL_OUT.h", "$CURL_OUT.b";
    my @cmd = ('curl', '-sS', $opt, '--cacert', "$TLS/server.crt",
               '--max-time', '10', '-D', "$CURL_OUT.h", '-o', "$CURL_OUT.b",
               '-w', '%{http_version} %{http_code}',
               ($hdr ? ('-H', $hdr) : ()), @args, "$base$path");
    open my $fh, '-|', @cmd or die "curl: $!\n";
    my $w = do { local $/; <$fh> } // '';
    close $fh;
    my %r = (exit => $? >> 8, headers => {});
    @r{qw(version status)} = split ' ', $w;
    for (split /\r?\n/, slurp("$CURL_OUT.h")) {
        $r{headers}{lc $1} = $2 if /^([^:\s]+):\s*(.*?)\s*$/;
    }
    $r{body} = slurp("$CURL_OUT.b");
    return \%r;
}

sub slurp {
    open my $fh, '<', shift or return '';
    local $/;
    return scalar <$fh> // '';
}

sub error_code {
    my ($body) = @_;
    my $d = eval { $json->decode($body) } or return '';
    return $d->{error}{code} // '';
}

my $valid   = mint(sub => 'alice');
my $expired = mint(sub => 'alice', exp => time - 600, iat => time - 3600);
my $oidc    = pk_mint(iss => 'https://down.example', sub => 'bob',
                      -header => { kid => 'rsa' });

# name => [path, Authorization header, status, error code]
my @cases = (
    [valid   => '/api/x', "Authorization: Bearer $valid", 200, ''],
    [expired => '/api/x', "Authorization: Bearer $expired", 401,
     'TOKEN_EXPIRED'],
    [missing => '/api/x', undef, 401, 'MISSING_AUTHORIZATION'],
    [basic   => '/api/x', 'Authorization: Basic YWxpY2U6c2VjcmV0', 401,
     'INVALID_CREDENTIALS'],
    [no_keys => '/oidc/x', "Authorization: Bearer $oidc", 503,
     'KEYS_UNAVAILABLE'],
);

# the HTTP/1.1 answers, checked on their own first
my %h1;
for my $c (@cases) {
    my ($name, $path, $hdr, $status, $code) = @$c;
    my $r = $h1{$name} = curl('http/1.1', $path, $hdr);
    is($r->{status}, $status, "HTTP/1.1 $name: status $status");
    if ($status == 200) {
        is($r->{body}, "user=alice\n", "HTTP/1.1 $name: the upstream sees "
                                       . "the user");
    } else {
        is(error_code($r->{body}), $code, "HTTP/1.1 $name: code $code");
        like($r->{headers}{'www-authenticate'} // '', qr/^Bearer realm="/,
             "HTTP/1.1 $name: WWW-Authenticate");
    }
}
like($h1{no_keys}{headers}{'retry-after'} // '', qr/^\d+$/,
     'HTTP/1.1 no_keys: Retry-After');
ok(!exists $h1{expired}{headers}{'retry-after'},
   'HTTP/1.1 expired: no Retry-After');

# the same requests over each protocol: the same answers
sub same_answers {
    my ($proto, $want_version) = @_;
    for my $c (@cases) {
        my ($name, $path, $hdr, $status, $code) = @$c;
        my $r = curl($proto, $path, $hdr);
        my $h = $h1{$name};
        is($r->{exit}, 0, "$proto $name: curl succeeds");
        is($r->{version}, $want_version, "$proto $name: HTTP/$want_version "
                                         . "was spoken");
        is($r->{status}, $h->{status}, "$proto $name: status $status as "
                                       . "over HTTP/1.1");
        is($r->{headers}{'www-authenticate'},
           $h->{headers}{'www-authenticate'},
           "$proto $name: WWW-Authenticate as over HTTP/1.1");
        # seconds to the next fetch: counted down between the requests
        is(defined $r->{headers}{'retry-after'},
           defined $h->{headers}{'retry-after'},
           "$proto $name: Retry-After as over HTTP/1.1");
        like($r->{headers}{'retry-after'} // 0, qr/^\d+$/,
             "$proto $name: Retry-After is a number of seconds");
        is($r->{headers}{'content-type'}, $h->{headers}{'content-type'},
           "$proto $name: Content-Type as over HTTP/1.1");
        if ($status == 200) {
            is($r->{body}, $h->{body}, "$proto $name: the same body");
        } else {
            is_deeply(eval { $json->decode($r->{body}) },
                      $json->decode($h->{body}),
                      "$proto $name: the same JSON body");
            is(error_code($r->{body}), $code, "$proto $name: code $code");
        }
    }
}

same_answers('h2', '2');
same_answers('h2c', '2');

# a POST whose token is valid: the upstream reads the body and answers
for my $proto ('h2', 'h2c') {
    my $r = curl($proto, '/api/x', "Authorization: Bearer $valid",
                 '--data-binary', 'x' x 1000);
    is("$r->{exit} $r->{version} $r->{status}", '0 2 200',
       "$proto POST with a valid token: 200 over HTTP/2");
    is($r->{body}, "user=alice\n", "$proto POST: the upstream sees the user");
}

SKIP: {
    skip 'nginx built without http_v3', 1 unless $nginx_h3;
    my $r = curl('h2', '/api/x');
    is($r->{headers}{'alt-svc'}, qq(h3=":$ENV{TEST_NGINX_H3_PORT}"),
       'the TLS server also listens for QUIC and advertises it');
}

SKIP: {
    # 8 checks for the valid token, 9 for each refusal
    skip "HTTP/3: $why_no_h3", 8 + 9 * $#cases unless $has_h3;
    same_answers('h3', '3');
}

done_testing();
