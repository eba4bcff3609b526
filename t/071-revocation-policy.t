use lib 't/lib';
use strict;
use warnings;

# Runtime revocation from a URL, and what happens when the feed fails:
# fail=closed (the default) answers 503 REVOCATION_UNAVAILABLE with
# Retry-After when no set was ever fetched or the last good one is older
# than max_stale; fail=open logs a warning and accepts; the last good set
# stays in force up to max_stale; a feed served with an ETag is asked
# with If-None-Match and answered 304.  Feeds are served by t/lib/IdP.pm
# and by nginx itself; plain Test::More drives nginx (t/lib/NginxRun.pm).

use Test::More;
use HTTP::Tiny;
use JSON::PP ();
use Time::HiRes qw(sleep time);
use File::Path qw(make_path remove_tree);
use Cwd qw(getcwd);
use JWTTest;
use NginxRun;
use IdP;

$ENV{KALAMDB_JWT_SECRET} = $JWTTest::SECRET;

my $aux = getcwd() . '/t/servroot_071-revocation-policy_aux';
remove_tree($aux);
make_path("$aux/feeds");
$ENV{TEST_NGINX_AUX} = $aux;

IdP::start(dir => "$aux/idp");
my $idp = "http://127.0.0.1:$ENV{TEST_NGINX_IDP_PORT}";

my $exp = int(time) + 86400;
my $good = JSON::PP->new->canonical->encode(
    { revoked => [ { jti => 'gone', exp => $exp } ], other => 'ignored' });

my $revoked = mint(sub => 'u1', jti => 'gone');
my $fine = mint(sub => 'u2', jti => 'fine');

