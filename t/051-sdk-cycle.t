use lib 't/lib';
use strict;
use warnings;

# End to end, the way the backend's SDKs use the edge: log in through
# nginx, call SQL, see TOKEN_EXPIRED, refresh, call again; and WebSocket
# upgrades with the token in a header, in a subprotocol, or not at all.
# Scenario tests that react to responses, so plain Test::More drives a
# real nginx (t/lib/NginxRun.pm) in front of scripts/mock-kalamdb.

use Test::More;
use HTTP::Tiny;
use JSON::PP;
use IO::Socket::INET;
use MIME::Base64 qw(encode_base64);
use JWTTest;
use MockKalamDB;
use NginxRun;

$ENV{KALAMDB_JWT_SECRET} = $JWTTest::SECRET;

# access tokens of the mock live 2 seconds here, to watch them expire
MockKalamDB::start(access_ttl => 2);

my $port = NginxRun::start(<<'_EOC_');
    auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET
                    algorithms=HS256 token_type=access;

    map $http_sec_websocket_protocol $ws_protocol_token {
        "~(^|[ ,])kalamdb\.jwt\.(?<t>[A-Za-z0-9._-]+)"  $t;
        default                                         "";
    }

    map $http_authorization $ws_bearer_token {
        "~*^bearer (?<t>[A-Za-z0-9._-]+)$"  $t;
        default                            "";
    }

    map $http_upgrade $connection_upgrade {
        default  upgrade;
        ""       close;
    }

    server {
        listen 127.0.0.1:$PORT;

        proxy_http_version 1.1;
        proxy_set_header X-User $jwt_user;

        location /v1/ {
            auth_jwt "kalamdb";
            proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
        }

        location /v1/api/auth/ {
            auth_jwt off;
            proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
        }

        location = /v1/ws {
            auth_jwt "kalamdb" token=$ws_protocol_token$ws_bearer_token;
            auth_jwt_allow_missing on;
            proxy_set_header X-User $jwt_user;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 1h;
            proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
        }
    }
_EOC_

my $base = "http://127.0.0.1:$port";
my $http = HTTP::Tiny->new(timeout => 5);
my $json = JSON::PP->new;

sub post {
    my ($path, $body, $token) = @_;
    my $r = $http->post("$base$path", {
        content => $json->encode($body),
        headers => { 'Content-Type' => 'application/json',
                     ($token ? (Authorization => "Bearer $token") : ()) },
    });
    my $data = eval { $json->decode($r->{content}) } // {};
    return ($r->{status}, $data);
}

sub current_user {
    my ($data) = @_;
    return $data->{results} && $data->{results}[0]{rows}[0][0];
}

sub sql {
    return post('/v1/api/sql', { sql => 'SELECT CURRENT_USER()' }, $_[0]);
}


# --- the whole cycle, step by step -------------------------------------

my ($st, $d) = post('/v1/api/auth/login',
                    { user => 'alice', password => 'alice-password' });
is($st, 200, 'login through nginx: 200');
ok($d->{access_token} && $d->{refresh_token}, 'login returns both tokens');

my ($access, $refresh) = @$d{qw(access_token refresh_token)};

($st, $d) = sql($access);
is($st, 200, 'SQL with the access token: 200');
is(current_user($d), 'alice', 'SELECT CURRENT_USER() is alice');
is($d->{edge}{x_user}, 'alice', 'the backend received X-User: alice');

($st, $d) = sql($refresh);
is($st, 401, 'SQL with the refresh token: refused at the edge');
is($d->{error}{message}, 'Refresh token used as access token',
   '... as a refresh token used as access token');

sleep 3;

($st, $d) = sql($access);
is($st, 401, 'SQL after the access token expired: 401');
is($d->{error}{code}, 'TOKEN_EXPIRED', '... with code TOKEN_EXPIRED');

my $r = $http->post("$base/v1/api/auth/refresh",
                    { headers => { Authorization => "Bearer $refresh" } });
is($r->{status}, 200, 'refresh through nginx (open endpoint): 200');
$access = eval { $json->decode($r->{content})->{access_token} };
ok($access, 'refresh returns a new access token');

($st, $d) = sql($access);
is($st, 200, 'SQL with the refreshed token: 200');
is(current_user($d), 'alice', '... and the user is still alice');


# --- a client that follows the SDK rule --------------------------------

