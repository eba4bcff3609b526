#!/usr/bin/perl
# make bench: the module's throughput, latency and memory on one core.
#
#   bench/run.pl            (make bench builds the module first)
#
# Knobs (environment):
#   BENCH_SECONDS       length of each wrk run                 (5)
#   BENCH_ROUNDS        interleaved rounds over all scenarios  (3)
#   BENCH_CONNS         wrk connections                        (50)
#   BENCH_PORT          nginx port; the mock IdP uses PORT+1,  (18480)
#                       the revocation nginx PORT+2, the TLS
#                       proxy of certificate-bound tokens PORT+8
#                       and its upstream PORT+9 (and PORT+10)
#   BENCH_MEM_REQUESTS  requests of the memory run             (1000000)
#   BENCH_DPOP_PROOFS   distinct DPoP proofs per run (each is  (15000 x
#                       accepted once: more than wrk sends)     BENCH_SECONDS)
#   NGINX_BIN           nginx binary                           (/usr/sbin/nginx)
#   MODULE              the module                             (build/ngx_http_auth_bearer_module.so)
#   PEER, PEER_CONF     other JWT modules (.so) and their server-level
#                       configurations, space-separated pairs: each in
#                       an nginx of its own on PORT+3, PORT+4, ...
#   BENCH_ONLY          a regex: only the scenarios (and the phases
#                       "stall", "rvk-load", "memory") whose id matches
#   BENCH_TAG           results file YYYY-MM-DD-TAG.md
#
# One nginx, worker_processes 1, pinned to core 0 with taskset; wrk, one
# thread, pinned to core 1.  Every scenario is a prefix location of one
# server serving the same 64-byte file with alias; they differ only in
# auth_jwt and in the tokens wrk sends (bench/tokens.lua).  Rounds run the
# scenarios in turn (A B C ... A B C ...); the table shows medians.  State,
# keys and tokens live in build/bench/; the report is printed and written
# to bench/results/YYYY-MM-DD.md.  See bench/README.md.

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(basename dirname);
use File::Copy qw(copy);
use File::Path qw(make_path remove_tree);
use IO::Socket::INET;
use HTTP::Tiny;
use JSON::PP ();
use POSIX qw(strftime WNOHANG);
use Time::HiRes qw(time sleep);
use List::Util qw(max min sum);
use MIME::Base64 qw(encode_base64url decode_base64url);
use Digest::SHA qw(hmac_sha256 sha256_hex);
use Crypt::JWT qw(encode_jwt);
use Crypt::PK::RSA ();
use Crypt::PK::ECC ();
use Crypt::PK::Ed25519 ();

$| = 1;

my @PEERS = peers();            # before the chdir: PEER paths are the caller's

my $ROOT = abs_path(dirname(__FILE__) . '/..');
chdir $ROOT or die "$ROOT: $!\n";

my $B        = "$ROOT/build/bench";
my $SECONDS  = env_int('BENCH_SECONDS', 5);
my $ROUNDS   = env_int('BENCH_ROUNDS', 3);
my $CONNS    = env_int('BENCH_CONNS', 50);
my $PORT     = env_int('BENCH_PORT', 18480);
my $IDP_PORT = $PORT + 1;
my $RVK_PORT = $PORT + 2;       # the second nginx: auth_jwt_revocation
my $FRONT_PORT = $PORT + 8;     # certificate-bound tokens: a TLS proxy
my $TLS_PORT = $PORT + 9;       # in front of an nginx with the module
my $RVK_N    = 10_000;          # its revocation set
my $RVK_BIG  = 100_000;         # the feed loaded while p99 is measured
my $MEM_N    = env_int('BENCH_MEM_REQUESTS', 1_000_000);
my $MEM_FIRST = 10_000;
my $DPOP_N   = env_int('BENCH_DPOP_PROOFS', 15_000 * $SECONDS);
my $NGINX    = $ENV{NGINX_BIN} || '/usr/sbin/nginx';
my $MODULE   = $ENV{MODULE} || "$ROOT/build/ngx_http_auth_bearer_module.so";
my $NGX_CPU  = 0;
my $WRK_CPU  = 1;
my $POOL     = 10_000;          # distinct tokens: more than any LRU keeps
my $STALL    = 5;               # seconds the mock IdP holds a fetch
my $FILE     = '64b.txt';
my $OIDC_ISS = 'https://idp.bench.local';
my $HZ       = POSIX::sysconf(POSIX::_SC_CLK_TCK()) || 100;
my $ONLY     = $ENV{BENCH_ONLY} // '';
my $TAG      = $ENV{BENCH_TAG} // '';

$PEERS[$_]{port} = $PORT + 3 + $_ for 0 .. $#PEERS;

die "BENCH_ROUNDS must be at least 1\n" if $ROUNDS < 1;
die "BENCH_MEM_REQUESTS must exceed $MEM_FIRST\n" if $MEM_N <= $MEM_FIRST;
die "BENCH_TAG may hold letters, digits, '.', '_' and '-' only\n"
    unless $TAG =~ /^[\w.-]*$/;
eval { qr/$ONLY/ } or die "BENCH_ONLY is not a regex: $@";

my %pids;                       # what we started: name => pid
my $nginx_worker;
my %worker_at;                  # the other nginx: port => its worker
my $MAIN_PID = $$;              # forked children never clean up

$SIG{INT} = $SIG{TERM} = $SIG{HUP} = sub {
    print STDERR "\nbench: interrupted, stopping nginx and helpers\n";
    exit 130;
};

END {
    if ($$ == $MAIN_PID) {
        my $rc = $?;
        stop_all();
        $? = $rc;
    }
}

# ---------------------------------------------------------------------------

my $t_start = time;
my @load_start = loadavg();

need_tools();
prepare();

step('keys and secret');
make_keys();

step('probing OIDC issuer support');
my $oidc = probe_oidc();     # undef: skipped; else { line => ..., refresh => }
print $oidc ? "  OIDC issuer accepted by nginx -t:\n    $oidc->{line}\n"
            : "  SKIPPED: $main::oidc_skip\n";