my $UNAVAILABLE = qq({"status":"error","error":{"code":)
                . qq("REVOCATION_UNAVAILABLE","message":"The revocation )
                . qq(list is not available; retry later"}}\n);

my $http = HTTP::Tiny->new(timeout => 5);
my $port;

sub conf {
    my ($rvk) = @_;
    return <<"_EOC_";
    auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET;
    auth_jwt_fetch_timeout 2s;
    $rvk

    server {
        listen 127.0.0.1:\$PORT;

        location /echo { return 200 "ok\\n"; }

        location /api/ {
            auth_jwt "kalamdb";
            proxy_pass http://127.0.0.1:\$PORT/echo;
        }

        location = /status { auth_jwt_status; }
    }

    server {
        listen 127.0.0.1:\$PORT2;
        root \$TEST_NGINX_AUX/feeds;
        etag on;
    }
_EOC_
}

sub restart {
    my ($rvk, %opt) = @_;
    NginxRun::stop();
    $port = NginxRun::start(conf($rvk), workers => 2, %opt);
}

sub get {
    my ($token) = @_;
    return $http->get("http://127.0.0.1:$port/api/x",
                      { headers => { Authorization => "Bearer $token" } });
}

sub status {
    my $r = $http->get("http://127.0.0.1:$port/status");
    return JSON::PP::decode_json($r->{content})->{revocation}[0];
}

sub wait_state {
    my ($state, $max) = @_;
    my $t0 = time;
    while (time - $t0 < ($max // 5)) {
        my $s = status();
        return time - $t0 if $s && $s->{state} eq $state;
        sleep 0.1;
    }
    return undef;
}

# --- fail=closed, cold start: the first fetch fails ---------------------

restart("auth_jwt_revocation $idp/status/503/feed.json refresh=1s "
        . "insecure_http;");
IdP::put('/status/503/feed.json', $good);

ok(defined wait_state('unavailable'), 'a feed that answers 503 is unavailable');
my $r = get($fine);
is($r->{status}, 503,
   'fail=closed: with no set ever fetched a valid token gets 503');
is($r->{content}, $UNAVAILABLE, '... REVOCATION_UNAVAILABLE');
like($r->{headers}{'retry-after'} // '', qr/^[1-9]\d*$/,
     '... with Retry-After');
unlike($r->{headers}{'www-authenticate'} // '', qr/error=/,
       '... and no error in the challenge: not the client\'s fault');
like(NginxRun::error_log(),
     qr/\[error\].*revocation feed "[^"]+" failed \(\d+ in a row\): .*no set yet/,
     'the failure is logged as an error');
is($http->get("http://127.0.0.1:$port/api/x")->{status}, 401,
   'a request without a token is still 401');

# --- a cold start whose first fetch lands: requests are held for it ---------

IdP::put('/slowfeed.json', $good);
restart("auth_jwt_revocation $idp/delay/0.6/slowfeed.json refresh=30s "
        . "insecure_http;");
my $t0 = time;
$r = get($fine);
my $held = time - $t0;
is($r->{status}, 200,
   'at a cold start a request waits for the first fetch of the feed');
ok($held >= 0.2 && $held < 1.5,
   sprintf('... held until it landed (%.2f s)', $held));
is(get($revoked)->{status}, 401, '... and the set is in force at once');

# --- fail=open -------------------------------------------------------------

restart("auth_jwt_revocation $idp/status/503/feed.json refresh=1s "
        . "fail=open insecure_http;");
ok(defined wait_state('unavailable'), 'the feed is unavailable again');
is(get($fine)->{status}, 200, 'fail=open: a valid token is accepted');
like(NginxRun::error_log(),
     qr/\[warn\].*revocation feed "[^"]+" is not available; token accepted \(fail=open\)/,
     '... with a warning');

# --- the last good set, up to max_stale ------------------------------------

IdP::put('/flaky/feed.json', $good, '#status 503');
restart("auth_jwt_revocation $idp/flaky/feed.json refresh=1s max_stale=3s "
        . "insecure_http;");

ok(defined wait_state('ok') || defined wait_state('failing'),
   'the first fetch gives a set');
is(get($revoked)->{status}, 401, 'a revoked token gets 401');
is(get($fine)->{status}, 200, 'another token passes');
ok(defined wait_state('failing', 3), 'the feed then fails: state "failing"');
is(get($revoked)->{status}, 401, 'while it fails the last good set is used');
is(get($fine)->{status}, 200, '... and other tokens pass');

my $t = wait_state('stale', 6);
ok(defined $t, 'beyond max_stale the set is "stale"');
$r = get($fine);
is($r->{status}, 503, 'beyond max_stale a valid token gets 503 (fail=closed)');
is($r->{content}, $UNAVAILABLE, '... REVOCATION_UNAVAILABLE');
ok($r->{headers}{'retry-after'}, '... with Retry-After');
my $s = status();
ok($s->{unavailable} >= 1, 'the status page counts the 503s');
is($s->{fail}, 'closed', '... and shows the policy');

# --- a feed served by nginx: If-None-Match and 304 --------------------------

sub put_feed {
    my ($body) = @_;
    open my $fh, '>', "$aux/feeds/f.json.tmp" or die $!;
    print $fh $body;
    close $fh;
    rename "$aux/feeds/f.json.tmp", "$aux/feeds/f.json" or die $!;
}

put_feed($good);
restart('auth_jwt_revocation http://127.0.0.1:$PORT2/f.json refresh=1s '
        . 'insecure_http;');
ok(defined wait_state('ok'), 'a feed served with an ETag is fetched');
is(get($revoked)->{status}, 401, 'its entry refuses its token');
sleep 2.5;
like(NginxRun::read_log('access.log'), qr{"GET /f.json HTTP/1.1" 304 },
     'an unchanged feed is asked with If-None-Match and answered 304');
my $gen = status()->{generation};
is(get($revoked)->{status}, 401, '... and its set stays');

sleep 1.1;   # a new mtime, a new ETag
put_feed(JSON::PP->new->encode(
    { revoked => [ { jti => 'fine', exp => $exp } ] }));
$t0 = time;
my $seen;
while (time - $t0 < 4) {
    if (get($fine)->{status} == 401) { $seen = time - $t0; last }
    sleep 0.1;
}
ok(defined $seen, 'a changed feed is fetched again within the refresh ('
                  . ($seen // 'never') . ' s)');
ok(status()->{generation} > $gen, '... with a new generation');
is(get($revoked)->{status}, 200, '... and it replaces the old set whole');

# --- zone exhaustion keeps the last good set ---------------------------------

sub entries {
    my ($n, $extra) = @_;
    return JSON::PP->new->encode({ revoked => [
        (map { { jti => "j$_", exp => $exp } } 1 .. $n),
        { jti => $extra, exp => $exp } ] });
}

put_feed(entries(2000, 'gone'));
restart("auth_jwt_zone small:1m;\n"
        . '    auth_jwt_revocation http://127.0.0.1:$PORT2/f.json refresh=1s '
        . 'insecure_http;');
ok(defined wait_state('ok'), 'a 1m zone holds a feed of 2,001 entries');
is(get($revoked)->{status}, 401, '... and its entries refuse their tokens');

sleep 1.1;
put_feed(entries(50_000, 'fine'));
my $full;
for (1 .. 40) {
    $full = status();
    last if $full->{no_room};
    sleep 0.1;
}
ok($full->{no_room} >= 1, 'a feed of 50,001 entries finds no room in it');
like(NginxRun::error_log(),
     qr/revocation feed "[^"]+" failed \(\d+ in a row\): no room in the zone for 50001 entries \(\d+ bytes\); make "auth_jwt_zone" larger; the last good set stays in use/,
     '... says so in the log');
is($full->{entries_total}, 2001, '... and keeps the last good set');
is(get($revoked)->{status}, 401, '... which still refuses its tokens');
is(get($fine)->{status}, 200, '... and not the new feed\'s');

unlike(NginxRun::read_log('all-error.log') . NginxRun::error_log(),
       qr/\[(alert|emerg|crit)\]|exited on signal/, 'no alert nor crash');

done_testing();
