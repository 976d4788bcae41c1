// Linux input events as read from /dev/input/event*: `struct input_event` of a 64-bit kernel,
// 24 bytes in host byte order —
//
//   struct timeval time   16   tv_sec, tv_usec (long, long): ignored, we stamp scans ourselves
//   __u16 type             2   EV_SYN 0, EV_KEY 1, EV_MSC 4, EV_LED 17, EV_REP 20, …
//   __u16 code             2   key code (KEY_A = 30 …), SYN_REPORT 0, SYN_DROPPED 3
//   __s32 value            4   EV_KEY: 0 release, 1 press, 2 autorepeat
//
// A read may end inside a record (a FIFO, a short read): the decoder keeps the tail for the next chunk.
import { endianness } from 'node:os';

export const INPUT_EVENT_SIZE = 24;
export const EV_SYN = 0;
export const EV_KEY = 1;
export const SYN_DROPPED = 3;

export interface InputEvent {
  type: number;
  code: number;
  value: number;
}

const LE = endianness() === 'LE';

export function encodeInputEvent(e: InputEvent, sec = 0, usec = 0): Buffer {
  const b = Buffer.alloc(INPUT_EVENT_SIZE);
  if (LE) {
    b.writeBigInt64LE(BigInt(sec), 0); b.writeBigInt64LE(BigInt(usec), 8);
    b.writeUInt16LE(e.type, 16); b.writeUInt16LE(e.code, 18); b.writeInt32LE(e.value, 20);
  } else {
    b.writeBigInt64BE(BigInt(sec), 0); b.writeBigInt64BE(BigInt(usec), 8);
    b.writeUInt16BE(e.type, 16); b.writeUInt16BE(e.code, 18); b.writeInt32BE(e.value, 20);
  }
  return b;
}

/** Stream decoder: bytes in, whole events out. */
export class InputEventDecoder {
  private tail: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): InputEvent[] {
    const data = this.tail.length ? Buffer.concat([this.tail, chunk]) : chunk;
    const whole = data.length - (data.length % INPUT_EVENT_SIZE);
    const events: InputEvent[] = [];
    for (let o = 0; o < whole; o += INPUT_EVENT_SIZE) {
      events.push(LE
        ? { type: data.readUInt16LE(o + 16), code: data.readUInt16LE(o + 18), value: data.readInt32LE(o + 20) }
        : { type: data.readUInt16BE(o + 16), code: data.readUInt16BE(o + 18), value: data.readInt32BE(o + 20) });
    }
    this.tail = Buffer.from(data.subarray(whole));
    return events;
  }

  /** Bytes of an incomplete record kept for the next chunk. */
  pending(): number {
    return this.tail.length;
  }
}
