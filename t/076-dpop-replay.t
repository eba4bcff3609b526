use lib 't/lib';
use strict;
use warnings;

# DPoP proof replay (RFC 9449 11.1) across workers: each proof's jti is
# remembered in a shared zone until the proof is too old to pass anyway,
# so a proof accepted by one worker is refused by every other, and by the
# same workers after a reload.  A zone full of unexpired proofs refuses
# new ones with 503 rather than forget any, and takes proofs again once
# they expire.  Two workers and a reload are more than a Test::Nginx
# block expresses: plain Test::More drives nginx (t/lib/NginxRun.pm); the
# worker that answered is told by X-Pid.

use Test::More;
use HTTP::Tiny;
use JWTTest;
use JWTKeys;
use DPoP;
use NginxRun;

$ENV{KALAMDB_JWT_SECRET} = $JWTTest::SECRET;

my $CONF = <<'_EOC_';
    auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
    %ZONE%

    server {
        listen 127.0.0.1:$PORT reuseport;

        location /upstream {
            return 200 "user=$http_x_user\n";
        }

        location /api/ {
            auth_jwt "api";
            auth_jwt_dpop_url http://localhost$uri;
            %WINDOW%
            add_header X-Pid $pid always;
            proxy_set_header X-User $jwt_user;
            proxy_pass http://127.0.0.1:$PORT/upstream;
        }
    }
_EOC_

sub conf {
    my (%o) = @_;
    my $c = $CONF;
    $c =~ s/%ZONE%/$o{zone} \/\/ ''/e;
    $c =~ s/%WINDOW%/$o{window} \/\/ ''/e;
    return $c;
}

# a new connection for every request: the kernel spreads them (reuseport)
my $http = HTTP::Tiny->new(timeout => 5, keep_alive => 0);

my $token = dpop_token(sub => 'alice');

sub get {
    my ($port, $proof) = @_;
    my $r = $http->get("http://127.0.0.1:$port/api/items", {
        headers => { Authorization => "DPoP $token",
                     DPoP => $proof } });
    return ($r->{status}, $r->{headers}{'x-pid'} // '', $r->{content},
            $r->{headers});
}

my $REPLAYED = qq({"status":"error","error":{"code":"INVALID_CREDENTIALS",)
             . qq("message":"Replayed DPoP proof"}}\n);

# --- two workers share the replay zone --------------------------------------

my $port = NginxRun::start(conf(), workers => 2);

my $proof = proof(-token => $token);
my ($st, $pid, $body) = get($port, $proof);

is($st, 200, 'a fresh proof is accepted');
is($body, "user=alice\n", 'by its token\'s user');

my (%refused_by, $other, $all_401);
$all_401 = 1;

for (1 .. 200) {
    my ($s, $p, $b) = get($port, $proof);
    $all_401 &&= ($s == 401 && $b eq $REPLAYED);
    $refused_by{$p}++;
    if ($p ne $pid) {
        $other = $p;
        last;
    }
}

ok($all_401, 'every replay of the proof is refused: Replayed DPoP proof');

SKIP: {
    skip 'the kernel sent every connection to the same worker', 1
        unless defined $other;
    note("accepted by worker $pid, replay refused by worker $other");
    ok($other ne $pid,
       'a worker other than the one that accepted the proof refuses its replay');
}

# and a fresh proof passes on either worker

my %ok;
for (1 .. 40) {
    my ($s, $p) = get($port, proof(-token => $token));
    $ok{$p} = 1 if $s == 200;
    last if keys %ok == 2;
}
is(scalar keys %ok, 2, 'fresh proofs pass on both workers');

# a reload keeps the zone: the proof is still refused

ok(NginxRun::reload(), 'nginx reloads');

my $reloaded = 0;
for (1 .. 50) {
    select undef, undef, undef, 0.1;
    my @w = NginxRun::workers();
    $reloaded = 1, last if @w && !grep { $_ == $pid } @w;
}
ok($reloaded, 'the workers were replaced');

($st, undef, $body) = get($port, $proof);
is($st, 401, 'after the reload, the replayed proof is still refused');
is($body, $REPLAYED, '... as replayed');

NginxRun::stop();

# --- a full zone refuses new proofs with 503, and takes them again ----------

NginxRun::instance('full');

$port = NginxRun::start(conf(zone => 'auth_jwt_dpop_zone 32k;',
                             window => 'auth_jwt_dpop_window 1s;'));

my ($n, $hdrs) = (0);
for (1 .. 3000) {
    ($st, undef, $body, $hdrs) = get($port, proof(-token => $token));
    last if $st != 200;
    $n++;
}

cmp_ok($n, '>', 50, "a 32k zone holds some proofs ($n)");
is($st, 503, 'a zone full of unexpired proofs refuses a new one with 503');
is($body, qq({"status":"error","error":{"code":"DPOP_UNAVAILABLE",)
          . qq("message":"DPoP replay cache is full; retry later"}}\n),
   '... DPOP_UNAVAILABLE');
is($hdrs->{'retry-after'}, '1', '... with Retry-After');
like(NginxRun::error_log(),
     qr/auth_jwt: the DPoP replay zone "auth_jwt_dpop" is full of unexpired proofs/,
     'the full zone is logged');

# the proofs expire with the window (1s, leeway 0): room again

sleep 3;

($st) = get($port, proof(-token => $token));
is($st, 200, 'once the proofs have expired, a new one is accepted');

done_testing();
