package Test::Nginx::Socket;

# Minimal stand-in for CPAN's Test::Nginx::Socket, used only when the real
# module is not installed (see t/harness/README).  It implements the subset
# of sections and helpers our .t files use on top of Test::Base, so the
# block format and filters (eval, chomp, ...) behave exactly as upstream.
#
# Sections: main_config http_config config user_files request (string or
# eval arrayref) raw_request more_headers error_code response_headers
# response_headers_like response_body response_body_like error_log
# no_error_log must_die timeout wait log_level ignore_response; ONLY/SKIP/
# LAST come from Test::Base.  Test names and counts follow CPAN.
#
# Differences from CPAN worth knowing when writing .t files:
#  - blocks always run in file order (no_shuffle is implied); nginx is
#    restarted for every block (CPAN skips the restart if config is same);
#  - defaults are master_process on, daemon on, worker_processes 1 (CPAN:
#    master off); main_config may set these (and user/events) itself;
#  - one servroot (t/servroot_<test basename>) and one port per .t file,
#    so `prove -j` works; TEST_NGINX_SERVROOT / TEST_NGINX_PORT override;
#  - must_die really starts nginx; error_log then searches its stderr and
#    logs/error.log (CPAN: error.log only); likewise the first log check of
#    a block that starts also searches nginx's stderr at startup, where
#    configuration-time warnings go (they precede the error_log directive);
#  - "!Name" in response_headers matches header names case-insensitively;
#    a no_error_log pattern yields exactly one test even if several lines
#    match; test names have no "$0 " prefix;
#  - a section it does not implement is ignored with a warning (diag) the
#    first time a file uses it (e.g. skip_nginx, todo,
#    pipelined_requests, error_code_like, response_body_unlike, stap, ...).

use strict;
use warnings;

use Test::Base -base;   # we become a Test::Base subclass; exports its API

use Cwd ();
use File::Basename ();
use File::Path ();
use IO::Select ();
use IO::Socket::INET ();
use POSIX ();
use Scalar::Util ();
use Time::HiRes ();

our $VERSION = '0.01';

# plan, blocks, is, like, diag, ... come from Test::Base's own exports.
our @EXPORT = qw(
    run_tests repeat_each no_shuffle no_root_location no_long_string
    master_on master_off workers log_level timeout env_to_nginx
    add_block_preprocessor server_port server_addr server_root html_dir
    bail_out
);

# ---------------------------------------------------------------- settings

our $RepeatEach     = 1;
our $NoRootLocation = 0;
our $MasterOn       = 1;
our $Workers        = 1;
our $LogLevel = $ENV{TEST_NGINX_LOG_LEVEL};  # else debug if nginx has it
our $Timeout        = 3;        # seconds, per request
our @EnvToNginx;
our @BlockPreprocessors;

# One server root and one port per .t file, so `prove -j` cannot collide.
my $Base = File::Basename::basename($0);
$Base =~ s/\.[^.]*\z//;
$Base =~ s/[^\w.-]/_/g;

our $ServRoot = $ENV{TEST_NGINX_SERVROOT}
    || Cwd::getcwd() . "/t/servroot_$Base";
$ServRoot =~ s{/+\z}{};
our $HtmlDir  = "$ServRoot/html";
our $LogDir   = "$ServRoot/logs";
our $ConfDir  = "$ServRoot/conf";
our $ConfFile = "$ConfDir/nginx.conf";
our $PidFile  = "$LogDir/nginx.pid";
our $ErrLog   = "$LogDir/error.log";
our $StartErr = "$LogDir/startup.stderr";     # nginx's stderr at startup
our $ServerPort = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT}
    || _free_port();
