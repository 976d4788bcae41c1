// The MQTT link to the loyalty host: connection state, request publishing and response
// routing. It never queues money requests itself: the outbox is the source of truth and
// the forwarder decides what to (re)send. MQTT.js's store is only its in-flight window.
import { backOffReconnects } from '../../protocol/reconnect-backoff.ts';
import { X509Certificate, randomUUID } from 'node:crypto';
import type { IClientOptions, MqttClient } from 'mqtt';
import { AgentError } from '../../protocol/errors.ts';
import { isoString } from '../../protocol/iso-time.ts';
import { agentClientId, brokerSettings, mqttConnectOptions, reconnectBackoff, type ShownConnectSettings, type UplinkConfig } from '../../protocol/uplink-config.ts';
import type { BrokerSettings } from '../../protocol/local.ts';
import { fastUpstreamResponse } from '../../protocol/fast-upstream.ts';
import { requestJson } from './request-json.ts';
import {
  UPSTREAM_VERSION, parseUpstreamResponse, tillPrefix, topics,
  type Chain, type TillIdentity, type TillStatus, type UpstreamMessage, type UpstreamRequest, type UpstreamResponse,
} from '../../protocol/upstream.ts';
import type { Logger } from '../../runtime/log.ts';
import { readTlsFiles } from '../../runtime/setup-problem.ts';
import { certificateDates, isCertificateDateAlert, type CertificateDates } from '../../runtime/certificate-dates.ts';
import { uplinkTrace, type UplinkTrace } from '../../runtime/trace.ts';

export type UplinkState = 'connecting' | 'online' | 'offline' | 'stopped';

export interface UplinkOptions {
  config: UplinkConfig;
  /** Broker URL actually used (the embedded broker's address when config.url is "embedded"). */
  url: string;
  protocolVersion: 4 | 5;
  identity: TillIdentity;
  version: string;
  log: Logger;
  /** Extra fields for the retained status message (outbox depth, devices). */
  statusExtra?: () => Partial<TillStatus>;
  /** The host's clock (ms) from each timely response that carries it (agent/till-clock.ts). */
  onHostTime?: (ms: number) => void;
}

/** MQTT 5 reason code of a PUBACK/SUBACK the broker's ACL refused. */
const NOT_AUTHORIZED = 0x87;
/** MQTT 5 reason code of a PUBACK for a message no subscription matched (no host listening). */
const NO_MATCHING_SUBSCRIBERS = 0x10;
/** How long a stop waits for the broker to close the connection after the DISCONNECT. */
const CLOSE_WAIT_MS = 1000;
const NO_HOST_SUBSCRIBED = 'no loyalty host is subscribed to the request topic (the broker had no matching subscriber)';

function certificateName(pem: Buffer): string | undefined {
  try {
    return new X509Certificate(pem).subject.split('\n').find((line) => line.startsWith('CN='))?.slice(3);
  } catch {
    return undefined;
  }
}

type ResponseListener = (response: UpstreamResponse) => void;
type StateListener = (state: UplinkState) => void;

interface Pending {
  resolve: (r: UpstreamResponse) => void;
  reject: (e: unknown) => void;
  timer: NodeJS.Timeout;
}

export class Uplink {
  private client: MqttClient | undefined;
  /** runtime/no-delay.ts's flushWrites, loaded with MQTT.js. */
  private flush: ((client: MqttClient) => void) | undefined;
  private stopRequested = false;
  private stateValue: UplinkState = 'stopped';
  private sinceValue: string | null = null;
  private lastErrorValue: string | null = null;
  private readonly pending = new Map<string, Pending>();
  /** What it connects with (status): the TLS files' as start() read them. */
  private brokerValue: BrokerSettings;
  /** Packet ids whose latest PUBACK said no subscription matched (see connect()). */
  private readonly unrouted = new Set<number>();
  private readonly responseListeners = new Set<ResponseListener>();
  private readonly stateListeners = new Set<StateListener>();
  readonly prefix: string;

