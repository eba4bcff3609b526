use lib 't/lib';
use strict;
use warnings;

# Every nginx configuration the documentation shows passes `nginx -t` with
# the built module, completed only with what the text says the reader
# supplies.
#
# README.md, conf-examples/README.md and docs/MIGRATING.md: each ```nginx
# block follows a marker naming where the block goes and what the reader
# adds to it:
#
#   <!-- nginx-test: CONTEXT [; supplies: ITEM, ITEM ...] -->
#
# CONTEXT is where the lines belong: main (top of nginx.conf), http,
# server, location, or http+server (http-level lines, and locations of one
# server).  Every block is completed with what any reader has: the module
# (load_module, unless the block has it), a prefix with logs/, tmp/ and
# modules/, KALAMDB_JWT_SECRET in the environment, and the enclosing
# events{}, http{}, server{} or location{}.  ITEMs are what the text says
# comes from the reader besides:
#
#   issuer NAME     auth_jwt_issuer NAME secret=env:KALAMDB_JWT_SECRET;
#   upstream NAME   upstream NAME { server 127.0.0.1:8081; }
#   env NAME=VALUE  a variable in the master's environment
#   cert PATH, key PATH, ca PATH, jwks PATH
#                   a file the block names: PATH is replaced by a file the
#                   test makes (a self-signed certificate and its key, a
#                   JWKS)
#
# conf-examples/*.conf: a file with a "# nginx-test: CONTEXT ..." line is
# a fragment and is checked in each CONTEXT given; any other is a whole
# nginx.conf, and the commands its header gives after "Run it" are run as
# written, with the paths an operator picks replaced by the test's and
# `nginx` run with -t.

use Test::More;
use Cwd qw(getcwd);
use File::Path qw(make_path remove_tree);
use JWTTest;

my $root = getcwd();
my $bin = $ENV{TEST_NGINX_BINARY} // 'nginx';
my $module = $ENV{TEST_NGINX_MODULE}
    // "$root/build/ngx_http_auth_bearer_module.so";
my $servroot = "$root/t/servroot_091-docs";

$ENV{KALAMDB_JWT_SECRET} = $JWTTest::SECRET;

remove_tree($servroot);
make_path("$servroot/files", "$servroot/modules");
symlink $module, "$servroot/modules/ngx_http_auth_bearer_module.so";

# the files a reader supplies: a certificate with its key (also a CA
# file), and a JWKS
my %file = (
    cert => "$servroot/files/cert.pem",
    key  => "$servroot/files/key.pem",
    ca   => "$servroot/files/cert.pem",
    jwks => "$root/t/keys/rsa.jwks",
);
my $req = join ' ', 'openssl req -x509 -newkey ec',
    '-pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=docs.test',
    "-keyout '$file{key}' -out '$file{cert}' 2>&1";
$req = `$req`;
$? == 0 or BAIL_OUT("openssl could not make a certificate: $req");

my $n = 0;