# refresh once on TOKEN_EXPIRED, then retry once
sub sdk_sql {
    my ($session) = @_;
    my ($st, $d) = sql($session->{access});
    return ($st, $d) unless $st == 401
                            && ($d->{error}{code} // '') eq 'TOKEN_EXPIRED';
    $session->{refreshes}++;
    my $r = $http->post("$base/v1/api/auth/refresh",
        { headers => { Authorization => "Bearer $session->{refresh}" } });
    return ($r->{status}, {}) unless $r->{status} == 200;
    $session->{access} = $json->decode($r->{content})->{access_token};
    return sql($session->{access});
}

($st, $d) = post('/v1/api/auth/login',
                 { user => 'bob', password => 'bob-password' });
my %session = (access => $d->{access_token}, refresh => $d->{refresh_token},
               refreshes => 0);

sleep 3;

($st, $d) = sdk_sql(\%session);
is($st, 200, 'SDK rule: an expired session succeeds after refresh + retry');
is(current_user($d), 'bob', '... as bob');
is($session{refreshes}, 1, '... with exactly one refresh');

# a token that is bad for another reason is not refreshed
%session = (access => mint(sub => 'bob', -key => $JWTTest::SECRET2),
            refresh => 'unused', refreshes => 0);
($st, $d) = sdk_sql(\%session);
is($st, 401, 'SDK rule: a bad signature is not retried');
is($session{refreshes}, 0, '... and triggers no refresh');


# --- WebSocket ---------------------------------------------------------

# returns the status, the response headers and, after a 101, the echo of
# one text frame
sub ws {
    my (%o) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                  Timeout => 5) or die $!;
    my $key = encode_base64(join('', map { chr int rand 256 } 1 .. 16), '');
    print $s "GET /v1/ws?probe=$o{probe} HTTP/1.1\r\nHost: localhost\r\n",
             "Upgrade: websocket\r\nConnection: Upgrade\r\n",
             "Sec-WebSocket-Key: $key\r\nSec-WebSocket-Version: 13\r\n",
             ($o{bearer} ? "Authorization: Bearer $o{bearer}\r\n" : ''),
             ($o{protocol} ? "Sec-WebSocket-Protocol: $o{protocol}\r\n" : ''),
             "\r\n";

    my $status = <$s> // '';
    my ($code) = $status =~ m{^HTTP/1\.1 (\d+)};
    my %h;
    while (my $l = <$s>) {
        $l =~ s/\r?\n$//;
        last if $l eq '';
        my ($k, $v) = split /:\s*/, $l, 2;
        $h{lc $k} = $v;
    }

    return ($code, \%h, undef) unless ($code // 0) == 101;

    # one masked text frame, as a client must send
    my $msg = 'SELECT 1';
    my @mask = map { int rand 256 } 1 .. 4;
    my @d = unpack 'C*', $msg;
    $d[$_] ^= $mask[$_ % 4] for 0 .. $#d;
    print $s pack('CC', 0x81, 0x80 | length $msg), pack('C4', @mask),
             pack('C*', @d);

    my $hdr = '';
    read $s, $hdr, 2;
    my ($b0, $len) = unpack 'CC', $hdr;
    my $echo = '';
    read $s, $echo, $len;
    print $s pack('CC', 0x88, 0x80), pack('C4', 0, 0, 0, 0);
    close $s;

    return ($code, \%h, $echo);
}

my ($code, $h, $echo);
my $ws_token = mint(sub => 'carol');

($code, $h, $echo) = ws(probe => 'header', bearer => $ws_token);
is($code, 101, 'WebSocket with Authorization: Bearer: upgraded');
is($echo, 'SELECT 1', '... and the echo flows through nginx');

($code, $h, $echo) = ws(probe => 'subprotocol',
                        protocol => "kalamdb.jwt.$ws_token");
is($code, 101, 'WebSocket with the token as subprotocol: upgraded');
is($h->{'sec-websocket-protocol'}, "kalamdb.jwt.$ws_token",
   '... the backend selected the subprotocol');
is($echo, 'SELECT 1', '... and the echo flows');

($code, $h, $echo) = ws(probe => 'none');
is($code, 101, 'WebSocket without a token (allow_missing): upgraded, '
               . 'the backend authenticates the first message');
is($echo, 'SELECT 1', '... and the echo flows');

my $expired = mint(sub => 'carol', exp => time - 60, iat => time - 3600);

($code, $h) = ws(probe => 'bad-header', bearer => $expired);
is($code, 401, 'WebSocket with an expired header token: 401 before upgrade');

($code, $h) = ws(probe => 'bad-protocol',
                 protocol => 'kalamdb.jwt.'
                             . mint(sub => 'carol',
                                    -key => $JWTTest::SECRET2));
is($code, 401, 'WebSocket with a forged subprotocol token: 401 before '
               . 'upgrade');

my $seen = MockKalamDB::requests();
unlike($seen, qr/probe=bad-/, 'refused upgrades never reached the backend');
like($seen, qr/probe=header.*probe=subprotocol.*probe=none/s,
     'accepted upgrades did');

done_testing();
