#!/usr/bin/perl
# A tiny OpenID provider for make bench (bench/run.pl starts and stops it).
#
#   bench/idp.pl PORT ISSUER JWKS_FILE STALL_FLAG LOG [STALL_SECONDS]
#
# Serves, over plain HTTP on 127.0.0.1:PORT, the JWK Set in JWKS_FILE at
# /jwks.json and a discovery document at /.well-known/openid-configuration
# that points to it.  While the file STALL_FLAG exists, every request is
# held STALL_SECONDS (default 5) after it was read, then answered normally:
# an IdP that stalls.  One process per connection, so a stalled fetch does
# not hold up the next one.  Each request appends a line to LOG:
#
#   <epoch seconds> <begin|end> <stall|fast> <path>

use strict;
use warnings;

use IO::Socket::INET;
use Time::HiRes qw(time sleep);
use Fcntl qw(O_WRONLY O_APPEND O_CREAT);
use POSIX ();

my ($port, $issuer, $jwks_file, $flag, $log, $stall) = @ARGV;
die "usage: $0 PORT ISSUER JWKS_FILE STALL_FLAG LOG [STALL_SECONDS]\n"
    unless defined $log;
$stall //= 5;

my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
                                Listen => 128, ReuseAddr => 1, Proto => 'tcp')
    or die "$0: cannot listen on 127.0.0.1:$port: $!\n";

$SIG{CHLD} = 'IGNORE';
$SIG{TERM} = $SIG{INT} = sub { exit 0 };

sub note {
    my ($what, $path) = @_;
    sysopen my $fh, $log, O_WRONLY | O_APPEND | O_CREAT or return;
    syswrite $fh, sprintf("%.3f %s %s\n", time, $what, $path);
    close $fh;
}

sub slurp {
    open my $fh, '<', $_[0] or return undef;
    local $/;
    return scalar <$fh>;
}

sub serve {
    my ($c) = @_;
    $c->autoflush(1);

    my $req = '';
    while ($req !~ /\r?\n\r?\n/) {
        my $n = sysread $c, $req, 4096, length $req;
        return unless $n;
        return if length $req > 65536;
    }

    my ($method, $path) = $req =~ m{^(\S+) (\S+)};
    $path //= '?';
    my $mode = -e $flag ? 'stall' : 'fast';

    note("begin $mode", $path);
    sleep $stall if $mode eq 'stall';

    my ($status, $body) = ('404 Not Found', qq({"error":"not found"}\n));

    if ($path eq '/jwks.json') {
        my $jwks = slurp($jwks_file);
        ($status, $body) = ('200 OK', $jwks) if defined $jwks;

    } elsif ($path eq '/.well-known/openid-configuration') {
        ($status, $body) = ('200 OK',
            qq({"issuer":"$issuer","jwks_uri":"http://127.0.0.1:$port/jwks.json",)
            . qq("id_token_signing_alg_values_supported":["RS256"]}\n));
    }

    print $c "HTTP/1.1 $status\r\n",
             "Content-Type: application/json\r\n",
             "Content-Length: ", length($body), "\r\n",
             "Connection: close\r\n\r\n",
             ($method // '') eq 'HEAD' ? '' : $body;

    note("end $mode", $path);
}

while (1) {
    my $c = $srv->accept or next;
    my $pid = fork;
    if (!defined $pid) {
        close $c;
        next;
    }
    if ($pid == 0) {
        close $srv;
        serve($c);
        close $c;
        POSIX::_exit(0);
    }
    close $c;
}
