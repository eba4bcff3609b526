package IdP;

# A small identity provider for the OIDC suites, for what nginx's own
# static files cannot do: bodies that are slow, endless, rotating or
# counted.  It serves the files of a directory over HTTP/1.0 on a free
# port of 127.0.0.1, one forked child per connection, and stops when the
# test file ends.
#
#   IdP::start()                  starts it; sets $ENV{TEST_NGINX_IDP_PORT}
#   IdP::put($path, $body, ...)   serves $body at $path; more bodies make
#                                 it rotate: the n-th GET of $path gets
#                                 the n-th body (the last one from then on);
#                                 a body "#status <code>" answers that
#                                 status, "#hang" nothing at all
#   IdP::hits($path)              how many GETs $path has had
#   IdP::hit_times($path)         when they came (epoch seconds)
#   IdP::reset()                  forgets the hits (a block preprocessor)
#
# The first path segment may ask for a behaviour; the rest of the path
# names the file:
#   /slow/<s>/<path>       the body trickled over <s> seconds
#   /endless/<path>        a body that never ends
#   /hang/<path>           no answer at all
#   /redirect/<path>       302 to /<path>
#   /status/<code>/<path>  that status with the file as body
#   /gzip/<path>           the body with "Content-Encoding: gzip"
#   /big/<bytes>           a JSON body of that many bytes
#   /age/<s>/<path>        with "Cache-Control: max-age=<s>"
#   /delay/<s>/<path>      the answer to /<path> after <s> seconds
# GET /__hits/<path> answers the hit count of /<path> (for nginx configs
# that proxy it to a test).

use strict;
use warnings;

use File::Path ();
use IO::Select ();
use JWTTest ();
use IO::Socket::INET ();
use POSIX ();
use Time::HiRes ();

my ($pid, $dir, $owner, $port);

sub dir { $dir }

sub start {
    my (%opt) = @_;

    # outside the server root, which CPAN's Test::Nginx empties
    $dir = $opt{dir} // JWTTest::aux_dir() . '/idp';
    File::Path::remove_tree($dir);
    File::Path::make_path("$dir/files", "$dir/hits");

    my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                    Proto => 'tcp', Listen => 128,
                                    ReuseAddr => 1)
        or die "IdP: cannot listen: $@\n";
    $port = $srv->sockport;

    $owner = $$;
    $pid = fork() // die "IdP: fork: $!\n";

    if ($pid == 0) {
        $SIG{CHLD} = 'IGNORE';
        $SIG{PIPE} = 'IGNORE';
        $SIG{$_} = 'DEFAULT' for qw(INT TERM HUP);
        my $sel = IO::Select->new($srv);
        while (1) {

            # gone with the test, however it ended
            POSIX::_exit(0) if getppid() != $owner;

            next unless $sel->can_read(0.5);
            my $c = $srv->accept or next;
            my $child = fork();
            if (defined $child && $child == 0) {
                close $srv;
                open STDOUT, '>', '/dev/null';
                open STDERR, '>', '/dev/null';
                _serve($c);
                POSIX::_exit(0);
            }
            close $c;
        }
    }

    close $srv;
    $ENV{TEST_NGINX_IDP_PORT} = $port;
    return $port;
}

sub stop {
    return unless $pid && $$ == $owner;
    local $?;       # called from END: keep the test's exit status
    kill 'TERM', $pid;
    waitpid $pid, 0;
    undef $pid;
}

END { stop() }

sub _file { my ($p) = @_; $p =~ s{[^\w.-]}{_}g; return $p }

sub put {
    my ($path, @bodies) = @_;
    my $f = "$dir/files/" . _file($path);
    unlink glob("$f.*"), $f;
    for my $i (0 .. $#bodies) {
        open my $fh, '>', "$f." . ($i + 1) or die "IdP: $f: $!\n";
        print $fh $bodies[$i];
        close $fh;
    }
}

sub hits {
    my @t = hit_times(@_);
    return scalar @t;
}

# when each GET of $path came, in seconds since the epoch
sub hit_times {
    my ($path) = @_;
    open my $fh, '<', "$dir/hits/" . _file($path) or return ();
    return map { chomp; $_ } <$fh>;
}

sub reset {
    unlink glob("$dir/hits/*");
}

