// Engine fuzzing harness (used by engine-fuzz.prop.test.ts and engine-fuzz.slow.test.ts).
//
// Targets: engines held in ESTABLISHED (both ends), I1-SENT, I2-SENT, R2-SENT and CLOSING, each
// reached by a real exchange on the fast provider with fixed seeds. Inputs: the packets the
// target itself sent or received on its way there (replays), the packets of another, unrelated
// association (also with their HITs rewritten to the target's), each replayed as is, from a
// spoofed source, or mutated (bit flips, byte overwrites, truncation, extension, parameters
// dropped, duplicated, reordered or with a field changed), and random bytes, bare or behind a
// valid HIP header. Oracle, after every input: nothing threw; no `sa` or `locator` output; the
// association table (states, SAs, peer locator tables) is exactly as before. None of these
// inputs is authenticated new input, so RFC 7401 §6 lets none of them change state: a replay
// is answered at most (an R1 for an I1, an R2 or an ACK again), never acted on twice.
import { parseLocator } from '../../src/addr/locator.js';
import type { HipEngine } from '../../src/engine/hip-engine.js';
import { fixHipChecksum } from '../../src/testing/intercept.js';
import { fastCrypto } from '../../src/testing/fast-crypto.js';
import { nthLocator } from '../../src/testing/ip.js';
import { Prng } from '../../src/testing/rng.js';
import type { Locator } from '../../src/types.js';
import { PARAM_TYPE } from '../../src/wire/constants.js';
import { decodePacket, encodePacket } from '../../src/wire/packet.js';
import type { HipPacket, ParamInit } from '../../src/wire/types.js';
import type { FixtureKeyName } from '../fixtures/keys.js';
import { LOC_A, LOC_B, Pair, type Side } from '../engine/pair.js';

export type TargetName = 'ESTABLISHED-initiator' | 'ESTABLISHED-responder' | 'I1_SENT' | 'I2_SENT' | 'R2_SENT' | 'CLOSING';
export const TARGETS: readonly TargetName[] = ['ESTABLISHED-initiator', 'ESTABLISHED-responder', 'I1_SENT', 'I2_SENT', 'R2_SENT', 'CLOSING'];

type Recorded = { readonly bytes: Uint8Array; readonly src: Locator; readonly dst: Locator };

export type Target = {
  readonly name: TargetName;
  readonly engine: HipEngine;
  /** The target's own address and its peer's. */
  readonly self: Locator;
  readonly peer: Locator;
  readonly localHit: Uint8Array;
  readonly peerHit: Uint8Array;
  /** Packets the target sent or received on its way to this state. */
  readonly history: readonly Recorded[];
  now: number;
};

const fast = { crypto: fastCrypto() };
const SPOOF_BASE = parseLocator('2001:db8:bad::');

/** Every transmit a pair has put on the wire, delivered or not. */
function transmits(p: Pair, side?: Side): Recorded[] {
  const sides: Side[] = side ? [side] : ['a', 'b'];
  return sides.flatMap((s) => p.out[s].flatMap((o) => (o.kind === 'transmit' ? [{ bytes: o.bytes, src: o.src, dst: o.dst }] : [])));
}

function newPair(a: FixtureKeyName = 'p256A', b: FixtureKeyName = 'p256B'): Pair {
  return new Pair({ a, b, extraA: fast, extraB: fast, config: { updateBurst: 1_000, updatePerSecond: 1_000 } });
}

/** A pair established, rekeyed and with a locator change behind it (UPDATEs in the history). */
function establishedPair(a?: FixtureKeyName, b?: FixtureKeyName): { p: Pair; idA: number } {
  const p = newPair(a, b);
  const idA = p.connect('a');
  p.runUntil(() => p.state('a') === 'ESTABLISHED' && p.state('b') === 'ESTABLISHED', 60_000);
  p.a.rekey(idA, p.now);
  p.drain('a');
  p.run(p.now + 2_000);
  p.b.setLocalLocators([LOC_B, parseLocator('2001:db8::b2')], p.now);
  p.drain('b');
  p.run(p.now + 2_000);
  return { p, idA };
}

function target(name: TargetName, p: Pair, side: Side): Target {
  const engine = p.engine(side);
  const other: Side = side === 'a' ? 'b' : 'a';
  return {
    name,
    engine,
    self: side === 'a' ? LOC_A : LOC_B,
    peer: side === 'a' ? LOC_B : LOC_A,
    localHit: side === 'a' ? p.aHit : p.bHit,
    peerHit: side === 'a' ? p.bHit : p.aHit,
    history: [...transmits(p, side), ...transmits(p, other)],
    now: p.now,
  };
}