for my $doc ('README.md', 'conf-examples/README.md', 'docs/MIGRATING.md') {
    my @blocks = markdown_blocks("$root/$doc");
    my $fences = () = slurp("$root/$doc") =~ /^\s*```\s*nginx/mg;
    ok(scalar @blocks, "$doc has nginx blocks");
    is(scalar @blocks, $fences, "... and each of its $fences is read");

    for my $b (@blocks) {
        my $where = "$doc:$b->{line}";
        if (!defined $b->{marker}) {
            fail("$where: an nginx block without a nginx-test marker");
            next;
        }
        my ($ctx, $items) = parse_marker($b->{marker}, $where) or next;
        check_conf($where, $ctx, $b->{text}, $items);
    }
}

for my $conf (sort glob "$root/conf-examples/*.conf") {
    my ($name) = $conf =~ m{([^/]+)$};
    my $text = slurp($conf);

    if ($text =~ /^# nginx-test: (.*)$/m) {
        my ($ctxs, $items) = parse_marker($1, $name) or next;
        for my $ctx (split /\s+/, $ctxs) {
            check_conf("conf-examples/$name", $ctx, $text, $items);
        }
    } else {
        check_run_commands($name, $text);
    }
}

# the blocks checked, so a marker or a file that stops being found shows
ok($n >= 19, "$n configurations checked");

remove_tree($servroot);
done_testing();


sub slurp {
    my ($path) = @_;
    open my $fh, '<', $path or die "$path: $!";
    local $/;
    return <$fh>;
}

# [{ line, marker, text }] for each ```nginx block; marker is the text of
# the nginx-test comment on the line before it (blank lines between
# allowed), undef when there is none
sub markdown_blocks {
    my ($path) = @_;
    my (@blocks, $in, $marker, $last);

    open my $fh, '<', $path or die "$path: $!";
    while (my $line = <$fh>) {
        if ($in) {
            if ($line =~ /^\s*```\s*$/) {
                push @blocks, $in;
                $in = undef;
            } else {
                $in->{text} .= $line;
            }
            next;
        }
        if ($line =~ /^\s*```nginx\s*$/) {
            $in = { line => $., text => '',
                    marker => ($last // '') =~ /^<!-- nginx-test: (.*?) -->$/
                              ? $1 : undef };
            next;
        }
        $last = $line =~ /\S/ ? $line =~ s/\s+$//r : $last;
    }
    close $fh;
    return @blocks;
}

# "CONTEXT [; supplies: ITEM, ...]" -> (CONTEXT, [[kind, arg], ...])
sub parse_marker {
    my ($marker, $where) = @_;
    my ($ctx, $rest) = $marker =~ /^([\w+ ]+?)\s*(?:;\s*supplies:\s*(.*))?$/;
    unless (defined $ctx) {
        fail("$where: unreadable marker '$marker'");
        return;
    }
    my @items;
    my $kinds = qr/issuer|upstream|env|cert|key|ca|jwks/;
    for my $item (split /\s*,\s*(?=(?:$kinds)\s)/, $rest // '') {
        my ($kind, $arg) = $item =~ /^($kinds)\s+(\S+)$/;
        unless (defined $kind) {
            fail("$where: unknown supply '$item'");
            return;
        }
        push @items, [$kind, $arg];
    }
    return ($ctx, \@items);
}

# completes $text for its context and runs nginx -t on it
sub check_conf {
    my ($where, $ctx, $text, $items) = @_;
    my (%env, $http_extra);
    my $id = ++$n;
    my $prefix = "$servroot/$id";

    make_path("$prefix/logs", "$prefix/tmp", "$prefix/conf");
    symlink "$servroot/modules", "$prefix/modules";

    $http_extra = '';
    for my $i (@$items) {
        my ($kind, $arg) = @$i;
        if ($kind eq 'issuer') {
            $http_extra .= "auth_jwt_issuer $arg"
                         . " secret=env:KALAMDB_JWT_SECRET;\n";
        } elsif ($kind eq 'upstream') {
            $http_extra .= "upstream $arg { server 127.0.0.1:8081; }\n";
        } elsif ($kind eq 'env') {
            my ($k, $v) = split /=/, $arg, 2;
            $env{$k} = $v;
        } else {
            # the block must name the file it is said to supply
            unless (index($text, $arg) >= 0) {
                fail("$where: supplies $kind $arg, which it does not name");
                return;
            }
            $text =~ s/\Q$arg\E/$file{$kind}/g;
        }
    }

    my ($main, $http) = ('', '');
    if ($ctx eq 'main') {
        $main = $text;
    } elsif ($ctx eq 'http') {
        $http = $text;
    } elsif ($ctx eq 'server') {
        $http = "server {\nlisten 127.0.0.1:8080;\n$text}\n";
    } elsif ($ctx eq 'location') {
        $http = "server {\nlisten 127.0.0.1:8080;\n"
              . "location / {\n$text}\n}\n";
    } elsif ($ctx eq 'http+server') {
        my ($levels, $locations) = split_locations($text);
        $http = "$levels\nserver {\nlisten 127.0.0.1:8080;\n$locations}\n";
    } else {
        fail("$where: unknown context '$ctx'");
        return;
    }

    my $load = $main =~ /^\s*load_module\s/m ? '' : "load_module $module;\n";

    open my $fh, '>', "$prefix/conf/nginx.conf" or die $!;
    print $fh <<"_EOC_";
$load$main
pid logs/nginx.pid;
error_log logs/error.log info;
events { worker_connections 64; }
http {
    client_body_temp_path tmp/body;
    proxy_temp_path tmp/proxy;
    fastcgi_temp_path tmp/fastcgi;
    uwsgi_temp_path tmp/uwsgi;
    scgi_temp_path tmp/scgi;
$http_extra
$http
}
_EOC_
    close $fh;

    local @ENV{keys %env} = values %env;
    my $out = `'$bin' -t -p '$prefix/' -c '$prefix/conf/nginx.conf' 2>&1`;
    is($?, 0, "$where ($ctx) passes nginx -t") or diag($out);
    unlike($out, qr/\[(?:emerg|alert|crit)\]/, "... without errors");
}

# (the top-level lines but locations, the top-level location blocks)
sub split_locations {
    my ($text) = @_;
    my ($levels, $locations, $depth, $cur, $in_loc) = ('', '', 0, '', 0);

    for my $line (split /^/, $text) {
        if ($depth == 0 && $line =~ /^\s*location\s/) {
            $in_loc = 1;
        }
        $cur .= $line;
        my $code = $line =~ s/#.*//r;
        $depth += () = $code =~ /\{/g;
        $depth -= () = $code =~ /\}/g;
        if ($depth == 0) {
            if ($in_loc) { $locations .= $cur } else { $levels .= $cur }
            ($cur, $in_loc) = ('', 0);
        }
    }
    return ($levels . $cur, $locations);
}

# runs the header's "Run it" commands of a whole nginx.conf with the
# operator's paths replaced by the test's, and nginx with -t
sub check_run_commands {
    my ($name, $text) = @_;
    my $where = "conf-examples/$name";
    my ($header) = $text =~ /\A((?:#.*\n)+)/;
    my ($cmds) = ($header // '') =~ /^# Run it.*\n(?:#.*\n)*?#\n((?:#   .*\n)+)/m;

    unless ($cmds) {
        fail("$where: neither a nginx-test marker nor Run it commands");
        return;
    }

    my $id = ++$n;
    my $prefix = "$servroot/$id";
    make_path("$servroot/$id-modules");
    symlink $module, "$servroot/$id-modules/ngx_http_auth_bearer_module.so";

    my $script = $cmds =~ s/^#   //gmr;
    $script =~ s{/srv/nginx-edge/?}{$prefix/}g;
    $script =~ s{\bbuild/demo/?}{$prefix/}g;
    $script =~ s{/usr/lib/nginx/modules}{$servroot/$id-modules}g;
    $script =~ s{"\$PWD/build/ngx_http_auth_bearer_module\.so"}{'$module'}g;
    $script =~ s{/path/to/}{$root/conf-examples/}g;
    $script =~ s{KALAMDB_JWT_SECRET=\.\.\.}
                {KALAMDB_JWT_SECRET='$JWTTest::SECRET'}g;

    # run as root, the commands must not touch the system: every absolute
    # path left must be the test's own
    my @outside = grep { index($_, "$root/") != 0 }
                  $script =~ m{(?:^|[\s"'=])(/[^\s"';]*)}g;
    if (@outside) {
        fail("$where: its Run it commands name @outside, which the test"
             . " cannot replace");
        return;
    }

    my $ran_nginx = $script =~ s/^nginx /'$bin' -t /m;
    ok($ran_nginx, "$where: its Run it commands start nginx");

    open my $fh, '>', "$servroot/$id-run.sh" or die $!;
    print $fh $script;
    close $fh;

    my $out = `cd '$root' && bash -eu '$servroot/$id-run.sh' 2>&1`;
    is($?, 0, "$where: its Run it commands pass nginx -t")
        or diag("$script\n$out");
    unlike($out, qr/\[(?:emerg|alert|crit)\]/, "... without errors");
}