our $NginxBinary = $ENV{TEST_NGINX_BINARY}
    || (grep { -x } map { "$_/nginx" } split(/:/, $ENV{PATH} // ''),
                                       '/usr/sbin')[0] || 'nginx';

$ENV{TEST_NGINX_SERVER_PORT} = $ENV{TEST_NGINX_PORT} = $ServerPort;
$ENV{TEST_NGINX_SERVROOT} = $ENV{TEST_NGINX_SERVER_ROOT} = $ServRoot;
$ENV{TEST_NGINX_HTML_DIR} = $HtmlDir;

my $MainPid = $$;
my $ChildPid;           # the process we forked to run nginx (until reaped)
my $Running = 0;        # a server of ours may be running
my $ErrLogPos = 0;      # error.log offset already consumed in this block
my $StartSeen = 0;      # startup stderr already given to a log check
my $NginxV;             # cached `nginx -V` output

# ------------------------------------------------------------ exported API

sub repeat_each { $RepeatEach = shift if @_; $RepeatEach }
sub no_shuffle { }                      # blocks always run in file order
sub no_long_string { }
sub no_root_location { $NoRootLocation = 1 }
sub master_on  { $MasterOn = 1 }
sub master_off { $MasterOn = 0 }
sub workers    { $Workers = shift if @_; $Workers }
sub log_level  { $LogLevel = shift if @_; $LogLevel }
sub timeout    { $Timeout = shift if @_; $Timeout }
sub env_to_nginx { push @EnvToNginx, @_ }
sub add_block_preprocessor { push @BlockPreprocessors, @_ }
sub server_port { $ServerPort }
sub server_addr { '127.0.0.1' }
sub server_root { $ServRoot }
sub html_dir    { $HtmlDir }
sub bail_out    { Test::More::BAIL_OUT(@_) }

sub run_tests {
    _stop_nginx();      # a server left over by an interrupted earlier run
    for my $block (Test::Base::blocks()) {
        $_->($block) for @BlockPreprocessors;
        _run_block($block);
    }
    _stop_nginx();
}

END {
    local $?;
    _stop_nginx() if $$ == $MainPid && $Running;
}

for my $sig (qw(INT TERM HUP)) {
    $SIG{$sig} ||= sub { _stop_nginx() if $$ == $MainPid; exit 1 };
}

# --------------------------------------------------------------- one block

# the sections this harness implements; others are warned about once
my %Known = map { $_ => 1 } qw(
    main_config http_config config user_files request raw_request
    more_headers error_code response_headers response_headers_like
    response_body response_body_like error_log no_error_log must_die
    timeout wait log_level ignore_response ONLY SKIP LAST
);
my %Warned;

sub _run_block {
    my ($block) = @_;
    my $name = $block->name;

    for my $s (@{ $block->{_section_order}[0] || [] }) {
        next if $Known{$s} || $Warned{$s}++;
        diag("WARNING: section \"--- $s\" is not implemented by "
             . "t/harness (CPAN's Test::Nginx has it): ignored");
    }

    _stop_nginx();
    _setup_servroot();
    _write_user_files($block);
    _write_config($block);

    return _run_must_die($block) if defined $block->must_die;

    my ($ok, $msg) = _start_nginx();
    diag("$name - failed to start nginx: $msg") unless $ok;

    ($ErrLogPos, $StartSeen) = (0, 0);
    _run_requests($block, $_, !$ok) for 0 .. $RepeatEach - 1;
}

# must_die: nginx has to fail to start; error_log/no_error_log are checked
# against its stderr plus logs/error.log.
sub _run_must_die {
    my ($block) = @_;
    my $name = $block->name;
    my $want = $block->must_die;

    for my $rep (0 .. $RepeatEach - 1) {
        unlink $ErrLog;
        my ($ok, $msg, $status) = _start_nginx();
        if ($ok || !defined $status) {
            fail("$name - die as expected (" . ($ok ? 'nginx started' : $msg)
                 . ")");
            _stop_nginx() if $ok;
        } elsif (Scalar::Util::looks_like_number($want)) {
            Test::More::is($status >> 8, $want,
                           "$name - die with the expected exit code");
        } else {
            isnt($status, 0, "$name - die as expected");
        }
        my @lines = map { split /^/, _slurp($_) } $StartErr, $ErrLog;
        _check_error_log($block, \@lines, $rep, 1);
    }
}

sub _run_requests {
    my ($block, $rep, $start_failed) = @_;
    my $name = $block->name;
    my $reqs = _build_requests($block);
    my $timeout = _parse_time($block->timeout) // $Timeout;

    for my $i (0 .. $#$reqs) {
        my ($res, $err) = _send_request(@{ $reqs->[$i] }, $timeout);
        if ($err && !$start_failed) {
            diag("$name - $err");
            diag("tail of $ErrLog:\n" . _tail($ErrLog, 20));
        }
        _check_response($block, $res, $i, $rep, @$reqs > 1)
            unless defined $block->ignore_response;

        if ($i < $#$reqs) {     # like CPAN: intermediate log checks too
            Time::HiRes::sleep($block->wait) if $block->wait;
            _check_error_log($block, _error_log_data(), $rep, $start_failed);
        }
    }

    Time::HiRes::sleep($block->wait) if $block->wait;
    _check_error_log($block, _error_log_data(), $rep, $start_failed);
}

# ------------------------------------------------------------------ checks

# In multi-request blocks expectations may be arrayrefs indexed by request.
sub _indexed {
    my ($v, $i, $multi) = @_;
    return ref $v eq 'ARRAY' ? $v->[$multi ? $i : 0] : $v;
}

sub _check_response {
    my ($block, $res, $i, $rep, $multi) = @_;
    my $name = $block->name;
    my $code = $res ? $res->{code} : '';

    # The status is always checked: 200 unless error_code is given.
    my $want = defined $block->error_code
        ? _indexed($block->error_code, $i, $multi) : 200;
    Test::More::is($code, $want, "$name - status code ok");

    # Like CPAN, response_headers_like is only used without response_headers.
    my $raw_headers = $res ? $res->{raw_headers} : '';
    if (defined(my $hdrs = $block->response_headers)) {
        for my $h (_parse_header_spec(_indexed($hdrs, $i, $multi))) {
            my ($key, $val) = @$h;
            if (!defined $val) {
                unlike($raw_headers, qr/^\s*\Q$key\E\s*:/mi,
                       "$name - header $key not present in the raw headers");
                next;
            }
            $val =~ s/\$ServerPort\b/$ServerPort/g;
            Test::More::is(_header($res, $key) // '', $val,
                           "$name - header $key ok");
        }
    } elsif (defined($hdrs = $block->response_headers_like)) {
        for my $h (_parse_header_spec(_indexed($hdrs, $i, $multi))) {
            my ($key, $pat) = ($h->[0], $h->[1] // '');
            like(_header($res, $key) // '', qr/^$pat$/,
                 "$name - header $key like ok");
        }
    }

    my $body = $res ? $res->{body} : undef;
    if (defined $block->response_body) {
        my $want = _indexed($block->response_body, $i, $multi);
        if (ref $want) {
            like($body, $want,
                 "$name - response_body - like (repeated req $rep, req $i)");
        } else {
            $want =~ s/\$ServerPort\b/$ServerPort/g;
            # Test::Base's is() prints a diff for multi-line mismatches
            is($body, _expand_env($want, $name), "$name - response_body - "
               . "response is expected (repeated req $rep, req $i)");
        }
    } elsif (defined $block->response_body_like) {
        my $pat = _indexed($block->response_body_like, $i, $multi);
        $pat =~ s/\$ServerPort\b/$ServerPort/g unless ref $pat;
        my $sum = _fmt(substr($body // '', 0, 60));
        like($body, qr/$pat/s,
             "$name - response_body_like - response is expected ($sum)");
    }
}

# error_log/no_error_log value (text, qr// or arrayref) -> list of patterns
sub _patterns {
    my ($v) = @_;
    return () unless defined $v;
    return ($v) if ref $v eq 'Regexp';
    return grep { defined } @$v if ref $v eq 'ARRAY';
    chomp $v;
    return grep { length } split /\n+/, $v;
}

sub _fmt {       # one-line, quoted-string friendly rendering
    my $s = shift;
    $s =~ s/\n\z//; $s =~ s/"/\\"/g; $s =~ s/\r/\\r/g; $s =~ s/\n/\\n/g;
    return $s;
}

# One test per pattern: strings are substrings, qr// are regexes, and both
# are matched against single log lines.
sub _check_error_log {
    my ($block, $lines, $rep, $quiet) = @_;
    my $name = $block->name;
    my @want = _patterns($block->error_log);
    my @dont = _patterns($block->no_error_log);
    my $grep = sub {
        my $pat = shift;
        grep { ref $pat ? $_ =~ $pat : index($_, $pat) >= 0 } @$lines;
    };

    for my $pat (@want) {
        my $found = $grep->($pat);
        ok($found, "$name - pattern \"$pat\" "
           . ($found ? 'matches' : 'should match')
           . " a line in error.log (req $rep)");
    }

    for my $pat (@dont) {
        my @hit = $grep->($pat);
        my $p = _fmt($pat);
        if (@hit) {
            fail("$name - pattern \"$p\" should not match any line in "
                 . "error.log but matches line \"" . _fmt($hit[0])
                 . "\" (req $rep)" . (@hit > 1 ? " and $#hit more" : ''));
        } else {
            pass("$name - pattern \"$p\" does not match a line in error.log"
                 . " (req $rep)");
        }
    }

    # Like CPAN, warn about serious messages the block did not mention.
    for my $lvl ($quiet ? () : qw(alert crit emerg)) {
        next if grep { !ref && /\[$lvl/ } @want, @dont;
        diag("WARNING: $name - " . _fmt($_)) for grep { /\[$lvl\]/ } @$lines;
    }
}

# ---------------------------------------------------------------- requests

# -> [[raw_request, method], ...]
sub _build_requests {
    my ($block) = @_;
    my $name = $block->name;

    if (defined(my $raw = $block->raw_request)) {   # sent byte for byte
        $raw = _expand_env(ref $raw ? join('', @$raw) : $raw, $name);
        return [[$raw, $raw =~ /^\s*(\S+)/ ? $1 : 'GET']];
    }

    my $req = $block->request;
    die "$name - no --- request section\n" unless defined $req;

    my $more = $block->more_headers // '';
    my @list = ref $req eq 'ARRAY' ? @$req : ($req);
    my @out;
    for my $i (0 .. $#list) {
        my $r = $list[$i];
        $r = join '', map { ref $_ ? $_->{value} : $_ } @$r
            if ref $r eq 'ARRAY';             # request given as packets
        my $h = ref $more eq 'ARRAY' ? $more->[$i] // '' : $more;
        push @out, [_build_one(_expand_env($r, $name),
                               _expand_env($h, $name))];
    }
    return \@out;
}

# "METHOD URI [VERSION]\nbody" + more_headers -> raw HTTP/1.1 request
sub _build_one {
    my ($req, $more) = @_;
    1 while $req =~ s/^\s*#[^\n]*\n// || $req =~ s/^\s+//;
    my ($first, $body) = split /\n/, $req, 2;
    my ($meth, $uri, $ver) = split ' ', $first;
    $uri //= '/';
    $ver //= 'HTTP/1.1';
    $body //= '';

    my @hdrs;
    for my $line (split /\n+/, $more) {
        next if $line =~ /^\s*(#|$)/;
        $line =~ s/\r\z//;
        my ($k, $v) = split /:\s*/, $line, 2;
        push @hdrs, [$k, $v // ''];
    }
    my %has = map { lc $_->[0] => $_->[1] } @hdrs;

    my $head = '';
    $head .= "Host: localhost\r\n" unless exists $has{host};
    $head .= "Connection: close\r\n" unless exists $has{connection};
    $head .= "$_->[0]: $_->[1]\r\n" for @hdrs;
    if ($body ne '' && !exists $has{'content-length'}
        && lc($has{'transfer-encoding'} // '') ne 'chunked') {
        $body =~ s/^\s+|\s+\z//g;               # as CPAN does
        $head .= "Content-Length: " . length($body) . "\r\n";
    }
    return ("$meth $uri $ver\r\n$head\r\n$body", $meth);
}

# Send one request on a fresh connection; returns ($response, $error).
sub _send_request {
    my ($raw, $method, $timeout) = @_;
    my $deadline = Time::HiRes::time() + $timeout;
    my $left = sub { $deadline - Time::HiRes::time() };
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $ServerPort, Proto => 'tcp', Timeout => $timeout)
        or return (undef, "cannot connect to 127.0.0.1:$ServerPort: $@");
    local $SIG{PIPE} = 'IGNORE';
    my $sel = IO::Select->new($sock);

    while (length $raw) {
        return (undef, "timeout while sending the request")
            unless $left->() > 0 && $sel->can_write($left->());
        my $n = syswrite($sock, $raw) // last;  # peer closed: read reply
        substr($raw, 0, $n) = '';
    }

    my ($buf, $err) = ('');
    while (1) {
        unless ($left->() > 0 && $sel->can_read($left->())) {
            $err = "timeout after ${timeout}s reading the response";
            last;
        }
        my $n = sysread($sock, $buf, 65536, length $buf);
        if (!$n) {                  # EOF (or error) ends the response
            $err = "read error: $!" unless defined $n;
            last;
        }
        my $res = _parse_response($buf, $method, 0);
        return ($res) if $res && $res->{complete};   # e.g. keep-alive
    }
    close $sock;
    my $res = _parse_response($buf, $method, 1);
    $err //= $res ? "incomplete response" : "empty or malformed response"
        unless $res && $res->{complete};
    return ($res, $err);
}

# Parse status line, headers (kept in order, repeats kept) and body
# (Content-Length, chunked or read-to-close).  undef until headers are in.
sub _parse_response {
    my ($buf, $method, $eof) = @_;
    my ($code, $hdr_text, $rest);
    while (1) {
        $buf =~ /\A(HTTP\/\d\.\d\s+(\d{3})[^\r\n]*\r?\n)((?:[^\r\n]+\r?\n)*)\r?\n/
            or return undef;
        ($code, $hdr_text, $rest) = ($2, "$1$3", substr($buf, $+[0]));
        last unless $code =~ /^1/ && $code != 101;   # skip 100 Continue
        $buf = $rest;
    }
    my @headers;
    for my $line (split /\r?\n/, $hdr_text) {
        if ($line =~ /^[ \t]+(.*)/ && @headers) {   # obsolete line folding
            $headers[-1][1] .= " $1";
        } elsif ($line =~ /^([^:\s]+)\s*:\s*(.*?)\s*\z/) {
            push @headers, [$1, $2];
        }
    }
    my $res = { code => $code, headers => \@headers,
                raw_headers => $hdr_text };
    my $cl = _header($res, 'Content-Length');

    if ($method eq 'HEAD' || $code == 204 || $code == 304) {
        @$res{qw(body complete)} = ('', 1);
    } elsif ((_header($res, 'Transfer-Encoding') // '') =~ /chunked/i) {
        my ($body, $done) = ('', 0);
        while ($rest =~ s/\A([0-9a-fA-F]+)[^\r\n]*\r\n//) {
            my $size = hex $1;
            if ($size == 0) {               # then trailers and a blank line
                $done = $rest =~ /(?:\A|\r\n)\r\n/;
                last;
            }
            last if length($rest) < $size + 2;
            $body .= substr($rest, 0, $size);
            substr($rest, 0, $size + 2) = '';
        }
        @$res{qw(body complete)} = ($body, $done);
    } elsif (defined $cl && $cl =~ /^\d+$/) {
        @$res{qw(body complete)} = (substr($rest, 0, $cl),
                                    length($rest) >= $cl);
    } else {
        @$res{qw(body complete)} = ($rest, $eof);
    }
    return $res;
}

# Header value by case-insensitive name; repeated headers joined by ", ".
sub _header {
    my ($res, $name) = @_;
    return undef unless $res;
    my @v = map { $_->[1] } grep { lc $_->[0] eq lc $name } @{$res->{headers}};
    return @v ? join(', ', @v) : undef;
}

# "Name: value" lines -> [name, value]; "!Name" -> [name, undef]
sub _parse_header_spec {
    my @out;
    for my $line (split /\n/, shift // '') {
        $line =~ s/^\s+|\s+$//g;
        next if $line eq '';
        push @out, $line =~ s/^!\s*// ? [$line, undef]
                                      : [split /\s*:\s*/, $line, 2];
    }
    return @out;
}

# --------------------------------------------------------- nginx lifecycle

sub _setup_servroot {
    File::Path::remove_tree($ConfDir, $HtmlDir, $LogDir,
                            glob("$ServRoot/*_temp"));
    File::Path::make_path($ConfDir, $HtmlDir, $LogDir);
    _write_file("$HtmlDir/index.html", '<html><head><title>It works!</title>'
                . '</head><body>It works!</body></html>');
}

# user_files: ">>> path" lines each followed by the file's contents (or an
# eval'd arrayref of [path, contents]); relative paths go under html/.
sub _write_user_files {
    my ($block) = @_;
    my $files = $block->user_files;
    return unless defined $files;
    if (!ref $files) {
        my @list;
        for my $line (split /^/, $files) {
            if ($line =~ /^>>> (\S+)/) { push @list, [$1, ''] }
            elsif (@list)              { $list[-1][1] .= $line }
        }
        $files = \@list;
    }
    for my $f (@$files) {
        my $path = $f->[0] =~ m{^/} ? $f->[0] : "$HtmlDir/$f->[0]";
        File::Path::make_path(File::Basename::dirname($path));
        _write_file($path, _expand_env($f->[1] // '', $block->name));
    }
}

sub _write_config {
    my ($block) = @_;
    my $name = $block->name;
    my $main = _expand_env($block->main_config // '', $name);
    my $http = _expand_env($block->http_config // '', $name);
    my $conf = _expand_env($block->config // '', $name);
    my $has = sub { $main =~ /^\s*$_[0]\b/m };
    $NginxV //= `$NginxBinary -V 2>&1` // '';
    my $level = $block->log_level // $LogLevel
        // ($NginxV =~ /--with-debug/ ? 'debug' : 'info');

    my $out = '';
    $out .= "user root;\n" if $> == 0 && !$has->('user');
    $out .= "daemon on;\n" unless $has->('daemon');
    $out .= "master_process " . ($MasterOn ? 'on' : 'off') . ";\n"
        unless $has->('master_process');
    $out .= "worker_processes $Workers;\n" unless $has->('worker_processes');
    $out .= "error_log $ErrLog $level;\npid $PidFile;\n";
    $out .= "env " . (/\s/ ? "'$_'" : $_) . ";\n" for @EnvToNginx;
    $out .= "\n$main\n";
    $out .= "events { worker_connections 1024; accept_mutex off; }\n"
        unless $has->('events');

    my $temp = join '', map { "    ${_}_temp_path $ServRoot/${_}_temp;\n" }
        grep { $http !~ /\b${_}_temp_path\b/ }
        qw(client_body proxy fastcgi uwsgi scgi);
    my $root = $NoRootLocation ? ''
        : "        location / { root $HtmlDir; index index.html; }\n";
    $out .= <<"EOC";

http {
    access_log $LogDir/access.log;
    default_type text/plain;
    keepalive_timeout 65;
$temp
$http

    server {
        listen 127.0.0.1:$ServerPort;
        server_name localhost;
        client_max_body_size 30M;

$conf

$root    }
}
EOC
    _write_file($ConfFile, $out);
}

# Start nginx; returns (ok, message, exit_status_if_it_exited).
sub _start_nginx {
    unlink $StartErr;
    my $pid = fork() // return (0, "fork failed: $!", undef);
    if ($pid == 0) {
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', $StartErr;
        { exec {$NginxBinary} $NginxBinary, '-p', "$ServRoot/", '-c', $ConfFile }
        POSIX::_exit(127);
    }
    ($ChildPid, $Running) = ($pid, 1);

    # Ready once nginx listens and has written its pid file (which happens
    # after daemonizing); with "daemon off" the launcher just keeps running.
    my $deadline = Time::HiRes::time() + 5;
    while (Time::HiRes::time() < $deadline) {
        if (defined $ChildPid && waitpid($pid, POSIX::WNOHANG()) == $pid) {
            my $st = $?;
            undef $ChildPid;
            return (0, "nginx exited with status " . ($st >> 8) . ":\n"
                       . _slurp($StartErr), $st) if $st != 0;
        }
        return (1) if -s $PidFile && _port_listening();
        Time::HiRes::sleep(0.02);
    }
    return (0, "nginx is not ready on port $ServerPort after 5s:\n"
               . _slurp($StartErr), undef);
}

# TERM the master named in the pid file, wait for it, then for the port.
sub _stop_nginx {
    my ($pid) = _slurp($PidFile) =~ /^\s*(\d+)/;
    if ($pid && _alive($pid) && _slurp("/proc/$pid/cmdline") =~ /nginx|^$/) {
        kill 'TERM', $pid;
        my $deadline = Time::HiRes::time() + 5;
        while (_alive($pid)) {
            if (defined $ChildPid && $pid == $ChildPid      # daemon off
                && waitpid($pid, POSIX::WNOHANG()) == $pid) {
                undef $ChildPid;
                last;
            }
            if (Time::HiRes::time() > $deadline) {
                kill 'KILL', $pid;
                last;
            }
            Time::HiRes::sleep(0.02);
        }
    }
    if (defined $ChildPid) {        # reap our launcher process
        kill 'KILL', $ChildPid if waitpid($ChildPid, POSIX::WNOHANG()) == 0;
        waitpid($ChildPid, 0);
        undef $ChildPid;
    }
    unlink $PidFile;
    my $deadline = Time::HiRes::time() + 3;
    Time::HiRes::sleep(0.02)
        while _port_listening() && Time::HiRes::time() < $deadline;
    $Running = 0;
}

# Zombies count as dead: the daemonized master is reparented to init,
# which may take its time reaping it.
sub _alive {
    my ($pid) = @_;
    return kill(0, $pid) && _slurp("/proc/$pid/stat") !~ /\)\s+[ZX]/;
}

# Is anything listening on our port?  Reading /proc/net (Linux) avoids
# probe connections, which would show up in the error log.
sub _port_listening {
    my $hex = sprintf ':%04X', $ServerPort;
    for my $f ('/proc/net/tcp', '/proc/net/tcp6') {
        open my $fh, '<', $f or next;
        while (<$fh>) {
            my @c = split ' ';
            return 1 if @c > 3 && $c[1] =~ /\Q$hex\E$/ && $c[3] eq '0A';
        }
    }
    return 0;
}

# error.log lines not seen yet in this block (CPAN-like), preceded on the
# first call by what nginx wrote to stderr while starting.
sub _error_log_data {
    Time::HiRes::sleep(0.05);   # log-phase lines come after the response
    my @start = $StartSeen++ ? () : split /^/, _slurp($StartErr);
    open my $fh, '<', $ErrLog or return \@start;
    seek $fh, $ErrLogPos, 0;
    my @lines = (@start, <$fh>);
    $ErrLogPos = tell $fh;
    return \@lines;
}

# ------------------------------------------------------------------- utils

# Replace $TEST_NGINX_* by environment values (recursing into arrayrefs).
sub _expand_env {
    my ($text, $name) = @_;
    return $text if !defined $text || ref $text eq 'Regexp';
    return [map { _expand_env($_, $name) } @$text] if ref $text eq 'ARRAY';
    $text =~ s{\$(TEST_NGINX_[_A-Z0-9]+)}{
        $ENV{$1} // die "$name - environment variable \$$1 is not set\n";
    }ge;
    return $text;
}

sub _parse_time {       # "3", "1.5s", "500ms" -> seconds
    my ($t) = @_;
    return undef unless defined $t && $t =~ /^\s*([\d.]+)\s*(ms|s)?\s*$/;
    return ($2 // '') eq 'ms' ? $1 / 1000 : $1;
}

sub _free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => 'tcp', Listen => 1)
        or die "cannot find a free port: $@\n";
    return $s->sockport;
}

sub _slurp {
    open my $fh, '<', shift or return '';
    local $/;
    return <$fh> // '';
}

sub _tail {
    my ($f, $n) = @_;
    my @l = split /^/, _slurp($f);
    return join '', @l > $n ? @l[-$n .. -1] : @l;
}

sub _write_file {
    my ($f, $content) = @_;
    open my $fh, '>', $f or die "cannot write $f: $!\n";
    print $fh $content;
    close $fh or die "cannot write $f: $!\n";
}

1;
