// The host's MQTT side: one client on a shared subscription (`$share/<group>/…/req`) so that
// several host processes serve one fleet, each request going to exactly one of them.
//
//   broker ──publish──▶ handleMessage ──decode──▶ service.handle (commit, no fsync) ──▶ done: PUBACK, next request
//                                                     └── durable() (the WAL's fdatasync, thread pool) ──▶ reply (QoS 1)
//   idle host:                                  service.handle ──▶ durableNow() (fdatasync here) ──▶ reply ──▶ done
//   then, the reply written: the store's upkeep (afterReply: its checkpoint).
//
// Group commit (host/ledger.ts deferCommitSync): a request's transaction commits without waiting
// for the disk and the next request is applied while the fdatasync runs; its answer leaves only
// once a sync that began after its commit has completed (`durable`), so nothing answered can be
// lost on a power cut. The PUBACK therefore goes before the answer: a host that dies in between
// (its commit is in the OS's cache: kept; on a power cut: lost, as unanswered) leaves the till
// without an answer, and the till resends once its request times out (the ledger's dedup
// answers a repeat, the chain takes it from the first unsettled row). If a sync fails, nothing
// it covers is answered and the host stops answering for good (onStorageFailure).
//
// A request that finds the host idle (none handled in the last IDLE_MS, no sync in flight) has
// nothing to share a sync with: its fdatasync runs on the host's own thread (durableNow) and the
// answer leaves right after it, without the thread pool's two hand-overs (on a busy 2-core
// machine each is a wake-up that may wait for a CPU: the online round trip's tail). Requests
// that arrive back to back (a drain, a fleet) keep the group commit. Its PUBACK follows the
// answer; a host that dies between the two has the request redelivered, and dedup answers it
// again with the stored result (the till ignores an answer to a row already settled). The PUBACK
// is queued right behind the answer and both leave in one write: one wake-up of the broker, not two.
//
// MQTT.js runs handleMessage one packet at a time, so requests are processed serially per
// process. Per-till ordering: a till that pipelines chains its requests (chain.ts); one that
// arrives here before its predecessor was committed by another host is retried for up to
// DEFER_MS (the predecessor is usually a few ms away), then refused and resent by the till.
import { corkWrites, disableNagle, flushWrites } from '../runtime/no-delay.ts';
import { writePacketsWhole } from '../runtime/whole-packets.ts';
import { hostRequestTrace, type HostRequestTrace } from '../runtime/trace.ts';
import { backOffReconnects } from '../protocol/reconnect-backoff.ts';
import mqtt, { type IClientOptions, type IClientPublishOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { mqttConnectOptions, reconnectBackoff, urlWithoutUserinfo, type UplinkConfig } from '../protocol/uplink-config.ts';
import { tillPrefix, topics, type TillIdentity, type UpstreamResponse } from '../protocol/upstream.ts';
import type { Logger } from '../runtime/log.ts';
import type { Batch, HandleSummary } from './batch.ts';
import { decodeRequest } from './request.ts';
import { encodeResponse } from './result-json.ts';
import { HOST_RENEWAL, readTlsFiles } from './tls-files.ts';
import { certificateDates } from '../runtime/certificate-dates.ts';

/** How long a stop waits for the broker's PUBACKs of the answers already sent (a live broker: milliseconds). */
const STOP_ACK_WAIT_MS = 2000;
/** How long a stop then waits for the broker to close the connection after the DISCONNECT. */
const CLOSE_WAIT_MS = 1000;
const DEFER_MS = 250;
const DEFER_STEP_MS = 5;
/**
 * A request handled at least this long after the previous one was finished arrived while the host
 * was waiting (not buffered behind it): one till's sequential requests are ≥ ~0.7 ms apart here
 * (the answer's way back, the POS, the next request's way in), buffered ones a turn of the loop.
 */
export const IDLE_MS = 0.5;
/** Request topics whose till is kept (a fleet's tills); then the map starts afresh. */
const MAX_TILL_TOPICS = 10_000;

export type ConsumerState = 'idle' | 'connecting' | 'subscribed' | 'offline' | 'stopping' | 'stopped';

export interface ConsumerOptions {
  /** session_expiry_s: the host's own key (host/config.ts); absent (tests' plain uplink configs): 60. */
  uplink: UplinkConfig & { session_expiry_s?: number };
  /** Stable id (uplink.client_id) keeps a persistent session across restarts; see README. */
  clientId: string;
  persistentSession: boolean;
  /** May wait on a platform (CRM.COM, SessionM): the next packet waits for it, keeping per-till order. */
  handle: (batch: Batch) => HandleSummary | Promise<HandleSummary>;
  /** Called once a request's reply is on its way, with no request in hand (Ledger.afterRequest). */
  afterReply?: () => void;
  /**
   * Resolves once what the requests handled so far committed is on disk (Ledger.durable): each
   * answer waits for the call made just after its request was handled. Absent: answers at once.
   */
  durable?: () => Promise<void>;
  /**
   * durable() on the host's own thread (Ledger.durableNow), tried for a request that found the host
   * idle: true once what was committed so far is on disk; false while a durable() sync is in flight
   * (the answer then awaits durable()); throws if the sync fails. Absent: always durable().
   */
  durableNow?: () => boolean;
  /** See IDLE_MS (tests lengthen it). */
  idleMs?: number;
  /** A durable() failed: no answer it covered was sent, nor will any be (called once). */
  onStorageFailure?: (error: unknown) => void;
  /** Each change of state (subscribed, offline…): what the host's status reports. */
  onState?: (state: ConsumerState) => void;
  log: Logger;
}

/** The fields of a request's `request handled` (or refused) line: primitives only, see Consumer.requestLog. */
export function requestLine(batch: Batch, summary: HandleSummary, ms: number, syncMs?: number): Record<string, string | number | boolean | null | undefined> {
  const { source } = batch;
  const chain = batch.chain ? ('start' in batch.chain ? 'start' : 'after') : undefined;
  const line: Record<string, string | number | boolean | null | undefined> = {
    request_id: batch.request_id, terminal: `${source.merchant}/${source.store}/${source.terminal}`,
    messages: batch.items.length, results: summary.response.results.length, applied: summary.applied,
    duplicates: summary.duplicates, failed: summary.failed, ms: Math.round(ms),
  };
  // Added one by one, not spread in (`...(x ? { sync_ms } : {})`): in Node 20 an object made by a
  // spread followed by more properties gets a hidden class of its own once optimised, and pino
  // then reads each line's keys through megamorphic lookups (handlers.ts saleEntry). Same keys, same order.
  if (syncMs !== undefined) line.sync_ms = Math.round(syncMs);
  if (chain) {
    line.chain = chain;
    if (summary.refused) {
      line.refused = true;
      line.last = summary.response.chain?.last;
    }
  }
  return line;
}

export class Consumer {
  private client: MqttClient | undefined;
  private state: ConsumerState = 'idle';
  private readonly topic: string;
  /** Answers waiting for their fdatasync (stop() lets them go out first). */
  private readonly answering = new Set<Promise<void>>();
  private storageFailed = false;
  /** Set by stop(): requests from then on are left to the till's resend. */
  private closing = false;
  /** The request being handled (MQTT.js hands them over one at a time), for stop() to wait for. */
  private handling: Promise<void> = Promise.resolve();
  /** When the previous request was handed back to MQTT.js (performance.now()); see IDLE_MS. */
  private lastDone = Number.NEGATIVE_INFINITY;
  /** When the socket last delivered data (performance.now()), kept only while a tracer listens (runtime/trace.ts). */
  private lastRead = 0;
  /** When the last answer was handed to the socket (performance.now()), kept only while a tracer listens. */
  private lastWrite = 0;
  /** Per request topic seen, the till it names and its response topic (responseTopicOf). */
  private readonly tillTopics = new Map<string, TillIdentity & { response: string }>();
  private resolveReady!: () => void;
  /** Resolves once the first subscription is granted. */
  readonly ready: Promise<void> = new Promise((resolve) => { this.resolveReady = resolve; });

  /**
   * The options' logger without redaction, for requestLine's fields only: primitives under keys that
   * no REDACT path names, which redaction can never change (test/host/request-line.test.ts), while
   * pino runs its `*.` redactor on each of them (~20 µs of a ~30 µs line here; one line per award online).
   */
  private readonly requestLog: Logger;

  constructor(private readonly options: ConsumerOptions) {
    this.topic = topics.sharedRequests(options.uplink.topic_prefix, options.uplink.share_group);
    this.requestLog = options.log.child({}, { redact: [] });
  }

  get currentState(): ConsumerState {
    return this.state;
  }

  private transition(next: ConsumerState, detail: Record<string, unknown> = {}): void {
    if (this.state === next) return;
    const from = this.state;
    this.state = next;
    const level = next === 'offline' ? 'warn' : 'info';
    this.options.log[level]({ from, to: next, ...detail }, `consumer ${next}`);
    this.options.onState?.(next);
  }

  async start(): Promise<void> {
    const { uplink, clientId, persistentSession } = this.options;
    const files = await readTlsFiles(uplink);
    const dates = files.cert && uplink.cert ? certificateDates(files.cert, uplink.cert, new Date(), HOST_RENEWAL) : undefined;
    if (dates) this.options.log.warn({ hint: dates.hint }, dates.problem); // the broker's own refusal names no file
    const base = mqttConnectOptions(uplink, clientId, files);
    // resubscribe off: MQTT.js would skip our SUBSCRIBE when the broker reports a resumed
    // session, and mosquitto 2.0 does not restore a session's `$share/…` subscription from its
    // persistence file after a restart. We subscribe ourselves on every connect instead.
    const connectOptions: IClientOptions = { ...base, clean: !persistentSession, resubscribe: false };
    // A generated client id is never resumed: do not leave a session behind on the broker. A
    // configured one is kept session_expiry_s (long enough for a restart): while it is kept, the
    // broker hands it its share of the requests, which wait there for the host or the till's resend.
    if (connectOptions.properties) connectOptions.properties = { sessionExpiryInterval: persistentSession ? uplink.session_expiry_s ?? 60 : 0 };
    this.transition('connecting', { url: urlWithoutUserinfo(uplink.url), client_id: clientId, topic: this.topic });
    const client = mqtt.connect(uplink.url, connectOptions);
    this.client = client;
    // The answers and PUBACKs as one Buffer each, not a write per field (runtime/whole-packets.ts).
    writePacketsWhole(client);
    // MQTT.js hands over the next packet only after done(): requests stay serial per process
    // even when a backend answers asynchronously.
    client.handleMessage = (packet, done) => {
      let acked = false;
      // Hands the request back to MQTT.js (which writes its PUBACK, then takes the next one): once.
      const ack = () => {
        if (acked) return;
        acked = true;
        this.lastDone = performance.now();
        done();
      };
      this.handling = this.onRequest(packet, ack)
        .catch((error: unknown) => {
          this.options.log.error({ err: error, topic: packet.topic }, 'request handling failed; the till will resend');
        })
        // The next request after one turn of the event loop: a WAL fdatasync completed meanwhile
        // (durable) is delivered in that turn, so its answers leave now, not once the broker has
        // no more requests buffered for us (MQTT.js hands them over without yielding).
        .finally(() => {
          if (acked) return;
          this.lastDone = performance.now();
          setImmediate(ack);
        });
    };
    client.on('connect', (connack) => {
      disableNagle(client);
      // The read that carries a request comes before MQTT.js parses it and calls handleMessage.
      if (hostRequestTrace.hasSubscribers) client.stream.prependListener('data', () => { this.lastRead = performance.now(); });
      const sessionPresent = connack.sessionPresent;
      client.subscribe(this.topic, { qos: 1 }, (error, granted) => {
        const refused = !granted?.length || granted.some((g) => g.qos > 2);
        if (error || refused) {
          this.options.log.error({ err: error, topic: this.topic, granted }, 'subscription refused');
          return;
        }
        this.transition('subscribed', { topic: this.topic, session_present: sessionPresent });
        this.resolveReady();
      });
    });
    client.on('close', () => {
      if (this.state === 'subscribed' || this.state === 'connecting') this.transition('offline');
    });
    // The message and code only, as the agent's uplink: a broker down or a wrong host name is the site's, and a
    // stack of MQTT.js's internals in every line tells the operator nothing.
    backOffReconnects(client, reconnectBackoff(this.options.uplink), ({ attempt, retryInMs, warn, error }) =>
      this.options.log[warn ? 'warn' : 'debug'](
        { err: { message: error.message, code: (error as { code?: unknown }).code }, attempt, retry_in_ms: retryInMs }, 'mqtt error'));
  }

  /**
   * ack (see start): called here only by an answer synced on the host's own thread, so that its
   * PUBACK leaves in the same write as the answer, right behind it; otherwise once this returns.
   */
  private async onRequest(packet: IPublishPacket, ack: () => void): Promise<void> {
    const started = performance.now();
    const idle = started - this.lastDone >= (this.options.idleMs ?? IDLE_MS);
    const { log } = this.options;
    // Its commits could never be answered: leave the request to the till's resend (another host, or this one restarted).
    if (this.storageFailed || this.closing) return;
    const decoded = decodeRequest(packet.payload as Buffer);
    const responseTopic = packet.properties?.responseTopic;
    const correlation = packet.properties?.correlationData;
    if (decoded.kind === 'drop') {
      log.warn({ topic: packet.topic, errors: decoded.errors }, 'request dropped: cannot be answered');
      return;
    }
    if (decoded.kind === 'reject') {
      log.warn({ topic: packet.topic, errors: decoded.errors }, 'invalid request envelope: answering BAD_REQUEST');
      this.reply(responseTopic ?? decoded.reply_to, decoded.response, correlation);
      return;
    }
    const { batch, dropped } = decoded;
    // A till may only speak for itself: the source in the payload must match the topic it
    // published on (which broker ACLs restrict), and replies go only to that till's topic.
    const replyTopic = responseTopic ?? batch.reply_to;
    if (replyTopic !== this.responseTopicOf(packet.topic, batch.source)) {
      log.warn({ topic: packet.topic, request_id: batch.request_id }, 'request dropped: source does not match its topics');
      return;
    }
    if (dropped > 0) log.warn({ topic: packet.topic, request_id: batch.request_id, dropped }, 'messages without an id ignored');
    const finish = (summary: HandleSummary, syncMs?: number, ackNow?: () => void) => {
      this.reply(responseTopic ?? batch.reply_to, summary.response, correlation, ackNow);
      if (hostRequestTrace.hasSubscribers) {
        const trace: HostRequestTrace = { request_id: batch.request_id, read: Math.min(this.lastRead, started), started, replied: this.lastWrite };
        if (syncMs !== undefined) trace.sync_ms = syncMs;
        hostRequestTrace.publish(trace);
      }
      this.requestLog.info(
        requestLine(batch, summary, performance.now() - started, syncMs),
        summary.refused ? 'request refused: an earlier request of this till is not processed' : 'request handled',
      );
      // MQTT.js writes the reply on the next tick: the store's upkeep waits until it is on its way.
      setImmediate(() => this.afterReply());
    };
    let summary = await this.options.handle(batch);
    if (summary.refused) summary = await this.retryRefused(batch, started);
    // Asked now, after this request's commit: the sync it waits for covers that commit, and
    // whatever earlier commits (ours or another host's) the answer was read from. Not awaited:
    // MQTT.js hands over the next request once this one returns, and it is applied meanwhile.
    this.answerWhenDurable(batch.request_id, idle, (syncMs, synced) => finish(summary, syncMs, synced ? ack : undefined));
  }

  /** The till's response topic when `topic` is its request topic, else undefined (kept per topic: three replaceAll a request). */
  private responseTopicOf(topic: string, source: TillIdentity): string | undefined {
    const known = this.tillTopics.get(topic);
    if (known && known.merchant === source.merchant && known.store === source.store && known.terminal === source.terminal) return known.response;
    const prefix = tillPrefix(this.options.uplink.topic_prefix, source);
    if (topic !== topics.request(prefix)) return undefined;
    const response = topics.response(prefix);
    if (this.tillTopics.size >= MAX_TILL_TOPICS) this.tillTopics.clear();
    this.tillTopics.set(topic, { merchant: source.merchant, store: source.store, terminal: source.terminal, response });
    return response;
  }

  /**
   * answer gets how long it waited for the disk (`sync_ms` in the log line; ms includes it). An
   * idle host syncs on its own thread when it can (durableNow) and answers at once (`onThread`:
   * no sync is in flight, so no other answer waits for one).
   */
  private answerWhenDurable(requestId: string, idle: boolean, answer: (syncMs?: number, onThread?: boolean) => void): void {
    const { durable, durableNow } = this.options;
    if (!durable) {
      answer();
      return;
    }
    const asked = performance.now();
    if (idle && durableNow) {
      let synced: boolean;
      try {
        synced = durableNow();
      } catch (error) {
        this.withheld(requestId, error);
        return;
      }
      if (synced) {
        answer(performance.now() - asked, true);
        return;
      }
    }
    const answered = durable().then(() => answer(performance.now() - asked), (error: unknown) => this.withheld(requestId, error));
    this.answering.add(answered);
    void answered.finally(() => this.answering.delete(answered));
  }

  /** The sync covering this request failed: it may be lost on a power cut, so it gets no answer (the till resends). */
  private withheld(requestId: string, error: unknown): void {
    this.options.log.error({ err: error, request_id: requestId }, 'answer withheld: the ledger could not be synced to disk');
    if (this.storageFailed) return;
    this.storageFailed = true;
    this.options.log.fatal({ err: error }, 'ledger fsync failed: this host answers nothing more; restart it once the disk is sound');
    try {
      this.options.onStorageFailure?.(error);
    } catch (hookError) {
      this.options.log.error({ err: hookError }, 'storage failure hook failed');
    }
  }

  /** The store's upkeep between requests (a SQLite checkpoint); its failure never fails a request. */
  private afterReply(): void {
    try {
      this.options.afterReply?.();
    } catch (error) {
      this.options.log.warn({ err: error }, 'store upkeep after a request failed');
    }
  }

  private async retryRefused(batch: Batch, started: number): Promise<HandleSummary> {
    let summary: HandleSummary;
    do {
      await new Promise((resolve) => setTimeout(resolve, DEFER_STEP_MS));
      summary = await this.options.handle(batch);
    } while (summary.refused && performance.now() - started < DEFER_MS && this.state !== 'stopping');
    return summary;
  }

  /**
   * ack, if given, is called right after the publish: its PUBACK is queued behind the answer and both
   * leave in one write (one wake-up of the broker instead of two; the answer still goes first).
   */
  private reply(topic: string | undefined, response: UpstreamResponse, correlation: Buffer | undefined, ack?: () => void): void {
    const client = this.client;
    if (!client || !topic) {
      this.options.log.warn({ request_id: response.request_id }, 'no reply topic: response not sent');
      return;
    }
    // Held until flushWrites below: the answer and a PUBACK acked with it leave in one write (a
    // whole packet is written at once, runtime/whole-packets.ts).
    corkWrites(client);
    // Not awaited: the broker's PUBACK arrives through the same serial packet pump we are in.
    client.publish(topic, encodeResponse(response), this.publishOptions(correlation), (error) => {
      if (error) this.options.log.error({ err: error, topic, request_id: response.request_id }, 'reply not delivered');
    });
    ack?.();
    // Before the write: a process woken by it (the broker) may take this CPU before the next line runs.
    if (hostRequestTrace.hasSubscribers) this.lastWrite = performance.now();
    // On the wire now, not after the log line and the rest of this request's work.
    flushWrites(client);
  }

  /**
   * The answer's publish options, each shape a literal of its own rather than spreads (`{ qos: 1,
   * ...(properties ? { properties } : {}) }`): spread-made objects get a hidden class each once
   * optimised (see requestLine), and MQTT.js reads them through megamorphic lookups.
   */
  private publishOptions(correlation: Buffer | undefined): IClientPublishOptions {
    if (this.options.uplink.protocol_version !== 5) return { qos: 1 };
    const contentType = 'application/json';
    return { qos: 1, properties: correlation ? { contentType, correlationData: correlation } : { contentType } };
  }

  async stop(): Promise<void> {
    const client = this.client;
    if (!client || this.state === 'stopped') return;
    this.transition('stopping');
    // From here on a request is not applied: its answer could not leave (MQTT.js refuses publishes
    // once ending) and the ledger closes after us. The till resends it; this host or another answers.
    this.closing = true;
    // The request being applied, then the answers waiting for their fdatasync, go out first (milliseconds).
    await this.handling;
    await Promise.allSettled([...this.answering]);
    // The answers already written wait for their PUBACKs, bounded: a broker that stopped answering
    // (frozen, the network gone) would hold MQTT.js's end(false) forever. Those not acknowledged by
    // then are dropped: an answer the broker never took is asked for again by the till's resend.
    if (client.connected) await outgoingAcknowledged(client, STOP_ACK_WAIT_MS);
    const unacknowledged = Object.keys(client.outgoing);
    if (unacknowledged.length > 0) this.options.log.warn({ count: unacknowledged.length }, 'replies still unacknowledged at stop');
    for (const id of unacknowledged) client.removeOutgoingMessage(Number(id));
    await new Promise<void>((resolve) => {
      // After the DISCONNECT, end(false) waits for the broker to close the connection: one that does
      // not is dropped here, so that nothing reaches this host once its stop has returned.
      const timer = setTimeout(() => client.stream?.destroy(), CLOSE_WAIT_MS);
      client.end(!client.connected, {}, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.transition('stopped');
  }
}

/** Resolves once the broker has acknowledged every QoS 1 publish in flight, or after ms. */
function outgoingAcknowledged(client: MqttClient, ms: number): Promise<void> {
  if (Object.keys(client.outgoing).length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      client.removeListener('packetreceive', check);
      client.removeListener('close', done);
      resolve();
    };
    // MQTT.js emits packetreceive just before it handles the PUBACK (which removes the message from
    // `outgoing`) in the same turn: look once that has run.
    const check = () => queueMicrotask(() => {
      if (Object.keys(client.outgoing).length === 0) done();
    });
    const timer = setTimeout(done, ms);
    client.on('packetreceive', check);
    client.once('close', done);
  });
}
