# SPDX-License-Identifier: GPL-2.0
# vmmerge benchmark function server, perl stack (runs inside the guest).
#   GET /hello?name=X   small HTTP handler: JSON greeting
#   GET /prime?n=N      CPU-bound: count primes below N by trial division
#   GET /fill?mb=M      data-heavy: keep M MiB of unique random bytes alive
#   SIGUSR2             an invocation without a client (`fn poke`): the
#                       prime handler with n from /tmp/fn-poke-n, its reply
#                       kept among the last 16, the count in /tmp/fn-poked
use strict;
use warnings;
use IO::Socket::INET;

my @heap;
my @replies;
my $poked = 0;

sub primes {
    my ($n) = @_;
    my $count = 0;
  K: for my $k (2 .. $n - 1) {
        for (my $d = 2; $d * $d <= $k; $d++) {
            next K if $k % $d == 0;
        }
        $count++;
    }
    return $count;
}

if (($ARGV[0] // '') eq 'call') {
    # The client side of the loopback request, in the same runtime.
    my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => 8080) or die "connect: $!";
    print $c "GET $ARGV[1] HTTP/1.0\r\n\r\n";
    local $/;
    my $r = <$c>;
    my ($status) = $r =~ m{^HTTP/\S+ (\d+)};
    $r =~ s/^.*?\r\n\r\n//s;
    print $r;
    exit($status == 200 ? 0 : 1);
}

my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 8080,
    Listen => 16, ReuseAddr => 1) or die "listen: $!";
# One invocation as the /prime handler serves it, with no client process
# (a client's start costs seconds under nested TCG).
$SIG{USR2} = sub {
    my $n = 2000;
    if (open my $f, '<', '/tmp/fn-poke-n') { my $v = <$f>; close $f; $n = $v + 0 if $v; }
    push @replies, sprintf '{"n": %d, "primes": %d, "seq": %d}', $n, primes($n), $poked;
    shift @replies if @replies > 16;
    $poked++;
    if (open my $f, '>', '/tmp/fn-poked.tmp') { print $f $poked; close $f; }
    rename '/tmp/fn-poked.tmp', '/tmp/fn-poked';
};
if (open my $ready, '>', '/tmp/fn-ready') { print $ready $$; close $ready; }
while (1) {
    # (a signal interrupts accept: EINTR, not the end of the loop)
    my $c = $srv->accept;
    unless ($c) { next if $!{EINTR}; last; }
    my $line = <$c> // '';
    while (my $h = <$c>) { last if $h =~ /^\r?\n$/; }
    my ($path, $query) = $line =~ m{^GET (/[^? ]*)\??(\S*)} ? ($1, $2) : ('', '');
    my %q = map { split /=/, $_, 2 } grep { /=/ } split /&/, $query;
    my $body;
    if ($path eq '/hello') {
        $body = sprintf '{"greeting": "hello %s", "runtime": "perl"}', $q{name} // 'world';
    } elsif ($path eq '/prime') {
        my $n = $q{n} // 10000;
        $body = sprintf '{"n": %d, "primes": %d}', $n, primes($n);
    } elsif ($path eq '/fill') {
        open my $r, '<:raw', '/dev/urandom' or die;
        for (1 .. ($q{mb} // 16)) { my $b; read $r, $b, 1 << 20; push @heap, $b; }
        close $r;
        $body = sprintf '{"heap_mb": %d}', scalar @heap;
    } else {
        print $c "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n";
        close $c;
        next;
    }
    $body .= "\n";
    printf $c "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
        length $body, $body;
    close $c;
}
