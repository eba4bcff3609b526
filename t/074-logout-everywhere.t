use lib 't/lib';
use strict;
use warnings;

# The KalamDB edge's logout through the mock backend
# (scripts/mock-kalamdb): POST /v1/api/auth/logout revokes the presented
# access token, with {"everywhere":true} every token of the user issued
# until then; nginx polls GET /v1/api/auth/revocations (auth_jwt_revocation)
# and refuses the old tokens within the refresh, also from its cache,
# while a new login works.  The README walkthrough "log out everywhere".

use Test::More;
use HTTP::Tiny;
use JSON::PP ();
use Time::HiRes qw(sleep time);
use JWTTest;
use MockKalamDB;
use NginxRun;

$ENV{KALAMDB_JWT_SECRET} = $JWTTest::SECRET;
MockKalamDB::start();

my $port = NginxRun::start(<<'_EOC_', workers => 2);
    auth_jwt_issuer kalamdb secret=env:KALAMDB_JWT_SECRET
                    algorithms=HS256 token_type=access leeway=30s;
    auth_jwt_revocation
        http://127.0.0.1:$TEST_NGINX_MOCK_PORT/v1/api/auth/revocations
        refresh=1s insecure_http;

    server {
        listen 127.0.0.1:$PORT;

        location /v1/ {
            auth_jwt "kalamdb";
            proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
        }

        location /v1/api/auth/ {
            auth_jwt off;
            proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
        }

        location = /v1/api/auth/revocations {
            return 404;
        }
    }
_EOC_

my $http = HTTP::Tiny->new(timeout => 5, keep_alive => 0);
my $base = "http://127.0.0.1:$port";
my $json = JSON::PP->new;

sub login {
    my ($user) = @_;
    my $r = $http->post("$base/v1/api/auth/login",
                        { content => qq({"user":"$user",)
                                     . qq("password":"$user-password"}) });
    return $json->decode($r->{content});
}

sub sql {
    my ($token) = @_;
    my $r = $http->post("$base/v1/api/sql",
                        { headers => { Authorization => "Bearer $token" },
                          content => '{"sql":"SELECT CURRENT_USER()"}' });
    return $r;
}

sub logout {
    my ($token, $body) = @_;
    return $http->post("$base/v1/api/auth/logout",
                       { headers => { Authorization => "Bearer $token" },
                         content => $body // '' });
}

sub refused_within {
    my ($token, $max) = @_;
    my $t0 = time;
    while (time - $t0 < $max) {
        my $n = 0;
        $n += sql($token)->{status} == 401 for 1 .. 4;
        return time - $t0 if $n == 4;
        sleep 0.1;
    }
    return undef;
}

# --- log out everywhere ------------------------------------------------------

my $a1 = login('alice');
my $a2 = login('alice');
ok($a1->{access_token} && $a2->{access_token}, 'alice logs in twice');
like(sql($a1->{access_token})->{content}, qr/"rows":\[\["alice"\]\]/,
     'her first token reaches the backend');
sql($_->{access_token}) for ($a1, $a2, $a1, $a2, $a1, $a2);

my $r = logout($a1->{access_token}, '{"everywhere":true}');
is($r->{status}, 200, 'POST /v1/api/auth/logout {"everywhere":true}: 200');

my $t = refused_within($a1->{access_token}, 3);
ok(defined $t, 'the token that logged out is refused at the edge within '
               . 'the refresh (' . ($t // 'never') . ' s)');
$r = sql($a2->{access_token});
is($r->{status}, 401, 'her other token, cached by the workers, too');
like($r->{content}, qr/"code":"INVALID_CREDENTIALS","message":"Token revoked"/,
     '... with "Token revoked"');

my $before = () = MockKalamDB::requests() =~ m{POST /v1/api/sql}g;
sql($_->{access_token}) for ($a1, $a2, $a1, $a2);
my $after = () = MockKalamDB::requests() =~ m{POST /v1/api/sql}g;
is($after, $before, 'no request with a revoked token reaches the backend');

my $a3 = login('alice');
like(sql($a3->{access_token})->{content}, qr/"rows":\[\["alice"\]\]/,
     'a new login works');

$r = $http->post("$base/v1/api/auth/refresh",
                 { headers => { Authorization =>
                                "Bearer $a1->{refresh_token}" } });
is($r->{status}, 401, 'the old refresh token is refused by the backend');

# --- log out one session --------------------------------------------------------

# tokens without jti: two logins in the same second are the same bytes
my $b1 = login('bob');
sleep 1.1;
my $b2 = login('bob');
is(logout($b1->{access_token})->{status}, 200, 'bob logs out one session');
ok(defined refused_within($b1->{access_token}, 3),
   'that session\'s token is refused at the edge');
like(sql($b2->{access_token})->{content}, qr/"rows":\[\["bob"\]\]/,
     'his other session goes on');

is($http->get("$base/v1/api/auth/revocations")->{status}, 404,
   'the feed is not served to clients at the edge');

like(NginxRun::error_log(), qr/token revoked by a "sub" entry/,
     'the log names the "sub" entry');
like(NginxRun::error_log(), qr/token revoked by a "token" entry/,
     '... and the "token" entry');

done_testing();
