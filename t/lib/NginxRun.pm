package NginxRun;

# For scenario tests that a Test::Nginx block cannot express (a client
# that reacts to one response with the next request, WebSocket frames):
# starts nginx with the built module on a free port from an http{} body,
# and stops it when the test file ends.

use strict;
use warnings;

use Cwd qw(getcwd);
use File::Basename qw(basename);
use File::Path qw(make_path remove_tree);
use IO::Socket::INET;

my ($servroot, $started);

sub start {
    my ($http, %opt) = @_;
    my $level = $opt{log_level} // 'info';

    my $probe = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                      Listen => 1, ReuseAddr => 1)
        or die "no free port: $!";
    my $port = $probe->sockport;
    close $probe;

    $servroot = $ENV{TEST_NGINX_SERVROOT}
        || getcwd() . '/t/servroot_' . basename($0, '.t');
    remove_tree($servroot);
    make_path("$servroot/conf", "$servroot/logs", "$servroot/html");

    my $module = $ENV{TEST_NGINX_MODULE}
        // getcwd() . '/build/ngx_http_auth_bearer_module.so';

    $http =~ s/\$TEST_NGINX_(\w+)/$ENV{"TEST_NGINX_$1"}
                                  \/\/ die "TEST_NGINX_$1 is not set\n"/ge;
    $http =~ s/\$PORT\b/$port/g;

    open my $fh, '>', "$servroot/conf/nginx.conf" or die $!;
    print $fh <<"_EOC_";
load_module $module;
worker_processes 1;
pid logs/nginx.pid;
error_log logs/error.log $level;
@{[ $> == 0 ? 'user root;' : '' ]}
events { worker_connections 256; }
http {
    access_log logs/access.log;
    client_body_temp_path $servroot/tmp_body;
    proxy_temp_path $servroot/tmp_proxy;
$http
}
_EOC_
    close $fh;

    my $bin = $ENV{TEST_NGINX_BINARY} // 'nginx';
    system($bin, '-p', "$servroot/", '-c', 'conf/nginx.conf') == 0
        or die "nginx failed to start: " . error_log();
    $started = 1;

    for (1 .. 100) {
        last if IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port");
        select undef, undef, undef, 0.05;
    }

    return $port;
}

sub error_log {
    open my $fh, '<', "$servroot/logs/error.log" or return '';
    local $/;
    return <$fh> // '';
}

END {
    if ($started && open my $fh, '<', "$servroot/logs/nginx.pid") {
        my $pid = <$fh>;
        chomp $pid;
        kill 'QUIT', $pid;
        for (1 .. 50) {
            last unless kill 0, $pid;
            select undef, undef, undef, 0.05;
        }
    }
}

1;