/** Builds one target; its history holds the packets on its way there (sent and received). */
export function buildTarget(name: TargetName): Target {
  switch (name) {
    case 'ESTABLISHED-initiator':
    case 'ESTABLISHED-responder': {
      const { p } = establishedPair();
      return target(name, p, name === 'ESTABLISHED-initiator' ? 'a' : 'b');
    }
    case 'I1_SENT': {
      const p = newPair();
      p.filter = () => 'drop';
      p.connect('a');
      return target(name, p, 'a');
    }
    case 'I2_SENT':
      return halfway(name, 'I2', 'a');
    case 'R2_SENT':
      return halfway(name, 'R2', 'b');
    case 'CLOSING': {
      const { p, idA } = establishedPair();
      p.filter = () => 'drop';
      p.a.close(idA, p.now);
      p.drain('a');
      if (p.state('a') !== 'CLOSING') throw new Error(`CLOSING target is ${p.state('a')}`);
      return target(name, p, 'a');
    }
  }
}

/** The exchange with every `lost` packet dropped: `side` waits in `name`. */
function halfway(name: 'I2_SENT' | 'R2_SENT', lost: 'I2' | 'R2', side: Side): Target {
  const p = newPair();
  p.filter = (x) => (x.packet.kind === lost ? 'drop' : 'pass');
  p.connect('a');
  p.run(100);
  if (p.state(side) !== name) throw new Error(`${name} target is ${p.state(side)}`);
  return target(name, p, side);
}

let foreignCache: Recorded[] | undefined;
/** Packets of an unrelated association (other identities): a full life, I1 to CLOSE_ACK. */
export function foreignPackets(): readonly Recorded[] {
  if (foreignCache) return foreignCache;
  const { p, idA } = establishedPair('p384A', 'p384B');
  p.a.close(idA, p.now);
  p.drain('a');
  p.run(p.now + 5_000);
  foreignCache = transmits(p);
  return foreignCache;
}

/** What the oracle compares: every association's state, SAs and peer locator table. */
export function snapshot(e: HipEngine): string {
  return JSON.stringify(
    e.associations().map((a) => ({ id: a.id, state: a.state, sas: a.sas, locators: e.peerLocators(a.id).map((l) => [l.locator, l.state, l.spi, l.preferred, l.type]) })),
    (_, v) => (v instanceof Uint8Array ? Array.from(v).join('.') : v),
  );
}

// ---- mutations -----------------------------------------------------------------------------

const HIP_HEADER = 40;

function flipBits(prng: Prng, b: Uint8Array): Uint8Array {
  const out = Uint8Array.from(b);
  const n = prng.int(1, 8);
  for (let i = 0; i < n; i++) {
    const at = prng.int(0, out.length - 1);
    out[at]! ^= 1 << prng.int(0, 7);
  }
  return out;
}

function overwrite(prng: Prng, b: Uint8Array): Uint8Array {
  const out = Uint8Array.from(b);
  const at = prng.int(0, out.length - 1);
  const n = Math.min(out.length - at, prng.int(1, 16));
  out.set(prng.bytes(n), at);
  return out;
}

function resize(prng: Prng, b: Uint8Array): Uint8Array {
  if (prng.int(0, 1) === 0) return b.slice(0, prng.int(0, b.length));
  const extra = prng.bytes(8 * prng.int(1, 8));
  const out = new Uint8Array(b.length + extra.length);
  out.set(b);
  out.set(extra, b.length);
  // Keep the Header Length consistent half the time, so the extra bytes parse as parameters.
  if (prng.int(0, 1) === 0 && out.length <= 2048 && out.length >= 8) out[1] = out.length / 8 - 1;
  return out;
}

const typeOf = (p: ParamInit): number => (p.kind === 'UNKNOWN' ? p.type : PARAM_TYPE[p.kind]);

/** Parameter-level mutations; undefined when the result cannot be encoded (skipped). */
function paramMutation(prng: Prng, pkt: HipPacket): HipPacket | undefined {
  const params = [...pkt.params];
  if (params.length === 0) return undefined;
  const i = prng.int(0, params.length - 1);
  switch (prng.int(0, 4)) {
    case 0:
      params.splice(i, 1);
      break;
    case 1:
      params.splice(i, 0, params[i]!);
      break;
    case 2: {
      const j = prng.int(0, params.length - 1);
      [params[i], params[j]] = [params[j]!, params[i]!];
      break;
    }
    case 3: {
      // A numeric field changed to a random value of its width where there is one.
      const q = params[i]! as Record<string, unknown>;
      const keys = Object.keys(q).filter((k) => typeof q[k] === 'number' && k !== 'type');
      if (keys.length === 0) return undefined;
      const k = prng.pick(keys);
      params[i] = { ...q, [k]: prng.pick([0, 1, 0xff, 0xffff, 0xffffffff, prng.int(0, 0xffff)]) } as never;
      break;
    }
    case 4:
      // An unknown parameter, critical or not, inserted in type order.
      params.push({ kind: 'UNKNOWN', type: prng.int(1, 0xffff), critical: false, body: prng.bytes(prng.int(0, 24)) } as never);
      params.sort((x, y) => typeOf(x as ParamInit) - typeOf(y as ParamInit));
      break;
  }
  return { ...pkt, params };
}

