use lib 't/lib';
use strict;
use warnings;

# The fetch lease in the shared zone records its holder's pid: when the
# holder is killed mid-fetch, another worker takes the lease over on its
# next tick instead of waiting for the lease's deadline (fetch timeout
# + 5 s), and does the refresh the dead one was doing.  Both users of the
# lease are measured: an OIDC issuer's JWKS and a revocation feed.  The
# IdP hangs on the first GET ("#hang") and answers the second; the test
# finds the worker with a connection to the IdP and kills it (SIGKILL).

use Test::More;
use HTTP::Tiny;
use JSON::PP ();
use Time::HiRes qw(sleep time);
use Cwd qw(getcwd);
use JWTTest;
use JWTKeys;
use NginxRun;
use IdP;

my $aux = getcwd() . '/t/servroot_072-lease-takeover_aux';
IdP::start(dir => "$aux/idp");
my $port_idp = $ENV{TEST_NGINX_IDP_PORT};
my $IDP = "http://127.0.0.1:$port_idp";

my $http = HTTP::Tiny->new(timeout => 5, keep_alive => 0);

# the worker with an established connection to the IdP: the lease holder
sub holder {
    my %inode;
    for my $f ('/proc/net/tcp', '/proc/net/tcp6') {
        open my $fh, '<', $f or next;
        while (<$fh>) {
            my @c = split;
            next unless @c > 9 && $c[3] eq '01';
            my ($rport) = $c[2] =~ /:([0-9A-F]{4})$/ or next;
            $inode{ $c[9] } = 1 if hex($rport) == $port_idp;
        }
    }
    for my $w (NginxRun::workers()) {
        for my $fd (glob "/proc/$w/fd/*") {
            my $l = readlink($fd) // next;
            return $w if $l =~ /^socket:\[(\d+)\]$/ && $inode{$1};
        }
    }
    return undef;
}

# the holder once its GET of $path is hanging (after discovery, for an
# OIDC issuer: killed during discovery, the next worker's JWKS GET would
# be the one that hangs)
sub wait_holder {
    my ($path) = @_;
    for (1 .. 200) {
        last if IdP::hits($path) >= 1;
        sleep 0.05;
    }
    for (1 .. 100) {
        my $w = holder();
        return $w if $w;
        sleep 0.05;
    }
    return undef;
}

sub conf {
    my ($rvk) = @_;
    return <<"_EOC_";
    auth_jwt_fetch_timeout 30s;
    $rvk

    server {
        listen 127.0.0.1:\$PORT;
        location /echo { return 200 "ok\\n"; }
        location /api/ {
            auth_jwt "api";
            proxy_pass http://127.0.0.1:\$PORT/echo;
        }
        location = /status { auth_jwt_status; }
    }
_EOC_
}

# --- an OIDC issuer's JWKS -------------------------------------------------

IdP::put('/oidc/.well-known/openid-configuration',
         qq({"issuer":"$IDP/oidc","jwks_uri":"$IDP/oidc/jwks.json"}));
IdP::put('/oidc/jwks.json', '#hang', jwks(jwk('rsa', alg => 'RS256')));

my $port = NginxRun::start(conf("auth_jwt_issuer $IDP/oidc insecure_http;"),
                           workers => 2);
my $token = pk_mint(iss => "$IDP/oidc", -key => 'rsa',
                    -header => { kid => 'rsa' });

my $w = wait_holder('/oidc/jwks.json');
ok($w, 'a worker holds the lease, its JWKS fetch hanging');
kill 'KILL', $w if $w;
my $t0 = time;
my $took;
while (time - $t0 < 15) {
    my $r = $http->get("http://127.0.0.1:$port/api/x",
                       { headers => { Authorization => "Bearer $token" } });
    if ($r->{status} == 200) { $took = time - $t0; last }
    sleep 0.1;
}
ok(defined $took && $took <= 2,
   'killed mid-fetch, its lease is taken over and the keys fetched within '
   . '2 s (' . (defined $took ? sprintf('%.2f', $took) : 'never') . ' s)');
diag(sprintf('OIDC lease takeover: %.2f s', $took)) if defined $took;
is(IdP::hits('/oidc/jwks.json'), 2,
   'one more fetch, by the worker that took over');

# --- a revocation feed ---------------------------------------------------------

NginxRun::stop();
my $exp = int(time) + 86400;
IdP::put('/feed.json', '#hang',
         qq({"revoked":[{"jti":"gone","exp":$exp}]}));
$ENV{KALAMDB_JWT_SECRET} = $JWTTest::SECRET;

$port = NginxRun::start(conf(
    "auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET;\n"
    . "    auth_jwt_revocation $IDP/feed.json refresh=1s insecure_http;"),
    workers => 2);

$w = wait_holder('/feed.json');
ok($w, 'a worker holds the feed\'s lease, its fetch hanging');
kill 'KILL', $w if $w;
$t0 = time;
$took = undef;
my $revoked = mint(jti => 'gone');
while (time - $t0 < 15) {
    my $r = $http->get("http://127.0.0.1:$port/api/x",
                       { headers => { Authorization => "Bearer $revoked" } });
    if ($r->{status} == 401) { $took = time - $t0; last }
    sleep 0.1;
}
ok(defined $took && $took <= 2,
   'the feed\'s lease is taken over and the set loaded within 2 s ('
   . (defined $took ? sprintf('%.2f', $took) : 'never') . ' s)');
diag(sprintf('revocation lease takeover: %.2f s', $took)) if defined $took;

my $r = $http->get("http://127.0.0.1:$port/api/x",
                   { headers => { Authorization => 'Bearer '
                                                   . mint(jti => 'ok') } });
is($r->{status}, 200, 'other tokens pass');

done_testing();
