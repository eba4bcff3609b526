use strict;
use warnings;

# OIDC scenarios a Test::Nginx block cannot express because they act on a
# running nginx between requests or time them: keys survive a reload,
# refreshes with 2 workers are single-flight, a 5 s stall at one IdP adds
# no latency elsewhere, Cache-Control: max-age is clamped to the refresh
# interval.  nginx runs with master_process on and 2 workers.

use lib 't/lib';
use Test::More;
use Cwd ();
use File::Path ();
use HTTP::Tiny ();
use IO::Socket::INET ();
use JSON::PP ();
use List::Util qw(max);
use Time::HiRes qw(time sleep);

use JWTTest;
use JWTKeys;
use IdP;

my $ROOT = $ENV{TEST_NGINX_SERVROOT}
           || Cwd::getcwd() . '/t/servroot_034-oidc-scenarios';
my $BIN = $ENV{TEST_NGINX_BINARY} // 'nginx';
my $MODULE = $ENV{TEST_NGINX_MODULE}
             // Cwd::getcwd() . '/build/ngx_http_auth_bearer_module.so';

File::Path::remove_tree($ROOT);
File::Path::make_path("$ROOT/conf", "$ROOT/logs", "$ROOT/html");

IdP::start(dir => "$ROOT/idp");

my $PORT = do {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Listen => 1) or die "no free port: $@\n";
    $s->sockport;
};

my $IDP = "http://127.0.0.1:$ENV{TEST_NGINX_IDP_PORT}";
my $JWKS = jwks(jwk('rsa', alg => 'RS256'));

$ENV{KALAMDB_JWT_SECRET} = $JWTTest::SECRET;

my $http = HTTP::Tiny->new(timeout => 5, keep_alive => 0);
my $started;

sub conf {
    my ($body) = @_;
    my $user = $> == 0 ? 'user root;' : '';
    open my $fh, '>', "$ROOT/conf/nginx.conf" or die $!;
    print $fh <<"EOC";
load_module $MODULE;
$user
worker_processes 2;
master_process on;
pid logs/nginx.pid;
error_log logs/error.log info;
events { worker_connections 256; accept_mutex off; }
http {
    access_log logs/access.log;
    client_body_temp_path $ROOT/tmp_body;
    proxy_temp_path $ROOT/tmp_proxy;
$body
    server {
        listen 127.0.0.1:$PORT;
        location /upstream { return 200 "user=\$http_x_user\\n"; }
        location /api/ {
            auth_jwt "api";
            proxy_set_header X-User \$jwt_user;
            proxy_pass http://127.0.0.1:$PORT/upstream;
        }
        location = /status { auth_jwt_status; }
    }
}
EOC
    close $fh;
}

# nginx's own stderr (notices of -s) goes to a file, not into the TAP
sub nginx {
    my (@args) = @_;
    open my $save, '>&', \*STDERR or die $!;
    open STDERR, '>>', "$ROOT/logs/stderr.log" or die $!;
    my $rc = system($BIN, '-p', "$ROOT/", '-c', 'conf/nginx.conf', @args);
    open STDERR, '>&', $save or die $!;
    return $rc == 0;
}

sub master_pid {
    open my $fh, '<', "$ROOT/logs/nginx.pid" or return undef;
    my $pid = <$fh>;
    return $pid && $pid =~ /(\d+)/ ? $1 : undef;
}

# the master's children: its workers
sub workers {
    my $m = master_pid() or return ();
    my @w;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open my $fh, '<', $stat or next;
        my $line = <$fh> // next;
        my ($pid, $ppid) = $line =~ /^(\d+) \(.*\) \S+ (\d+)/ or next;
        push @w, $pid if $ppid == $m;
    }
    return @w;
}

sub start {
    conf(@_);
    nginx() or BAIL_OUT("nginx does not start:\n" . error_log()
                        . `cat '$ROOT/logs/stderr.log'`);
    $started = 1;
    for (1 .. 100) {
        last if IO::Socket::INET->new("127.0.0.1:$PORT") && workers() == 2;
        sleep 0.05;
    }
}