# one line per hit, appended: atomic across the forked children
sub _hit {
    my ($path) = @_;
    open my $fh, '>>', "$dir/hits/" . _file($path) or return 0;
    syswrite $fh, sprintf("%.3f\n", Time::HiRes::time());
    close $fh;
    return hits($path);
}

sub _body {
    my ($path, $n) = @_;
    my $f = "$dir/files/" . _file($path);
    my @all = sort { ($a =~ /(\d+)$/)[0] <=> ($b =~ /(\d+)$/)[0] }
              glob("$f.*");
    return undef unless @all;
    my $pick = $all[$n <= @all ? $n - 1 : $#all];
    open my $fh, '<', $pick or return undef;
    local $/;
    return scalar <$fh>;
}

sub _serve {
    my ($c) = @_;
    my $req = '';
    my $deadline = time + 5;

    while ($req !~ /\r?\n\r?\n/ && time < $deadline) {
        my $n = sysread($c, $req, 8192, length $req);
        last unless $n;
    }

    my ($path) = $req =~ m{^GET\s+(\S+)} or return _reply($c, 400, 'bad');
    $path =~ s/\?.*//;

    if ($path =~ m{^/__hits(/.*)$}) {
        return _reply($c, 200, hits($1) . "\n", 'text/plain');
    }

    if ($path =~ m{^/delay/([\d.]+)(/.*)$}) {
        Time::HiRes::sleep($1);
        $path = $2;
    }

    my $n = _hit($path);
    my %hdr;

    if ($path =~ m{^/big/(\d+)$}) {
        return _reply($c, 200, '{"keys":[],"pad":"' . ('x' x ($1 - 22))
                               . '"}');
    }

    if ($path =~ m{^/redirect(/.*)$}) {
        return _reply($c, 302, "moved\n", 'text/plain',
                      Location => "http://127.0.0.1:$port$1");
    }

    if ($path =~ m{^/hang/}) {
        my $server = getppid();
        Time::HiRes::sleep(0.1) for grep { getppid() == $server } 1 .. 300;
        return;
    }

    my $body = _body($path, $n);
    return _reply($c, 404, "not found\n", 'text/plain') unless defined $body;

    # a body of "#status <code>" answers that status (an IdP gone bad)
    return _reply($c, $1, "error\n", 'text/plain')
        if $body =~ /\A#status (\d+)/;

    # a body of "#hang" is no answer at all (as /hang/), for one GET
    if ($body =~ /\A#hang/) {
        my $server = getppid();
        for (1 .. 300) {
            last if getppid() != $server;
            Time::HiRes::sleep(0.1);
        }
        return;
    }

    if ($path =~ m{^/status/(\d+)/}) {
        return _reply($c, $1, $body);
    }

    if ($path =~ m{^/gzip/}) {
        return _reply($c, 200, $body, undef, 'Content-Encoding' => 'gzip');
    }

    if ($path =~ m{^/age/(\d+)/}) {
        return _reply($c, 200, $body, undef, 'Cache-Control' => "max-age=$1");
    }

    if ($path =~ m{^/endless/}) {
        syswrite $c, "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n"
                     . "\r\n{\"keys\":[";
        while (1) {
            syswrite($c, ' ' x 1024) or last;
            Time::HiRes::sleep(0.01);
        }
        return;
    }

    if ($path =~ m{^/slow/([\d.]+)/}) {
        my $end = Time::HiRes::time() + $1;
        my $per = int(length($body) / ($1 / 0.05)) || 1;
        syswrite $c, "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n"
                     . "Content-Length: " . length($body) . "\r\n\r\n";
        while (length $body) {
            $per = length $body if Time::HiRes::time() >= $end;
            syswrite($c, substr($body, 0, $per, '')) or return;
            Time::HiRes::sleep(0.05) if length $body;
        }
        return;
    }

    return _reply($c, 200, $body);
}

sub _reply {
    my ($c, $code, $body, $type, %hdr) = @_;
    my $head = "HTTP/1.0 $code X\r\n"
             . "Content-Type: " . ($type // 'application/json') . "\r\n"
             . "Content-Length: " . length($body) . "\r\n";
    $head .= "$_: $hdr{$_}\r\n" for sort keys %hdr;
    syswrite $c, "$head\r\n$body";
}

1;
