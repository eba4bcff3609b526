package DPoP;

# DPoP (RFC 9449) helpers for the Test::Nginx suites: proofs and
# DPoP-bound tokens minted by Crypt::JWT, an implementation independent of
# the module, with the keys of t/keys; RFC 7638 thumbprints from
# Crypt::PK::ECC / Crypt::PK::RSA.

use strict;
use warnings;

use Exporter ();
use Crypt::JWT qw(encode_jwt);
use Crypt::PK::ECC ();
use Crypt::PK::RSA ();
use Crypt::PK::Ed25519 ();
use Digest::SHA qw(sha256);
use JSON::PP ();
use MIME::Base64 qw(encode_base64url);

use JWTTest qw(mint);
use JWTKeys qw(key_path);

our @ISA = ('Exporter');
our @EXPORT = qw(dpop_key jkt proof dpop_token dpop ath);

# Test::Base evaluates "--- <section> eval" in package Test::Base::Filter
sub import {
    my $class = shift;
    $class->export_to_level(1, $class, @_);
    $class->Exporter::export('Test::Base::Filter');
}

my %keys;

# dpop_key('p256' | 'p384' | 'rsa' | 'ed25519' | 'fresh'): a private key
sub dpop_key {
    my ($name) = @_;
    $name //= 'p256';
    if ($name eq 'fresh') {
        my $k = Crypt::PK::ECC->new;
        $k->generate_key('secp256r1');
        return $k;
    }
    return $keys{$name} //=
        $name =~ /^p/     ? Crypt::PK::ECC->new(key_path("$name.pem"))
      : $name eq 'rsa'    ? Crypt::PK::RSA->new(key_path('rsa.pem'))
      :                     Crypt::PK::Ed25519->new(key_path('ed25519.pem'));
}

sub _jwk {
    my ($key) = @_;
    return JSON::PP->new->decode($key->export_key_jwk('public'));
}

# the RFC 7638 thumbprint of a key (of 'p256' by default)
sub jkt {
    my ($key) = @_;
    $key = dpop_key($key) unless ref $key;
    return $key->export_key_jwk_thumbprint('SHA256')
        if $key->can('export_key_jwk_thumbprint');
    my $x = _jwk($key)->{x};
    return encode_base64url(sha256(qq({"crv":"Ed25519","kty":"OKP","x":"$x"})));
}

sub ath { return encode_base64url(sha256($_[0])) }

my $seq = 0;

# proof(-token => $access_token, htm => 'GET', htu => URL, ...,
#       -key => 'p256' | key object, -alg => 'ES256', -jwk => {...},
#       -header => {...}): a signed proof; claims overridden one by one
#       (undef: drop)
sub proof {
    my (%a) = @_;
    my $key = delete $a{-key} // 'p256';
    $key = dpop_key($key) unless ref $key;
    my $alg = delete $a{-alg}
              // (ref $key eq 'Crypt::PK::RSA' ? 'RS256'
                 : ref $key eq 'Crypt::PK::Ed25519' ? 'EdDSA'
                 : $key->key2hash->{curve_bits} == 384 ? 'ES384' : 'ES256');
    my $jwk = delete $a{-jwk} // _jwk($key);
    my $hdr = delete $a{-header} // {};
    my $token = delete $a{-token} // '';
    my %c = (jti => "jti-$$-" . ++$seq . '-' . int(rand(1e9)),
             htm => 'GET', htu => 'http://localhost/api/items',
             iat => time, ath => ath($token));
    for my $k (keys %a) {
        if (defined $a{$k}) { $c{$k} = $a{$k} } else { delete $c{$k} }
    }
    my %h = (typ => 'dpop+jwt', jwk => $jwk, %$hdr);
    for my $k (keys %h) { delete $h{$k} unless defined $h{$k} }
    return encode_jwt(payload => \%c, alg => $alg, key => $key,
                      extra_headers => \%h);
}

# a token of the kalamdb issuer bound to a key (cnf.jkt), claims as mint()
sub dpop_token {
    my (%a) = @_;
    my $key = delete $a{-bind} // 'p256';
    return mint(cnf => { jkt => jkt($key) }, %a);
}

# "Authorization: DPoP <token>" and a DPoP header with a fresh proof
sub dpop {
    my ($token, %a) = @_;
    return "Authorization: DPoP $token\nDPoP: "
           . proof(-token => $token, %a) . "\n";
}

1;