sub stop {
    return unless $started;
    my $m = master_pid();
    nginx('-s', 'stop');
    for (1 .. 100) {
        last unless $m && kill 0, $m;
        sleep 0.05;
    }

    # kept for the final check: no alert nor crash in any of them
    if (open my $all, '>>', "$ROOT/logs/all-error.log") {
        print $all error_log();
    }

    unlink "$ROOT/logs/error.log";
    $started = 0;
}

END { local $?; stop() }

sub error_log {
    open my $fh, '<', "$ROOT/logs/error.log" or return '';
    local $/;
    return <$fh> // '';
}

# GET with a token: (status, body, seconds taken)
sub get {
    my ($path, $token) = @_;
    my $t0 = time;
    my $r = $http->get("http://127.0.0.1:$PORT$path",
                       { headers => $token ? { Authorization =>
                                               "Bearer $token" } : {} });
    return ($r->{status}, $r->{content}, time - $t0);
}

sub wait_for_200 {
    my ($token, $secs) = @_;
    my $end = time + $secs;
    while (time < $end) {
        my ($st) = get('/api/items', $token);
        return 1 if $st == 200;
        sleep 0.05;
    }
    return 0;
}

sub status {
    my ($st, $body) = get('/status');
    return $st == 200 ? JSON::PP->new->decode($body) : undef;
}

sub tok {
    my ($iss, @more) = @_;
    return pk_mint(iss => $iss, -header => { kid => 'rsa' }, @more);
}

sub discovery {
    my ($name) = @_;
    IdP::put("/$name/.well-known/openid-configuration",
             qq({"issuer":"$IDP/$name","jwks_uri":"$IDP/$name/jwks.json"}));
    IdP::put("/$name/jwks.json", $JWKS);
}


subtest 'keys survive nginx -s reload: no new fetch, and the next token verifies at once, also with a changed issuer list' => sub {
    discovery('reload');
    discovery('added');
    my $token = tok("$IDP/reload");

    start("auth_jwt_issuer $IDP/reload insecure_http;");

    ok(wait_for_200($token, 3), 'a token verifies after the first fetch');
    is(IdP::hits('/reload/.well-known/openid-configuration'), 1,
       'discovery fetched once by the 2 workers');
    is(IdP::hits('/reload/jwks.json'), 1, 'JWKS fetched once by the 2 workers');

    my @old = sort { $a <=> $b } workers();

    # a new issuer before the old one: slots are found by iss, not index
    conf("auth_jwt_issuer $IDP/added insecure_http;\n"
         . "    auth_jwt_issuer $IDP/reload insecure_http;");
    ok(nginx('-s', 'reload'), 'nginx -s reload');

    my $end = time + 5;
    my @new;
    while (time < $end) {
        my %old = map { $_ => 1 } @old;
        @new = grep { !$old{$_} } workers();
        last if @new == 2;
        sleep 0.02;
    }
    is(scalar @new, 2, 'two new workers');

    # every request now lands on a new worker (the old ones stop accepting)
    sleep 0.2;
    my ($st, $body, $took) = get('/api/items', $token);
    is($st, 200, 'the first token after the reload verifies');
    cmp_ok($took, '<', 0.5, "... at once (took ${\ sprintf '%.3f', $took} s)");

    for (1 .. 10) {
        ($st) = get('/api/items', $token);
        last if $st != 200;
    }
    is($st, 200, 'and so do the next ten, on both new workers');

    is(IdP::hits('/reload/jwks.json'), 1, 'the IdP saw no new JWKS fetch');
    is(IdP::hits('/reload/.well-known/openid-configuration'), 1,
       'nor a new discovery');

    ok(wait_for_200(tok("$IDP/added"), 3), 'the added issuer got its keys');
    is(IdP::hits('/added/jwks.json'), 1, '... with one fetch');

    my $s = status();
    my ($reload) = grep { $_->{issuer} eq "$IDP/reload" } @{ $s->{issuers} };
    is($reload->{generation}, 1, 'the reused slot keeps its generation');
    is($reload->{counters}{fetches}{ok}, 1, '... and its counters');

    stop();
};