  constructor(private readonly options: UplinkOptions) {
    this.prefix = tillPrefix(options.config.topic_prefix, options.identity);
    this.brokerValue = brokerSettings(options.url, {}, this.connectSettings());
  }

  get state(): UplinkState { return this.stateValue; }
  get connected(): boolean { return this.stateValue === 'online'; }
  get since(): string | null { return this.sinceValue; }
  get lastError(): string | null { return this.lastErrorValue; }
  get broker(): BrokerSettings { return this.brokerValue; }

  /** What status shows of the connect options besides the URL and files (brokerSettings). */
  private connectSettings(): ShownConnectSettings {
    const { config, identity, protocolVersion } = this.options;
    return { clientId: agentClientId(config, identity), username: config.username, protocolVersion, rejectUnauthorized: config.reject_unauthorized };
  }

  /** Responses that match no waiting request (late ones). */
  onLateResponse(listener: ResponseListener): () => void {
    this.responseListeners.add(listener);
    return () => this.responseListeners.delete(listener);
  }

  onState(listener: StateListener): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /**
   * Starts connecting; never waits for the broker (the till works offline). MQTT.js (about 120
   * modules, a quarter of the start-up CPU) is loaded from here, after the caller has gone on:
   * the agent is ready for the POS (socket listening, outbox open) without it.
   */
  start(): void {
    const { config, identity, log } = this.options;
    const clientId = agentClientId(config, identity);
    const files = readTlsFiles(config, 'till-agent', this.options.url); // a missing or unreadable one: a SetupProblem naming its key
    if (files.cert) this.checkCertificateName(files.cert);
    // Dates said at start (the broker's alert names no file), and instead of that alert in status's last_error.
    const certificateProblem = () => (files.cert && config.cert ? certificateDates(files.cert, config.cert, new Date()) : undefined);
    const atStart = certificateProblem();
    if (atStart) log.warn({ hint: atStart.hint }, atStart.problem);
    // Said at every start, as socket.allow_remote_without_token is: a setting never meant to leave the test bench.
    if (this.options.url.startsWith('mqtts:') && !config.reject_unauthorized) {
      log.warn({ insecure: true }, 'INSECURE: uplink.reject_unauthorized is false: the broker\'s certificate is not verified, '
        + 'so anything on the network path can pose as the broker (set it true and uplink.ca to the fleet CA)');
    }
    this.brokerValue = brokerSettings(this.options.url, files, this.connectSettings());
    const base = mqttConnectOptions({ ...config, protocol_version: this.options.protocolVersion }, clientId, files);
    const options: IClientOptions = {
      ...base,
      // We subscribe ourselves on every connect (below): MQTT.js's resubscribe skips the
      // SUBSCRIBE when the broker reports a resumed session, and a broker restarted from an
      // older persistence file can resume a session without its subscription.
      resubscribe: false,
      will: {
        topic: topics.status(this.prefix),
        payload: Buffer.from(JSON.stringify({ state: 'offline' } satisfies TillStatus)),
        qos: 1,
        retain: true,
      },
    };
    this.setState('connecting');
    setImmediate(() => {
      Promise.all([import('mqtt'), import('../../runtime/no-delay.ts'), import('../../runtime/whole-packets.ts')])
        .then(([{ default: mqtt }, { disableNagle, flushWrites }, { writePacketsWhole }]) => {
          if (this.stopRequested) return;
          const client = mqtt.connect(this.options.url, options);
          // The requests and the answers' PUBACKs as one Buffer each, not a write per field (runtime/whole-packets.ts):
          // mqtt-packet's field-by-field encoding and Node's Writable for ~15 small buffers were ~50 k of an online
          // award's ~0.8 M instructions (callgrind, issue 10).
          writePacketsWhole(client);
          this.connect(client, disableNagle, flushWrites, certificateProblem);
        })
        // The TLS files were checked above (readTlsFiles): what is left here is the MQTT client failing to load or to start.
        .catch((error: unknown) => log.error({ err: error }, 'uplink cannot start: the MQTT client failed to load or to connect'));
    });
  }