function rewriteHits(pkt: HipPacket, sender: Uint8Array, receiver: Uint8Array): HipPacket {
  return { ...pkt, senderHit: sender, receiverHit: receiver };
}

export type FuzzInput = { readonly bytes: Uint8Array; readonly src: Locator; readonly label: string };

/** One fuzz input for `t`, drawn from `prng`. */
export function nextInput(prng: Prng, t: Target, caseIndex: number): FuzzInput {
  const spoof = (): Locator => nthLocator(SPOOF_BASE, caseIndex);
  const kind = prng.int(0, 99);
  if (kind < 8) {
    // Random bytes.
    return { bytes: prng.bytes(prng.int(0, 300)), src: spoof(), label: 'random' };
  }
  if (kind < 14) {
    // Random parameters behind a valid header to the target's HITs.
    const len = 8 * prng.int(5, 40);
    const b = prng.bytes(len);
    b.set([0x3b, len / 8 - 1, prng.pick([1, 2, 3, 4, 16, 17, 18, 19, 20]), 0x21], 0);
    b.set(t.peerHit, 8);
    b.set(t.localHit, 24);
    return { bytes: fixHipChecksum(b, t.peer, t.self), src: t.peer, label: 'random-params' };
  }
  const fromHistory = kind < 70 && t.history.length > 0;
  const rec = fromHistory ? prng.pick(t.history) : prng.pick(foreignPackets());
  let bytes = rec.bytes;
  let label = fromHistory ? 'replay' : 'foreign';
  if (!fromHistory && prng.int(0, 1) === 0) {
    const d = decodePacket(bytes);
    if (d.ok) {
      try {
        bytes = encodePacket(rewriteHits(d.packet, t.peerHit, t.localHit));
        label = 'foreign-rewritten';
      } catch {
        // not re-encodable: keep the original bytes
      }
    }
  }
  const m = prng.int(0, 9);
  if (m <= 2) {
    // as is
  } else if (m === 3) {
    bytes = flipBits(prng, bytes);
    label += '+flip';
  } else if (m === 4) {
    bytes = overwrite(prng, bytes);
    label += '+overwrite';
  } else if (m === 5) {
    bytes = resize(prng, bytes);
    label += '+resize';
  } else {
    const d = decodePacket(bytes, { verifyChecksum: false });
    const mutated = d.ok ? paramMutation(prng, d.packet) : undefined;
    if (mutated) {
      try {
        bytes = encodePacket(mutated);
        label += '+param';
      } catch {
        bytes = flipBits(prng, bytes);
        label += '+flip';
      }
    }
  }
  // From the genuine source, the recorded one, or a spoofed one; the checksum fixed for it
  // (an attacker can) except now and then, to keep the checksum path exercised.
  const where = prng.int(0, 2);
  const src = where === 0 ? t.peer : where === 1 ? rec.src : spoof();
  const fix = prng.int(0, 9) !== 0 && bytes.length >= HIP_HEADER;
  return { bytes: fix ? fixHipChecksum(Uint8Array.from(bytes), src, t.self) : bytes, src, label };
}

export type FuzzReport = {
  readonly cases: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly byLabel: Record<string, number>;
  readonly drops: Record<string, number>;
};

/**
 * Feeds `cases` inputs to `t` and checks the oracle after each; throws with the seed and case
 * index on the first violation. `now` advances 1 ms per case (no timer is fired: timers are not
 * input).
 */
export function fuzzTarget(t: Target, seed: string, cases: number): FuzzReport {
  const prng = new Prng(new TextEncoder().encode(`engine-fuzz/${seed}/${t.name}`));
  const byLabel: Record<string, number> = {};
  let bytesIn = 0;
  let bytesOut = 0;
  let before = snapshot(t.engine);
  for (let i = 0; i < cases; i++) {
    const input = nextInput(prng, t, i);
    byLabel[input.label] = (byLabel[input.label] ?? 0) + 1;
    bytesIn += input.bytes.length;
    t.now += 1;
    let changedOutputs = false;
    try {
      t.engine.handle({ kind: 'datagram', bytes: input.bytes, src: input.src, dst: t.self }, t.now);
      for (let o = t.engine.poll(); o !== undefined; o = t.engine.poll()) {
        if (o.kind === 'transmit') bytesOut += o.bytes.length;
        else if (o.kind === 'sa' || o.kind === 'locator') changedOutputs = true;
      }
    } catch (e) {
      throw new Error(`engine-fuzz ${t.name} seed ${seed} case ${i} (${input.label}): threw ${(e as Error).name}: ${(e as Error).message}`);
    }
    const after = snapshot(t.engine);
    if (changedOutputs || after !== before) {
      throw new Error(`engine-fuzz ${t.name} seed ${seed} case ${i} (${input.label}): state changed\nbefore ${before}\nafter  ${after}`);
    }
    before = after;
  }
  return { cases, bytesIn, bytesOut, byLabel, drops: { ...t.engine.stats().drops } as Record<string, number> };
}