subtest 'with 2 workers a refresh is fetched once: hits at least refresh - 1 s apart' => sub {
    discovery('refresh');
    my $token = tok("$IDP/refresh");

    start("auth_jwt_issuer $IDP/refresh insecure_http refresh=3s;");

    ok(wait_for_200($token, 3), 'a token verifies');

    # requests on both workers while several refreshes come due
    my $end = time + 8;
    my $fail = 0;
    while (time < $end) {
        my ($st) = get('/api/items', $token);
        $fail++ if $st != 200;
        sleep 0.1;
    }
    is($fail, 0, 'every token verified meanwhile');

    my @t = IdP::hit_times('/refresh/jwks.json');
    cmp_ok(scalar @t, '>=', 2, scalar(@t) . ' JWKS fetches in 8 s');
    cmp_ok(scalar @t, '<=', 4, '... not one per worker');
    my @gaps = map { $t[$_] - $t[$_ - 1] } 1 .. $#t;
    cmp_ok((sort { $a <=> $b } @gaps)[0], '>=', 1.9,
           'no two fetches within a refresh period (gaps: '
           . join(', ', map { sprintf '%.2f', $_ } @gaps) . ')');
    is(IdP::hits('/refresh/.well-known/openid-configuration'), 1,
       'discovery ran once; refreshes go to the known jwks_uri');

    stop();
};


subtest 'a 5 s stall at one IdP adds no latency to requests that need no refresh' => sub {
    discovery('fast');
    IdP::put('/slow/5/jwks.json', $JWKS);

    my $fast = tok("$IDP/fast");
    my $slow = tok('https://slow.example');
    my $hs = mint();

    start("auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET;\n"
          . "    auth_jwt_issuer $IDP/fast insecure_http;\n"
          . "    auth_jwt_issuer https://slow.example insecure_http "
          . "jwks_uri=$IDP/slow/5/jwks.json;");

    my $t0 = time;
    ok(wait_for_200($fast, 3), 'the fast issuer has its keys');

    my (@lat, $bad);
    while (time < $t0 + 4.5) {
        for my $t ($hs, $fast) {
            my ($st, $body, $took) = get('/api/items', $t);
            $bad++ if $st != 200;
            push @lat, $took;
        }
        sleep 0.05;
    }

    my @s = sort { $a <=> $b } @lat;
    ok(!$bad, scalar(@lat) . ' requests during the stall all verified');
    cmp_ok(max(@lat), '<', 0.5,
           sprintf('each answered fast: median %.1f ms, max %.1f ms',
                   1000 * $s[@s / 2], 1000 * max(@lat)));

    is(IdP::hits('/slow/5/jwks.json'), 1, 'the slow JWKS was asked for once');
    ok(wait_for_200($slow, 4), 'the slow issuer verifies once its body is in');
    my $took = time - $t0;
    cmp_ok($took, '>=', 4.5,
           sprintf('... after %.1f s, as slow as its IdP', $took));

    stop();
};


subtest 'Cache-Control: max-age sets the next refresh, clamped to [refresh/4, refresh]' => sub {
    IdP::put('/age/1/jwks.json', $JWKS);
    IdP::put('/age/600/jwks.json', $JWKS);
    IdP::put('/age/12/jwks.json', $JWKS);

    start("auth_jwt_issuer https://short.example insecure_http refresh=20s "
          . "jwks_uri=$IDP/age/1/jwks.json;\n"
          . "    auth_jwt_issuer https://long.example insecure_http "
          . "refresh=20s jwks_uri=$IDP/age/600/jwks.json;\n"
          . "    auth_jwt_issuer https://mid.example insecure_http "
          . "refresh=20s jwks_uri=$IDP/age/12/jwks.json;");

    ok(wait_for_200(tok($_), 3), "$_ has keys")
        for map { "https://$_.example" } qw(short long mid);

    my %ttl = map { $_->{issuer} => $_->{expires} - $_->{last_success} }
              @{ status()->{issuers} };

    is($ttl{'https://short.example'}, 5, 'max-age=1 becomes refresh/4');
    is($ttl{'https://long.example'}, 20, 'max-age=600 becomes refresh');
    is($ttl{'https://mid.example'}, 12, 'max-age=12 is kept');

    stop();
};


