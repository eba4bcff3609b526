use lib 't/lib';
use strict;
use warnings;

# A request served from the verified-token cache owns every value it
# exposes: its cache entry may be evicted while the request still runs
# (a slow upstream), and $jwt_user evaluated late (add_header, the access
# log) must still name this request's user, never the user whose name
# took the freed memory.  Under make asan a use after free is also
# reported by AddressSanitizer (the run fails).  One worker, a cache of
# 16 entries, 20 other users seen twice each while the slow request runs.

use Test::More;
use HTTP::Tiny;
use IO::Socket::INET;
use Time::HiRes ();
use JWTTest;
use NginxRun;
use IdP;

$ENV{KALAMDB_JWT_SECRET} = $JWTTest::SECRET;

IdP::start(dir => 't/servroot_061-idp');
IdP::put('/fast', "fast\n");
IdP::put('/slow', "slow\n");

my $port = NginxRun::start(<<'_EOC_');
    auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET;
    auth_jwt_cache 16;

    log_format users '$request_uri user=$jwt_user';
    access_log logs/users.log users;

    upstream backend {
        server 127.0.0.1:$TEST_NGINX_IDP_PORT;
    }

    server {
        listen 127.0.0.1:$PORT;
        listen 127.0.0.1:$PORT2 http2;

        location /p/ {
            auth_jwt "p";
            add_header X-User-Late $jwt_user always;
            proxy_pass http://backend/;
        }
    }
_EOC_

my $port2 = NginxRun::port2();
my $http = HTTP::Tiny->new(timeout => 10);

sub get {
    my ($path, $token) = @_;
    my $r = $http->get("http://127.0.0.1:$port$path",
                       { headers => { Authorization => "Bearer $token" } });
    return ($r->{status}, $r->{headers}{'x-user-late'} // '');
}

my $alice = mint(sub => 'alice-' . ('a' x 20));
my @others = map { mint(sub => sprintf('user-%02d-', $_) . ('o' x 20)) }
             1 .. 40;

# --- HTTP/1.1 ---------------------------------------------------------

is((get('/p/fast', $alice))[0], 200, 'first use verifies the token');
is((get('/p/fast', $alice))[0], 200, 'second use admits it to the cache');

my $c = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 10)
    or die "connect: $!";
print $c "GET /p/delay/3/slow HTTP/1.1\r\nHost: localhost\r\n"
       . "Authorization: Bearer $alice\r\nConnection: close\r\n\r\n";

# the slow request is past the cache hit and waits for its upstream
Time::HiRes::sleep(0.5);

my $ok = 0;
for my $t (@others[0 .. 19]) {
    for (1 .. 2) {
        $ok++ if (get('/p/fast', $t))[0] == 200;
    }
}
is($ok, 40, '20 other users, twice each, evict the cached entry');

local $/;
my $resp = <$c> // '';
close $c;

like($resp, qr{^HTTP/1\.1 200}, 'the slow request is served');
my ($late) = $resp =~ /^X-User-Late: (.*?)\r$/m;
is($late, 'alice-' . ('a' x 20),
   'its late $jwt_user still names its own user');

my $log = NginxRun::read_log('users.log');
like($log, qr{^/p/delay/3/slow user=alice-a{20}$}m,
     'the access log names its own user');

# --- HTTP/2: one connection, many streams, one of them slow ------------

SKIP: {
    my $curl = `curl --version 2>/dev/null`;
    skip 'curl without HTTP/2', 3 unless $curl =~ /\bHTTP2\b/;

    my @args = (-H => "Authorization: Bearer $alice",
                 -o => '/dev/null',
                 -w => '%{url_effective} %header{x-user-late}\n',
                 "http://127.0.0.1:$port2/p/delay/3/slow?u=alice-" . ('a' x 20));

    for my $i (0 .. $#others) {
        my $name = sprintf('user-%02d-', $i + 1) . ('o' x 20);
        for (1 .. 2) {
            push @args, '--next',
                -H => "Authorization: Bearer $others[$i]",
                -o => '/dev/null',
                -w => '%{url_effective} %header{x-user-late}\n',
                "http://127.0.0.1:$port2/p/fast?u=$name";
        }
    }

    open my $saved, '>&', \*STDERR or die $!;
    open STDERR, '>', '/dev/null' or die $!;
    my $pid = open my $out, '-|', 'curl', '-s', '--http2-prior-knowledge',
        '--parallel', '--parallel-max', '100', @args
        or die "curl: $!";
    my @lines = <$out>;
    close $out;
    open STDERR, '>&', $saved or die $!;

    my ($n, $wrong) = (0, 0);
    for (map { split /\n/ } @lines) {
        my ($u, $user) = m{[?&]u=(\S+) (\S*)} or next;
        $n++;
        if ($u ne $user) {
            $wrong++;
            diag("$u answered as '$user'");
        }
    }

    is($n, 81, 'every stream answered');
    is($wrong, 0, 'every stream names its own user, the slow one too');
    like(NginxRun::read_log('users.log'),
         qr{^/p/delay/3/slow\?u=alice-a{20} user=alice-a{20}$}m,
         'the slow stream is logged with its own user');
}

done_testing();
