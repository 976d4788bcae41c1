// Outbox message ids: the idempotency key the host dedups on (protocol/UPSTREAM.md), unique for
// ever. Time-ordered (UUID version 7, RFC 9562: 48 bits of Unix milliseconds, then 74 random bits)
// instead of random version 4: the outbox's unique index on id then grows at its right edge, one
// page per group commit, instead of touching a random page for every row (issue 10, offline
// enqueue). Uniqueness comes from the random bits, so a clock that steps back costs only order.
import { randomFillSync } from 'node:crypto';

const POOL_IDS = 256;
const pool = Buffer.alloc(POOL_IDS * 10);
let offset = pool.length;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A UUIDv7 string for a message created at `ms` (Unix milliseconds). */
export function messageId(ms: number): string {
  // 10 random bytes per id from a pool refilled 256 ids at a time (randomUUID does the same).
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const r = offset;
  offset += 10;
  const t = Math.max(0, Math.min(Math.floor(ms), 0xffff_ffff_ffff));
  const hi = Math.floor(t / 0x1_0000); // top 32 bits of the 48
  const lo = t % 0x1_0000;
  const b = pool;
  return `${hex32(hi)}-${HEX[lo >>> 8]}${HEX[lo & 0xff]}-`
    + `${HEX[0x70 | (b[r]! & 0x0f)]}${HEX[b[r + 1]!]}-` // version 7, 12 random bits
    + `${HEX[0x80 | (b[r + 2]! & 0x3f)]}${HEX[b[r + 3]!]}-` // variant 10, then 62 random bits
    + `${HEX[b[r + 4]!]}${HEX[b[r + 5]!]}${HEX[b[r + 6]!]}${HEX[b[r + 7]!]}${HEX[b[r + 8]!]}${HEX[b[r + 9]!]}`;
}

function hex32(n: number): string {
  return `${HEX[(n >>> 24) & 0xff]}${HEX[(n >>> 16) & 0xff]}${HEX[(n >>> 8) & 0xff]}${HEX[n & 0xff]}`;
}
