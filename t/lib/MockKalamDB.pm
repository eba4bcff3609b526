package MockKalamDB;

# Starts scripts/mock-kalamdb (the stand-in backend) for a test file on a
# free loopback port and stops it when the file ends.  The port is exported
# as $ENV{TEST_NGINX_MOCK_PORT}, the request log path as
# $ENV{TEST_NGINX_MOCK_LOG}.

use strict;
use warnings;

use Cwd qw(getcwd);
use File::Path ();
use IO::Socket::INET;
use JWTTest ();
use POSIX ();

my $pid;

sub start {
    my (%o) = @_;

    my $probe = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                      Listen => 1, ReuseAddr => 1)
        or die "no free port: $!";
    my $port = $probe->sockport;
    close $probe;

    my $log = JWTTest::aux_dir() . '/mock.log';
    File::Path::make_path(JWTTest::aux_dir());
    unlink $log;

    my @cmd = ('perl', getcwd() . '/scripts/mock-kalamdb',
               '--listen', "127.0.0.1:$port", '--log', $log,
               ($o{access_ttl} ? ('--access-ttl', $o{access_ttl}) : ()));

    $pid = fork // die "fork: $!";
    if ($pid == 0) {
        exec @cmd or POSIX::_exit(127);
    }

    for (1 .. 100) {
        last if IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port");
        select undef, undef, undef, 0.05;
    }

    $ENV{TEST_NGINX_MOCK_PORT} = $port;
    $ENV{TEST_NGINX_MOCK_LOG} = $log;

    return $port;
}

sub requests {
    my $log = $ENV{TEST_NGINX_MOCK_LOG} // return '';
    open my $fh, '<', $log or return '';
    local $/;
    return <$fh> // '';
}

END {
    if ($pid) {
        kill 'TERM', $pid;
        waitpid $pid, 0;
        if (my $log = $ENV{TEST_NGINX_MOCK_LOG}) {
            unlink $log, map { "$log.revocations$_" } '', '.lock', '.tmp';
        }
    }
}

1;
