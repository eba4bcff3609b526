use lib 't/lib';
use strict;
use warnings;

# Every ready configuration in conf-examples/ passes `nginx -t` with the
# built module, as an operator would run it: under its own prefix, with
# the secret in the environment.

use Test::More;
use Cwd qw(getcwd);
use File::Path qw(make_path remove_tree);
use JWTTest;

my $root = getcwd();
my $bin = $ENV{TEST_NGINX_BINARY} // 'nginx';
my $servroot = $ENV{TEST_NGINX_SERVROOT}
               || "$root/t/servroot_090-conf-examples";
my $module = $ENV{TEST_NGINX_MODULE} // "$root/build/ngx_http_auth_bearer_module.so";

$ENV{KALAMDB_JWT_SECRET} = $JWTTest::SECRET;

my @confs = sort glob "$root/conf-examples/*.conf";
@confs = grep { !/_proxy\.conf$/ } @confs;    # include files

ok(scalar @confs >= 2, 'conf-examples has configurations to check');

for my $conf (@confs) {
    my ($name) = $conf =~ m{([^/]+)\.conf$};

    # a prefix like Debian's: modules/ holds the module, logs/ and tmp/
    my $prefix = "$servroot/$name";
    remove_tree($prefix);
    make_path("$prefix/modules", "$prefix/logs", "$prefix/tmp",
              "$prefix/build");
    symlink $module, "$prefix/modules/ngx_http_auth_bearer_module.so";
    symlink $module, "$prefix/build/ngx_http_auth_bearer_module.so";
    make_path("$prefix/build/demo/tmp");

    my $out = `'$bin' -t -p '$prefix/' -c '$conf' 2>&1`;
    is($?, 0, "conf-examples/$name.conf passes nginx -t")
        or diag($out);
    unlike($out, qr/\[(?:emerg|alert|crit)\]/, "... without errors");
}

remove_tree($servroot);

done_testing();
