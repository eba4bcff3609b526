package NginxRun;

# The one way to run nginx outside the Test::Nginx harness, for scenario
# tests that a block cannot express (a client that reacts to one response
# with the next request, WebSocket frames, reloads, several workers, time
# passing): writes nginx.conf around an http{} body into the file's own
# server root (t/servroot_<file>), starts nginx with the built module on a
# free port, reloads and stops it, and stops it when the test file ends.
#
#   NginxRun::start($http, %opt)   write the configuration and start;
#                                  returns the port.  $PORT (and $PORT2)
#                                  in $http are free ports, chosen once per
#                                  file; $TEST_NGINX_<NAME> are taken from
#                                  the environment.  Options: log_level
#                                  (info), workers (1; more turn the
#                                  accept mutex off), user (the workers'
#                                  user; default root when run as root)
#   NginxRun::write_conf($http, %opt)  the configuration only (to reload)
#   NginxRun::reload(), signal($s) nginx -s reload (or another signal);
#                                  true on success
#   NginxRun::stop()               stop; its error log is kept in
#                                  logs/all-error.log
#   NginxRun::servroot(), port(), port2(), master_pid(), workers()
#   NginxRun::error_log(), read_log($name)   logs/<name> so far
#   NginxRun::instance($name)      several nginx in one file (a fleet):
#                                  every call after it acts on instance
#                                  $name, with its own server root
#                                  (t/servroot_<file>_<name>) and ports;
#                                  '' is the first one.  All are stopped
#                                  when the file ends.

use strict;
use warnings;

use Cwd qw(getcwd);
use File::Basename qw(basename);
use File::Path qw(make_path remove_tree);
use IO::Socket::INET;
use Time::HiRes ();

my ($servroot, $started, $port, $port2, $nworkers);
my ($current, %instances) = ('');

sub instance {
    my ($name) = @_;
    $instances{$current} = [ $servroot, $started, $port, $port2, $nworkers ];
    $current = $name;
    ($servroot, $started, $port, $port2, $nworkers)
        = @{ $instances{$name} // [] };
}

# the file's server root (TEST_NGINX_SERVROOT if set), emptied on first use
sub servroot {
    return $servroot if defined $servroot;
    $servroot = ($ENV{TEST_NGINX_SERVROOT}
                 || getcwd() . '/t/servroot_' . basename($0, '.t'))
                . ($current eq '' ? '' : "_$current");
    remove_tree($servroot);
    make_path("$servroot/conf", "$servroot/logs", "$servroot/html");
    return $servroot;
}

# free ports, distinct: the probes stay open until all are chosen
sub free_ports {
    my ($n) = @_;
    my @probes = map {
        IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                              Listen => 1, ReuseAddr => 1)
            or die "no free port: $!";
    } 1 .. $n;
    return map { $_->sockport } @probes;
}

sub port {
    ($port, $port2) = free_ports(2) unless defined $port;
    return $port;
}

# the second port of a configuration that listens on $PORT2
sub port2 { port(); return $port2 }

sub write_conf {
    my ($http, %opt) = @_;
    my $level = $opt{log_level} // 'info';
    $nworkers = $opt{workers} // 1;
    my $root = servroot();
    my $p = port();
    my $p2 = port2();

    my $module = $ENV{TEST_NGINX_MODULE}
        // getcwd() . '/build/ngx_http_auth_bearer_module.so';

    $http =~ s/\$TEST_NGINX_(\w+)/$ENV{"TEST_NGINX_$1"}
                                  \/\/ die "TEST_NGINX_$1 is not set\n"/ge;
    $http =~ s/\$PORT2\b/$p2/g;
    $http =~ s/\$PORT\b/$p/g;

    my $mutex = $nworkers > 1 ? ' accept_mutex off;' : '';

    open my $fh, '>', "$root/conf/nginx.conf" or die $!;
    print $fh <<"_EOC_";
load_module $module;
worker_processes $nworkers;
master_process on;
pid logs/nginx.pid;
error_log logs/error.log $level;
@{[ $opt{user} ? "user $opt{user};" : $> == 0 ? 'user root;' : '' ]}
events { worker_connections 256;$mutex }
http {
    access_log logs/access.log;
    client_body_temp_path $root/tmp_body;
    proxy_temp_path $root/tmp_proxy;
$http
}
_EOC_
    close $fh;
}

# nginx's own stderr (notices of -s) goes to a file, not into the TAP
sub _nginx {
    my (@args) = @_;
    my $root = servroot();
    my $bin = $ENV{TEST_NGINX_BINARY} // 'nginx';
    open my $save, '>&', \*STDERR or die $!;
    open STDERR, '>>', "$root/logs/stderr.log" or die $!;
    my $rc = system($bin, '-p', "$root/", '-c', 'conf/nginx.conf', @args);
    open STDERR, '>&', $save or die $!;
    return $rc == 0;
}

sub start {
    my ($http, %opt) = @_;
    write_conf($http, %opt);

    _nginx() or die "nginx failed to start: " . error_log()
                    . read_log('stderr.log');
    $started = 1;

    for (1 .. 100) {
        last if IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port")
                && workers() == $nworkers;
        Time::HiRes::sleep(0.05);
    }

    return $port;
}

sub reload { return _nginx('-s', 'reload') }

# nginx -s <signal>: quit, reopen, ...
sub signal { return _nginx('-s', $_[0]) }

sub stop {
    return unless $started;
    my $m = master_pid();
    _nginx('-s', 'stop');
    for (1 .. 100) {
        last unless $m && kill 0, $m;
        Time::HiRes::sleep(0.05);
    }

    # kept for a final check: no alert nor crash in any run of the file
    if (open my $all, '>>', "$servroot/logs/all-error.log") {
        print $all error_log();
    }

    unlink "$servroot/logs/error.log";
    $started = 0;
}

sub master_pid {
    open my $fh, '<', servroot() . '/logs/nginx.pid' or return undef;
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

sub error_log { read_log('error.log') }

# a file of logs/, as written so far
sub read_log {
    my ($name) = @_;
    open my $fh, '<', servroot() . "/logs/$name" or return '';
    local $/;
    return <$fh> // '';
}

END {
    local $?;
    stop();
    for my $name (keys %instances) {
        next if $name eq $current;
        instance($name);
        stop();
    }
}

1;
