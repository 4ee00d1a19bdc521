// Denial-of-service benchmark (`npm run bench -- dos`): what floods of I1, I2 and UPDATE cost a
// Responder at the default settings (nobleCrypto, default config and policy), and what they send
// back. Virtual time advances with the packets, so rate limits and the puzzle policy see a
// sustained flood at the stated rate; CPU is wall-clock time of `handle()` plus draining.
//
//  1. I1 flood (RFC 7401 §6.7, §8 reflection): from one spoofed victim address and from
//     many spoofed addresses. R1s sent, bytes out per byte in (amplification), µs per I1.
//  2. I2 flood with wrong puzzle solutions (RFC 7401 §4.1.1, §8): an attacker that fetches a
//     fresh R1 now and then (a cheap I1) and answers it with random #J. Fraction of I2s that get
//     past the puzzle to the Diffie-Hellman stage, before and after the flood is detected, and
//     CPU per garbage I2.
//  3. UPDATE flood on an established association: forged (bad HIP_MAC) and replayed copies of a
//     genuine UPDATE, from spoofed sources. µs per UPDATE, bytes out per byte in.
import { generateHostIdentity, type HostIdentity } from '../src/crypto/host-id.js';
import { nobleCrypto } from '../src/crypto/noble.js';
import { HipEngine } from '../src/engine/hip-engine.js';
import { parseLocator } from '../src/addr/locator.js';
import { nthLocator } from '../src/testing/ip.js';
import { seededRandom } from '../src/testing/rng.js';
import type { Locator } from '../src/types.js';
import { decodePacket, encodePacket } from '../src/wire/packet.js';
import type { HipPacket } from '../src/wire/types.js';

const LOC_A = parseLocator('2001:db8::a');
const LOC_B = parseLocator('2001:db8::b');
const VICTIM = parseLocator('2001:db8::66');

type Drained = { bytes: number; transmits: HipPacket[]; raw: Uint8Array[] };

function drain(e: HipEngine): Drained {
  const d: Drained = { bytes: 0, transmits: [], raw: [] };
  for (let o = e.poll(); o; o = e.poll()) {
    if (o.kind === 'transmit') {
      d.bytes += o.bytes.length;
      d.transmits.push(o.packet);
      d.raw.push(o.bytes);
    }
  }
  return d;
}

const SPOOF_BASE = parseLocator('2001:db8:ffff::');
const spoofed = (i: number): Locator => nthLocator(SPOOF_BASE, i);

function dropsOf(e: HipEngine): Record<string, number> {
  return { ...e.stats().drops } as Record<string, number>;
}

/** Drops that mean the I2 was refused after the Diffie-Hellman stage (§6.9 steps 10-15). */
const AFTER_DH = ['bad-mac', 'bad-signature', 'decrypt-failed', 'hit-mismatch', 'bad-dh-public', 'bad-esp-info'];

function afterDh(before: Record<string, number>, after: Record<string, number>): number {
  return AFTER_DH.reduce((n, r) => n + (after[r] ?? 0) - (before[r] ?? 0), 0);
}

/** The same packet as sent from `src`: a spoofing attacker fixes the checksum (RFC 7401 §5.1.1). */
function from(bytes: Uint8Array, src: Locator): Uint8Array {
  const d = decodePacket(bytes, { verifyChecksum: false });
  if (!d.ok) throw new Error('bench: undecodable packet');
  return encodePacket(d.packet, { src, dst: LOC_B });
}

function i1Flood(responder: HostIdentity, i1: Uint8Array, n: number, ratePerS: number, source: (i: number) => Locator): { r1s: number; bytesIn: number; bytesOut: number; usPer: number } {
  const random = seededRandom('bench-dos-i1');
  const b = new HipEngine({ identities: [responder], locators: [LOC_B], random }, 0);
  let now = 0;
  let bytesOut = 0;
  let r1s = 0;
  const packets = Array.from({ length: n }, (_, i) => from(i1, source(i)));
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    now += 1000 / ratePerS;
    b.handle({ kind: 'datagram', bytes: packets[i]!, src: source(i), dst: LOC_B }, now);
    const d = drain(b);
    bytesOut += d.bytes;
    r1s += d.transmits.length;
  }
  const usPer = ((performance.now() - t0) * 1000) / n;
  return { r1s, bytesIn: n * i1.length, bytesOut, usPer };
}

