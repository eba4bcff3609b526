use lib 't/lib';
use strict;
use warnings;
use utf8;
use Test::More;

binmode(Test::More->builder->$_, ':encoding(UTF-8)')
    for qw(output failure_output todo_output);

# t/ATTACKS.md names, for each hostile input, the tests that refuse it.
# Keep it true: every test it names must exist under that name, so that
# renaming or removing a test breaks this script until the catalogue
# follows.  A reference is one indented bullet under an entry:
#
#   - `t/011-framing.t` — "title"      a Test::Nginx block, by the title
#                                      after "=== TEST n: "
#   - `t/060-cache.t` — "test name"    a Test::More script, by the quoted
#                                      name given to ok/is/like/subtest
#   - `t/unit/test_jwk.c: test_name`   a cmocka unit test
#
# No nginx is needed.

my $MAP = 't/ATTACKS.md';

open my $fh, '<:encoding(UTF-8)', $MAP or BAIL_OUT("$MAP: $!");
my @lines = <$fh>;
close $fh;
my $md = join '', @lines;

my %text;    # file name => its text, read once

sub slurp {
    my ($file) = @_;
    return $text{$file} if exists $text{$file};
    my $t;
    if (open my $h, '<:encoding(UTF-8)', $file) {
        local $/;
        $t = <$h>;
        close $h;
    }
    return $text{$file} = $t;
}

sub is_test_nginx {
    my ($t) = @_;
    return $t =~ /^__DATA__$/m && $t =~ /^=== TEST \d+: /m;
}

# block numbers shift whenever a block is added: only titles are cited
my @numbered = grep { $lines[$_] =~ /\bTEST\s+\d+/ } 0 .. $#lines;
ok(!@numbered, "$MAP cites no block numbers (TEST n)");
diag('block number on line ' . ($_ + 1) . ": $lines[$_]") for @numbered;

for my $section ('Framing and encoding', 'Algorithm and key choice',
                 'Signature bytes', 'Keys', 'Claims',
                 'Fetching keys (OIDC issuers)',
                 'Requests and access phase', 'Not covered')
{
    ok($md =~ /^## \Q$section\E$/m, "$MAP has the section \"$section\"");
}

my $section = '';
my ($entry, $entry_line, $refs);
my ($nentries, $nrefs) = (0, 0);

sub end_entry {
    return unless defined $entry;
    ok($refs > 0, "line $entry_line: the entry \"$entry\" names a test")
        unless $section eq 'Not covered';
    undef $entry;
}

for my $i (0 .. $#lines) {
    my $l = $lines[$i];
    my $n = $i + 1;
    chomp $l;

    if ($l =~ /^## (.*)$/) {
        end_entry();
        $section = $1;
        next;
    }

    next if $section eq '';    # the introduction

    if ($l =~ /^- (.*)$/) {
        end_entry();
        ($entry, $entry_line, $refs) = ($1, $n, 0);
        $nentries++ unless $section eq 'Not covered';
        next;
    }

    next unless $l =~ /^\s+- /;

    if ($section eq 'Not covered') {
        fail("line $n: \"Not covered\" names no tests: $l");
        next;
    }

    $refs++;
    $nrefs++;

    if ($l =~ m{^\s+- `(t/unit/[\w.-]+\.c): (\w+)`\s*$}) {
        my ($file, $fn) = ($1, $2);
        my $t = slurp($file);
        my $name = "line $n: $file has the unit test $fn";
        if (!defined $t) {
            fail($name);
            diag("$file does not exist");
        } elsif ($t !~ /^(?:static\s+)?(?:void\s+)?\Q$fn\E\s*\(\s*void\s*\*\*/m) {
            fail($name);
            diag("no function $fn(void **state) in $file");
        } elsif ($t !~ /\bcmocka_unit_test\w*\(\s*\Q$fn\E\s*[,)]/) {
            fail($name);
            diag("$fn is not registered with cmocka_unit_test in $file");
        } else {
            pass($name);
        }

    } elsif ($l =~ m{^\s+- `(t/[\w.-]+\.t)` — "(.+)"\s*$}) {
        my ($file, $title) = ($1, $2);
        my $t = slurp($file);
        if (!defined $t) {
            fail("line $n: $file exists");
            diag("$file does not exist (cited for \"$title\")");
        } elsif (is_test_nginx($t)) {
            ok($t =~ /^=== TEST \d+: \Q$title\E$/m,
               "line $n: $file has the block \"$title\"")
                or diag("no line \"=== TEST n: $title\" in $file");
        } else {
            ok($t =~ /(['"])\Q$title\E\1/,
               "line $n: $file has the test \"$title\"")
                or diag("no quoted test name \"$title\" in $file");
        }

    } else {
        fail("line $n: a reference in a known form");
        diag("cannot read the reference: $l");
    }
}
end_entry();

ok($nentries > 0, "$MAP has entries ($nentries)");
ok($nrefs > 0, "$MAP has references ($nrefs)");

done_testing();
