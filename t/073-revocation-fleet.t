use lib 't/lib';
use strict;
use warnings;

# A fleet: two nginx instances (separate prefixes and zones, 2 workers
# each, reuseport so that connections spread over the workers) poll one
# revocation feed.  A token revoked at the feed is refused by both within
# refresh + 1 s, by every worker, though it sat in each worker's
# verified-token cache; a reload keeps the set; a feed of 100,000 entries
# loads while requests keep being answered.  The measured times are
# printed (diag) for the record.

use Test::More;
use HTTP::Tiny;
use JSON::PP ();
use Digest::SHA qw(sha256_hex);
use List::Util qw(max);
use Time::HiRes qw(sleep time);
use Cwd qw(getcwd);
use JWTTest;
use NginxRun;
use IdP;

$ENV{KALAMDB_JWT_SECRET} = $JWTTest::SECRET;

my $aux = getcwd() . '/t/servroot_073-revocation-fleet_aux';
IdP::start(dir => "$aux/idp");
my $IDP = "http://127.0.0.1:$ENV{TEST_NGINX_IDP_PORT}";

my $REFRESH = 2;
my $exp = int(time) + 86400;

sub feed { JSON::PP->new->encode({ revoked => [ @_ ] }) }

IdP::put('/feed.json', feed());

my $conf = <<"_EOC_";
    auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET;
    auth_jwt_zone revocation:16m;
    auth_jwt_revocation $IDP/feed.json refresh=${REFRESH}s insecure_http;

    server {
        listen 127.0.0.1:\$PORT reuseport;
        location /echo { return 200 "ok\\n"; }
        location /api/ {
            auth_jwt "kalamdb";
            proxy_pass http://127.0.0.1:\$PORT/echo;
        }
        location = /status { auth_jwt_status; }
    }
_EOC_

my %port;
for my $i ('a', 'b') {
    NginxRun::instance($i);
    $port{$i} = NginxRun::start($conf, workers => 2);
}

my $http = HTTP::Tiny->new(timeout => 5, keep_alive => 0);

sub get {
    my ($i, $token) = @_;
    return $http->get("http://127.0.0.1:$port{$i}/api/x",
                      { headers => { Authorization => "Bearer $token" } })
                ->{status};
}

sub status {
    my ($i) = @_;
    my $r = $http->get("http://127.0.0.1:$port{$i}/status");
    return JSON::PP::decode_json($r->{content})->{revocation}[0];
}

sub wait_ok {
    my ($i) = @_;
    for (1 .. 100) {
        my $s = status($i);
        return 1 if $s->{state} eq 'ok';
        sleep 0.1;
    }
    return 0;
}

ok(wait_ok('a') && wait_ok('b'), 'both instances loaded the (empty) feed');

# --- a cached token revoked at the feed ---------------------------------

my $token = mint(sub => 'stolen');
my %ok;
for my $i ('a', 'b') {
    $ok{$i} += get($i, $token) == 200 for 1 .. 30;
}
is($ok{a} + $ok{b}, 60,
   'the token is accepted, and cached, by every worker of both');

IdP::put('/feed.json',
         feed({ token => 'sha256:' . sha256_hex($token), exp => $exp }));
my $t0 = time;

# refused from then on: the first request of a final run of refusals
my (%first, %streak);
while (time - $t0 < $REFRESH + 4) {
    for my $i ('a', 'b') {
        next if ($streak{$i} // 0) >= 20;
        if (get($i, $token) == 401) {
            $first{$i} //= time - $t0;
            $streak{$i}++;
        } else {
            delete $first{$i};
            $streak{$i} = 0;
        }
    }
    last if ($streak{a} // 0) >= 20 && ($streak{b} // 0) >= 20;
    sleep 0.02;
}

for my $i ('a', 'b') {
    ok(defined $first{$i} && $first{$i} <= $REFRESH + 1,
       "instance $i refuses the revoked token within refresh + 1 s ("
       . (defined $first{$i} ? sprintf('%.2f', $first{$i}) : 'never')
       . ' s)');

    NginxRun::instance($i);
    my %pids = map { $_ => 1 }
               NginxRun::error_log() =~ /\[info\] (\d+)#\d+: \*\d+ auth_jwt: token revoked by/g;
    my @workers = NginxRun::workers();
    is(scalar(grep { $pids{$_} } @workers), 2,
       "... by each of its 2 workers");
}
diag(sprintf('fleet propagation: a %.2f s, b %.2f s (refresh %d s)',
             $first{a} // -1, $first{b} // -1, $REFRESH));

# --- a reload keeps the set ---------------------------------------------

NginxRun::instance('a');
ok(NginxRun::reload(), 'instance a reloads');
sleep 0.3;
my $all = 0;
$all += get('a', $token) == 401 for 1 .. 10;
is($all, 10, 'after the reload its workers refuse the token at once');

# --- 100,000 entries, loaded while requests are answered -------------------

my @big = map { { token => 'sha256:' . sha256_hex("t$_"), exp => $exp } }
          1 .. 99_999;
push @big, { token => 'sha256:' . sha256_hex($token), exp => $exp };
IdP::put('/feed.json', feed(@big));

my $other = mint(sub => 'fine');

sub p99 {
    my @s = sort { $a <=> $b } @_;
    return $s[int(0.99 * $#s)];
}

# idle first, in the same run: p99 of the same request loop
my @idle;
for (1 .. 300) {
    my $s = time;
    get('b', $other);
    push @idle, time - $s;
}

my (@lat, $loaded);
$t0 = time;
while (time - $t0 < 15) {
    my $s = time;
    my $st = get('b', $other);
    push @lat, time - $s;
    is($st, 200, 'requests are answered while the feed loads') if $st != 200;
    if (!$loaded && @lat % 10 == 0
        && (status('b')->{entries_total} // 0) == 100_000)
    {
        $loaded = time - $t0;
        last;
    }
}
ok($loaded, 'instance b loads 100,000 entries ('
            . (defined $loaded ? sprintf('%.2f', $loaded) : 'never')
            . ' s after the feed changed)');
diag(sprintf('100k feed: %d requests during the load: p99 %.1f ms, max '
             . '%.1f ms; idle: p99 %.1f ms, max %.1f ms; p99 ratio %.2f',
             scalar @lat, 1000 * p99(@lat), 1000 * max(@lat),
             1000 * p99(@idle), 1000 * max(@idle), p99(@lat) / p99(@idle)));
is(get('b', $token), 401, 'the revoked token is still refused');
is(get('b', $other), 200, 'other tokens pass');
NginxRun::instance('b');
like(NginxRun::error_log(), qr/revocation feed "[^"]+": 100000 entries/,
     'the load is logged with its size');

for my $i ('a', 'b') {
    NginxRun::instance($i);
    unlike(NginxRun::error_log(), qr/\[(alert|emerg|crit)\]|exited on signal/,
           "instance $i: no alert nor crash");
}

done_testing();
