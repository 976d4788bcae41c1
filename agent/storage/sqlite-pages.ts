// Table rows read straight from a SQLite file's bytes, without SQLite: the last resort of
// `outbox export` for a file whose header or table b-tree SQLite cannot use any more.
// Every table leaf page (b-tree page type 13) is decoded on its own, whatever points to it;
// a row that spills onto overflow pages is followed along its chain while the chain is sane.
// Format: https://www.sqlite.org/fileformat2.html (b-tree pages, cells, record format).

export interface RawRecord {
  rowid: number;
  values: unknown[];
  page: number;
}

const MAGIC = 'SQLite format 3\0';
const PAGE_SIZES = [4096, 1024, 2048, 8192, 16384, 32768, 65536, 512];

/** The page size and reserved bytes the header gives, or null when the header is unreadable. */
export function headerGeometry(bytes: Buffer): { pageSize: number; reserved: number } | null {
  if (bytes.length < 100 || bytes.toString('latin1', 0, 16) !== MAGIC) return null;
  const raw = bytes.readUInt16BE(16);
  const pageSize = raw === 1 ? 65536 : raw;
  if (!PAGE_SIZES.includes(pageSize)) return null;
  const reserved = bytes[20]!;
  return reserved < 64 ? { pageSize, reserved } : null;
}

/** Page sizes worth trying: the header's, else every legal one (the caller keeps the best). */
export function candidateGeometries(bytes: Buffer): Array<{ pageSize: number; reserved: number }> {
  const header = headerGeometry(bytes);
  return header ? [header] : PAGE_SIZES.map((pageSize) => ({ pageSize, reserved: 0 }));
}

export function* leafRecords(bytes: Buffer, pageSize: number, reserved: number): Generator<RawRecord> {
  const usable = pageSize - reserved;
  const pages = Math.floor(bytes.length / pageSize);
  for (let page = 1; page <= pages; page++) {
    const base = (page - 1) * pageSize;
    const header = base + (page === 1 ? 100 : 0);
    if (bytes[header] !== 13) continue;
    const cells = bytes.readUInt16BE(header + 3);
    if (8 + cells * 2 > pageSize) continue;
    for (let i = 0; i < cells; i++) {
      const offset = bytes.readUInt16BE(header + 8 + i * 2);
      if (offset < 8 || offset >= usable) continue;
      try {
        const record = readCell(bytes, base, base + offset, pageSize, usable, pages);
        if (record) yield { ...record, page };
      } catch {
        // a garbled cell: the page's other cells may still be whole
      }
    }
  }
}

function readCell(bytes: Buffer, base: number, at: number, pageSize: number, usable: number, pages: number): Omit<RawRecord, 'page'> | null {
  const [payloadLength, a] = varint(bytes, at);
  const [rowid, b] = varint(bytes, a);
  if (payloadLength <= 0 || payloadLength > 1 << 30) return null;
  const maxLocal = usable - 35;
  let local = payloadLength;
  if (payloadLength > maxLocal) {
    const minLocal = Math.floor(((usable - 12) * 32) / 255) - 23;
    const k = minLocal + ((payloadLength - minLocal) % (usable - 4));
    local = k <= maxLocal ? k : minLocal;
  }
  if (b + local > base + pageSize) return null;
  const parts = [bytes.subarray(b, b + local)];
  let have = local;
  if (have < payloadLength) {
    let next = bytes.readUInt32BE(b + local);
    let hops = 0;
    while (have < payloadLength) {
      if (next < 2 || next > pages || ++hops > pages) return null;
      const start = (next - 1) * pageSize;
      const take = Math.min(usable - 4, payloadLength - have);
      parts.push(bytes.subarray(start + 4, start + 4 + take));
      have += take;
      next = bytes.readUInt32BE(start);
    }
  }
  const values = decodeRecord(Buffer.concat(parts));
  return values ? { rowid, values } : null;
}

function decodeRecord(payload: Buffer): unknown[] | null {
  const [headerLength, first] = varint(payload, 0);
  if (headerLength < 1 || headerLength > payload.length) return null;
  const types: number[] = [];
  for (let at = first; at < headerLength;) {
    const [type, next] = varint(payload, at);
    types.push(type);
    at = next;
  }
  const values: unknown[] = [];
  let at = headerLength;
  for (const type of types) {
    const [value, size] = readValue(payload, at, type);
    if (at + size > payload.length) return null;
    values.push(value);
    at += size;
  }
  return values;
}

const INT_SIZES = [0, 1, 2, 3, 4, 6, 8];

function readValue(buf: Buffer, at: number, type: number): [unknown, number] {
  if (type === 0) return [null, 0];
  if (type >= 1 && type <= 6) {
    const size = INT_SIZES[type]!;
    if (at + size > buf.length) throw new RangeError('short record');
    return [Number(BigInt.asIntN(size * 8, BigInt(`0x${buf.toString('hex', at, at + size)}`))), size];
  }
  if (type === 7) return [buf.readDoubleBE(at), 8];
  if (type === 8) return [0, 0];
  if (type === 9) return [1, 0];
  if (type < 12) throw new RangeError('reserved serial type');
  const size = type % 2 === 0 ? (type - 12) / 2 : (type - 13) / 2;
  if (at + size > buf.length) throw new RangeError('short record');
  return [type % 2 === 0 ? buf.subarray(at, at + size).toString('hex') : buf.toString('utf8', at, at + size), size];
}

/** SQLite's big-endian base-128 varint (at most 9 bytes, the 9th with all 8 bits). */
function varint(buf: Buffer, at: number): [number, number] {
  let value = 0n;
  for (let i = 0; i < 9; i++) {
    if (at + i >= buf.length) throw new RangeError('short varint');
    const byte = buf[at + i]!;
    if (i === 8) return [Number(BigInt.asIntN(64, (value << 8n) | BigInt(byte))), at + 9];
    value = (value << 7n) | BigInt(byte & 0x7f);
    if (byte < 0x80) return [Number(BigInt.asIntN(64, value)), at + i + 1];
  }
  throw new RangeError('bad varint');
}
