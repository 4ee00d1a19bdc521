// A minimal two-engine harness for engine tests: explicit virtual time, a FIFO "wire" with fixed
// latency, and hooks to drop or alter packets. The full simulator lives in src/testing; this one
// keeps engine tests independent of it (aioquic/quinn style exact-step tests).
import { importHostIdentity, type HostIdentity } from '../../src/crypto/host-id.js';
import type { EngineOptions } from '../../src/engine/engine.js';
import { HipEngine } from '../../src/engine/hip-engine.js';
import type { HipEvent, Output } from '../../src/engine/io.js';
import { parseLocator } from '../../src/addr/locator.js';
import { fixturePkcs8, testRandom, type FixtureKeyName } from '../fixtures/keys.js';
import type { HipConfig } from '../../src/engine/config.js';
import { decodePacket } from '../../src/wire/packet.js';
import type { HipPacket } from '../../src/wire/types.js';
import type { Locator, SaSpec } from '../../src/types.js';

export type Side = 'a' | 'b';
export type InFlight = { from: Side; at: number; bytes: Uint8Array; src: Locator; dst: Locator; packet: HipPacket };
export type Filter = (p: InFlight, index: number) => 'pass' | 'drop' | { replace: Uint8Array };

export const LOC_A = parseLocator('2001:db8::a');
export const LOC_B = parseLocator('2001:db8::b');

export function identity(name: FixtureKeyName): HostIdentity {
  return importHostIdentity(fixturePkcs8(name));
}

export class Pair {
  readonly a: HipEngine;
  readonly b: HipEngine;
  now = 0;
  readonly latency: number;
  wire: InFlight[] = [];
  /** Every packet ever put on the wire, in order, with whether it was delivered. */
  readonly log: { from: Side; kind: string; dropped: boolean; packet: HipPacket }[] = [];
  readonly out: Record<Side, Output[]> = { a: [], b: [] };
  readonly sas: Record<Side, Map<string, SaSpec>> = { a: new Map(), b: new Map() };
  filter: Filter = () => 'pass';
  private sent = 0;

  constructor(opts: {
    a?: FixtureKeyName;
    b?: FixtureKeyName;
    config?: Partial<HipConfig>;
    configA?: Partial<HipConfig>;
    configB?: Partial<HipConfig>;
    latency?: number;
    extraA?: Partial<EngineOptions>;
    extraB?: Partial<EngineOptions>;
  } = {}) {
    this.latency = opts.latency ?? 10;
    this.a = new HipEngine(
      { identities: [identity(opts.a ?? 'p256A')], locators: [LOC_A], random: testRandom('engine-a'), config: { ...opts.config, ...opts.configA }, ...opts.extraA },
      0,
    );
    this.b = new HipEngine(
      { identities: [identity(opts.b ?? 'p256B')], locators: [LOC_B], random: testRandom('engine-b'), config: { ...opts.config, ...opts.configB }, ...opts.extraB },
      0,
    );
  }

  engine(s: Side): HipEngine {
    return s === 'a' ? this.a : this.b;
  }

  hit(s: Side): Uint8Array {
    return this.engine(s).associations()[0]?.localHit ?? (s === 'a' ? this.aHit : this.bHit);
  }
  get aHit(): Uint8Array {
    return this.a.localHits[0]!;
  }
  get bHit(): Uint8Array {
    return this.b.localHits[0]!;
  }

  /** Drains one engine's outputs, putting transmits on the wire. */
  drain(s: Side): void {
    const e = this.engine(s);
    for (let o = e.poll(); o !== undefined; o = e.poll()) {
      this.out[s].push(o);
      if (o.kind === 'transmit') {
        const p: InFlight = { from: s, at: this.now + this.latency, bytes: o.bytes, src: o.src, dst: o.dst, packet: o.packet };
        const verdict = this.filter(p, this.sent++);
        this.log.push({ from: s, kind: o.packet.kind, dropped: verdict === 'drop', packet: o.packet });
        if (verdict === 'drop') continue;
        if (typeof verdict === 'object') p.bytes = verdict.replace;
        this.wire.push(p);
      } else if (o.kind === 'sa') {
        const key = `${o.sa.direction}:${o.sa.spi}`;
        const prev = this.sas[s].get(key);
        if (o.op === 'add') this.sas[s].set(key, o.sa);
        else if (o.op === 'update' && prev) this.sas[s].set(key, { ...o.sa, encKey: prev.encKey, authKey: prev.authKey });
        else this.sas[s].delete(key);
      }
    }
  }

  /** Advances to the next event (delivery or timer) and handles it. False when nothing is left. */
  step(until = Infinity): boolean {
    this.drain('a');
    this.drain('b');
    const ta = this.a.pollTimeout() ?? Infinity;
    const tb = this.b.pollTimeout() ?? Infinity;
    const tw = this.wire.length > 0 ? Math.min(...this.wire.map((p) => p.at)) : Infinity;
    const t = Math.min(ta, tb, tw);
    if (t === Infinity || t > until) return false;
    this.now = Math.max(this.now, t);
    if (tw === t) {
      const i = this.wire.findIndex((p) => p.at === t);
      const p = this.wire.splice(i, 1)[0]!;
      const to: Side = p.from === 'a' ? 'b' : 'a';
      this.engine(to).handle({ kind: 'datagram', bytes: p.bytes, src: p.src, dst: p.dst }, this.now);
      this.drain(to);
    } else {
      const s: Side = ta === t ? 'a' : 'b';
      this.engine(s).handleTimeout(this.now);
      this.drain(s);
    }
    return true;
  }

  /** Handles everything due up to `until`, then lets the clock reach `until`. */
  run(until: number, maxSteps = 10_000): void {
    for (let i = 0; i < maxSteps && this.step(until); i++);
    if (until !== Infinity) this.now = Math.max(this.now, until);
  }

  runUntil(pred: () => boolean, maxTime = 120_000, maxSteps = 10_000): void {
    for (let i = 0; i < maxSteps && !pred(); i++) if (!this.step(maxTime)) break;
    if (!pred()) throw new Error(`runUntil: condition not met by t=${this.now}; packets: ${this.log.map((l) => `${l.from}:${l.kind}${l.dropped ? '(x)' : ''}`).join(' ')}`);
  }

  events(s: Side): HipEvent[] {
    return this.out[s].flatMap((o) => (o.kind === 'event' ? [o.event] : []));
  }

  state(s: Side): string | undefined {
    return this.engine(s).associations()[0]?.state;
  }

  /** Delivers raw bytes to a side now (for replays and forgeries). */
  inject(to: Side, bytes: Uint8Array): void {
    const from: Side = to === 'a' ? 'b' : 'a';
    this.engine(to).handle({ kind: 'datagram', bytes, src: from === 'a' ? LOC_A : LOC_B, dst: to === 'a' ? LOC_A : LOC_B }, this.now);
    this.drain(to);
  }

  connect(from: Side = 'a'): number {
    const to: Side = from === 'a' ? 'b' : 'a';
    const id = this.engine(from).connect({ hit: to === 'a' ? this.aHit : this.bHit, locators: [to === 'a' ? LOC_A : LOC_B] }, this.now);
    this.drain(from);
    return id;
  }
}

export function decoded(bytes: Uint8Array): HipPacket {
  const r = decodePacket(bytes);
  if (!r.ok) throw new Error(`undecodable: ${r.error.code}`);
  return r.packet;
}
