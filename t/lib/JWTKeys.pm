package JWTKeys;

# Public-key helpers for the Test::Nginx suites: the test-only keys of
# t/keys (see t/keys/README), tokens signed with them, and JWK Sets built
# from them.  Valid tokens are minted by Crypt::JWT where it knows the alg
# (RS*, PS*, ES*, EdDSA with an Ed25519 key); Ed448 keys and the RFC 9864
# names "Ed25519" and "Ed448" are signed with `openssl pkeyutl -rawin`.

use strict;
use warnings;

use Exporter ();
use Cwd ();
use File::Temp ();
use Crypt::JWT qw(encode_jwt);
use Crypt::PK::RSA ();
use Crypt::PK::ECC ();
use JSON::PP ();
use MIME::Base64 qw(encode_base64url decode_base64url);

use JWTTest qw(claims b64u);

our @ISA = ('Exporter');
our @EXPORT = qw(key_path key_text jwk jwks pk_mint pk_craft pk_sign
                 flip_sig test_ca $KEYS);

# Test::Base evaluates "--- <section> eval" in package Test::Base::Filter
sub import {
    my $class = shift;
    $class->export_to_level(1, $class, @_);
    $class->Exporter::export('Test::Base::Filter');
}

# the key directory, absolute: nginx runs with its own prefix
our $KEYS = Cwd::abs_path(__FILE__ =~ s{[^/]*$}{}r . '../keys');
$ENV{TEST_NGINX_KEYS} = $KEYS;

sub key_path { return "$KEYS/$_[0]" }

sub key_text {
    my ($file) = @_;
    open my $fh, '<:raw', key_path($file) or die "$file: $!\n";
    local $/;
    return scalar <$fh>;
}

# jwk('rsa', alg => 'RS256', e => undef): the public JWK of t/keys/rsa.jwks
# as a hash, members overridden one by one (undef: drop)
sub jwk {
    my ($name, %over) = @_;
    my $set = JSON::PP->new->decode(key_text("$name.jwks"));
    my %k = %{ $set->{keys}[0] };
    for my $m (keys %over) {
        if (defined $over{$m}) { $k{$m} = $over{$m} } else { delete $k{$m} }
    }
    return \%k;
}

# jwks(jwk(...), ...): a JWK Set as JSON text with sorted members
sub jwks {
    return JSON::PP->new->canonical->encode({ keys => [@_] });
}

# the alg Crypt::JWT can sign for this key, or undef
sub _crypt_jwt_can {
    my ($alg, $key) = @_;
    return 0 if $key =~ /^ed448/;
    return $alg =~ /^(?:RS|PS|ES)(?:256|384|512)$|^EdDSA$/;
}

# pk_mint(claim => value, ..., -alg => 'RS256', -key => 'rsa',
#         -header => { kid => 'rsa' }): a valid token signed with
# t/keys/<key>.pem; claims as JWTTest::claims()
sub pk_mint {
    my (%a) = @_;
    my $alg = delete $a{-alg} // 'RS256';
    my $key = delete $a{-key} // 'rsa';
    my $hdr = delete $a{-header} // {};

    if (_crypt_jwt_can($alg, $key)) {
        my $pem = key_text("$key.pem");
        return encode_jwt(payload => claims(%a), alg => $alg, key => \$pem,
                          extra_headers => $hdr);
    }

    my $json = JSON::PP->new->canonical;
    return pk_craft($json->encode({ %$hdr, alg => $alg }),
                    $json->encode(claims(%a)), $alg, $key);
}

# pk_craft($header_json, $payload_json, $alg, $key): raw JSON text in,
# compact JWS out, signed over exactly the bytes given
sub pk_craft {
    my ($h, $p, $alg, $key) = @_;
    my $input = b64u($h) . '.' . b64u($p);
    return $input . '.' . b64u(pk_sign($alg, $input, $key));
}

# the JWS signature of $input with t/keys/<key>.pem for $alg
sub pk_sign {
    my ($alg, $input, $key) = @_;
    my $file = key_path("$key.pem");

    if ($alg =~ /^(RS|PS)(256|384|512)$/) {
        my $pk = Crypt::PK::RSA->new($file);
        return $1 eq 'RS' ? $pk->sign_message($input, "SHA$2", 'v1.5')
                          : $pk->sign_message($input, "SHA$2", 'pss', $2 / 8);
    }

    if ($alg =~ /^ES(256|384|512)$/) {
        return Crypt::PK::ECC->new($file)
                             ->sign_message_rfc7518($input, "SHA$1");
    }

    if ($alg =~ /^(?:EdDSA|Ed25519|Ed448)$/) {
        my $tmp = File::Temp->new;
        binmode $tmp;
        print $tmp $input;
        close $tmp;
        my $sig = `openssl pkeyutl -sign -rawin -inkey '$file' -in '$tmp'`;
        die "openssl pkeyutl failed for $key\n" if $? || $sig eq '';
        return $sig;
    }

    die "pk_sign: no signer for $alg\n";
}

# the same token with one signature byte changed (the middle one by
# default), still canonical base64url of the right length
sub flip_sig {
    my ($token, $i) = @_;
    my ($h, $p, $s) = split /\./, $token;
    my $sig = decode_base64url($s);
    $i //= int(length($sig) / 2);
    substr($sig, $i, 1) = chr(ord(substr($sig, $i, 1)) ^ 0x01);
    return "$h.$p." . encode_base64url($sig);
}

# test_ca($dir): a test CA (ca.crt, ca.key) and a server certificate for
# 127.0.0.1 signed by it (server.crt, server.key), made with openssl
sub test_ca {
    my ($dir) = @_;
    my $ec = '-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes';
    open my $fh, '>', "$dir/ext.cnf" or die "$dir/ext.cnf: $!";
    print $fh "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
            . "extendedKeyUsage=serverAuth\n";
    close $fh;
    for my $cmd (
        "openssl req -x509 $ec -keyout ca.key -out ca.crt -days 3650"
        . " -subj '/CN=auth_jwt test CA'"
        . " -addext basicConstraints=critical,CA:TRUE"
        . " -addext keyUsage=critical,keyCertSign,cRLSign",
        "openssl req $ec -keyout server.key -out server.csr"
        . " -subj /CN=127.0.0.1",
        "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key"
        . " -CAcreateserial -out server.crt -days 3650 -extfile ext.cnf")
    {
        system("cd '$dir' && $cmd >/dev/null 2>&1") == 0
            or die "test CA: '$cmd' failed\n";
    }
}

1;
