// The contract every transport's ByteLink must meet, run against each of them by
// transports.test.ts: bytes arrive in order, device data reaches onData, and a close we asked
// for ("cancelled") is told apart from a device that went away ("disconnected").
import type { Test } from 'tap';
import type { ByteLink, LinkCloseReason, Transport } from '../../drivers/types.ts';
import { waitFor } from '../helpers/wait.ts';

export interface LinkHarness {
  transport: Transport;
  /** Everything the device received so far. */
  received(): Promise<Buffer>;
  /** Device → driver; only for transports that can read. */
  send(bytes: Buffer): Promise<void>;
  /** The device disappears (unplug, reset, node removed). */
  unplug(): Promise<void>;
}


async function open(t: Test, h: LinkHarness): Promise<ByteLink> {
  const link = await h.transport();
  t.teardown(() => link.close());
  return link;
}

/** What the transport under test can do, known before any test runs (so a test can be skipped). */
export interface LinkKind {
  /** False for a write-only link (a printer file): no device bytes ever reach onData. */
  canRead: boolean;
}

export function byteLinkContract(t: Test, kind: LinkKind, make: (t: Test) => Promise<LinkHarness>): void {
  void t.test('writes arrive in order', async (t) => {
    const h = await make(t);
    const link = await open(t, h);
    t.equal(link.canRead, kind.canRead);
    await link.write(Buffer.from('hello '));
    await link.write(Uint8Array.from([0x1b, 0x40, 0xd5, 0x0a]));
    await waitFor(async () => (await h.received()).length >= 10, { what: 'bytes at the device' });
    t.same([...(await h.received())], [...Buffer.from('hello '), 0x1b, 0x40, 0xd5, 0x0a]);
  });

  const writeOnly = 'write-only transport: it has no device bytes to deliver';
  void t.test('device bytes reach onData; unsubscribe works', { skip: kind.canRead ? false : writeOnly }, async (t) => {
    const h = await make(t);
    const link = await open(t, h);
    const got: Buffer[] = [];
    const late: Buffer[] = [];
    const off = link.onData((chunk) => got.push(chunk));
    link.onData((chunk) => late.push(chunk));
    await h.send(Buffer.from([0x12]));
    await waitFor(() => got.length > 0 && late.length > 0);
    off();
    await h.send(Buffer.from([0x16]));
    await waitFor(() => Buffer.concat(late).length === 2);
    t.same([...Buffer.concat(got)], [0x12]);
    t.same([...Buffer.concat(late)], [0x12, 0x16]);
  });

  void t.test('close() is a cancellation, reported once; writes then reject', async (t) => {
    const h = await make(t);
    const link = await open(t, h);
    const reasons: LinkCloseReason[] = [];
    link.onClose((r) => reasons.push(r));
    await link.close();
    await link.close();
    t.ok(link.closed);
    t.same(reasons, [{ disconnected: false }]);
    const after = await new Promise<LinkCloseReason>((resolve) => link.onClose(resolve));
    t.same(after, { disconnected: false }, 'a listener added after the close still hears it');
    await t.rejects(link.write(Buffer.from('x')));
  });

  void t.test('a device that goes away is a disconnect with a reason', async (t) => {
    const h = await make(t);
    const link = await open(t, h);
    const reasons: LinkCloseReason[] = [];
    link.onClose((r) => reasons.push(r));
    await h.unplug();
    // A write-only link may only find out when it writes.
    if (!kind.canRead) void link.write(Buffer.from('probe')).catch(() => undefined);
    await waitFor(() => reasons.length > 0, { what: 'close after unplug' });
    t.equal(reasons.length, 1);
    const reason = reasons[0];
    t.ok(reason?.disconnected && reason.error.length > 0, 'disconnected, with an error text');
    t.ok(link.closed);
    await t.rejects(link.write(Buffer.from('x')));
  });
}
