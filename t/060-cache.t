use lib 't/lib';
use strict;
use warnings;

# The per-worker verified-token cache (auth_jwt_cache): a hit skips
# decoding and signature verification but never outlives the token, and
# location rules still apply on every request.  Scenario tests that need
# time to pass and several requests per nginx, so plain Test::More drives
# a real nginx (t/lib/NginxRun.pm); hits are seen in the debug log.

use Test::More;
use HTTP::Tiny;
use JWTTest;
use NginxRun;

$ENV{KALAMDB_JWT_SECRET} = $JWTTest::SECRET;

# the hits are seen only in the debug log
my $nginx_v = `'@{[ $ENV{TEST_NGINX_BINARY} // 'nginx' ]}' -V 2>&1`;
plan skip_all => 'nginx built without --with-debug: cache hits are not logged'
    unless $nginx_v =~ /--with-debug/;

my $port = NginxRun::start(<<'_EOC_', log_level => 'debug');
    auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET token_type=access;
    auth_jwt_cache 2;

    map $jwt_claim_role $is_admin {
        dba      1;
        default  0;
    }

    server {
        listen 127.0.0.1:$PORT;

        # return runs before the access phase: the protected locations
        # proxy to this echo, as a real upstream would be reached
        location /echo {
            return 200 "user=$http_x_user role=$http_x_role\n";
        }

        proxy_set_header X-User $jwt_user;
        proxy_set_header X-Role $jwt_claim_role;

        location /api/ {
            auth_jwt "kalamdb";
            proxy_pass http://127.0.0.1:$PORT/echo;
        }

        location /admin/ {
            auth_jwt "kalamdb";
            auth_jwt_require $is_admin error=403;
            proxy_pass http://127.0.0.1:$PORT/echo;
        }

        location /short/ {
            auth_jwt "kalamdb";
            auth_jwt_leeway 1s;
            proxy_pass http://127.0.0.1:$PORT/echo;
        }
    }
_EOC_

my $http = HTTP::Tiny->new(timeout => 5);

sub get {
    my ($path, $token) = @_;
    my $r = $http->get("http://127.0.0.1:$port$path",
                       { headers => { Authorization => "Bearer $token" } });
    return ($r->{status}, $r->{content});
}

sub hits {
    my @h = NginxRun::error_log() =~ /auth_jwt: cache hit/g;
    return scalar @h;
}

my $alice = mint(sub => 'alice', role => 'user');
my $carol = mint(sub => 'carol', role => 'dba');

# --- hit: a token is cached from its second use ------------------------

my ($st, $body) = get('/api/x', $alice);
is($st, 200, 'first request verifies the token');
($st, $body) = get('/api/x', $alice);
is($st, 200, 'second request verifies it again and admits it to the cache');
is(hits(), 0, '... two misses');

($st, $body) = get('/api/x', $alice);
is($st, 200, 'the same token a third time');
is($body, "user=alice role=user\n", '... with its claims from the cache');
is(hits(), 1, '... a hit');

# --- a hit still enforces the location's rules --------------------------

get('/admin/x', $alice) for 1 .. 2;
($st) = get('/admin/x', $alice);
is($st, 403, 'a user-role token is refused by the admin rule');
($st) = get('/admin/x', $alice);
is($st, 403, '... also when the verdict comes from the cache');
is(hits(), 3, '... which it did');

get('/admin/x', $carol) for 1 .. 2;
($st, $body) = get('/admin/x', $carol);
is($st, 200, 'a dba token passes the rule from the cache');
is($body, "user=carol role=dba\n", '... with its identity');
is(hits(), 4, '... a hit');

# --- eviction: auth_jwt_cache 2 keeps the two most recent ---------------

# fresh tokens, each used twice in a row to be admitted, so that the
# admission marks of earlier tokens play no part
my $f = mint(sub => 'frank');
my $g = mint(sub => 'grace');
my $h = mint(sub => 'heidi');

my $h0 = hits();
get('/api/x', $f) for 1 .. 2;     # admitted
get('/api/x', $g) for 1 .. 2;     # admitted: the cache is [g, f]
get('/api/x', $f);                # hit
get('/api/x', $g);                # hit
is(hits() - $h0, 2, 'the two cached tokens are hits');
get('/api/x', $h) for 1 .. 2;     # admitted: evicts f, the least recent
get('/api/x', $g);                # still cached: a hit
is(hits() - $h0, 3, 'the more recent entry stayed');
($st) = get('/api/x', $f);
is(hits() - $h0, 3, 'LRU eviction: the least recent entry was dropped');
is($st, 200, '... and the evicted token verifies again in full');

# --- expiry at exp -----------------------------------------------------

my $brief = mint(sub => 'dave', exp => time + 2);
get('/api/x', $brief) for 1 .. 2;
$h0 = hits();
($st) = get('/api/x', $brief);
is($st, 200, 'a token about to expire verifies');
is(hits() - $h0, 1, '... from the cache');

sleep 3;

($st, $body) = get('/api/x', $brief);
is($st, 401, 'the cached verdict does not outlive exp');
like($body, qr/"code":"TOKEN_EXPIRED"/, '... TOKEN_EXPIRED');

# leeway counts: exp + 1s
my $edge = mint(sub => 'erin', exp => time + 1);
get('/short/x', $edge) for 1 .. 2;
($st) = get('/short/x', $edge);
is($st, 200, 'with leeway 1s a token verifies');
sleep 3;
($st) = get('/short/x', $edge);
is($st, 401, '... and is refused once exp + leeway passed, cache or not');

# --- a forged token never hits another token's entry ---------------------

my $forged = mint(sub => 'alice', role => 'dba', -key => $JWTTest::SECRET2);
get('/api/x', $alice);
($st, $body) = get('/api/x', $forged);
is($st, 401, 'a forged token with the same claims is refused');
like($body, qr/Bad signature/, '... as a bad signature');

done_testing();
