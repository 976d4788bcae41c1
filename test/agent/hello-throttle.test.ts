// The failed-hello throttle's arithmetic with a fake clock, and who counts as one peer.
import t from 'tap';
import { HelloThrottle, peerKey } from '../../agent/socket/hello-throttle.ts';
import { silentLogger } from '../../runtime/log.ts';

t.test('a burst, then one attempt per refill period', async (t) => {
  let now = 0;
  const throttle = new HelloThrottle({ burst: 3, refillMs: 1000, log: silentLogger(), now: () => now });
  t.teardown(() => throttle.stop());
  for (let i = 0; i < 3; i++) {
    t.equal(throttle.retryAfterMs('10.0.0.1'), 0);
    throttle.failed('10.0.0.1');
  }
  t.equal(throttle.retryAfterMs('10.0.0.1'), 1000, 'out of attempts');
  t.equal(throttle.retryAfterMs('10.0.0.2'), 0, 'another peer is not affected');
  now = 400;
  t.equal(throttle.retryAfterMs('10.0.0.1'), 600);
  now = 1000;
  t.equal(throttle.retryAfterMs('10.0.0.1'), 0, 'one attempt back');
  throttle.failed('10.0.0.1');
  t.equal(throttle.retryAfterMs('10.0.0.1'), 1000);
  now = 10_000;
  t.equal(throttle.retryAfterMs('10.0.0.1'), 0, 'fully refilled');
});

t.test('peers: IPv4 as is, IPv4-mapped unwrapped, IPv6 by /64, the Unix socket as one', async (t) => {
  t.equal(peerKey('192.0.2.7'), '192.0.2.7');
  t.equal(peerKey('::ffff:192.0.2.7'), '192.0.2.7');
  t.equal(peerKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  t.equal(peerKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'), '2001:db8:1:2::/64', 'same /64, same peer');
  t.equal(peerKey('2001:0db8::1'), '2001:db8:0:0::/64');
  t.equal(peerKey('::1'), '0:0:0:0::/64');
  t.equal(peerKey('unix'), 'unix');
});

t.test('remembers a bounded number of peers', async (t) => {
  const throttle = new HelloThrottle({ burst: 1, refillMs: 60_000, log: silentLogger(), maxPeers: 100 });
  t.teardown(() => throttle.stop());
  for (let i = 0; i < 1000; i++) throttle.failed(`10.0.${i >> 8}.${i & 255}`);
  t.ok(throttle.retryAfterMs('10.0.3.231') > 0, 'a recent peer is remembered');
  t.equal(throttle.retryAfterMs('10.0.0.0'), 0, 'the oldest were forgotten');
});
