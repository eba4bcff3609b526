use lib 't/lib';
use strict;
use warnings;

# Runtime revocation from a file: source (auth_jwt_revocation file:...):
# each kind of entry (jti, token, sub+iss+before, kid+iss), a token that
# sits in the verified-token cache refused within the refresh, a
# malformed feed that keeps the last good set, entries past their exp,
# a reload that keeps the set, and the set on the status page.  Time
# passes between requests, so plain Test::More drives a real nginx with
# two workers (t/lib/NginxRun.pm).

use Test::More;
use HTTP::Tiny;
use JSON::PP ();
use Digest::SHA qw(sha256_hex);
use Time::HiRes qw(sleep time);
use File::Path qw(make_path remove_tree);
use Cwd qw(getcwd);
use JWTTest;
use NginxRun;

$ENV{KALAMDB_JWT_SECRET} = $JWTTest::SECRET;

# the feed lives beside the server root, never inside it
my $aux = getcwd() . '/t/servroot_070-revocation_aux';
remove_tree($aux);
make_path($aux);
my $feed = "$aux/revoked.json";

my $now = time;
my $exp = int($now) + 86400;

sub feed {
    my (@entries) = @_;
    my $tmp = "$feed.tmp";
    open my $fh, '>', $tmp or die $!;
    print $fh JSON::PP->new->canonical->encode({ revoked => \@entries });
    close $fh;
    rename $tmp, $feed or die $!;
}

sub feed_raw {
    my ($text) = @_;
    open my $fh, '>', "$feed.tmp" or die $!;
    print $fh $text;
    close $fh;
    rename "$feed.tmp", $feed or die $!;
}

my %tok = (
    jti      => mint(sub => 'u-jti', jti => 'jti-revoked-1'),
    jti_ok   => mint(sub => 'u-jti', jti => 'jti-fine'),
    token    => mint(sub => 'u-token'),
    token_ok => mint(sub => 'u-token', role => 'other'),
    sub_old  => mint(sub => 'u-sub', iat => int($now) - 100),
    sub_new  => mint(sub => 'u-sub', iat => int($now) - 10),
    sub_noiat => mint(sub => 'u-sub', iat => undef),
    sub_iss2 => mint(sub => 'u-sub', iss => 'other', -key => $JWTTest::SECRET2),
    kid      => mint(sub => 'u-kid', -header => { kid => 'k-bad' }),
    kid_ok   => mint(sub => 'u-kid', -header => { kid => 'k-good' }),
    cached   => mint(sub => 'u-cached'),
    expired_entry => mint(sub => 'u-gone', jti => 'jti-old-entry'),
);

feed({ jti => 'jti-revoked-1', exp => $exp },
     { token => 'sha256:' . sha256_hex($tok{token}), exp => $exp },
     { sub => 'u-sub', iss => 'kalamdb', before => int($now) - 50,
       exp => $exp },
     { kid => 'k-bad', iss => 'kalamdb', exp => $exp },
     { jti => 'jti-old-entry', exp => int($now) - 10 });

$ENV{TEST_NGINX_FEED} = $feed;
$ENV{OTHER_JWT_SECRET} = $JWTTest::SECRET2;

my $conf = <<'_EOC_';
    auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET;
    auth_jwt_issuer other secret=env:OTHER_JWT_SECRET;
    auth_jwt_revocation file:$TEST_NGINX_FEED refresh=1s;
    auth_jwt_cache 64;

    server {
        listen 127.0.0.1:$PORT;

        location /echo {
            return 200 "user=$http_x_user\n";
        }

        location /api/ {
            auth_jwt "kalamdb";
            proxy_set_header X-User $jwt_user;
            proxy_pass http://127.0.0.1:$PORT/echo;
        }

        location = /status {
            auth_jwt_status;
        }
    }
_EOC_

my $port = NginxRun::start($conf, workers => 2);

my $http = HTTP::Tiny->new(timeout => 5);

sub get {
    my ($token) = @_;
    my $r = $http->get("http://127.0.0.1:$port/api/x",
                       { headers => { Authorization => "Bearer $token" } });
    return $r;
}

