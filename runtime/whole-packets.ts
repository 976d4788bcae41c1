// MQTT.js writes every packet with mqtt-packet's writeToStream, which hands the socket each field
// of the packet as a write of its own: an answer published with properties (content type,
// correlation data) is ~15 writes, its PUBACK 3. Each goes through Node's Writable (buffered behind
// the packet's cork, then one writev of ~18 small buffers): ~100-250 k instructions of a young
// host's ~1.16 M an online award (callgrind, issue 10), for bytes a single Buffer holds.
// mqtt-packet's generate() makes the same bytes in one Buffer (it runs writeToStream into an
// accumulator), but its field-by-field encoding is most of the cost (~90 k instructions a publish
// with properties while the host is young: generic property tables, a small Buffer per field). The
// publishes and PUBACKs of a client patched here reach the socket as one write each, encoded here
// for the shapes the host and agent send (a string topic, a string or Buffer payload, QoS 0-2, no
// properties or content type, response topic and correlation data: encodePublish, encodePuback) and by generate()
// otherwise. Same bytes (test/runtime/whole-packets.test.ts checks them against generate()), same
// order, same 'packetsend' event and drain callback as MQTT.js's own _writePacket; any other packet,
// and a packet generate() refuses (writeToStream then destroys the stream, as before), go through
// MQTT.js's own.
import { createRequire } from 'node:module';
import type { MqttClient } from 'mqtt';

interface Packet {
  cmd: string;
  topic?: unknown;
  payload?: unknown;
  qos?: unknown;
  dup?: unknown;
  retain?: unknown;
  messageId?: unknown;
  properties?: unknown;
  reasonCode?: unknown;
}
type WritePacket = (this: ClientInternals, packet: Packet, cb?: () => void) => void;
interface ClientInternals {
  _writePacket?: WritePacket;
  stream: { write(chunk: Buffer): boolean; once(event: 'drain', listener: () => void): unknown };
  options: { protocolVersion?: number } | undefined;
  noop: unknown;
  emit(event: 'packetsend', packet: Packet): boolean;
}

// The mqtt-packet MQTT.js itself loads (its own dependency, one module instance: the number cache
// setting MQTT.js gives writeToStream, `writeCache: false`, applies to generate too).
const fromMqtt = createRequire(createRequire(import.meta.url).resolve('mqtt'));
const { generate } = fromMqtt('mqtt-packet') as { generate: (packet: Packet, options: unknown) => Buffer };

const WHOLE = new Set(['publish', 'puback']);
const EMPTY = Buffer.alloc(0);

/**
 * Publishes and PUBACKs of `client` leave as one Buffer each. False (nothing changed) when the
 * client has no `_writePacket(packet, cb)` of the shape this was written against (another MQTT.js).
 */
export function writePacketsWhole(client: MqttClient): boolean {
  const internals = client as unknown as ClientInternals;
  const own = internals._writePacket;
  if (typeof own !== 'function' || own.length !== 2) return false;
  internals._writePacket = function writeWhole(packet, cb) {
    if (!WHOLE.has(packet.cmd)) return own.call(this, packet, cb);
    const version = this.options ? this.options.protocolVersion : 4;
    let bytes = packet.cmd === 'publish' ? encodePublish(packet, version) : encodePuback(packet, version);
    if (!bytes) {
      try {
        bytes = generate(packet, this.options);
      } catch {
        return own.call(this, packet, cb);
      }
    }
    this.emit('packetsend', packet);
    // As MQTT.js: a full socket buffer calls back on 'drain' (no callback given: nothing to wait for).
    if (!this.stream.write(bytes) && cb && cb !== this.noop) this.stream.once('drain', cb);
    else if (cb) cb();
  };
  return true;
}

const MAX_STRING = 0xffff;
const MAX_REMAINING = 268_435_455; // the largest variable byte integer
const CORRELATION_DATA = 0x09;
/** The string properties encoded here, by name: content type (the host's answers), response topic (the agent's requests). */
const STRING_PROPERTIES: ReadonlyMap<string, number> = new Map([['contentType', 0x03], ['responseTopic', 0x08]]);

