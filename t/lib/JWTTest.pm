package JWTTest;

# Token helpers for the Test::Nginx suites.  Valid tokens are minted by
# Crypt::JWT, an implementation independent of the module; hand-crafted
# (hostile) tokens are assembled byte by byte and signed with Digest::SHA.

use strict;
use warnings;

use Exporter ();
use Cwd ();
use File::Basename ();
use Crypt::JWT qw(encode_jwt);
use Digest::SHA qw(hmac_sha256 hmac_sha384 hmac_sha512 sha256_hex);
use JSON::PP ();
use MIME::Base64 qw(encode_base64url decode_base64url);

our @ISA = ('Exporter');
our @EXPORT = qw(block_defaults mint mint_refresh mint_len claims cjson b64u craft seal
                 hs_sign bearer segment fp $SECRET $SECRET2);

# Test::Base evaluates "--- <section> eval" in package Test::Base::Filter:
# the helpers are exported there as well as to the caller
sub import {
    my $class = shift;
    $class->export_to_level(1, $class, @_);
    $class->Exporter::export('Test::Base::Filter');
}

# the secret the suites export as KALAMDB_JWT_SECRET (>= 64 bytes: HS512)
our $SECRET  = 'kalamdb-test-secret-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEF';
our $SECRET2 = 'another-issuer-secret-0123456789-abcdefghijklmnopqrstuvwxyz-XYZ';

# the backend's access-token claims, overridable one by one (undef: drop)
sub claims {
    my (%over) = @_;
    my $now = time;
    my %c = (
        sub        => 'user-42',
        iss        => 'kalamdb',
        iat        => $now,
        exp        => $now + 86400,
        role       => 'user',
        token_type => 'access',
        email      => 'alice@example.com',
    );
    for my $k (keys %over) {
        if (defined $over{$k}) { $c{$k} = $over{$k} } else { delete $c{$k} }
    }
    return \%c;
}

# the claims as compact JSON text with sorted members, for craft()
sub cjson {
    return JSON::PP->new->canonical->encode(claims(@_));
}

# mint(claim => value, ..., -alg => 'HS256', -key => $SECRET,
#      -header => { kid => 'x' })
sub mint {
    my (%a) = @_;
    my $alg = delete $a{-alg} // 'HS256';
    my $key = delete $a{-key} // $SECRET;
    my $hdr = delete $a{-header} // {};
    return encode_jwt(payload => claims(%a), alg => $alg, key => $key,
                      extra_headers => $hdr);
}

sub mint_refresh {
    my (%a) = @_;
    return mint(token_type => 'refresh', exp => time + 7 * 86400, %a);
}

# a valid token of exactly $len bytes, grown by a "pad" claim
sub mint_len {
    my ($len, %a) = @_;
    for my $n (0 .. $len) {
        my $t = mint(%a, pad => 'x' x $n);
        return $t if length($t) == $len;
        last if length($t) > $len + 4;
    }
    die "mint_len: no token of $len bytes\n";
}

sub b64u { return encode_base64url($_[0]) }

sub hs_sign {
    my ($alg, $input, $key) = @_;
    $key //= $SECRET;
    return $alg eq 'HS384' ? hmac_sha384($input, $key)
         : $alg eq 'HS512' ? hmac_sha512($input, $key)
         :                   hmac_sha256($input, $key);
}

# craft($header_json, $payload_json [, alg for HMAC, key]): raw JSON text
# in, compact JWS out, signed over exactly the bytes given
sub craft {
    my ($h, $p, $alg, $key) = @_;
    return seal(b64u($h), b64u($p), $alg, $key);
}

# seal($header_b64, $payload_b64 [, alg, key]): segments taken as given
# (non-canonical base64url included), HMAC-signed over "h.p"
sub seal {
    my ($h, $p, $alg, $key) = @_;
    my $input = "$h.$p";
    return $input . '.' . b64u(hs_sign($alg // 'HS256', $input, $key));
}

# the decoded bytes of segment $i (0: header, 1: payload) of a token
sub segment {
    my ($token, $i) = @_;
    return decode_base64url((split /\./, $token)[$i]);
}

# the fingerprint the module logs in place of a token
sub fp {
    return 'sha256:' . substr(sha256_hex($_[0]), 0, 12);
}

sub bearer { return "Authorization: Bearer $_[0]\n" }


# aux_dir(): a directory of this .t file for what is not nginx's (the
# IdP's files, TLS material), next to its server root and never inside
# it: CPAN's Test::Nginx empties the server root before each block and
# stops when it holds anything else.  <servroot>_aux, where the server
# root is TEST_NGINX_SERVROOT, or t/servroot_<file> when that is unset
# (CPAN's own default, t/servroot, is shared by every file).  Exported as
# $TEST_NGINX_AUX_DIR for the configurations.
sub aux_dir {
    my $root = $ENV{TEST_NGINX_SERVROOT};
    if (!defined $root || $root eq '') {
        my $name = File::Basename::basename($0);
        $name =~ s/\.[^.]*\z//;
        $name =~ s/[^\w.-]/_/g;
        $root = Cwd::getcwd() . "/t/servroot_$name";
    }
    $root =~ s{/+\z}{};
    return $ENV{TEST_NGINX_AUX_DIR} = "${root}_aux";
}


# block_defaults(section => text, ...): sections a block of the calling
# .t file gets when it has none of its own; every block loads the module
# (main_config) unless it says otherwise.  A Test::Nginx block
# preprocessor, so CPAN's Test::Nginx::Socket runs the files unchanged.
# A block's "worker_processes N;" in main_config is turned into workers(N)
# (see below).
sub block_defaults {
    my (%d) = @_;
    $d{main_config} //= "load_module \$TEST_NGINX_MODULE;\n";
    main::add_block_preprocessor(sub {
        my ($block) = @_;
        for my $s (sort keys %d) {
            $block->set_value($s => $d{$s}) unless defined $block->$s;
        }

        # "worker_processes N;" in main_config: both harnesses write their
        # own worker_processes line (CPAN's always, a duplicate for nginx),
        # so it becomes workers(N), with a master process to run them
        # (CPAN's default is none)
        my $main = $block->main_config // '';
        my $n = 1;
        if ($main =~ s/^[ \t]*worker_processes[ \t]+(\d+)[ \t]*;[ \t]*\n?//m) {
            $n = $1;
            $block->set_value(main_config => $main);
            main::master_on() if $n > 1;
        }
        main::workers($n);
    });
}

1;
