# SPDX-License-Identifier: GPL-2.0
# vmmerge benchmark function server, perl stack (runs inside the guest).
#   GET /hello?name=X   small HTTP handler: JSON greeting
#   GET /prime?n=N      CPU-bound: count primes below N by trial division
#   GET /fill?mb=M      data-heavy: keep M MiB of unique random bytes alive
use strict;
use warnings;
use IO::Socket::INET;

my @heap;

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
if (open my $ready, '>', '/tmp/fn-ready') { close $ready; }
while (my $c = $srv->accept) {
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