my @SC = scenarios();
my $want_oidc = grep { ($_->{kt} // '') eq 'oidc' } @SC;
my $want_rvk = grep { $_->{rvk} } @SC;
my $want_mtls = grep { $_->{mtls} } @SC;

step('minting tokens');
my $tok = mint_all();

if (grep { $_->{id} eq 'es-dpop' } @SC) {
    step("minting DPoP proofs: $DPOP_N per run");
    mint_dpop($tok);
}

mint_mtls($tok) if $want_mtls;

# no OIDC scenario selected: no OIDC issuer either (nor its fetches)
write_conf("$B/nginx.conf", $want_oidc ? $oidc : undef);
nginx_test("$B/nginx.conf")
    or die "bench: nginx -t rejects the bench configuration:\n"
           . slurp("$B/nginx-t.log");

if ($want_rvk) {
    step("revocation: a feed of $RVK_N entries, and two of $RVK_BIG");
    write_feeds();
    write_rvk_conf("$B/nginx-rvk.conf");
    nginx_test("$B/nginx-rvk.conf")
        or die "bench: nginx -t rejects the revocation configuration:\n"
               . slurp("$B/nginx-t.log");
}

if ($want_mtls) {
    step('certificate-bound tokens: a TLS proxy with a client certificate');
    write_mtls_confs();
    mint_mtls_token();
    for my $c ('mtls', 'front') {
        nginx_test("$B/nginx-$c.conf")
            or die "bench: nginx -t rejects nginx-$c.conf:\n"
                   . slurp("$B/nginx-t.log");
    }
}

for my $p (@PEERS) {
    write_peer_conf($p);
    nginx_test($p->{nginx_conf})
        or die "bench: nginx -t rejects the configuration of peer "
               . "$p->{name} ($p->{conf}):\n" . slurp("$B/nginx-t.log");
}

start_idp() if $oidc && $want_oidc;
start_nginx();
start_rvk() if $want_rvk;
start_mtls() if $want_mtls;
start_peer($_) for @PEERS;

step('pre-flight: one request per scenario');
preflight();

step('openssl speed, pinned to core 0');
my %speed = openssl_speed();

step("warm-up");
run_wrk($SC[0], 2);

step(sprintf "%d rounds x %d scenarios x %ds, wrk -t1 -c%d",
     $ROUNDS, scalar @SC, $SECONDS, $CONNS);
for my $round (1 .. $ROUNDS) {
    $tok->{'es-dpop'} = $tok->{"es-dpop-$round"} if $tok->{'es-dpop-1'};
    for my $sc (@SC) {
        my $r = run_wrk($sc, $SECONDS);
        push @{ $sc->{runs} }, $r;
        printf "  round %d  %-20s %7.0f req/s  p50 %8s  p99 %8s  "
             . "nginx CPU %3.0f%%%s\n",
            $round, $sc->{label}, $r->{rps}, fmt_lat($r->{p50}),
            fmt_lat($r->{p99}), 100 * $r->{ngx_cpu},
            check_status($sc, $r) ? '' : '  (!) unexpected statuses';
    }
}

my ($stall, $rload, $mem);
if ($oidc && selected('stall') && grep { $_->{id} eq 'oidc-repeated' } @SC) {
    step('OIDC: p99 with a JWKS refresh stalled at the IdP');
    $stall = stall_test();
}

if (selected('rvk-load') && grep { $_->{id} eq 'hs-repeated-rvk' } @SC) {
    step("revocation: p99 while a feed of $RVK_BIG entries loads, "
         . "each second");
    $rload = rvk_load_test();
}

if (selected('memory')) {
    step("memory: $MEM_N requests with distinct HS256 tokens");
    $mem = memory_run();
}

stop_all();

my @load_end = loadavg();
my $report = report();
print "\n", $report;

make_path("$ROOT/bench/results");
my $out = "$ROOT/bench/results/" . strftime('%Y-%m-%d', localtime)
          . ($TAG ne '' ? "-$TAG" : '') . '.md';
write_file($out, $report);
printf "\nwritten to %s (%.1f min)\n", $out =~ s{^\Q$ROOT\E/}{}r,
       (time - $t_start) / 60;

exit 0;

# ---------------------------------------------------------------------------
# setup

sub env_int {
    my ($name, $def) = @_;
    my $v = $ENV{$name};
    return $def if !defined $v || $v eq '';
    die "$name must be a positive integer\n" unless $v =~ /^\d+$/ && $v > 0;
    return $v;
}

# PEER and PEER_CONF: pairs of a module and its server-level configuration
# (bench/peers/*.conf), named after the configuration file
sub peers {
    my @so = split ' ', $ENV{PEER} // '';
    my @conf = split ' ', $ENV{PEER_CONF} // '';
    die "bench: PEER names " . @so . " module(s), PEER_CONF " . @conf
        . " configuration(s): give them in pairs\n" unless @so == @conf;

    my (@p, %seen);
    for my $i (0 .. $#so) {
        -f $so[$i] or die "bench: PEER $so[$i] not found "
                          . "(scripts/build-peers.sh)\n";
        -f $conf[$i] or die "bench: PEER_CONF $conf[$i] not found\n";
        my $name = basename($conf[$i]) =~ s/\.conf$//r;
        die "bench: PEER_CONF $conf[$i]: a name of letters, digits, '_' "
            . "and '-' wanted\n" unless $name =~ /^[\w-]+$/;
        die "bench: two peers named $name\n" if $seen{$name}++;
        push @p, { name => $name, so => abs_path($so[$i]),
                   conf => abs_path($conf[$i]) };
    }
    return @p;
}

sub selected { return $ONLY eq '' || $_[0] =~ /$ONLY/ }

sub step {
    my $t = time - $t_start;
    printf "\n== [%d:%02d] %s\n", $t / 60, $t % 60, $_[0];
}

sub need_tools {
    for my $t ('wrk', 'taskset', 'openssl') {
        system("command -v $t >/dev/null 2>&1") == 0
            or die "bench: $t not found; run scripts/deps.sh bench\n";
    }
    -x $NGINX or die "bench: $NGINX not found\n";
    -f $MODULE or die "bench: $MODULE not built; run make module\n";
    my $n = nproc();
    warn "bench: only $n core(s): nginx and wrk share a core\n" if $n < 2;
    $WRK_CPU = 0 if $n < 2;
}

sub nproc { chomp(my $n = `nproc 2>/dev/null` || 1); return $n }

sub prepare {
    # a run that was killed may have left its nginx or IdP behind
    for my $name ('nginx', 'idp', 'rvk', map { "peer-$_->{name}" } @PEERS) {
        my $pid = slurp("$B/$name.pid") // next;
        chomp $pid;
        next unless $pid =~ /^\d+$/;
        my $cmd = slurp("/proc/$pid/cmdline") // next;
        if ($cmd =~ /\Q$B\E/) {
            print "stopping the $name ($pid) of an earlier run\n";
            kill 'TERM', $pid;
            sleep 0.5;
            kill 'KILL', $pid if kill 0, $pid;
        }
    }

    for my $p ($PORT, $IDP_PORT, $RVK_PORT, map { $_->{port} } @PEERS) {
        my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$p",
                                      Timeout => 1);
        die "bench: 127.0.0.1:$p is in use; set BENCH_PORT\n" if $s;
    }

    remove_tree($B);
    make_path("$B/www", "$B/keys", "$B/tokens", "$B/tmp", "$B/logs");

    # the module as it was when the run began: a concurrent rebuild does
    # not change it under a running benchmark
    copy($MODULE, "$B/module.so") or die "copy $MODULE: $!\n";
    for my $p (@PEERS) {
        copy($p->{so}, "$B/peer-$p->{name}.so") or die "copy $p->{so}: $!\n";
    }

    # the same 64 bytes everywhere
    write_file("$B/www/$FILE", ('x' x 63) . "\n");
}

sub make_keys {
    my %gen = (
        rs  => '-algorithm RSA -pkeyopt rsa_keygen_bits:2048',
        idp => '-algorithm RSA -pkeyopt rsa_keygen_bits:2048',
        es  => '-algorithm EC -pkeyopt ec_paramgen_curve:P-256',
        ed  => '-algorithm ED25519',
        dpop => '-algorithm EC -pkeyopt ec_paramgen_curve:P-256',
    );
    for my $k (sort keys %gen) {
        system("openssl genpkey $gen{$k} -out $B/keys/$k.pem 2>/dev/null") == 0
            or die "openssl genpkey $k failed\n";
    }

    my %class = (rs => 'Crypt::PK::RSA', idp => 'Crypt::PK::RSA',
                 es => 'Crypt::PK::ECC', ed => 'Crypt::PK::Ed25519',
                 dpop => 'Crypt::PK::ECC');
    my $json = JSON::PP->new->canonical->pretty;
    for my $k (sort keys %class) {
        my $pk = $class{$k}->new("$B/keys/$k.pem");
        my $jwk = $pk->export_key_jwk('public', 1);
        $jwk->{kid} = "bench-$k";
        $jwk->{use} = 'sig';
        write_file("$B/keys/$k.jwks", $json->encode({ keys => [$jwk] }));
        $main::pk{$k} = $pk;
    }

    chomp(my $secret = `openssl rand -hex 32`);     # 64 bytes of text
    die "openssl rand failed\n" unless length $secret == 64;
    $ENV{BENCH_SECRET} = $secret;

    # the same keys in the forms peers take (bench/peers/*.conf): PEM
    # public keys, and the secret as a JWK Set ("oct"; HS256 tokens have
    # no kid)
    for my $k ('rs', 'es') {
        system("openssl pkey -in $B/keys/$k.pem -pubout "
               . "-out $B/keys/$k.pub.pem 2>/dev/null") == 0
            or die "openssl pkey $k failed\n";
    }
    write_file("$B/keys/hs.jwks", $json->encode({ keys => [
        { kty => 'oct', alg => 'HS256', use => 'sig',
          k => encode_base64url($secret) } ] }));
    {   # kept, so that nginx.conf can be started again by hand
        my $old = umask 077;
        write_file("$B/secret", "$secret\n");
        umask $old;
    }
    print "  RSA 2048 (RS256, and the IdP's key), P-256 (ES256, and the "
        . "DPoP client's key), Ed25519 (EdDSA), a 64-byte HS256 secret\n";
}

# ---------------------------------------------------------------------------
# nginx

sub issuer_lines {
    return (
        "auth_jwt_issuer bench-hs secret=env:BENCH_SECRET algorithms=HS256;",
        "auth_jwt_issuer bench-rs key_file=$B/keys/rs.jwks algorithms=RS256;",
        "auth_jwt_issuer bench-es key_file=$B/keys/es.jwks algorithms=ES256;",
        "auth_jwt_issuer bench-ed key_file=$B/keys/ed.jwks algorithms=EdDSA;",
    );
}

sub write_conf {
    my ($file, $oidc) = @_;

    my @iss = issuer_lines();
    push @iss, $oidc->{line} if $oidc;
    my $issuers = join "\n", map { "    $_" } @iss;

    my @loc = (['base', 0], ['hs', 1], ['rs', 1], ['es', 1], ['ed', 1]);
    push @loc, ['oidc', 1] if $oidc;

    # DPoP: proofs are minted before the rounds, so the window is long
    push @loc, ['dpop', 1, "            auth_jwt_bind dpop;\n"
                           . "            auth_jwt_dpop_window 1h;\n"
                           . "            auth_jwt_dpop_url "
                           . "http://127.0.0.1:$PORT\$uri;\n"];

    my $locations = join "\n", map {
        my ($name, $auth, $more) = @$_;
        "        location /$name/ {\n"
        . ($auth ? "            auth_jwt \"bench\";\n"
                 : "            # no auth: the baseline\n")
        . ($more // '')
        . "            alias $B/www/;\n"
        . "        }\n"
    } @loc;

    # every DPoP proof of the run stays in the zone until its window ends
    my $http = "$issuers\n\n    auth_jwt_dpop_zone 128m;\n";

    write_file($file, nginx_conf("$B/module.so", 'nginx', 'error.log',
                                 $PORT, $http, $locations));
}

# one nginx of the bench: the module, one worker, a server on $port with
# the text of $server; $http goes before the server block
sub nginx_conf {
    my ($module, $name, $log, $port, $http, $server) = @_;

    my $user = $> == 0 ? "user root;\n" : '';

    return <<"CONF";
# written by bench/run.pl; every location serves the same 64-byte file
load_module $module;

${user}daemon off;
worker_processes 1;
pid $B/$name.pid;
error_log $B/logs/$log warn;

events {
    worker_connections 4096;
}

http {
    access_log off;
    default_type text/plain;
    keepalive_requests 1000000;

    client_body_temp_path $B/tmp/body;
    proxy_temp_path $B/tmp/proxy;
    fastcgi_temp_path $B/tmp/fastcgi;
    uwsgi_temp_path $B/tmp/uwsgi;
    scgi_temp_path $B/tmp/scgi;

$http
    server {
        listen 127.0.0.1:$port backlog=4096;

$server    }
}
CONF
}

# a peer's nginx: its module and bench/peers/<name>.conf in the server
# block, without its comments, with @KEYS@, @WWW@ and @SECRET_HEX@ replaced
sub write_peer_conf {
    my ($p) = @_;
    my %v = (KEYS => "$B/keys", WWW => "$B/www",
             SECRET_HEX => unpack('H*', $ENV{BENCH_SECRET}));

    my $text = slurp($p->{conf}) // die "$p->{conf}: $!\n";
    $text =~ s/^\s*#.*\n//mg;
    $text =~ s/^\s+//;
    $text =~ s/\s+\z/\n/;
    $text =~ s/\@(KEYS|WWW|SECRET_HEX)\@/$v{$1}/g;
    die "bench: $p->{conf}: unknown placeholder $1\n"
        if $text =~ /(\@[A-Z_]+\@)/;
    $text =~ s/^(?=.)/        /mg;

    $p->{nginx_conf} = "$B/nginx-$p->{name}.conf";
    write_file($p->{nginx_conf},
               nginx_conf("$B/peer-$p->{name}.so", "peer-$p->{name}",
                          "$p->{name}-error.log", $p->{port}, '',
                          "        # from $p->{conf}\n$text"));
}

# certificate-bound tokens (RFC 8705): wrk has no client certificate, so
# an nginx without the module proxies to the module's nginx over TLS with
# one (keepalive, sessions reused), both on core 0.  /tls/ takes the
# repeated HS256 token, /mtls/ (auth_jwt_bind mtls) one bound to the
# proxy's certificate: the same path but for the binding check.
sub write_mtls_confs {
    my $k = "$B/keys";

    for my $c ('server', 'client') {
        system("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
               . "-nodes -days 2 -subj /CN=bench-$c -keyout $k/$c.key "
               . "-out $k/$c.crt 2>/dev/null") == 0
            or die "openssl req $c failed\n";
    }

    write_file("$B/nginx-mtls.conf", nginx_conf("$B/module.so", 'mtls',
        'mtls-error.log', $TLS_PORT + 1,
        "    auth_jwt_issuer bench-hs secret=env:BENCH_SECRET "
        . "algorithms=HS256;\n", <<"SERVER"));
        listen 127.0.0.1:$TLS_PORT ssl;
        ssl_certificate $k/server.crt;
        ssl_certificate_key $k/server.key;
        ssl_verify_client optional_no_ca;

        location /tls/ {
            auth_jwt "bench";
            alias $B/www/;
        }

        location /mtls/ {
            auth_jwt "bench";
            auth_jwt_bind mtls;
            alias $B/www/;
        }
SERVER

    write_file("$B/nginx-front.conf", nginx_conf("$B/module.so", 'front',
        'front-error.log', $FRONT_PORT, <<"HTTP", <<"SERVER"));
    upstream bench_tls {
        server 127.0.0.1:$TLS_PORT;
        keepalive 64;
    }
HTTP
        location / {
            proxy_pass https://bench_tls;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_ssl_certificate $k/client.crt;
            proxy_ssl_certificate_key $k/client.key;
            proxy_ssl_session_reuse on;
        }
SERVER
}

sub start_mtls {
    my $upstream = spawn_nginx('mtls', "$B/nginx-mtls.conf", $TLS_PORT,
                               'mtls-error.log');
    my $front = spawn_nginx('front', "$B/nginx-front.conf", $FRONT_PORT,
                            'front-error.log');
    $worker_at{$FRONT_PORT} = "$front,$upstream";
}

# the revocation nginx: the HS256 location only, the same issuers, and a
# file feed of $RVK_N entries of every kind (none matches a bench token),
# looked at every second
sub write_rvk_conf {
    my ($file) = @_;
    my $conf = slurp("$B/nginx.conf");
    $conf =~ s{pid \Q$B\E/nginx.pid;}{pid $B/rvk.pid;};
    $conf =~ s{error_log \Q$B\E/logs/error.log \w+}
              {error_log $B/logs/rvk-error.log info};
    $conf =~ s{listen 127.0.0.1:$PORT }{listen 127.0.0.1:$RVK_PORT };
    $conf =~ s{(\n\s*auth_jwt_issuer bench-hs)}
              {\n    auth_jwt_zone revocation:64m;\n    auth_jwt_revocation file:$B/revoked.json refresh=1s;$1};
    $conf =~ s{\n\s*auth_jwt_issuer https?://\S+[^\n]*}{}g;
    write_file($file, $conf);
}

sub write_feeds {
    my $exp = int(time) + 2 * 86400;
    my $feed = sub {
        my ($n, $tag) = @_;
        my @e;
        for my $i (1 .. $n) {
            my $k = $i % 4;
            push @e, $k == 0 ? qq({"jti":"$tag-$i","exp":$exp})
                   : $k == 1 ? sprintf('{"token":"sha256:%s","exp":%d}',
                                       sha256_hex("$tag-$i"), $exp)
                   : $k == 2 ? qq({"sub":"gone-$tag-$i","iss":"bench-hs",)
                               . qq("before":$exp,"exp":$exp})
                   :           qq({"kid":"old-$tag-$i","iss":"bench-hs",)
                               . qq("exp":$exp});
        }
        return '{"revoked":[' . join(",\n", @e) . "]}\n";
    };
    write_file("$B/revoked-10k.json", $feed->($RVK_N, 'a'));
    write_file("$B/revoked-big-a.json", $feed->($RVK_BIG, 'a'));
    write_file("$B/revoked-big-b.json", $feed->($RVK_BIG, 'b'));
    rvk_feed("$B/revoked-10k.json");
}

# the feed becomes another file at once (a symlink renamed over it: a
# new inode, so the module reads it on its next look)
sub rvk_feed {
    my ($target) = @_;
    unlink "$B/revoked.next";
    symlink $target, "$B/revoked.next" or die "symlink: $!\n";
    rename "$B/revoked.next", "$B/revoked.json" or die "rename: $!\n";
}

sub start_rvk {
    $worker_at{$RVK_PORT} = spawn_nginx('rvk', "$B/nginx-rvk.conf", $RVK_PORT,
                                        'rvk-error.log');

    # loaded: its log says so
    for (1 .. 100) {
        last if (slurp("$B/logs/rvk-error.log") // '')
                =~ /revocation feed .*: $RVK_N entries/;
        sleep 0.05;
    }
}

# wrk on the HS256 repeated token of the revocation nginx: idle, then
# while a feed of $RVK_BIG entries is loaded every second (two feeds in
# turn, so each look finds a new one)
sub rvk_load_test {
    my ($sc) = grep { $_->{id} eq 'hs-repeated-rvk' } @SC;
    my $secs = max(3, $SECONDS);
    my (@idle, @busy);

    for my $round (1 .. $ROUNDS) {
        rvk_feed("$B/revoked-10k.json");
        sleep 1.5;
        push @idle, run_wrk($sc, $secs);

        my $pid = fork // die "fork: $!\n";
        if ($pid == 0) {
            $SIG{$_} = 'DEFAULT' for qw(INT TERM HUP);
            for my $i (0 .. 1000) {
                rvk_feed("$B/revoked-big-" . ($i % 2 ? 'b' : 'a') . '.json');
                sleep 1;
            }
            POSIX::_exit(0);
        }
        $pids{feeder} = $pid;
        sleep 1.2;          # the first big feed is in
        push @busy, run_wrk($sc, $secs);
        stop_pid('feeder');

        printf "  pair %d: idle p99 %s, loading p99 %s\n", $round,
            fmt_lat($idle[-1]{p99}), fmt_lat($busy[-1]{p99});
    }
    rvk_feed("$B/revoked-10k.json");

    my @loads = (slurp("$B/logs/rvk-error.log") // '')
                =~ /: $RVK_BIG entries .* loaded in (\d+) steps of (\d+) ms/g;
    return { secs => $secs,
             idle => { map { my $k = $_; $k => median(map { $_->{$k} } @idle) }
                       qw(rps p50 p99) },
             busy => { map { my $k = $_; $k => median(map { $_->{$k} } @busy) }
                       qw(rps p50 p99) },
             all_idle => [ map { $_->{p99} } @idle ],
             all_busy => [ map { $_->{p99} } @busy ],
             loads => scalar(@loads) / 2,
             load_ms => median(@loads[grep { $_ % 2 } 0 .. $#loads]),
             load_steps => median(@loads[grep { !($_ % 2) } 0 .. $#loads]),
             ok => !grep { !check_status($sc, $_) } @idle, @busy };
}

sub nginx_test {
    my ($conf) = @_;
    my $rc = system("'$NGINX' -p '$B/' -c '$conf' -t >'$B/nginx-t.log' 2>&1");
    return $rc == 0;
}

# The OIDC scenario needs OIDC issuers in the module ("insecure_http",
# "jwks_uri=" of auth_jwt_issuer).  Until nginx -t accepts such an issuer
# it is skipped.  refresh= is tried first so that the stall test can count
# on a periodic refresh; an unknown-kid request forces one as well.
sub probe_oidc {
    my $base = "auth_jwt_issuer $OIDC_ISS insecure_http "
             . "jwks_uri=http://127.0.0.1:$IDP_PORT/jwks.json algorithms=RS256";
    # a fetch gives up after auth_jwt_fetch_timeout: set longer than the
    # stall, so the refresh stays in progress while the IdP hangs
    my $timeout = "\n    auth_jwt_fetch_timeout " . ($STALL * 2) . 's;';
    my $err;
    for my $v ([' refresh=2s', $timeout], ['', $timeout], [' refresh=2s', ''],
               ['', ''])
    {
        my $o = { line => "$base$v->[0];$v->[1]", refresh => $v->[0] ne '' };
        write_conf("$B/probe.conf", $o);
        return $o if nginx_test("$B/probe.conf");
        $err = (grep { /emerg|error/ } split /\n/, slurp("$B/nginx-t.log"))[0];
    }
    $err //= 'nginx -t failed';
    $err =~ s/^.*?\[emerg\] \d+#\d+: //;
    $main::oidc_skip = "OIDC issuer support not built yet (nginx -t: $err)";
    return undef;
}

sub start_nginx {
    $nginx_worker = spawn_nginx('nginx', "$B/nginx.conf", $PORT, 'error.log');
}

sub start_peer {
    my ($p) = @_;
    $worker_at{ $p->{port} } = spawn_nginx("peer-$p->{name}", $p->{nginx_conf},
                                           $p->{port}, "$p->{name}-error.log");
}

# an nginx of the bench on core 0, its master in %pids{$name}; returns
# the pid of its worker
sub spawn_nginx {
    my ($name, $conf, $port, $log) = @_;
    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        open STDOUT, '>', "$B/logs/$name.out";
        open STDERR, '>&', \*STDOUT;
        { exec 'taskset', '-c', $NGX_CPU, $NGINX, '-p', "$B/", '-c', $conf; }
        POSIX::_exit(127);
    }
    $pids{$name} = $pid;

    wait_port($port, $name) or die "bench: $name did not start:\n"
                                   . (slurp("$B/logs/$log") // '')
                                   . (slurp("$B/logs/$name.out") // '');
    my $worker;
    for (1 .. 100) {
        $worker = child_of($pid);
        last if $worker;
        sleep 0.05;
    }
    die "bench: no worker of $name\n" unless $worker;
    return $worker;
}

sub stop_pid {
    my ($name) = @_;
    my $pid = delete $pids{$name} or return;
    kill 'TERM', $pid;
    for (1 .. 100) {
        return if waitpid($pid, WNOHANG) != 0;
        sleep 0.05;
    }
    kill 'KILL', $pid;
    waitpid($pid, 0);
}

sub stop_all {
    stop_pid($_) for grep { $_ ne 'nginx' && $_ ne 'rvk' } keys %pids;
    stop_pid('rvk');
    stop_pid('nginx');
    undef $nginx_worker;
    %worker_at = ();
}

sub restart_nginx {
    stop_pid('nginx');
    start_nginx();
}

sub child_of {
    my ($ppid) = @_;
    for my $st (glob '/proc/[0-9]*/stat') {
        my $s = slurp($st) // next;
        # pid (comm) state ppid ...
        return $1 if $s =~ /^(\d+) \(.*\) \S+ (\d+) / && $2 == $ppid;
    }
    return undef;
}

sub wait_port {
    my ($port, $what) = @_;
    for (1 .. 100) {
        my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                      Timeout => 1);
        return 1 if $s;
        return 0 if $pids{$what} && waitpid($pids{$what}, WNOHANG) != 0;
        sleep 0.1;
    }
    return 0;
}

sub start_idp {
    unlink "$B/idp.stall";
    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        open STDOUT, '>', "$B/logs/idp.out";
        open STDERR, '>&', \*STDOUT;
        { exec 'taskset', '-c', $WRK_CPU, $^X, "$ROOT/bench/idp.pl", $IDP_PORT,
             $OIDC_ISS, "$B/keys/idp.jwks", "$B/idp.stall",
             "$B/logs/idp.log", $STALL; }
        POSIX::_exit(127);
    }
    $pids{idp} = $pid;
    write_file("$B/idp.pid", "$pid\n");
    wait_port($IDP_PORT, 'idp') or die "bench: the mock IdP did not start\n";
}

sub alive {     # running, not a zombie waiting for close()
    my $s = slurp("/proc/$_[0]/stat") // return 0;
    return $s !~ /^\d+ \(.*\) Z /;
}

# of the worker, or of the workers ("pid,pid": a proxy and its upstream)
sub worker_ticks {
    my $t = 0;
    for my $pid (split /,/, $nginx_worker) {
        my $s = slurp("/proc/$pid/stat") // next;
        $s =~ s/^.*\) //;
        my @f = split ' ', $s;
        $t += $f[11] + $f[12];     # utime + stime
    }
    return $t;
}

sub rss {
    my $s = slurp("/proc/$nginx_worker/status") // return {};
    my %r = map { $_ => ($s =~ /^$_:\s+(\d+) kB/m)[0] }
            qw(VmRSS RssAnon RssFile RssShmem);
    return \%r;
}

# ---------------------------------------------------------------------------
# tokens

sub claims {
    my ($iss, $n) = @_;
    my $now = time;
    return { iss => $iss, sub => "user-$n", role => 'user',
             iat => int($now), exp => int($now) + 86400 };
}

sub flip_sig {     # one signature byte changed: the framing stays valid
    my ($t) = @_;
    my ($h, $p, $s) = split /\./, $t;
    my $raw = decode_base64url($s);
    substr($raw, 5, 1) ^= "\x01";
    return "$h.$p." . encode_base64url($raw);
}

# one process per key type, side by side: CryptX signs RSA in pure C
# without OpenSSL's speed, and 10,000 RS256 tokens take a while
sub mint_all {
    my %alg = (hs => ['HS256', 'bench-hs'], rs => ['RS256', 'bench-rs'],
               es => ['ES256', 'bench-es'], ed => ['EdDSA', 'bench-ed'],
               oidc => ['RS256', $OIDC_ISS]);
    my (%files, %kids);
    my $t0 = time;
    my %used = map { ($_->{tokens} =~ /^(\w+)-/)[0] => 1 } @SC;
    for my $kt (grep { $used{$_} } 'hs', 'rs', 'es', 'ed', 'oidc') {
        $files{"$kt-$_"} = "$B/tokens/$kt-$_.txt"
            for 'repeated', 'distinct', 'invalid', ($kt eq 'oidc' ? () : 'mix');
        my $pid = fork // die "fork: $!\n";
        if ($pid == 0) {
            $SIG{$_} = 'DEFAULT' for qw(INT TERM HUP);
            mint_set($kt, @{ $alg{$kt} });
            POSIX::_exit(0);
        }
        $pids{"mint-$kt"} = $pid;
        $kids{$pid} = $kt;
    }
    $files{'oidc-unknown-kid'} = "$B/tokens/oidc-unknown-kid.txt"
        if $used{oidc};

    wait_minters(\%kids, 'mint', 'tokens');
    for my $f (values %files) {
        die "bench: $f is missing\n" unless -s $f;
    }
    printf "  all sets in %.1fs\n", time - $t0;
    return \%files;
}

# the minting children of %$kids (pid => set), each $pids{"$tag-$set"}
sub wait_minters {
    my ($kids, $tag, $what) = @_;
    while (%$kids) {
        my $pid = waitpid(-1, 0);
        last if $pid < 0;
        my $set = delete $kids->{$pid} // next;
        delete $pids{"$tag-$set"};
        die "bench: minting $what ($set) failed\n" if $?;
    }
}

sub mint_set {
    my ($kt, $alg, $iss) = @_;
    my $t0 = time;
    my $key = $kt eq 'hs' ? $ENV{BENCH_SECRET}
            : $main::pk{ $kt eq 'oidc' ? 'idp' : $kt };
    my $kid = $kt eq 'oidc' ? 'bench-idp' : "bench-$kt";
    my $mint = sub {
        encode_jwt(payload => claims($iss, $_[0]), alg => $alg, key => $key,
                   extra_headers => $kt eq 'hs' ? {} : { kid => $kid });
    };
    my $rep = $mint->('repeated');
    my @dist = map { $mint->($_) } 1 .. $POOL;
    my @inv = map { flip_sig($_) } @dist;

    write_tokens("$kt-repeated", [$rep]);
    write_tokens("$kt-distinct", \@dist);
    write_tokens("$kt-invalid", \@inv);

    if ($kt ne 'oidc') {
        # mix, in blocks of 10: 8 x the repeated token, 1 distinct,
        # 1 invalid; 100,000 lines, so each distinct token comes back
        # only after 10,000 others (no LRU keeps it)
        my @mix;
        for my $i (0 .. $POOL - 1) {
            push @mix, ($rep) x 8, $dist[$i], $inv[$i];
        }
        write_tokens("$kt-mix", \@mix);

    } else {            # a kid the IdP's JWKS does not have: wants a refresh
        write_tokens('oidc-unknown-kid', [
            encode_jwt(payload => claims($iss, 'kick'), alg => $alg,
                       key => $key, extra_headers => { kid => 'rotated' }) ]);
    }
    printf "  %-5s %-5s 1 repeated, %d distinct, %d invalid (%.1fs)\n",
        $kt, $alg, $POOL, $POOL, time - $t0;
}

sub write_tokens {
    my ($name, $list) = @_;
    my $f = "$B/tokens/$name.txt";
    write_file($f, join('', map { "$_\n" } @$list));
    return $f;
}

# an HS256 token bound (cnf.x5t#S256) to the proxy's client certificate;
# the keys are made with the configuration, so the token is minted then
sub mint_mtls {
    my ($files) = @_;
    $files->{'hs-mtls'} = "$B/tokens/hs-mtls.txt";
}

sub mint_mtls_token {
    my $der = `openssl x509 -in $B/keys/client.crt -outform DER`;
    die "openssl x509 failed\n" if $? || !length $der;
    write_tokens('hs-mtls', [ encode_jwt(
        payload => { %{ claims('bench-hs', 'mtls') },
                     cnf => { 'x5t#S256' =>
                              encode_base64url(Digest::SHA::sha256($der)) } },
        alg => 'HS256', key => $ENV{BENCH_SECRET}) ]);
}

# DPoP: an ES256 token of bench-es bound (cnf.jkt) to the client's P-256
# key, and per round a file of "token proof" lines, each proof for GET
# /dpop/64b.txt with its own jti: a proof is accepted once, so a run
# needs more of them than wrk sends (a replay would be refused: 401)
sub mint_dpop {
    my ($files) = @_;
    my $t0 = time;
    my $pk = $main::pk{dpop};
    my $jwk = JSON::PP->new->decode($pk->export_key_jwk('public'));
    my $token = encode_jwt(
        payload => { %{ claims('bench-es', 'dpop') },
                     cnf => { jkt => $pk->export_key_jwk_thumbprint('SHA256') } },
        alg => 'ES256', key => $main::pk{es},
        extra_headers => { kid => 'bench-es' });
    my $ath = encode_base64url(Digest::SHA::sha256($token));
    my $htu = "http://127.0.0.1:$PORT/dpop/$FILE";

    my %kids;
    for my $set ('pre', 1 .. $ROUNDS) {
        $files->{"es-dpop-$set"} = "$B/tokens/es-dpop-$set.txt";
        my $pid = fork // die "fork: $!\n";
        if ($pid == 0) {
            $SIG{$_} = 'DEFAULT' for qw(INT TERM HUP);
            my $n = $set eq 'pre' ? 1 : $DPOP_N;
            my $now = int(time);
            my @l = map {
                "$token " . encode_jwt(
                    payload => { jti => "$set-$_-" . int(rand(1e9)),
                                 htm => 'GET', htu => $htu, iat => $now,
                                 ath => $ath },
                    alg => 'ES256', key => $pk,
                    extra_headers => { typ => 'dpop+jwt', jwk => $jwk })
            } 1 .. $n;
            write_tokens("es-dpop-$set", \@l);
            POSIX::_exit(0);
        }
        $pids{"dpop-$set"} = $pid;
        $kids{$pid} = $set;
    }
    wait_minters(\%kids, 'dpop', 'DPoP proofs');
    $files->{'es-dpop'} = $files->{'es-dpop-pre'};
    printf "  %d x %d proofs in %.1fs\n", $ROUNDS, $DPOP_N, time - $t0;
}

# ---------------------------------------------------------------------------
# scenarios

sub scenarios {
    my @s = ({ id => 'baseline', label => 'baseline (no auth)',
               path => '/base/', tokens => 'hs-repeated', refused => 0 });
    my %name = (hs => 'HS256', rs => 'RS256', es => 'ES256', ed => 'EdDSA',
                oidc => 'OIDC RS256');
    for my $kt ('hs', 'rs', 'es', 'ed', ($oidc ? 'oidc' : ())) {
        for my $kind ('repeated', 'distinct', 'invalid', 'mix') {
            next if $kt eq 'oidc' && $kind =~ /invalid|mix/;
            push @s, { id => "$kt-$kind", kt => $kt, kind => $kind,
                       label => "$name{$kt} $kind", path => "/$kt/",
                       tokens => "$kt-$kind",
                       refused => { repeated => 0, distinct => 0,
                                    invalid => 1, mix => 0.1 }->{$kind} };
        }
    }
    push @s, { id => 'es-dpop', label => 'ES256 DPoP, fresh proof',
               path => '/dpop/', tokens => 'es-dpop', refused => 0 };
    push @s, { id => 'hs-tls', label => 'HS256 repeated, TLS proxy',
               path => '/tls/', port => $FRONT_PORT, mtls => 1,
               tokens => 'hs-repeated', refused => 0 },
             { id => 'hs-mtls', label => 'HS256 cert-bound, TLS proxy',
               path => '/mtls/', port => $FRONT_PORT, mtls => 1,
               tokens => 'hs-mtls', refused => 0 };
    for my $kind ('repeated', 'distinct') {
        push @s, { id => "hs-$kind-rvk", kt => 'hs', kind => $kind,
                   label => "HS256 $kind, $RVK_N revoked",
                   path => '/hs/', port => $RVK_PORT, rvk => 1,
                   tokens => "hs-$kind", refused => 0 };
    }

    # BENCH_ONLY; each peer's scenario right after ours, on the same
    # tokens: HS256, RS256, ES256, repeated and distinct
    my @sel;
    for my $sc (grep { $_->{id} eq 'baseline' || selected($_->{id}) } @s) {
        push @sel, $sc;
        next unless $sc->{id} =~ /^(hs|rs|es)-(repeated|distinct)$/;
        for my $p (@PEERS) {
            push @sel, { %$sc, id => "$p->{name}-$sc->{id}",
                         label => "$p->{name}: $sc->{label}",
                         port => $p->{port}, peer => $p, ours => $sc };
        }
    }
    $_->{runs} = [] for @sel;
    return @sel;
}

sub preflight {
    my $http = HTTP::Tiny->new(timeout => 10, keep_alive => 0);
    for my $sc (@SC) {
        my @toks = split /\n/, slurp($tok->{ $sc->{tokens} });
        my $t = $toks[0];
        my %h = (Authorization => "Bearer $t");
        if ($t =~ / /) {            # "token proof": the DPoP scenario
            my ($at, $proof) = split / /, $t;
            %h = (Authorization => "DPoP $at", DPoP => $proof);
        }
        my $want = $sc->{refused} == 1 ? 401 : 200;
        my $r;
        for my $try (1 .. ($sc->{kt} && $sc->{kt} eq 'oidc' ? 50 : 1)) {
            $r = $http->get("http://127.0.0.1:"
                            . ($sc->{port} // $PORT) . "$sc->{path}$FILE",
                            { headers => \%h });
            last if $r->{status} == $want;
            sleep 0.2;      # an OIDC issuer may still be fetching its keys
        }
        if ($r->{status} != $want
            || ($want == 401 && $r->{content} !~ /Bad signature/))
        {
            die "bench: pre-flight $sc->{label}: $r->{status} instead of "
              . "$want\n$r->{content}\n";
        }
        if ($sc->{peer}) {
            # a peer that accepts a bad signature is not measured
            my ($bad) = split /\n/, slurp($tok->{"$sc->{kt}-invalid"});
            my $no = $http->get("http://127.0.0.1:$sc->{port}$sc->{path}$FILE",
                            { headers => { Authorization => "Bearer $bad" } });
            die "bench: pre-flight $sc->{label}: a bad signature got "
              . "$no->{status} instead of 401\n" unless $no->{status} == 401;
        }
        printf "  %-30s %d%s\n", $sc->{label}, $r->{status},
            $want == 401 ? ' Bad signature'
            : $sc->{peer} ? ' (and 401 to a bad signature)' : '';
    }
}

# ---------------------------------------------------------------------------
# wrk

sub run_wrk {
    my ($sc, $secs, %opt) = @_;
    my @cmd = ('taskset', '-c', $WRK_CPU, 'wrk', '-t1', "-c$CONNS",
               "-d${secs}s", '--latency', '--timeout', '10s',
               '-s', "$ROOT/bench/tokens.lua",
               'http://127.0.0.1:' . ($sc->{port} // $PORT)
               . "$sc->{path}$FILE", '--',
               $tok->{ $opt{tokens} // $sc->{tokens} });

    # the CPU time is that of the worker that served the scenario
    my $main = $nginx_worker;
    $nginx_worker = $worker_at{ $sc->{port} } if $sc->{port};
    my $r = wrk_cmd(\@cmd);
    $nginx_worker = $main;

    return $r;
}

sub wrk_cmd {
    my ($cmd, $marker) = @_;
    my $ticks0 = worker_ticks();
    my @c0 = times;
    my $w0 = time;

    my $pid = open(my $fh, '-|', @$cmd) // die "wrk: $!\n";

    if ($marker) {      # stream.lua touches it when it has all responses
        while (alive($pid)) {
            if (-e $marker) {
                kill 'INT', $pid;      # wrk then prints its summary
                last;
            }
            sleep 0.02;
        }
    }

    my $out = do { local $/; <$fh> } // '';
    close $fh;
    my $rc = $?;
    my $wall = time - $w0;
    my @c1 = times;
    my $ticks1 = worker_ticks();

    my $r = parse_wrk($out);
    die "bench: wrk failed (exit $rc):\n" . join(' ', @$cmd) . "\n$out\n"
        unless defined $r->{rps};
    my $dur = $r->{secs} || $wall;
    $r->{ngx_cpu} = ($ticks1 - $ticks0) / $HZ / $dur;
    # requests per second of the worker's CPU time: what the work costs,
    # whatever share of core 0 other processes left to nginx
    $r->{cpu_rps} = $ticks1 > $ticks0
                    ? $r->{requests} / (($ticks1 - $ticks0) / $HZ) : undef;
    $r->{wrk_cpu} = ($c1[2] + $c1[3] - $c0[2] - $c0[3]) / $dur;
    $r->{out} = $out;
    return $r;
}

sub parse_wrk {
    my ($out) = @_;
    my %r;
    ($r{rps}) = $out =~ /^Requests\/sec:\s+([\d.]+)/m;
    if ($out =~ /(\d+) requests in ([\d.]+)(us|ms|s|m|h)\b/) {
        $r{requests} = $1;
        $r{secs} = $2 * { us => 1e-6, ms => 1e-3, s => 1, m => 60,
                          h => 3600 }->{$3};
    }
    for my $p (50, 75, 90, 99) {
        $r{"p$p"} = to_ms($1, $2)
            if $out =~ /^\s+$p(?:\.0+)?%\s+([\d.]+)(us|ms|s|m)\s*$/m;
    }
    $r{non2xx} = $out =~ /Non-2xx or 3xx responses:\s+(\d+)/ ? $1 : 0;
    $r{errors} = $r{timeouts} = 0;
    if ($out =~ /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/) {
        $r{errors} = $1 + $2 + $3 + $4;
        $r{timeouts} = $4;
    }
    return \%r;
}

sub to_ms {
    my ($v, $u) = @_;
    return $v * { us => 1e-3, ms => 1, s => 1e3, m => 6e4 }->{$u};
}

# right answers: all 200, all 401, or about 10% 401 for the mix
sub check_status {
    my ($sc, $r) = @_;
    return 0 if $r->{errors} || !$r->{requests};
    my $f = $r->{non2xx} / $r->{requests};
    return $f == 0 if $sc->{refused} == 0;
    return $f == 1 if $sc->{refused} == 1;
    return abs($f - $sc->{refused}) < 0.02;
}

# ---------------------------------------------------------------------------
# openssl speed

sub openssl_speed {
    my %s;
    for my $a (['rsa2048', 'RS256'], ['ecdsap256', 'ES256'],
               ['ed25519', 'EdDSA'])
    {
        my ($name, $alg) = @$a;
        # -elapsed: per second of wall-clock time, like wrk's req/s;
        # without: per second of CPU time, like the table's req/CPU-s
        my $v = speed_verify("-seconds 2 -elapsed $name");
        my $c = speed_verify("-seconds 1 $name");
        $s{$alg} = { name => $name, verify => $v, verify_cpu => $c };
        printf "  %-10s %10.0f verify/s (wall clock), %10.0f verify/s "
             . "(CPU time)\n", $name, $v, $c;
    }
    my $out = `taskset -c $NGX_CPU openssl speed -seconds 1 -bytes 256 -hmac sha256 2>/dev/null`;
    if ($out =~ /^hmac\(sha256\)\s+([\d.]+)k\s*$/m) {
        $s{HS256} = { name => 'hmac(sha256), 256 bytes',
                      verify_cpu => $1 * 1000 / 256 };
        printf "  %-10s %10s                      %10.0f HMACs/s (CPU time, "
             . "256-byte input)\n", 'hmac', '', $s{HS256}{verify_cpu};
    }
    return %s;
}

sub speed_verify {
    my ($args) = @_;
    my $out = `taskset -c $NGX_CPU openssl speed $args 2>/dev/null`;
    my ($hdr) = $out =~ /^(\s*sign\s+verify\s+sign\/s\s+verify\/s)\s*$/m;
    my @lines = grep { /\d/ && !/CPUINFO|^version|^built|^options|^compiler|^CPU/ }
                split /\n/, $out;
    my $v;
    if ($hdr && @lines) {
        my @n = $lines[-1] =~ /([\d.]+)/g;
        $v = $n[-1];
    }
    die "bench: cannot parse openssl speed $args:\n$out\n" unless $v;
    return $v;
}

# ---------------------------------------------------------------------------
# OIDC: p99 while a JWKS refresh hangs at the IdP

# Pairs of runs, ROUNDS of them: wrk with the IdP answering, then wrk
# while a JWKS fetch hangs at the IdP.  For the second run the IdP is set
# to stall, a token with an unknown kid asks the module for new keys (and
# refresh=2s makes one due anyway), and wrk starts only once the IdP has
# received the fetch; the run is shorter than the stall, so the refresh is
# in progress for all of it.  Medians of the p99s are compared.
sub stall_test {
    my ($sc) = grep { $_->{id} eq 'oidc-repeated' } @SC;
    my $secs = max(2, $STALL - 1);
    my (@idle, @busy, @inside);

    for my $round (1 .. $ROUNDS) {
        unlink "$B/idp.stall";
        wait_stalls_over();

        my $idle = run_wrk($sc, $secs);
        push @idle, $idle;

        write_file("$B/idp.stall", "");
        my $t0 = time;
        my $n0 = stalls()->{begin};
        kick($sc);

        # wait for a fetch to reach the stalled IdP
        my $seen;
        while (time - $t0 < $STALL) {
            last if $seen = stalls()->{begin} > $n0;
            sleep 0.05;
        }
        my $ts = time;
        my $busy = run_wrk($sc, $secs);
        my $te = time;
        unlink "$B/idp.stall";
        stop_pid('kick');
        push @busy, $busy;

        # was a fetch still hanging when wrk ended?
        my $st = stalls($ts, $te);
        my $inside = $seen && $st->{open_at_end};
        push @inside, $inside ? 1 : 0;

        printf "  pair %d: IdP answering p99 %s, IdP stalled p99 %s%s\n",
            $round, fmt_lat($idle->{p99}), fmt_lat($busy->{p99}),
            $inside ? ' (fetch in progress for the whole run)'
            : $seen ? ' (the stalled fetch ended during the run)'
            : ' (no fetch reached the IdP: not counted)';
    }
    unlink "$B/idp.stall";
    wait_stalls_over();

    my @ok = grep { $inside[$_] } 0 .. $#busy;
    return { secs => $secs, pairs => scalar @busy, counted => scalar @ok,
             idle => { map { my $k = $_; $k => median(map { $_->{$k} } @idle) }
                       qw(rps p50 p99 timeouts) },
             busy => { map { my $k = $_; $k => median(map { $busy[$_]{$k} } @ok) }
                       qw(rps p50 p99 timeouts) },
             all_idle => [ map { $_->{p99} } @idle ],
             all_busy => [ map { $_->{p99} } @busy ],
             inside => \@inside,
             ok => !grep { !check_status($sc, $_) } @idle, @busy };
}

sub kick {      # a token with a kid the JWKS lacks: the module wants keys
    my ($sc) = @_;
    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        $SIG{$_} = 'DEFAULT' for qw(INT TERM HUP);
        my $t = slurp($tok->{'oidc-unknown-kid'});
        chomp $t;
        HTTP::Tiny->new(timeout => $STALL * 3)->get(
            "http://127.0.0.1:$PORT$sc->{path}$FILE",
            { headers => { Authorization => "Bearer $t" } });
        POSIX::_exit(0);
    }
    $pids{kick} = $pid;
}

# the IdP's log: stalled fetches begun and ended (between $from and $to:
# whether one was still hanging at $to)
sub stalls {
    my ($from, $to) = @_;
    my %n = (begin => 0, end => 0);
    my ($open_from, $open_to) = (0, 0);
    for (split /\n/, slurp("$B/logs/idp.log") // '') {
        my ($ts, $what, $mode) = split ' ';
        next unless $mode && $mode eq 'stall';
        $n{$what}++;
        next unless defined $to;
        $open_to++ if $what eq 'begin' && $ts <= $to;
        $open_to-- if $what eq 'end' && $ts <= $to;
    }
    $n{open_at_end} = $open_to > 0;
    return \%n;
}

sub wait_stalls_over {
    my $t0 = time;
    while (time - $t0 < $STALL + 3) {
        my $n = stalls();
        return if $n->{begin} == $n->{end};
        sleep 0.1;
    }
}

# ---------------------------------------------------------------------------
# memory: a fresh worker, 10,000 distinct tokens, its RSS, then the rest

sub memory_run {
    my $file = "$B/tokens/mem.txt";
    my $t0 = time;
    my $secret = $ENV{BENCH_SECRET};
    my $now = int time;
    my $hdr = encode_base64url('{"alg":"HS256","typ":"JWT"}');
    open my $fh, '>', $file or die "$file: $!\n";
    for my $n (1 .. $MEM_N) {
        my $in = $hdr . '.' . encode_base64url(
            qq({"iss":"bench-hs","sub":"user-$n","role":"user","iat":$now,)
          . qq("exp":@{[$now + 86400]}}));
        print $fh $in, '.', encode_base64url(hmac_sha256($in, $secret)), "\n";
    }
    close $fh or die "$file: $!\n";
    printf "  %d HS256 tokens minted with Digest::SHA (%.1fs)\n", $MEM_N,
        time - $t0;

    restart_nginx();
    my $pid = $nginx_worker;
    my $rss0 = rss();

    my @phase = ([0, $MEM_FIRST], [$MEM_FIRST, $MEM_N - $MEM_FIRST]);
    my (@r, @rss);
    for my $i (0, 1) {
        my ($skip, $count) = @{ $phase[$i] };
        my $marker = "$B/mem-done-$i";
        unlink $marker;
        local $ENV{BENCH_DONE} = $marker;
        my @cmd = ('taskset', '-c', $WRK_CPU, 'wrk', '-t1', "-c$CONNS",
                   '-d3600s', '--timeout', '10s',
                   '-s', "$ROOT/bench/stream.lua",
                   "http://127.0.0.1:$PORT/hs/$FILE", '--',
                   $file, $skip, $count);
        $r[$i] = wrk_cmd(\@cmd, $marker);
        unlink $marker;
        sleep 0.5;
        $rss[$i] = rss();
        printf "  after %9d requests: VmRSS %d kB (anon %d, file %d, "
             . "shmem %d), %.0f req/s, %d non-2xx\n",
            ($i ? $r[0]{requests} + $r[1]{requests} : $r[0]{requests}),
            @{ $rss[$i] }{qw(VmRSS RssAnon RssFile RssShmem)}, $r[$i]{rps},
            $r[$i]{non2xx};
    }
    unlink $file;

    die "bench: the nginx worker changed during the memory run\n"
        unless $nginx_worker == $pid && kill 0, $pid;

    return { start => $rss0, first => $rss[0], last => $rss[1],
             requests => [ $r[0]{requests}, $r[0]{requests} + $r[1]{requests} ],
             non2xx => $r[0]{non2xx} + $r[1]{non2xx},
             errors => $r[0]{errors} + $r[1]{errors},
             rps => $r[1]{rps},
             delta => $rss[1]{VmRSS} - $rss[0]{VmRSS} };
}

# ---------------------------------------------------------------------------
# report

sub median {
    my @v = sort { $a <=> $b } grep { defined } @_;
    return undef unless @v;
    return @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
}

sub med {
    my ($sc, $k) = @_;
    return $sc ? median(map { $_->{$k} } @{ $sc->{runs} }) : undef;
}

sub fmt_lat {
    my ($ms) = @_;
    return '-' unless defined $ms;
    return sprintf('%.0f us', $ms * 1000) if $ms < 1;
    return sprintf('%.2f ms', $ms) if $ms < 10;
    return sprintf('%.1f ms', $ms) if $ms < 1000;
    return sprintf('%.2f s', $ms / 1000);
}

sub commify {
    my $n = sprintf '%.0f', shift;
    1 while $n =~ s/^(\d+)(\d{3})/$1,$2/;
    return $n;
}

sub report {
    my %by = map { $_->{id} => $_ } @SC;
    my $base = med($by{baseline}, 'rps');
    my $base_cpu = med($by{baseline}, 'cpu_rps');
    my @o;

    push @o, "# make bench: " . strftime('%Y-%m-%d %H:%M', localtime($t_start)), '';
    push @o, sprintf('%d rounds x %d s per scenario, interleaved; wrk -t1 '
        . '-c%d --latency on core %d, nginx (1 worker) on core %d; every '
        . 'location serves the same 64-byte file. Values are medians over '
        . 'the rounds; spread is (max - min) / median of req/s. req/CPU-s '
        . 'is requests per second of CPU time of the nginx worker: the '
        . 'cost of a request, whatever share of core %d nginx was left by '
        . 'other processes ("nginx CPU").',
        $ROUNDS, $SECONDS, $CONNS, $WRK_CPU, $NGX_CPU, $NGX_CPU), '';

    push @o, '| scenario | req/s | spread | x baseline | p50 | p99 | refused | nginx CPU | wrk CPU | req/CPU-s | x baseline |',
             '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|';
    my @warn;
    for my $sc (grep { !$_->{peer} } @SC) {
        my $rps = med($sc, 'rps');
        my $cpu = med($sc, 'cpu_rps');
        my @all = map { $_->{rps} } @{ $sc->{runs} };
        my $req = sum(map { $_->{requests} } @{ $sc->{runs} }) || 1;
        my $ref = sum(map { $_->{non2xx} } @{ $sc->{runs} }) / $req;
        my $bad = grep { !check_status($sc, $_) } @{ $sc->{runs} };
        push @warn, "$sc->{label}: unexpected statuses or socket errors in "
                  . "$bad run(s)" if $bad;
        push @o, sprintf '| %s | %s | %.0f%% | %.2f | %s | %s | %.0f%%%s | %.0f%% | %.0f%% | %s | %s |',
            $sc->{label}, commify($rps), 100 * (max(@all) - min(@all)) / $rps,
            $rps / $base, fmt_lat(med($sc, 'p50')), fmt_lat(med($sc, 'p99')),
            100 * $ref, $bad ? ' (!)' : '', 100 * med($sc, 'ngx_cpu'),
            100 * med($sc, 'wrk_cpu'), $cpu ? commify($cpu) : '-',
            $cpu && $base_cpu ? sprintf('%.2f', $cpu / $base_cpu) : '-';
    }
    push @o, '', '"refused" is the share of 401 answers (invalid: all; mix: '
        . '1 in 10). Mix: blocks of 10 requests, 8 x the repeated token, 1 '
        . 'distinct, 1 invalid (a 100,000-line cycle, so no distinct token '
        . 'is still cached when it comes back).', '';
    push @o, map { "**Warning:** $_" } @warn;
    push @o, '' if @warn;

    # openssl
    my $bound = sub {               # 1/(1/baseline + 1/verify)
        my ($b, $v) = @_;
        return $b && $v ? 1 / (1 / $b + 1 / $v) : undef;
    };
    my $n = sub { defined $_[0] ? commify($_[0]) : '-' };
    push @o, '## openssl speed (core 0)', '',
        'Wall clock: `openssl speed -seconds 2 -elapsed`, to be set against '
        . 'req/s; CPU time: `openssl speed -seconds 1`, against req/CPU-s. '
        . 'The bound is what a request would cost if the module added '
        . 'nothing but one signature verification to the baseline: '
        . '1/(1/baseline + 1/verify).', '',
        '| JOSE alg | openssl speed | verify/s | bound, req/s | verify/CPU-s | bound, req/CPU-s |',
        '|---|---|--:|--:|--:|--:|';
    for my $alg ('RS256', 'ES256', 'EdDSA', 'HS256') {
        my $s = $speed{$alg} or next;
        push @o, sprintf '| %s | %s | %s | %s | %s | %s |', $alg, $s->{name},
            $n->($s->{verify}), $n->($bound->($base, $s->{verify})),
            $n->($s->{verify_cpu}), $n->($bound->($base_cpu, $s->{verify_cpu}));
    }
    push @o, '';

    # targets: [ text, ratio by req/s, ratio by req/CPU-s, limit ]
    my @t;
    my $r2 = sub {
        my ($id, $k, $den) = @_;
        my $v = med($by{$id}, $k);
        return defined $v && $den ? $v / $den : undef;
    };
    for my $x (['hs-repeated', 0.90], ['hs-distinct', 0.90],
               ['rs-repeated', 0.85], ['es-repeated', 0.85])
    {
        my ($id, $lim) = @$x;
        next unless $by{$id};
        push @t, [ sprintf('%s >= %.2f x baseline', $by{$id}{label}, $lim),
                   $r2->($id, 'rps', $base), $r2->($id, 'cpu_rps', $base_cpu),
                   $lim ];
    }
    for my $x (['rs', 'RS256'], ['es', 'ES256'], ['ed', 'EdDSA']) {
        my ($kt, $alg) = @$x;
        my $s = $speed{$alg};
        next unless $by{"$kt-distinct"};
        push @t, [ "$alg distinct >= 0.90 x bound",
                   $r2->("$kt-distinct", 'rps', $bound->($base, $s->{verify})),
                   $r2->("$kt-distinct", 'cpu_rps',
                         $bound->($base_cpu, $s->{verify_cpu})), 0.90 ];
    }
    if ($by{'es-dpop'} && $by{'es-repeated'}) {
        # a cached token plus one proof: one ECDSA verify per request on
        # top of the cached ES256 token
        my $s = $speed{ES256};
        push @t, [ "$by{'es-dpop'}{label} >= 0.85 x bound "
                   . "($by{'es-repeated'}{label} + one ES256 verify)",
                   $r2->('es-dpop', 'rps',
                         $bound->(med($by{'es-repeated'}, 'rps'),
                                  $s->{verify})),
                   $r2->('es-dpop', 'cpu_rps',
                         $bound->(med($by{'es-repeated'}, 'cpu_rps'),
                                  $s->{verify_cpu})), 0.85 ];
        push @t, [ "$by{'es-dpop'}{label} vs $by{'es-repeated'}{label} "
                   . '(for the record)',
                   $r2->('es-dpop', 'rps', med($by{'es-repeated'}, 'rps')),
                   $r2->('es-dpop', 'cpu_rps',
                         med($by{'es-repeated'}, 'cpu_rps')), 0 ];
    }
    if ($by{'hs-mtls'} && $by{'hs-tls'}) {
        # the same proxied path, one SHA-256 of the certificate more
        push @t, [ "$by{'hs-mtls'}{label} >= 0.85 x "
                   . "$by{'hs-tls'}{label}",
                   $r2->('hs-mtls', 'rps', med($by{'hs-tls'}, 'rps')),
                   $r2->('hs-mtls', 'cpu_rps', med($by{'hs-tls'}, 'cpu_rps')),
                   0.85 ];
    }
    for my $kind ('repeated', 'distinct') {
        next unless $by{"hs-$kind-rvk"} && $by{"hs-$kind"};
        push @t, [ "$by{qq(hs-$kind-rvk)}{label} within 3% of "
                   . "$by{qq(hs-$kind)}{label}",
                   $r2->("hs-$kind-rvk", 'rps', med($by{"hs-$kind"}, 'rps')),
                   $r2->("hs-$kind-rvk", 'cpu_rps',
                         med($by{"hs-$kind"}, 'cpu_rps')), 0.97 ];
    }
    for my $kt ('hs', 'rs', 'es', 'ed') {
        next unless $by{"$kt-invalid"} && $by{"$kt-distinct"};
        push @t, [ "$by{qq($kt-invalid)}{label} refused at least as fast as "
                   . "$by{qq($kt-distinct)}{label} accepted",
                   $r2->("$kt-invalid", 'rps', med($by{"$kt-distinct"}, 'rps')),
                   $r2->("$kt-invalid", 'cpu_rps',
                         med($by{"$kt-distinct"}, 'cpu_rps')), 1.00 ];
    }
    my $verdict = sub {
        my ($r, $lim) = @_;
        return '-' unless defined $r;
        # rounded down: 0.849 shows as 0.84, not as a missed 0.85
        return sprintf '%.2f %s', int($r * 100) / 100,
                       $r >= $lim ? 'PASS' : 'MISS';
    };

    push @o, '## Targets', '',
        'Ratios of medians from this run. The targets are set on req/s; '
        . 'the req/CPU-s column judges the same ratios by CPU cost, which '
        . 'other load on the machine distorts much less (only a dedicated '
        . 'machine removes it: shared caches and SMT siblings still slow '
        . 'the worker down).', '',
        '| target | by req/s | by req/CPU-s |', '|---|--:|--:|';
    push @o, map { sprintf '| %s | %s | %s |', $_->[0],
                   $verdict->($_->[1], $_->[3]), $verdict->($_->[2], $_->[3]) } @t;

    my $stall_text = "OIDC p99 during a JWKS refresh stalled $STALL s at "
                   . "the IdP <= 1.20 x idle p99";
    if ($stall && $stall->{counted}) {
        my $r = $stall->{busy}{p99} / $stall->{idle}{p99};
        my $v = !$stall->{ok} ? 'MISS (errors)' : $r <= 1.2 ? 'PASS' : 'MISS';
        push @o, sprintf '| %s | %.2f %s (%s vs %s) | |', $stall_text,
            $r > 1.2 ? POSIX::ceil($r * 100) / 100 : int($r * 100) / 100, $v,
            fmt_lat($stall->{busy}{p99}), fmt_lat($stall->{idle}{p99});
    } elsif ($stall) {
        push @o, "| $stall_text | INCONCLUSIVE: no fetch reached the "
               . "stalled IdP | |";
    } elsif (!$oidc) {
        push @o, "| $stall_text | SKIPPED: $main::oidc_skip | |";
    }
    my $rl_text = "HS256 p99 while a feed of " . commify($RVK_BIG)
                . " entries loads <= 1.50 x idle p99";
    if ($rload && $rload->{idle}{p99} && $rload->{loads}) {
        my $r = $rload->{busy}{p99} / $rload->{idle}{p99};
        my $v = !$rload->{ok} ? 'MISS (errors)' : $r <= 1.5 ? 'PASS' : 'MISS';
        push @o, sprintf '| %s | %.2f %s (%s vs %s) | |', $rl_text,
            $r > 1.5 ? POSIX::ceil($r * 100) / 100 : int($r * 100) / 100, $v,
            fmt_lat($rload->{busy}{p99}), fmt_lat($rload->{idle}{p99});
    } elsif ($rload) {
        push @o, "| $rl_text | INCONCLUSIVE: no load seen | |";
    }
    my $mem_ok = $mem && $mem->{delta} <= 2048 && !$mem->{non2xx}
                 && !$mem->{errors};
    push @o, sprintf('| worker RSS after %s distinct tokens within 2 MiB of '
                     . 'its size after %s | %+.2f MiB %s | |',
                     commify($mem->{requests}[1]), commify($mem->{requests}[0]),
                     $mem->{delta} / 1024, $mem_ok ? 'PASS' : 'MISS') if $mem;
    push @o, '';

    push @o, peers_report($base, $base_cpu) if @PEERS;

    # stall
    if ($stall) {
        push @o, '## OIDC issuer, JWKS refresh stalled at the IdP', '',
            sprintf('OIDC RS256 repeated token; %d pairs of %d s runs: the '
                . 'IdP (bench/idp.pl) answering, then the IdP holding every '
                . 'fetch %d s. Before each second run the IdP is set to '
                . 'stall, a token with an unknown kid asks for new keys%s, '
                . 'and wrk starts once the fetch has reached the IdP, so the '
                . 'refresh is in progress for the whole run (%d of %d pairs; '
                . 'the others are not counted). Medians.',
                $stall->{pairs}, $stall->{secs}, $STALL,
                $oidc->{refresh} ? ' (and refresh=2s makes one due)' : '',
                $stall->{counted}, $stall->{pairs}), '',
            '| IdP | req/s | p50 | p99 | p99 of each pair |', '|---|--:|--:|--:|---|';
        for my $k ('idle', 'busy') {
            my $r = $stall->{$k};
            push @o, sprintf '| %s | %s | %s | %s | %s |',
                $k eq 'idle' ? 'answering' : "stalled $STALL s",
                defined $r->{rps} ? commify($r->{rps}) : '-',
                fmt_lat($r->{p50}), fmt_lat($r->{p99}),
                join(', ', map { fmt_lat($_) } @{ $stall->{"all_$k"} });
        }
        push @o, '';
    }

    # revocation
    if ($rload) {
        push @o, '## Revocation', '',
            sprintf('A second nginx (1 worker, the same core) with '
                . '`auth_jwt_revocation file:... refresh=1s` and a set of '
                . '%s entries of every kind, none matching a bench token, '
                . 'serves the "%s revoked" scenarios above. Then %d pairs of '
                . '%d s runs of its HS256 repeated token: idle, and while a '
                . 'feed of %s entries is replaced every second (two feeds in '
                . 'turn): %d loads seen, each in %s steps of %s ms in all '
                . '(medians, from its log). Medians.',
                commify($RVK_N), commify($RVK_N), $ROUNDS, $rload->{secs},
                commify($RVK_BIG), $rload->{loads},
                $rload->{load_steps} // '-', $rload->{load_ms} // '-'), '',
            '| feed | req/s | p50 | p99 | p99 of each pair |',
            '|---|--:|--:|--:|---|';
        for my $k ('idle', 'busy') {
            my $r = $rload->{$k};
            push @o, sprintf '| %s | %s | %s | %s | %s |',
                $k eq 'idle' ? commify($RVK_N) . ' entries, unchanged'
                             : commify($RVK_BIG) . ' entries loading',
                defined $r->{rps} ? commify($r->{rps}) : '-',
                fmt_lat($r->{p50}), fmt_lat($r->{p99}),
                join(', ', map { fmt_lat($_) } @{ $rload->{"all_$k"} });
        }
        push @o, '';
    }

    push @o, mem_report($mem, $mem_ok) if $mem;

    # rounds
    push @o, '## Every run (req/s)', '',
        '| scenario | ' . join(' | ', map { "round $_" } 1 .. $ROUNDS) . ' |',
        '|---|' . ('--:|' x $ROUNDS);
    for my $sc (@SC) {
        push @o, "| $sc->{label} | "
            . join(' | ', map { commify($_->{rps}) } @{ $sc->{runs} }) . ' |';
    }
    push @o, '';

    # machine
    chomp(my $cpu = (grep { /^model name/ } split /\n/, slurp('/proc/cpuinfo') // '')[0] // 'unknown');
    $cpu =~ s/^model name\s*:\s*//;
    chomp(my $ngx = `'$NGINX' -v 2>&1`);
    chomp(my $ossl = `openssl version`);
    chomp(my $wrkv = (split /\n/, `wrk -v 2>&1`)[0] // 'wrk');
    $wrkv =~ s/ Copyright.*//;
    chomp(my $kern = `uname -sr`);
    chomp(my $rev = `git -C '$ROOT' rev-parse --short HEAD 2>/dev/null` || 'unknown');
    my $dirty = `git -C '$ROOT' status --porcelain -- src config 2>/dev/null`;
    my $cache = (slurp("$B/module.so") // '') =~ /auth_jwt_cache/
              ? 'auth_jwt_cache at its default (not set by the bench)'
              : 'none (no auth_jwt_cache directive in this build)';

    push @o, '## Machine', '',
        "- CPU: $cpu, nproc " . nproc(),
        "- kernel: $kern",
        "- $ngx; module built from $rev" . ($dirty ? ' with uncommitted changes in src/' : ''),
        "- $ossl; $wrkv",
        "- verified-token cache: $cache",
        sprintf('- load average (1 min) at start %.2f, at end %.2f%s',
            $load_start[0], $load_end[0],
            max($load_start[0], $load_end[0]) > 1.5
            ? ': other work on the machine, expect noisy req/s' : ''),
        sprintf('- BENCH_SECONDS=%d BENCH_ROUNDS=%d BENCH_CONNS=%d '
            . 'BENCH_MEM_REQUESTS=%d%s; the run took %.1f min',
            $SECONDS, $ROUNDS, $CONNS, $MEM_N,
            $ONLY ne '' ? " BENCH_ONLY='$ONLY'" : '', (time - $t_start) / 60),
        (map { "- peer $_->{name}: " . join(', ', map { s{^\Q$ROOT\E/}{}r }
                                                  $_->{so}, $_->{conf})
               . ", port $_->{port}" } @PEERS), '';

    return join "\n", @o;
}

# the memory run: RSS of the worker at its three points
sub mem_report {
    my ($mem, $mem_ok) = @_;
    my @o;

    push @o, '## Memory', '',
        sprintf('A fresh nginx; %s requests to the HS256 location, each with '
            . 'a token of its own (bench/stream.lua), in two wrk runs: the '
            . 'first %s, then the rest. VmRSS of the worker from '
            . '/proc/PID/status after each run.', commify($mem->{requests}[1]),
            commify($mem->{requests}[0])), '',
        '| point | VmRSS | RssAnon | RssFile | RssShmem |', '|---|--:|--:|--:|--:|';
    for my $x (['worker started', $mem->{start}],
               ['after ' . commify($mem->{requests}[0]), $mem->{first}],
               ['after ' . commify($mem->{requests}[1]), $mem->{last}])
    {
        push @o, sprintf '| %s | %s kB | %s kB | %s kB | %s kB |', $x->[0],
            map { commify($x->[1]{$_} // 0) } qw(VmRSS RssAnon RssFile RssShmem);
    }
    push @o, '', sprintf('Growth after the first %s: %+d kB (%+.2f MiB); '
        . 'limit 2 MiB: %s. %s non-2xx, %d socket errors; %s req/s in the '
        . 'long run.', commify($mem->{requests}[0]), $mem->{delta},
        $mem->{delta} / 1024, $mem_ok ? 'PASS' : 'MISS',
        commify($mem->{non2xx}), $mem->{errors}, commify($mem->{rps})), '';

    return @o;
}

# the peers' rows next to ours: x baseline and x our module, by req/s and
# by req/CPU-s
sub peers_report {
    my ($base, $base_cpu) = @_;
    my @o;

    push @o, '## Peers', '',
        'Other JWT modules, each loaded into an nginx of its own (1 worker, '
        . 'the same core, the same http settings) and configured by its '
        . 'bench/peers/*.conf; their scenarios run in the same rounds as '
        . 'ours, each right after ours, with the same tokens. '
        . '"x ours": the ratio to this module in the same scenario, of the '
        . 'medians; "paired": the median of the ratios of each round, peer '
        . 'run / our run just before it (less moved by load that changes '
        . 'between rounds).', '',
        '| scenario | module | req/s | spread | x baseline | x ours '
        . '| paired | p50 | p99 | nginx CPU | req/CPU-s | x baseline '
        . '| x ours |',
        '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|';

    my $ratio = sub {
        my ($v, $d) = @_;
        return defined $v && $d ? sprintf('%.2f', $v / $d) : '-';
    };
    my @warn;
    for my $ours (grep { !$_->{peer} } @SC) {
        my @rows = grep { $_->{ours} && $_->{ours} == $ours } @SC;
        next unless @rows;
        my $rps = med($ours, 'rps');
        my $cpu = med($ours, 'cpu_rps');
        for my $sc ($ours, @rows) {
            my $r = med($sc, 'rps');
            my $c = med($sc, 'cpu_rps');
            my @all = map { $_->{rps} } @{ $sc->{runs} };
            my $bad = grep { !check_status($sc, $_) } @{ $sc->{runs} };
            push @warn, "$sc->{label}: unexpected statuses or socket errors "
                      . "in $bad run(s)" if $bad;
            my $paired = median(map { $sc->{runs}[$_]{rps}
                                      / $ours->{runs}[$_]{rps} }
                                0 .. $#{ $sc->{runs} });
            push @o, sprintf '| %s | %s | %s | %.0f%% | %s | %s | %s | %s '
                           . '| %s | %.0f%% | %s | %s | %s |',
                $sc == $ours ? $ours->{label} : '',
                $sc->{peer} ? $sc->{peer}{name} . ($bad ? ' (!)' : '')
                            : 'auth_bearer',
                commify($r), 100 * (max(@all) - min(@all)) / $r,
                $ratio->($r, $base), $ratio->($r, $rps),
                $ratio->($paired, 1),
                fmt_lat(med($sc, 'p50')), fmt_lat(med($sc, 'p99')),
                100 * med($sc, 'ngx_cpu'), $c ? commify($c) : '-',
                $ratio->($c, $base_cpu), $ratio->($c, $cpu);
        }
    }
    push @o, '', map({ "**Warning:** $_" } @warn), (@warn ? '' : ());

    return @o;
}

sub loadavg { return split ' ', (slurp('/proc/loadavg') // '0 0 0') }

# ---------------------------------------------------------------------------

sub slurp {
    my ($f) = @_;
    open my $fh, '<:raw', $f or return undef;
    local $/;
    return scalar <$fh>;
}

sub write_file {
    my ($f, $text) = @_;
    open my $fh, '>:raw', $f or die "$f: $!\n";
    print $fh $text;
    close $fh or die "$f: $!\n";
}