  private connect(client: MqttClient, disableNagle: (client: MqttClient) => void, flush: (client: MqttClient) => void,
    certificateProblem: () => CertificateDates | undefined): void {
    const { log } = this.options;
    this.client = client;
    this.flush = flush;
    client.on('connect', (connack) => {
      disableNagle(client);
      log.debug({ session_present: connack.sessionPresent }, 'uplink connected, subscribing');
      client.subscribe(topics.response(this.prefix), { qos: 1 }, (error, granted) => {
        if (error || !granted?.length || granted.some((g) => g.qos > 2)) {
          this.lastErrorValue = error ? `subscribe failed: ${error.message}` : 'the broker refused the response topic subscription';
          log.error({ err: error, topic: topics.response(this.prefix), granted }, 'uplink subscribe failed');
          return;
        }
        this.publishStatus();
        this.setState('online');
      });
    });
    client.on('message', (topic, payload) => this.handleMessage(topic, payload));
    // A request that no host received: the broker restarted and the till subscribed again before
    // any host did (mosquitto does not restore a `$share/…` subscription from its persistence
    // file), or no host runs. MQTT 5 says so in the PUBACK (0x10), which MQTT.js counts as a
    // success and does not hand to the publish callback (that gets the stored PUBLISH, with the
    // same packet id): it is noted here first, per packet id, so that request() can fail at once
    // instead of after request_timeout_ms, and the forwarder resends after its short backoff.
    client.on('packetreceive', (packet) => {
      if (packet.cmd !== 'puback' || packet.messageId === undefined) return;
      if (packet.reasonCode === NO_MATCHING_SUBSCRIBERS) this.unrouted.add(packet.messageId);
      else this.unrouted.delete(packet.messageId);
    });
    // MQTT.js acknowledges a QoS 1 message once handleMessage calls back. By default that is
    // before the answer's promises have run, so the PUBACK went to the broker (waking it, on a
    // 2-core till) ahead of the outbox settle and the POS's answer. A turn later, it follows them.
    // The broker only needs it to forget the message: a crash in between means the answer comes
    // again as a late one, which settles nothing twice (Outbox.settle changes only pending rows).
    client.handleMessage = (_packet, done) => setImmediate(done);
    // Why the link dropped, for status's last_error and the 'uplink offline' line from the first
    // moment (the first failed reconnect only comes a second later): the broker's DISCONNECT
    // (MQTT 5: server shutting down, session taken over…), else the connection simply closed.
    client.on('disconnect', (packet) => {
      this.lastErrorValue = `the broker disconnected this till (MQTT reason code ${packet.reasonCode ?? 0})`;
    });
    const dropped = () => {
      if (this.stateValue === 'stopped') return;
      if (this.stateValue === 'online' && this.lastErrorValue === null) this.lastErrorValue = 'the connection to the broker closed';
      this.setState('offline');
    };
    client.on('close', dropped);
    client.on('offline', dropped);
    backOffReconnects(client, reconnectBackoff(this.options.config), ({ attempt, retryInMs, warn, error }) => {
      const dates = isCertificateDateAlert(error) ? certificateProblem() : undefined;
      this.lastErrorValue = dates?.problem ?? error.message;
      log[warn ? 'warn' : 'debug'](
        { err: { message: error.message, code: (error as { code?: unknown }).code }, attempt, retry_in_ms: retryInMs, ...(dates ? { problem: dates.problem } : {}) },
        'uplink error',
      );
    });
  }

