use lib 't/lib';
use strict;
use warnings;

# auth_jwt_ca_file is read by the master with the configuration, as nginx
# reads its own certificates, and handed to libcurl from memory: a CA file
# that only root may read (0600) serves workers that run as nobody, whose
# every fetch of an https IdP would otherwise fail ("error setting
# certificate file").  The IdP is an ssl server of the same nginx, signed
# by a test CA made here; its discovery and JWKS are inline, so nobody
# needs no file of the test's.

use Test::More;
use HTTP::Tiny;
use JWTTest;
use JWTKeys;
use NginxRun;

plan skip_all => 'needs root to make a root-only file and run workers as nobody'
    if $> != 0;
plan skip_all => 'no user "nobody"' unless defined getpwnam('nobody');

my $root = NginxRun::servroot();
my $tls = "$root/tls";
mkdir $tls or die "$tls: $!";

test_ca($tls);

chmod 0600, "$tls/ca.crt";
chown 0, 0, "$tls/ca.crt";

my $tls_port = (NginxRun::free_ports(3))[2];
my $iss = "https://127.0.0.1:$tls_port/idp";
my $jwks = jwks(jwk('rsa', alg => 'RS256'));

my $port = NginxRun::start(<<"_EOC_", user => 'nobody nogroup');
    auth_jwt_ca_file $tls/ca.crt;
    auth_jwt_issuer $iss;

    server {
        listen 127.0.0.1:$tls_port ssl;
        ssl_certificate $tls/server.crt;
        ssl_certificate_key $tls/server.key;

        location = /idp/.well-known/openid-configuration {
            default_type application/json;
            return 200 '{"issuer":"$iss","jwks_uri":"$iss/jwks.json"}';
        }

        location = /idp/jwks.json {
            default_type application/json;
            return 200 '$jwks';
        }
    }

    server {
        listen 127.0.0.1:\$PORT;

        location /api/ {
            auth_jwt "api";
            alias $root/html/;
        }
    }
_EOC_

open my $fh, '>', "$root/html/ok.txt" or die $!;
print $fh "ok\n";
close $fh;
chmod 0755, "$root", "$root/html";

is((stat "$tls/ca.crt")[2] & 07777, 0600, 'the CA file is root-only (0600)');

my @w = NginxRun::workers();
ok(@w && !grep({ (stat "/proc/$_")[4] != scalar getpwnam('nobody') } @w),
   'the workers run as nobody');

my $token = pk_mint(iss => $iss, sub => 'carol', -header => { kid => 'rsa' });
my $http = HTTP::Tiny->new(timeout => 5);

my $st = 0;
for (1 .. 50) {
    $st = $http->get("http://127.0.0.1:$port/api/ok.txt",
                     { headers => { Authorization => "Bearer $token" } })
              ->{status};
    last if $st == 200;
    select undef, undef, undef, 0.2;
}

is($st, 200, 'a token of the https IdP verifies: its keys were fetched '
             . 'with the CAs read by the master');

my $log = NginxRun::error_log();
unlike($log, qr/error setting certificate|SSL certificate problem/,
       'no fetch failed on the CA file');
like($log, qr/auth_jwt: keys of "\Q$iss\E" from "\Q$iss\E\/jwks\.json": 1 keys, generation 1/,
     'the JWKS was published');

done_testing();