export async function run(): Promise<void> {
  const random = seededRandom('bench-dos');
  const crypto = nobleCrypto();
  const responder = generateHostIdentity('ecdsa-p256', random);
  const attacker = generateHostIdentity('ecdsa-p256', random);
  console.log('Responder: ECDSA P-256 identity, default config and policy, nobleCrypto. The machine is shared: CPU figures are indicative.\n');

  // A genuine I1 from an engine with default settings.
  const a0 = new HipEngine({ identities: [attacker], locators: [LOC_A], random }, 0);
  a0.connect({ hit: responder.hit, locators: [LOC_B] }, 0);
  const i1 = drain(a0).raw[0]!;

  // ---- 1. I1 flood ------------------------------------------------------------------------------
  console.log('### I1 flood (reflection, RFC 7401 §8)\n');
  console.log('| flood | I1s | I1/s | R1s sent | bytes in | bytes out | out / in | µs per I1 |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const [label, src] of [
    ['one spoofed victim address', () => VICTIM],
    ['a new spoofed address per I1', (i: number) => spoofed(i)],
  ] as [string, (i: number) => Locator][]) {
    const n = 5000;
    const rate = 1000;
    const r = i1Flood(responder, i1, n, rate, src);
    console.log(`| ${label} | ${n} | ${rate} | ${r.r1s} | ${r.bytesIn} | ${r.bytesOut} | ${(r.bytesOut / r.bytesIn).toFixed(2)} | ${r.usPer.toFixed(1)} |`);
  }

  // ---- 2. I2 flood with wrong solutions ---------------------------------------------------------
  console.log('\n### I2 flood with wrong puzzle solutions (RFC 7401 §4.1.1)\n');
  const b = new HipEngine({ identities: [responder], locators: [LOC_B], crypto, random: seededRandom('bench-dos-b') }, 0);
  const a = new HipEngine({ identities: [attacker], locators: [LOC_A], crypto, random: seededRandom('bench-dos-a') }, 0);
  let now = 0;
  a.connect({ hit: responder.hit, locators: [LOC_B] }, now);
  const aI1 = drain(a).raw[0]!;
  b.handle({ kind: 'datagram', bytes: aI1, src: LOC_A, dst: LOC_B }, now);
  const r1 = drain(b).raw[0]!;
  a.handle({ kind: 'datagram', bytes: r1, src: LOC_B, dst: LOC_A }, now);
  const genuineI2 = drain(a).transmits.find((p) => p.kind === 'I2')!;
  const jRandom = seededRandom('bench-dos-j');
  /** A garbage I2: the genuine one with a random #J for the puzzle of `r1Packet`. */
  const garbage = (puzzle: Puzzle): Uint8Array =>
    encodePacket(
      {
        ...genuineI2,
        params: genuineI2.params.map((q) => (q.kind === 'SOLUTION' ? { ...q, k: puzzle.k, opaque: puzzle.opaque, randomI: puzzle.randomI, solutionJ: jRandom(q.solutionJ.length) } : q)),
      },
      { src: LOC_A, dst: LOC_B },
    );
  const fetchPuzzle = (): Puzzle => {
    b.handle({ kind: 'datagram', bytes: aI1, src: LOC_A, dst: LOC_B }, now);
    const got = drain(b).transmits.find((p) => p.kind === 'R1');
    const pz = got?.params.find((q) => q.kind === 'PUZZLE');
    if (!pz || pz.kind !== 'PUZZLE') return current;
    return { k: pz.k, randomI: Uint8Array.from(pz.randomI), opaque: pz.opaque };
  };
  type Puzzle = { k: number; randomI: Uint8Array; opaque: number };
  const first = decodePacket(r1).ok ? (decodePacket(r1) as { packet: HipPacket }).packet.params.find((q) => q.kind === 'PUZZLE') : undefined;
  let current: Puzzle = first && first.kind === 'PUZZLE' ? { k: first.k, randomI: Uint8Array.from(first.randomI), opaque: first.opaque } : { k: 1, randomI: new Uint8Array(32), opaque: 0 };
  const N = 3000;
  const RATE = 500;
  const REFETCH = 50;
  const WINDOW = 500;
  console.log(`${N} I2s at ${RATE}/s (virtual time); the attacker fetches a fresh R1 (one I1) every ${REFETCH} I2s and uses its K and #I.\n`);
  console.log('| I2s | K in the last R1 | reached DH | fraction | ms CPU per I2 |');
  console.log('|---|---:|---:|---:|---:|');
  let dhTotal = 0;
  let cpuTotal = 0;
  const initialK = current.k;
  let detectedAt: number | undefined;
  let dhAfterDetection = 0;
  const perWindow: { from: number; to: number; k: number; dh: number; ms: number }[] = [];
  for (let w = 0; w < N; w += WINDOW) {
    const before = dropsOf(b);
    let ms = 0;
    for (let i = w; i < w + WINDOW; i++) {
      if (i % REFETCH === 0) current = fetchPuzzle();
      if (detectedAt === undefined && current.k > initialK) detectedAt = i;
      const bytes = garbage(current);
      now += 1000 / RATE;
      const one = dropsOf(b);
      const t0 = performance.now();
      b.handle({ kind: 'datagram', bytes, src: LOC_A, dst: LOC_B }, now);
      drain(b);
      ms += performance.now() - t0;
      if (detectedAt !== undefined) dhAfterDetection += afterDh(one, dropsOf(b));
    }
    const dh = afterDh(before, dropsOf(b));
    perWindow.push({ from: w, to: w + WINDOW, k: current.k, dh, ms });
    dhTotal += dh;
    cpuTotal += ms;
  }
  for (const x of perWindow) {
    console.log(`| ${x.from + 1}-${x.to} | ${x.k} | ${x.dh} | ${((100 * x.dh) / WINDOW).toFixed(1)}% | ${(x.ms / WINDOW).toFixed(3)} |`);
  }
  console.log(`| all ${N} | | ${dhTotal} | ${((100 * dhTotal) / N).toFixed(1)}% | ${(cpuTotal / N).toFixed(3)} |`);
  if (detectedAt !== undefined) {
    const after = N - detectedAt;
    console.log(`\nflood detected (an R1 with K > ${initialK}) by I2 #${detectedAt + 1}; after that ${dhAfterDetection} of ${after} reached DH (${((100 * dhAfterDetection) / after).toFixed(2)}%)`);
  } else {
    console.log(`\nflood never detected: K stayed ${initialK}`);
  }
  const drops = dropsOf(b);
  console.log(`\ndrops: ${Object.entries(drops).map(([k, v]) => `${k} ${v}`).join(', ')}`);

  // ---- 3. UPDATE flood --------------------------------------------------------------------------
  console.log('\n### UPDATE flood on an established association\n');
  const ra = seededRandom('bench-dos-ua');
  const rb = seededRandom('bench-dos-ub');
  const ua = new HipEngine({ identities: [attacker], locators: [LOC_A], crypto, random: ra }, 0);
  const ub = new HipEngine({ identities: [responder], locators: [LOC_B], crypto, random: rb }, 0);
  let t = 0;
  const pump = (): void => {
    for (let moved = true; moved; ) {
      moved = false;
      for (const [from, to, src, dst] of [
        [ua, ub, LOC_A, LOC_B],
        [ub, ua, LOC_B, LOC_A],
      ] as [HipEngine, HipEngine, Locator, Locator][]) {
        for (let o = from.poll(); o; o = from.poll()) {
          if (o.kind === 'transmit') {
            to.handle({ kind: 'datagram', bytes: o.bytes, src, dst }, t);
            moved = true;
          }
        }
      }
    }
  };
  const id = ua.connect({ hit: responder.hit, locators: [LOC_B] }, t);
  pump();
  t += 20_000;
  ub.handleTimeout(t);
  pump();
  // One genuine UPDATE (a rekey) recorded on its way to B, then delivered so both are in step.
  ua.rekey(id, t);
  let genuine: Uint8Array | undefined;
  for (let o = ua.poll(); o; o = ua.poll()) {
    if (o.kind === 'transmit' && o.packet.kind === 'UPDATE') {
      genuine ??= o.bytes;
      ub.handle({ kind: 'datagram', bytes: o.bytes, src: LOC_A, dst: LOC_B }, t);
    }
  }
  pump();
  const g = decodePacket(genuine!);
  if (!g.ok) throw new Error('bench: undecodable UPDATE');
  const flipLast = (x: Uint8Array): Uint8Array => Uint8Array.from(x, (v, i) => (i === x.length - 1 ? v ^ 1 : v));
  const forgedMac = encodePacket({ ...g.packet, params: g.packet.params.map((q) => (q.kind === 'HIP_MAC' ? { ...q, hmac: flipLast(q.hmac) } : q)) }, { src: LOC_A, dst: LOC_B });
  const forgedSig = encodePacket({ ...g.packet, params: g.packet.params.map((q) => (q.kind === 'HIP_SIGNATURE' ? { ...q, signature: flipLast(q.signature) } : q)) }, { src: LOC_A, dst: LOC_B });
  console.log('| flood | UPDATEs | UPDATE/s | bytes in | bytes out | out / in | µs per UPDATE |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const [label, bytes, srcOf] of [
    ['forged (bad HIP_MAC), spoofed sources', forgedMac, (i: number) => spoofed(i)],
    ['forged (good HIP_MAC, bad HIP_SIGNATURE), spoofed sources', forgedSig, (i: number) => spoofed(i)],
    ['replayed genuine UPDATE, spoofed sources', genuine!, (i: number) => spoofed(i)],
    ['replayed genuine UPDATE, from the peer address', genuine!, () => LOC_A],
  ] as [string, Uint8Array, (i: number) => Locator][]) {
    const n = 2000;
    const rate = 1000;
    let out = 0;
    const packets = Array.from({ length: n }, (_, i) => from(bytes, srcOf(i)));
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      t += 1000 / rate;
      ub.handle({ kind: 'datagram', bytes: packets[i]!, src: srcOf(i), dst: LOC_B }, t);
      out += drain(ub).bytes;
    }
    const us = ((performance.now() - t0) * 1000) / n;
    console.log(`| ${label} | ${n} | ${rate} | ${n * bytes.length} | ${out} | ${(out / (n * bytes.length)).toFixed(3)} | ${us.toFixed(1)} |`);
  }
  console.log(`\nassociation after the floods: ${ub.associations()[0]?.state}`);
}
