#!/usr/bin/perl
# Makes the DPoP proof vectors of test_dpop.c with Crypt::JWT (an
# implementation independent of the module) and the keys of t/keys:
#   perl t/unit/mkdpop.pl > /tmp/vectors.h   (then pasted into test_dpop.c)
use strict;
use warnings;
use lib 't/lib';
use Crypt::JWT qw(encode_jwt);
use Crypt::PK::ECC;
use Crypt::PK::RSA;
use Crypt::PK::Ed25519;
use Digest::SHA qw(sha256);
use MIME::Base64 qw(encode_base64url);
use JSON::PP;

my $IAT = 1700000000;
my $TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
my $ATH = encode_base64url(sha256($TOKEN));
my $HTU = 'https://api.example.com/v1/items';

sub pem { my $f = "t/keys/$_[0].pem"; open my $h, '<', $f or die; local $/; <$h> }
sub pub { my ($k) = @_; my %j = %{ decode_json($k->export_key_jwk('public')) }; \%j }

my $ec = Crypt::PK::ECC->new("t/keys/p256.pem");
my $rsa = Crypt::PK::RSA->new("t/keys/rsa.pem");
my $ed = Crypt::PK::Ed25519->new("t/keys/ed25519.pem");
my $att = Crypt::PK::ECC->new; $att->generate_key("secp256r1");

sub proof {
    my (%a) = @_;
    my $alg = delete $a{-alg} // 'ES256';
    my $key = delete $a{-key} // $ec;
    my $jwk = delete $a{-jwk} // pub($key);
    my $hdr = delete $a{-header} // {};
    my %c = (jti => 'jti-' . int(rand(1e9)), htm => 'GET', htu => $HTU,
             iat => $IAT, ath => $ATH);
    for (keys %a) { if (defined $a{$_}) { $c{$_} = $a{$_} } else { delete $c{$_} } }
    my $typ = exists $hdr->{typ} ? $hdr->{typ} : 'dpop+jwt';
    my %h = (%$hdr, jwk => $jwk);
    if (defined $typ) { $h{typ} = $typ } else { delete $h{typ} }
    return encode_jwt(payload => \%c, alg => $alg, key => (ref $key ? $key : $key),
                      extra_headers => \%h);
}

my %v;
$v{es256} = proof(jti => 'e1j3V_bKic8-LAEB');
$v{rs256} = proof(-alg => 'RS256', -key => $rsa);
$v{ps256} = proof(-alg => 'PS256', -key => $rsa);
$v{eddsa} = proof(-alg => 'EdDSA', -key => $ed);
$v{typ_jwt} = proof(-header => { typ => 'JWT' });
$v{no_typ} = proof(-header => { typ => undef });
$v{hs256} = encode_jwt(payload => { jti => 'x', htm => 'GET', htu => $HTU, iat => $IAT, ath => $ATH },
                       alg => 'HS256', key => 'k' x 32,
                       extra_headers => { typ => 'dpop+jwt', jwk => { kty => 'oct', k => encode_base64url('k' x 32) } });
my %priv = %{ decode_json($ec->export_key_jwk('private')) };
$v{private} = proof(-jwk => \%priv);
$v{kid} = proof(-header => { kid => 'p256' });
$v{x5c} = proof(-header => { x5c => ['MIIB'] });
$v{jku} = proof(-header => { jku => 'https://evil.example/jwks' });
$v{other_key} = proof(-key => $att, -jwk => pub($ec));
$v{htm_post} = proof(htm => 'POST');
$v{htu_host} = proof(htu => 'https://evil.example.com/v1/items');
$v{htu_query} = proof(htu => "$HTU?a=1");
$v{htu_frag} = proof(htu => "$HTU#f");
$v{htu_norm} = proof(htu => 'HTTPS://API.Example.COM:443/v1/./x/../%69tems');
$v{htu_path} = proof(htu => 'https://api.example.com/v1/items/');
$v{iat_old} = proof(iat => $IAT - 3600);
$v{iat_future} = proof(iat => $IAT + 3600);
$v{iat_string} = proof(iat => "$IAT");
$v{no_ath} = proof(ath => undef);
$v{bad_ath} = proof(ath => encode_base64url(sha256('another token')));
$v{no_jti} = proof(jti => undef);
$v{long_jti} = proof(jti => 'j' x 257);

print "/* made by t/unit/mkdpop.pl: iat $IAT, htm GET, htu $HTU */\n\n";
print "static const char  dpop_token[] = \"$TOKEN\";\n\n";
print "static const char  dpop_jkt_p256[] = \"", $ec->export_key_jwk_thumbprint('SHA256'), "\";\n";
print "static const char  dpop_jkt_rsa[] = \"", $rsa->export_key_jwk_thumbprint('SHA256'), "\";\n";
my $edx = pub($ed)->{x};
print "static const char  dpop_jkt_ed25519[] = \"",
      encode_base64url(sha256(qq({"crv":"Ed25519","kty":"OKP","x":"$edx"}))), "\";\n\n";
for my $n (sort keys %v) {
    print "static const char  dpop_$n\[] =\n";
    my $s = $v{$n};
    my @l;
    while (length $s) { push @l, substr($s, 0, 70, '') }
    print join("\n", map { "    \"$_\"" } @l), ";\n\n";
}