# a request per worker at least: connections alternate only by chance,
# so a few are sent
sub all_status {
    my ($token, $n) = @_;
    my %s;
    $s{ get($token)->{status} }++ for 1 .. ($n // 6);
    return join ',', sort keys %s;
}

my $REVOKED = qq({"status":"error","error":{"code":"INVALID_CREDENTIALS",)
            . qq("message":"Token revoked"}}\n);

# --- each kind ----------------------------------------------------------

my $r = get($tok{jti});
is($r->{status}, 401, 'a token whose jti is in the feed gets 401');
is($r->{content}, $REVOKED, 'its body says INVALID_CREDENTIALS, Token revoked');
like($r->{headers}{'www-authenticate'},
     qr/error="invalid_token", error_description="Token revoked"/,
     'its challenge says invalid_token');
is(all_status($tok{jti_ok}), '200', 'another jti passes');

is(all_status($tok{token}), '401',
   'a token listed by the SHA-256 of its compact form gets 401');
is(all_status($tok{token_ok}), '200',
   'another token of the same user passes');

is(all_status($tok{sub_old}), '401',
   'a token of a sub+iss issued before "before" gets 401');
is(all_status($tok{sub_noiat}), '401',
   'a token of that sub without iat gets 401 (it cannot show its age)');
is(all_status($tok{sub_new}), '200',
   'a token of the same user issued after "before" passes (a new login)');
is(all_status($tok{sub_iss2}), '200',
   'the same sub of another issuer passes');

is(all_status($tok{kid}), '401', 'a token signed with a revoked kid gets 401');
is(all_status($tok{kid_ok}), '200', 'a token with another kid passes');

is(all_status($tok{expired_entry}), '200',
   'an entry past its exp is dropped: its token passes');

my $log = NginxRun::error_log();
like($log, qr/token revoked by a "jti" entry of revocation feed "file:/,
     'the info line names the jti entry kind');
like($log, qr/token revoked by a "token" entry/, '... the token kind');
like($log, qr/token revoked by a "sub" entry/, '... the sub kind');
like($log, qr/token revoked by a "kid" entry/, '... the kid kind');
unlike(NginxRun::read_log('access.log'), qr{GET /echo .* 401},
       'no revoked request reached the upstream');

# --- a cached token, revoked ---------------------------------------------

is(all_status($tok{cached}, 8), '200',
   'a token used often enough sits in each worker\'s cache');

feed({ jti => 'jti-revoked-1', exp => $exp },
     { token => 'sha256:' . sha256_hex($tok{token}), exp => $exp },
     { sub => 'u-sub', iss => 'kalamdb', before => int($now) - 50,
       exp => $exp },
     { kid => 'k-bad', iss => 'kalamdb', exp => $exp },
     { sub => 'u-cached', iss => 'kalamdb', before => int(time) + 1,
       exp => $exp });

my $t0 = time;
my $seen;
while (time - $t0 < 5) {
    if (all_status($tok{cached}, 4) eq '401') { $seen = time - $t0; last }
    sleep 0.1;
}
ok(defined $seen && $seen <= 2.5,
   'a cached token revoked at the feed is refused by every worker within '
   . 'refresh + 1 s (' . ($seen // 'never') . ' s)');
is(all_status($tok{cached}, 8), '401', '... and stays refused');

# --- a malformed feed keeps the last good set -----------------------------

feed_raw('{"revoked": [ {"jti": 42, "exp": 1} ]}');
sleep 2.5;
is(all_status($tok{jti}), '401', 'a malformed feed keeps the last good set');
is(all_status($tok{jti_ok}), '200', '... for every token');
like(NginxRun::error_log(),
     qr/revocation feed "file:\S+" failed \(\d+ in a row\): entry 0: its key is not a non-empty string; the last good set stays in use/,
     'the malformed feed is logged with its reason');

feed_raw('not json');
sleep 2.5;
is(all_status($tok{jti}), '401', 'a feed that is not JSON keeps the set too');
like(NginxRun::error_log(), qr/failed \(\d+ in a row\): not a JSON object/,
     '... and says so');

for my $bad (['{"revoked":[],"revoked":[]}', qr/"revoked" given twice/],
             ['{"revoked":[{"jti":"a","exp":1,}]}', qr/entry 0: not valid JSON/],
             ['{"revoked":[{"jti":"a\\x","exp":1}]}',
              qr/entry 0: an invalid escape in a string/],
             ['{"revoked":[{"jti":"\\ud800","exp":1}]}',
              qr/entry 0: an invalid escape in a string/],
             ['{"revoked":[{"jti":"a","exp":"1"}]}',
              qr/entry 0: no numeric "exp"/],
             ['{"revoked":[{"sub":"a","iss":"kalamdb","exp":1}]}',
              qr/entry 0: a "sub" entry needs a numeric "before"/],
             ['{"revoked":[{"kid":"a","exp":1}]}',
              qr/entry 0: a "kid" entry needs "iss"/],
             ['{"revoked":[{"token":"sha256:zz","exp":1}]}',
              qr/entry 0: "token" is not "sha256:" and 64 hex digits/],
             ['{"revoked":[{"foo":"a","exp":1}]}',
              qr/entry 0: none of "jti", "token", "sub", "kid"/],
             ['{"revoked":[]} x', qr/bytes after the JSON object/],
             ['{"x":' . ('[' x 40) . (']' x 40) . ',"revoked":[]}',
              qr/nested too deep/]) {
    feed_raw($bad->[0]);
    sleep 1.2;
    like(NginxRun::error_log(), $bad->[1],
         'a malformed feed is refused: ' . substr($bad->[0], 0, 50));
}
is(all_status($tok{jti}), '401', 'the last good set stayed through them all');

my $st = JSON::PP::decode_json($http->get("http://127.0.0.1:$port/status")
                               ->{content});
my ($src) = @{ $st->{revocation} // [] };
ok($src, 'the status page lists the revocation feed');
is($src->{source}, "file:$feed", '... by its source');
is($src->{entries}{sub}, 2, '... with its entries by kind (sub)');
is($src->{entries}{jti}, 1, '... (jti)');
ok($src->{malformed} >= 2, '... the malformed feeds counted');
ok($src->{hits} >= 6, '... the requests it refused (' . $src->{hits} . ')');
ok($src->{last_error}, '... and the last error');
is($src->{state}, 'failing', '... state "failing" while the set stays');

my $prom = $http->get("http://127.0.0.1:$port/status?format=prometheus")
                ->{content};
like($prom, qr/^auth_jwt_revocation_entries\{source="file:[^"]+",kind="sub"\} 2$/m,
     'Prometheus: entries by kind');
like($prom, qr/^auth_jwt_revocation_hits_total\{source="file:[^"]+"\} \d+$/m,
     'Prometheus: hits');

# other members, nested, are skipped; escapes are decoded as JSON says
my $uni = mint(sub => 'u-uni', jti => "caf\x{e9}-\x{1F600}");
is(all_status($uni), '200', 'a token with a non-ASCII jti passes');
feed_raw('{"meta":{"a":[1,2.5e3,true,false,null,{"b":"\\""}]},'
         . '"revoked":[{"jti":"caf\\u00e9-\\ud83d\\ude00","exp":' . $exp
         . ',"note":[{"x":1}]}, {"jti":"jti-revoked-1","exp":' . $exp . '}],'
         . '"version":7}');
sleep 2;
is(all_status($uni), '401', 'an escaped jti in the feed matches the token');

# --- a reload keeps the set -----------------------------------------------

ok(NginxRun::reload(), 'nginx reloads');
sleep 0.5;
is(all_status($tok{jti}), '401', 'after a reload the set is in force at once');
is(all_status($uni), '401', '... for every entry');

# --- the feed again: valid, without the cached user --------------------

feed({ jti => 'jti-revoked-1', exp => $exp });
sleep 2.5;
is(all_status($tok{cached}), '200',
   'an entry removed from the feed no longer refuses its token');

unlike(NginxRun::read_log('all-error.log') . NginxRun::error_log(),
       qr/\[(alert|emerg|crit)\]|exited on signal/,
       'no alert nor crash');

done_testing();
