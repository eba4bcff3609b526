use lib 't/lib';
use strict;
use warnings;

# auth_jwt_key_cache over time and under concurrency, counted at the IdP
# stand-in (t/lib/IdP.pm) behind proxy_pass, as in the NGINX Plus example:
# a thousand requests within the time cost no subrequest after the first;
# concurrent first requests share one subrequest per worker (single
# flight); the time ending brings a refetch (and a rotated key); a failing
# refetch keeps the old keys for min(time, 5m) more, then 503 with
# Retry-After; a verified-token cache entry never outlives its keys; a
# reload starts with an empty cache.

use Test::More;
use HTTP::Tiny;
use IO::Socket::INET;
use IO::Select;
use Time::HiRes ();
use JWTTest;
use JWTKeys;
use NginxRun;
use IdP;

IdP::start(dir => 't/servroot_039-idp');

my $JWKS_A = jwks(jwk('rsa', alg => 'RS256'));
my $JWKS_B = jwks(jwk('rsa-b', alg => 'RS256'));

IdP::put('/many/jwks.json', $JWKS_A);
IdP::put('/flight/jwks.json', $JWKS_A);
IdP::put('/rot/jwks.json', $JWKS_A, $JWKS_B);
IdP::put('/stale/jwks.json', $JWKS_A, '#status 500');
IdP::put('/reload/jwks.json', $JWKS_A);

sub tok {
    my ($key) = @_;
    return pk_mint(iss => 'https://idp.example', -key => $key,
                   -header => { kid => $key });
}

my %T = (a => tok('rsa'), b => tok('rsa-b'));

# one location per scenario, each with its own key request
my $locations = join '', map {
    my ($name, $uri, $time) = @$_;
    <<"_EOC_";
        location /$name/ {
            auth_jwt "api";
            auth_jwt_key_request /_jwks_$name;
            auth_jwt_key_cache $time;
            proxy_pass http://127.0.0.1:\$PORT/backend/;
        }
        location = /_jwks_$name {
            internal;
            proxy_pass http://127.0.0.1:\$TEST_NGINX_IDP_PORT$uri;
        }
_EOC_
} ['many', '/many/jwks.json', '10m'],
  ['flight', '/delay/1/flight/jwks.json', '10m'],
  ['rot', '/rot/jwks.json', '2s'],
  ['stale', '/stale/jwks.json', '2s'],
  ['reload', '/reload/jwks.json', '10m'];

my $conf = <<"_EOC_";
    server {
        listen 127.0.0.1:\$PORT;
$locations
        location /backend/ {
            return 200 "ok\\n";
        }
    }
_EOC_

my $port = NginxRun::start($conf);
my $http = HTTP::Tiny->new(timeout => 10, keep_alive => 1);

sub get {
    my ($path, $token) = @_;
    return $http->get("http://127.0.0.1:$port$path",
                      { headers => { Authorization => "Bearer $token" } });
}

# n requests at once, each on its own connection: their statuses
sub concurrent {
    my ($n, $path, $token) = @_;
    my @socks = map {
        my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                      Timeout => 10) or die "connect: $!";
        print $s "GET $path HTTP/1.0\r\nHost: localhost\r\n"
               . "Authorization: Bearer $token\r\n\r\n";
        $s;
    } 1 .. $n;
    my @status;
    for my $s (@socks) {
        local $/;
        my $res = <$s> // '';
        push @status, $res =~ m{^HTTP/1\.\d (\d+)} ? $1 : 0;
    }
    return @status;
}

# --- a thousand requests, one subrequest -----------------------------

my $ok = 0;
$ok += get('/many/x', $T{a})->{status} == 200 for 1 .. 1001;
is($ok, 1001, 'the first request and a thousand more are let in');
is(IdP::hits('/many/jwks.json'), 1,
   'the IdP served the keys once: one subrequest for all of them');

# --- concurrent first requests: single flight ------------------------

my @st = concurrent(20, '/flight/x', $T{a});
is(scalar(grep { $_ == 200 } @st), 20,
   'twenty concurrent first requests are all let in');
is(IdP::hits('/flight/jwks.json'), 1,
   'they shared one subrequest, the others waited for it');

# --- the time ends: a refetch, which brings a rotated key -------------

is(get('/rot/1', $T{a})->{status}, 200, 'key A verifies');
is(get('/rot/1', $T{a})->{status}, 200, '... again (now in the token cache)');
is(get('/rot/1', $T{a})->{status}, 200, '... and again (a cache hit)');
is(get('/rot/2', $T{b})->{status}, 401,
   'key B, not in the cached set, is refused');
is(IdP::hits('/rot/jwks.json'), 1, '... without a refetch');
Time::HiRes::sleep(2.3);
is(get('/rot/3', $T{b})->{status}, 200,
   'once the time ended, the refetch brings key B');
is(IdP::hits('/rot/jwks.json'), 2, '... in one more subrequest');
is(get('/rot/4', $T{a})->{status}, 401,
   'and key A, gone from the new set, is refused: its cached verdict ended with its keys');

# --- a failing refetch: stale keys for a bounded time, then 503 -------

my $t0 = Time::HiRes::time();
is(get('/stale/1', $T{a})->{status}, 200, 'the first set verifies');
Time::HiRes::sleep(2.3);
is(get('/stale/2', $T{a})->{status}, 200,
   'the refetch fails: the old keys still verify within the stale period');
like(NginxRun::error_log(),
     qr/\[warn\].*auth_jwt_key_request "\/_jwks_stale": no new keys: status 500; the keys fetched before are used meanwhile/,
     '... and the failure is logged as a warning');
Time::HiRes::sleep($t0 + 4.5 - Time::HiRes::time());
my $r = get('/stale/3', $T{a});
is($r->{status}, 503,
   'past time plus the stale period: 503, though the token is cached');
like($r->{headers}{'retry-after'} // '', qr/^\d+$/, '... with Retry-After');
like($r->{content}, qr/"code":"KEYS_UNAVAILABLE"/, '... KEYS_UNAVAILABLE');
my $hits = IdP::hits('/stale/jwks.json');
ok($hits >= 2 && $hits <= 3,
   "refetches back off: $hits fetches in 4.5 s, not one per request");

# --- a reload starts with an empty cache ------------------------------

is(get('/reload/1', $T{a})->{status}, 200, 'keys fetched');
is(get('/reload/2', $T{a})->{status}, 200, 'and cached');
is(IdP::hits('/reload/jwks.json'), 1, 'one fetch before the reload');
my @old = NginxRun::workers();
ok(NginxRun::reload(), 'nginx reloads');
for (1 .. 100) {
    my %old = map { $_ => 1 } @old;
    last unless grep { $old{$_} } NginxRun::workers();
    Time::HiRes::sleep(0.05);
}
$http = HTTP::Tiny->new(timeout => 10);
is(get('/reload/3', $T{a})->{status}, 200, 'keys fetched again');
is(IdP::hits('/reload/jwks.json'), 2,
   'the new workers started with an empty cache');

NginxRun::stop();

# --- two workers: at most one subrequest each -------------------------

IdP::reset();
$port = NginxRun::start($conf, workers => 2);
@st = concurrent(30, '/flight/x', $T{a});
is(scalar(grep { $_ == 200 } @st), 30,
   'two workers: thirty concurrent first requests are all let in');
$hits = IdP::hits('/flight/jwks.json');
ok($hits >= 1 && $hits <= 2, "... with $hits subrequests, one per worker");

NginxRun::stop();

unlike(NginxRun::read_log('all-error.log'), qr/\[(?:alert|crit|emerg)\]/,
       'no alert in any run');

done_testing();