  async stop(): Promise<void> {
    this.stopRequested = true;
    const client = this.client;
    this.client = undefined;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new AgentError('SHUTTING_DOWN', 'agent is stopping'));
      this.pending.delete(id);
    }
    if (!client) return;
    if (this.connected) {
      // A clean goodbye: brokers do not send the Last Will on a normal disconnect.
      await new Promise<void>((resolve) => {
        client.publish(topics.status(this.prefix), JSON.stringify({ state: 'offline', at: new Date().toISOString() }),
          { qos: 1, retain: true }, () => resolve());
        setTimeout(resolve, 500).unref();
      });
    }
    this.setState('stopped');
    // MQTT.js's end(false) first waits for the PUBACK of every QoS 1 message not yet acknowledged
    // (a request, the goodbye above), and only an ack ends that wait: with the broker gone or not
    // answering it waited forever, and the stop outlasted its deadline (a broker stopped together
    // with the till). Those acks are of no use now: a request's rows stay pending and go again,
    // with the same message ids, after the next start; the goodbye has had its wait.
    for (const id of Object.keys(client.outgoing)) client.removeOutgoingMessage(Number(id));
    await new Promise<void>((resolve) => {
      // After the DISCONNECT, end(false) waits for the broker to close the connection: one that
      // does not (frozen, or the network gone) has it dropped here.
      const timer = setTimeout(() => client.stream?.destroy(), CLOSE_WAIT_MS);
      client.end(false, {}, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  publishStatus(): void {
    if (!this.client?.connected) return;
    const status: TillStatus = { state: 'online', version: this.options.version, at: new Date().toISOString(), ...this.options.statusExtra?.() };
    this.client.publish(topics.status(this.prefix), JSON.stringify(status), { qos: 1, retain: true });
  }

  /** Publish messages as one request and wait for the response, at most timeoutMs. */
  request(messages: UpstreamMessage[], timeoutMs: number, chain?: Chain): Promise<UpstreamResponse> {
    const client = this.client;
    if (!client || !this.connected) {
      return Promise.reject(new AgentError('UPSTREAM_UNAVAILABLE', 'the loyalty host is not reachable (uplink offline)'));
    }
    const { identity } = this.options;
    // The request without its messages: requestJson adds them, each payload as the outbox stringified it.
    const request: Omit<UpstreamRequest, 'messages'> = {
      v: UPSTREAM_VERSION,
      request_id: randomUUID(),
      reply_to: topics.response(this.prefix),
      source: { merchant: identity.merchant, store: identity.store, terminal: identity.terminal },
      sent_at: isoString(new Date()),
      ...(chain ? { chain } : {}),
    };
    return new Promise<UpstreamResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(request.request_id);
        reject(new AgentError('UPSTREAM_TIMEOUT', `the loyalty host did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(request.request_id, { resolve, reject, timer });
      const properties = this.options.protocolVersion === 5
        ? { responseTopic: request.reply_to, correlationData: Buffer.from(request.request_id) }
        : undefined;
      // Before the write: a process woken by it (the broker) may take this CPU before the next line runs.
      if (uplinkTrace.hasSubscribers) uplinkTrace.publish({ request_id: request.request_id, sent: performance.now() } satisfies UplinkTrace);
      client.publish(topics.request(this.prefix), requestJson(request, messages), { qos: 1, ...(properties ? { properties } : {}) }, (error, sent) => {
        if (!error) {
          const packetId = sent?.messageId;
          if (packetId === undefined || !this.unrouted.delete(packetId)) return;
          this.lastErrorValue = NO_HOST_SUBSCRIBED;
          const p = this.pending.get(request.request_id);
          if (!p) return;
          clearTimeout(p.timer);
          this.pending.delete(request.request_id);
          p.reject(new AgentError('UPSTREAM_UNAVAILABLE', this.lastErrorValue));
          return;
        }
        // The publish did not reach the broker; the caller retries (with the same message ids).
        if ((error as { code?: unknown }).code === NOT_AUTHORIZED) {
          const { merchant, store, terminal } = identity;
          this.lastErrorValue = `the broker refused this till's request topic (not authorized): is uplink.cert the certificate of ${merchant}/${store}/${terminal}?`;
          this.options.log.error({ topic: topics.request(this.prefix) }, 'uplink: request refused by the broker (not authorized)');
        }
        const p = this.pending.get(request.request_id);
        if (!p) return;
        clearTimeout(p.timer);
        this.pending.delete(request.request_id);
        p.reject(new AgentError('UPSTREAM_UNAVAILABLE', `publish failed: ${error.message}`));
      });
      this.flush?.(client);
    });
  }

  // The fleet broker (systemd/mosquitto) takes the certificate's CN as the till's name and
  // confines it to the topics of that name: say so at start rather than fail on every send.
  private checkCertificateName(cert: Buffer): void {
    const { merchant, store, terminal } = this.options.identity;
    const expected = `${merchant}/${store}/${terminal}`;
    const cn = certificateName(cert);
    if (cn !== expected) {
      this.options.log.warn({ cn: cn ?? null, expected },
        'uplink.cert CN is not merchant/store/terminal: a broker with the till-agent ACL will refuse this till\'s topics');
    }
  }

  private handleMessage(topic: string, payload: Buffer): void {
    if (topic !== topics.response(this.prefix)) return;
    const answered = uplinkTrace.hasSubscribers ? performance.now() : 0;
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload.toString('utf8'));
    } catch {
      this.options.log.warn({ topic }, 'uplink: unparseable response dropped');
      return;
    }
    // The hand check first (protocol/fast-upstream.ts): the schema's value, or undefined and zod decides.
    const fast = fastUpstreamResponse(parsed);
    const result = fast ? { ok: true as const, value: fast } : parseUpstreamResponse(parsed);
    if (!result.ok) {
      this.options.log.warn({ topic, errors: result.errors.slice(0, 5) }, 'uplink: invalid response dropped');
      return;
    }
    const response = result.value;
    const p = this.pending.get(response.request_id);
    if (p) {
      if (answered > 0) uplinkTrace.publish({ request_id: response.request_id, answered } satisfies UplinkTrace);
      // Only an answer to a request of this run, within its timeout, tells the time now: a late
      // one (queued by the broker while the till was off) carries the host's clock of back then.
      if (response.at) this.hostTimeAfterAnswer(response.at);
      clearTimeout(p.timer);
      this.pending.delete(response.request_id);
      if (this.lastErrorValue === NO_HOST_SUBSCRIBED) this.lastErrorValue = null; // a host answers again
      p.resolve(response);
      return;
    }
    // A late answer to a timed-out request (or one from before a restart) still settles
    // the outbox rows it names.
    for (const listener of this.responseListeners) listener(response);
  }

  /**
   * The host's clock to onHostTime (the till clock) once the answer's promise continuations have run
   * (the op, the POS's answer written) and before any other I/O callback: queued here, before the
   * answer resolves its request, a microtask runs first among them and queues a nextTick, which runs
   * after them all. The till clock's /proc/uptime read was ~15 µs of the online round trip (issue 10).
   * The host's time moves on by what passed meanwhile (performance.now(): monotonic).
   */
  private hostTimeAfterAnswer(at: string): void {
    const onHostTime = this.options.onHostTime;
    if (!onHostTime) return;
    const arrived = performance.now();
    queueMicrotask(() => process.nextTick(() => {
      try {
        onHostTime(Date.parse(at) + (performance.now() - arrived));
      } catch (error) {
        this.options.log.error({ err: error }, 'uplink: could not take the host\'s time');
      }
    }));
  }

  private setState(state: UplinkState): void {
    if (state === this.stateValue) return;
    this.stateValue = state;
    this.sinceValue = new Date().toISOString();
    if (state === 'online') this.lastErrorValue = null;
    const reason = state === 'offline' && this.lastErrorValue !== null ? { reason: this.lastErrorValue } : {};
    this.options.log.info({ uplink: state, ...reason }, `uplink ${state}`);
    for (const listener of this.stateListeners) listener(state);
  }
}