subtest 'nginx -s quit while the IdP never answers a fetch: the workers exit at once, not after the fetch timeout' => sub {
    IdP::put('/hang/jwks.json', $JWKS);

    start("auth_jwt_fetch_timeout 60s;\n"
          . "    auth_jwt_issuer https://hang.example insecure_http "
          . "jwks_uri=$IDP/hang/jwks.json;");

    my $end = time + 3;
    sleep 0.05 while !IdP::hits('/hang/jwks.json') && time < $end;
    is(IdP::hits('/hang/jwks.json'), 1, 'the fetch is under way');

    # the workers, not the master: a zombie until this box's init reaps it
    my @w = workers();
    my $t0 = time;
    ok(nginx('-s', 'quit'), 'nginx -s quit');
    sleep 0.02 while grep({ kill 0, $_ } @w) && time < $t0 + 10;
    my $took = time - $t0;

    ok(!grep({ kill 0, $_ } @w), 'both workers are gone');
    cmp_ok($took, '<', 1, sprintf('... after %.2f s', $took));

    stop();
};


subtest 'a name that takes 15 s to resolve stalls no worker: each fetch ends at its timeout and the next one follows' => sub {
    my $so = "$ROOT/stall.so";

    # getaddrinfo() of "stall.*" hangs, as with a DNS server gone mute
    open my $fh, '>', "$ROOT/stall.c" or die $!;
    print $fh <<'EOC';
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netdb.h>
#include <string.h>
#include <unistd.h>

int
getaddrinfo(const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res)
{
    int (*next)(const char *, const char *, const struct addrinfo *,
                struct addrinfo **);

    if (node && strncmp(node, "stall.", 6) == 0) {
        sleep(15);
        return EAI_AGAIN;
    }

    next = (void *) dlsym(RTLD_NEXT, "getaddrinfo");

    return next(node, service, hints, res);
}
EOC
    close $fh;

    plan skip_all => 'no C compiler for the getaddrinfo() shim'
        unless system("cc -shared -fPIC -o '$so' '$ROOT/stall.c' -ldl "
                      . ">/dev/null 2>&1") == 0;

    local $ENV{LD_PRELOAD} = $so;

    my $hs = mint();

    start("auth_jwt_fetch_timeout 1s;\n"
          . "    auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET;\n"
          . "    auth_jwt_issuer https://stall.example insecure_http "
          . "jwks_uri=http://stall.example/jwks.json;");

    my $t0 = time;
    my (@lat, $bad);
    while (time < $t0 + 4.5) {
        my ($st, $body, $took) = get('/api/items', $hs);
        $bad++ if $st != 200;
        push @lat, $took;
        sleep 0.05;
    }

    ok(!$bad, scalar(@lat) . ' requests meanwhile all verified');
    cmp_ok(max(@lat), '<', 0.5,
           sprintf('each answered fast: max %.1f ms', 1000 * max(@lat)));

    # a worker joining the resolver thread would sit out the 15 s
    my $n = () = error_log() =~ /Resolving timed out after 1\d\d\d milli/g;
    cmp_ok($n, '>=', 2, "$n fetches cut at the timeout in 4.5 s");

    stop();
};


my $all = do {
    open my $fh, '<', "$ROOT/logs/all-error.log";
    local $/;
    $fh ? <$fh> // '' : '';
};
unlike($all, qr/\[(?:alert|crit|emerg)\]|exited on signal/,
       'no alert, crash or emergency in the error logs');

done_testing();