const varIntLength = (n: number): number => (n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4);

function writeVarInt(buf: Buffer, at: number, n: number): number {
  let value = n;
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    buf[at++] = byte;
  } while (value > 0);
  return at;
}

/**
 * A PUBLISH as writeToStream writes it, or undefined for any shape not handled here (generate() then
 * encodes it, or refuses it as writeToStream would): a string topic, a string or Buffer payload,
 * QoS 0-2 with a 2-byte id, and in MQTT 5 no properties or only contentType and responseTopic (strings)
 * and correlationData (a Buffer), in the object's key order as writeToStream takes them.
 */
export function encodePublish(packet: Packet, version: number | undefined): Buffer | undefined {
  const { topic, qos = 0, messageId, properties } = packet;
  const payload = packet.payload || EMPTY;
  if (typeof topic !== 'string' || (qos !== 0 && qos !== 1 && qos !== 2)) return undefined;
  if (qos !== 0 && !(Number.isInteger(messageId) && (messageId as number) >= 0 && (messageId as number) <= MAX_STRING)) return undefined;
  const topicLength = Buffer.byteLength(topic);
  if (topicLength > MAX_STRING) return undefined;
  let payloadLength: number;
  if (typeof payload === 'string') payloadLength = Buffer.byteLength(payload);
  else if (Buffer.isBuffer(payload)) payloadLength = payload.length;
  else return undefined;
  // Properties in the object's key order, as writeToStream takes them: [id, value, length in bytes].
  const props: Array<[number, string | Buffer, number]> = [];
  let propertiesLength = 0;
  if (version === 5 && properties !== undefined) {
    if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) return undefined;
    for (const name in properties) {
      const value = (properties as Record<string, unknown>)[name];
      if (value === undefined) continue;
      const id = typeof value === 'string' ? STRING_PROPERTIES.get(name) : name === 'correlationData' && Buffer.isBuffer(value) ? CORRELATION_DATA : undefined;
      if (id === undefined) return undefined;
      const length = typeof value === 'string' ? Buffer.byteLength(value) : (value as Buffer).length;
      if (length > MAX_STRING) return undefined;
      props.push([id, value as string | Buffer, length]);
      propertiesLength += 3 + length;
    }
  }
  const remaining = 2 + topicLength + (qos === 0 ? 0 : 2) + (version === 5 ? varIntLength(propertiesLength) + propertiesLength : 0) + payloadLength;
  if (remaining > MAX_REMAINING) return undefined;
  const buf = Buffer.allocUnsafe(1 + varIntLength(remaining) + remaining);
  buf[0] = 0x30 | (packet.dup ? 0x08 : 0) | (qos << 1) | (packet.retain ? 0x01 : 0);
  let at = writeVarInt(buf, 1, remaining);
  at = buf.writeUInt16BE(topicLength, at);
  at += buf.write(topic, at);
  if (qos !== 0) at = buf.writeUInt16BE(messageId as number, at);
  if (version === 5) {
    at = writeVarInt(buf, at, propertiesLength);
    for (const [id, value, length] of props) {
      buf[at++] = id;
      at = buf.writeUInt16BE(length, at);
      at += typeof value === 'string' ? buf.write(value, at) : value.copy(buf, at);
    }
  }
  if (typeof payload === 'string') buf.write(payload, at);
  else payload.copy(buf, at);
  return buf;
}

/** A PUBACK with reason code 0 (omitted in MQTT 5) and no properties, or undefined (generate() then). */
export function encodePuback(packet: Packet, version: number | undefined): Buffer | undefined {
  const { messageId } = packet;
  if (packet.cmd !== 'puback' || packet.properties !== undefined || (version === 5 && packet.reasonCode !== 0)) return undefined;
  if (!Number.isInteger(messageId) || (messageId as number) < 0 || (messageId as number) > MAX_STRING) return undefined;
  const id = messageId as number;
  return Buffer.from([0x40, 0x02, id >> 8, id & 0xff]);
}
