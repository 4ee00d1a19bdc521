// The engine trace: an opt-in stream of plain JSON records from the engine itself, for any
// driver (EngineOptions.trace). The shape is documented as a JSON Schema in
// docs/engine-trace.schema.json, which a test validates every record against. No record ever
// holds key material: SA records carry SPIs, addresses and the suite, never encKey/authKey, and
// packet parameters are reduced to their scalar fields (byte fields such as DH public values,
// signatures, MACs and ENCRYPTED contents are left out).
import { formatHit } from '../addr/hit.js';
import { formatLocator } from '../addr/locator.js';
import type { AssocId, Locator, Millis } from '../types.js';
import type { PacketKind } from '../wire/constants.js';
import type { HipPacket, HipParam } from '../wire/types.js';
import type { HipEvent, Output } from './io.js';
import { assertNever } from '../util/assert.js';
import type { StateName } from './states.js';
import type { TimerKind } from './timers.js';

/** Scalar fields of a parameter; a LOCATOR_SET's locators as text. */
export type TraceParam = {
  readonly kind: string;
  readonly type: number;
  readonly [field: string]: string | number | boolean | readonly TraceLocatorEntry[];
};

/** One LOCATOR_SET entry in a trace record, its address as text. */
export type TraceLocatorEntry = {
  readonly locator: string;
  readonly locatorType: number;
  readonly trafficType: number;
  readonly preferred: boolean;
  readonly lifetime: number;
  readonly spi?: number;
};

type At = { readonly t: Millis };

/** One engine trace record (docs/engine-trace.schema.json). */
export type EngineTraceRecord = At &
  (
    | {
        readonly type: 'packet-in' | 'packet-out';
        readonly kind: PacketKind;
        readonly src: string;
        readonly dst: string;
        readonly senderHit: string;
        readonly receiverHit: string;
        readonly length: number;
        readonly params: readonly TraceParam[];
      }
    | { readonly type: 'state'; readonly assoc: AssocId; readonly from: StateName | 'UNASSOCIATED'; readonly to: StateName | 'UNASSOCIATED'; readonly trigger?: string }
    | {
        readonly type: 'sa';
        readonly op: 'add' | 'update' | 'delete';
        readonly spi: number;
        readonly direction: 'in' | 'out';
        readonly localHit: string;
        readonly peerHit: string;
        readonly src: string;
        readonly dst: string;
        readonly suite: number;
        readonly creditLimited?: boolean;
      }
    | {
        readonly type: 'locator';
        readonly op: 'upsert' | 'remove';
        readonly peerHit: string;
        readonly locator: string;
        readonly state: string;
        readonly locatorType: number;
        readonly preferred: boolean;
        readonly spi?: number;
      }
    | { readonly type: 'drop'; readonly reason: string; readonly packetKind?: PacketKind; readonly src?: string; readonly assoc?: AssocId; readonly detail?: string }
    | { readonly type: 'event'; readonly event: string; readonly assoc?: AssocId; readonly detail?: string }
    | { readonly type: 'timer'; readonly assoc: AssocId; readonly timer: TimerKind }
  );

/** Receives every trace record; called synchronously, in the order things happen. */
export type EngineTraceSink = (record: EngineTraceRecord) => void;

function scalarFields(p: HipParam): TraceParam {
  const out: Record<string, TraceParam[string]> = { kind: p.kind, type: p.type };
  for (const [k, v] of Object.entries(p)) {
    if (k === 'kind' || k === 'type' || k === 'span') continue;
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') out[k] = v;
    else if (typeof v === 'bigint') out[k] = v.toString();
    else if (Array.isArray(v) && v.every((x) => typeof x === 'number')) out[k] = v.join(',');
  }
  if (p.kind === 'LOCATOR_SET') {
    out.locators = p.locators.map((l) => ({
      locator: 'address' in l && l.address.length === 16 ? formatLocator(l.address) : '',
      locatorType: l.locatorType,
      trafficType: l.trafficType,
      preferred: l.preferred,
      lifetime: l.lifetime,
      ...('spi' in l ? { spi: l.spi } : {}),
    }));
  }
  return out as TraceParam;
}

function packetRecord(t: Millis, type: 'packet-in' | 'packet-out', pkt: HipPacket, src: Locator, dst: Locator, length: number): EngineTraceRecord {
  return {
    t,
    type,
    kind: pkt.kind,
    src: formatLocator(src),
    dst: formatLocator(dst),
    senderHit: formatHit(pkt.senderHit),
    receiverHit: formatHit(pkt.receiverHit),
    length,
    params: pkt.params.map(scalarFields),
  };
}

