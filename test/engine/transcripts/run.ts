// Runs one base exchange between two hip-engine instances from fixed inputs and records what
// the engines put out: every packet, every SA output, every random draw. This is the only file
// of the transcripts that drives hip-engine; test/engine/transcripts/node-hip.ts re-checks the
// results without it.
import { formatLocator, parseLocator } from '../../../src/addr/locator.js';
import { importHostIdentity } from '../../../src/crypto/host-id.js';
import type { HipConfig } from '../../../src/engine/config.js';
import { HipEngine } from '../../../src/engine/hip-engine.js';
import type { Output } from '../../../src/engine/io.js';
import { testRandom } from '../../fixtures/keys.js';

export type Role = 'initiator' | 'responder';

/** Everything a run depends on; stored verbatim in each vector's provenance.inputs. */
export type TranscriptInputs = {
  readonly initiator: HostInputs;
  readonly responder: HostInputs;
  /** Partial config given to both engines (the rest are DEFAULT_CONFIG, see resolvedConfig). */
  readonly config: Partial<HipConfig>;
  /** Engines are created at createdAt, the initiator calls connect() at connectAt, and each packet is handled stepMs after the previous event. */
  readonly schedule: { readonly createdAt: number; readonly connectAt: number; readonly stepMs: number };
};

export type HostInputs = {
  readonly fixtureKey: string;
  /** The key itself (PKCS#8 DER hex); the run uses this, not the fixture name. */
  readonly pkcs8: string;
  /** RandomSource = testRandom(label) of test/fixtures/keys.ts. */
  readonly randomLabel: string;
  readonly locator: string;
};

export type RecordedPacket = {
  readonly from: Role;
  readonly to: Role;
  readonly sentAt: number;
  readonly handledAt: number;
  readonly src: string;
  readonly dst: string;
  readonly kind: string;
  readonly bytes: Uint8Array;
};

export type RecordedSa = {
  readonly at: number;
  readonly op: Extract<Output, { kind: 'sa' }>['op'];
  readonly spi: number;
  readonly direction: 'in' | 'out';
  readonly suite: number;
  readonly src: string;
  readonly dst: string;
  readonly localHit: Uint8Array;
  readonly peerHit: Uint8Array;
  readonly encKey: Uint8Array;
  readonly authKey: Uint8Array;
};

/** A peer-locator table output (RFC 8046 §5.1), as JSON-ready values. */
export type RecordedLocator = {
  readonly at: number;
  readonly op: string;
  readonly peer: string;
  readonly locator: string;
  readonly state: string;
  readonly type: number;
  readonly spi?: number;
  readonly preferred: boolean;
  /** 'never' for an infinite lifetime (JSON has no Infinity). */
  readonly expiresAt: number | 'never';
};

export type TranscriptRun = {
  readonly packets: RecordedPacket[];
  readonly sas: Record<Role, RecordedSa[]>;
  readonly locators: Record<Role, RecordedLocator[]>;
  readonly draws: Record<Role, Uint8Array[]>;
  readonly events: Record<Role, string[]>;
  readonly states: Record<Role, string | undefined>;
  readonly resolvedConfig: Record<Role, HipConfig>;
};

const unhex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));

/** I1 → R1 → I2 → R2 on a lossless wire, one packet per step; throws on any drop or stray output. */
export function runTranscript(inputs: TranscriptInputs): TranscriptRun {
  const draws: Record<Role, Uint8Array[]> = { initiator: [], responder: [] };
  const mk = (role: Role): HipEngine => {
    const h = inputs[role];
    const rnd = testRandom(h.randomLabel);
    const random = (n: number): Uint8Array => {
      const out = rnd(n);
      draws[role].push(Uint8Array.from(out));
      return out;
    };
    return new HipEngine(
      { identities: [importHostIdentity(unhex(h.pkcs8))], locators: [parseLocator(h.locator)], random, config: inputs.config },
      inputs.schedule.createdAt,
    );
  };
  const eng: Record<Role, HipEngine> = { initiator: mk('initiator'), responder: mk('responder') };
  const packets: RecordedPacket[] = [];
  const sas: Record<Role, RecordedSa[]> = { initiator: [], responder: [] };
  const events: Record<Role, string[]> = { initiator: [], responder: [] };
  const locators: Record<Role, RecordedLocator[]> = { initiator: [], responder: [] };
  const wire: { from: Role; sentAt: number; src: Uint8Array; dst: Uint8Array; kind: string; bytes: Uint8Array }[] = [];
  let now = inputs.schedule.connectAt;

  const drain = (role: Role): void => {
    const e = eng[role];
    for (let o: Output | undefined = e.poll(); o !== undefined; o = e.poll()) {
      if (o.kind === 'transmit') wire.push({ from: role, sentAt: now, src: o.src, dst: o.dst, kind: o.packet.kind, bytes: Uint8Array.from(o.bytes) });
      else if (o.kind === 'sa') {
        const s = o.sa;
        sas[role].push({
          at: now,
          op: o.op,
          spi: s.spi,
          direction: s.direction,
          suite: s.suite,
          src: formatLocator(s.src),
          dst: formatLocator(s.dst),
          localHit: Uint8Array.from(s.localHit),
          peerHit: Uint8Array.from(s.peerHit),
          encKey: Uint8Array.from(s.encKey),
          authKey: Uint8Array.from(s.authKey),
        });
      } else if (o.kind === 'event') {
        if (o.event.type === 'dropped') throw new Error(`${role} dropped a ${o.event.packetKind ?? '?'}: ${o.event.reason} ${o.event.detail ?? ''}`);
        events[role].push(o.event.type);
      } else if (o.kind === 'locator') {
        const e = o.entry;
        locators[role].push({
          at: now,
          op: o.op,
          peer: Buffer.from(o.peer).toString('hex'),
          locator: formatLocator(e.locator),
          state: e.state,
          type: e.type,
          ...(e.spi !== undefined ? { spi: e.spi } : {}),
          preferred: e.preferred,
          expiresAt: Number.isFinite(e.expiresAt) ? e.expiresAt : 'never',
        });
      } else throw new Error(`unexpected ${(o as { kind: string }).kind} output from the ${role}`);
    }
  };

  const responderHit = eng.responder.localHits[0]!;
  eng.initiator.connect({ hit: responderHit, locators: [parseLocator(inputs.responder.locator)] }, now);
  drain('initiator');
  for (let steps = 0; wire.length > 0; steps++) {
    if (steps > 8) throw new Error('base exchange did not settle');
    now += inputs.schedule.stepMs;
    for (const r of ['initiator', 'responder'] as const) {
      const t = eng[r].pollTimeout();
      if (t !== undefined && t <= now) throw new Error(`${r} has a timer due at ${t}, before step ${now}: the schedule would change the transcript`);
    }
    const p = wire.shift()!;
    const to: Role = p.from === 'initiator' ? 'responder' : 'initiator';
    packets.push({ from: p.from, to, sentAt: p.sentAt, handledAt: now, src: formatLocator(p.src), dst: formatLocator(p.dst), kind: p.kind, bytes: p.bytes });
    eng[to].handle({ kind: 'datagram', bytes: p.bytes, src: p.src, dst: p.dst }, now);
    drain(to);
  }
  return {
    packets,
    sas,
    locators,
    draws,
    events,
    states: { initiator: eng.initiator.associations()[0]?.state, responder: eng.responder.associations()[0]?.state },
    resolvedConfig: { initiator: eng.initiator.config, responder: eng.responder.config },
  };
}