/** Builds the records; the engine holds one only when a sink was given (cheap when absent). */
export class EngineTracer {
  readonly #sink: EngineTraceSink;
  readonly #now: () => Millis;

  constructor(sink: EngineTraceSink, now: () => Millis) {
    this.#sink = sink;
    this.#now = now;
  }

  packetIn(pkt: HipPacket, src: Locator, dst: Locator): void {
    this.#sink(packetRecord(this.#now(), 'packet-in', pkt, src, dst, pkt.raw?.length ?? 0));
  }

  state(assoc: AssocId, from: StateName | 'UNASSOCIATED', to: StateName | 'UNASSOCIATED', trigger?: string): void {
    this.#sink({ t: this.#now(), type: 'state', assoc, from, to, ...(trigger !== undefined ? { trigger } : {}) });
  }

  timer(assoc: AssocId, timer: TimerKind): void {
    this.#sink({ t: this.#now(), type: 'timer', assoc, timer });
  }

  /** One record per output, as it enters the queue (so in the order the protocol produced it). */
  output(out: Output): void {
    const t = this.#now();
    switch (out.kind) {
      case 'transmit':
        return this.#sink(packetRecord(t, 'packet-out', out.packet, out.src, out.dst, out.bytes.length));
      case 'sa': {
        const sa = out.sa;
        return this.#sink({
          t,
          type: 'sa',
          op: out.op,
          spi: sa.spi,
          direction: sa.direction,
          localHit: formatHit(sa.localHit),
          peerHit: formatHit(sa.peerHit),
          src: formatLocator(sa.src),
          dst: formatLocator(sa.dst),
          suite: sa.suite,
          ...(sa.creditLimited !== undefined ? { creditLimited: sa.creditLimited } : {}),
        });
      }
      case 'locator':
        return this.#sink({
          t,
          type: 'locator',
          op: out.op,
          peerHit: formatHit(out.peer),
          locator: formatLocator(out.entry.locator),
          state: out.entry.state,
          locatorType: out.entry.type,
          preferred: out.entry.preferred,
          ...(out.entry.spi !== undefined ? { spi: out.entry.spi } : {}),
        });
      case 'event': {
        const e = out.event;
        if (e.type === 'dropped') {
          return this.#sink({
            t,
            type: 'drop',
            reason: e.reason,
            ...(e.packetKind ? { packetKind: e.packetKind } : {}),
            ...(e.src ? { src: formatLocator(e.src) } : {}),
            ...(e.assoc !== undefined ? { assoc: e.assoc } : {}),
            ...(e.detail !== undefined ? { detail: e.detail } : {}),
          });
        }
        const detail = eventDetail(e);
        return this.#sink({ t, type: 'event', event: e.type, ...(e.assoc !== undefined ? { assoc: e.assoc } : {}), ...(detail !== undefined ? { detail } : {}) });
      }
    }
  }
}

/** The `detail` of an event record (docs/engine-trace.schema.json, "event"). */
function eventDetail(e: Exclude<HipEvent, { type: 'dropped' }>): string | undefined {
  switch (e.type) {
    case 'failed':
      return e.reason;
    case 'closed':
      return `by ${e.by}`;
    case 'update-completed':
      return e.what;
    case 'notify':
      return `message type ${e.messageType}`;
    case 'established':
      return e.role;
    // RFC 8003: which types, and for how long or why.
    case 'registered':
      return `types ${e.regTypes.join(',')} for ${Math.round(e.lifetimeS)} s as ${e.as}`;
    case 'registration-failed':
      return `types ${e.regTypes.join(',')} failure type ${e.failureType}`;
    case 'registration-ended':
      return `types ${e.regTypes.join(',')} ${e.by} as ${e.as}`;
    // RFC 9028 §4.1: the server-reflexive address a Control Relay Server saw.
    case 'server-reflexive':
      return `port ${e.port}${e.previous ? ` (was port ${e.previous.port})` : ''}`;
    // RFC 9028 §4.6.3: the nominated pair, or that every check failed.
    case 'nat-path':
      return `${e.kind} ${formatLocator(e.src)}:${e.srcPort} -> ${formatLocator(e.dst)}:${e.dstPort}`;
    case 'nat-checks-failed':
      return 'all connectivity checks failed';
    default:
      return assertNever(e, 'event type');
  }
}
