// Engine benchmark (`npm run bench -- engine`):
//  1. Base exchanges per second with the default provider (nobleCrypto), and the pure crypto
//     cost of the same exchange (the "crypto floor": the signatures, verifications, DH
//     operations, HKDF and HMACs one BEX performs, called on the provider directly), timed in
//     interleaved pairs; the engine overhead is the median of the per-pair overheads.
//  2. The engine's own cost per BEX and per UPDATE rekey with the insecure fast provider, where
//     crypto is nearly free: codec, state machine, queues, timers. Every key is warmed first
//     (fastCrypto computes a key's Host Identity once, with real public-key arithmetic).
//  3. Heap per established association (needs --expose-gc, which `npm run bench` passes).
import { generateHostIdentity, type HostIdentity } from '../src/crypto/host-id.js';
import { nobleCrypto } from '../src/crypto/noble.js';
import { solvePuzzle } from '../src/crypto/puzzle.js';
import type { CryptoProvider } from '../src/crypto/provider.js';
import { HipEngine } from '../src/engine/hip-engine.js';
import { parseLocator } from '../src/addr/locator.js';
import { fastCrypto } from '../src/testing/fast-crypto.js';
import { seededRandom } from '../src/testing/rng.js';
import { exchangeDirect } from '../src/testing/exchange.js';
import type { RandomSource } from '../src/types.js';
import { concatBytes } from '../src/util/bytes.js';
import { cpuMs, heapBytes, interleave, median } from './measure.js';

const LOC_A = parseLocator('2001:db8::a');
const LOC_B = parseLocator('2001:db8::b');

type Ends = { a: HipEngine; b: HipEngine; now: number };

/** Drives one BEX between a fresh initiator and `b` on a zero-latency wire; returns the assoc. */
function bex(ends: Ends, initiator: HostIdentity, crypto: CryptoProvider, random: RandomSource, responderHit: Uint8Array): void {
  const a = new HipEngine({ identities: [initiator], locators: [LOC_A], crypto, random, config: { puzzleK: 1, updatePerSecond: 1e9, updateBurst: 1e6 } }, ends.now);
  ends.a = a;
  a.connect({ hit: responderHit, locators: [LOC_B] }, ends.now);
  pump(ends);
  const assoc = a.associations()[0];
  if (assoc?.state !== 'ESTABLISHED') throw new Error(`BEX did not complete: ${assoc?.state}`);
  // The first ESP packet moves the Responder from R2-SENT to ESTABLISHED (RFC 7401 §6.9 step 21).
  const rb = ends.b.associationByHits(responderHit, initiator.hit)!;
  const info = ends.b.association(rb)!;
  ends.b.handle({ kind: 'esp-seen', spi: info.sas[0]!.localSpi, src: LOC_A, dst: LOC_B }, ends.now);
  while (ends.b.poll());
}

function pump(ends: Ends): void {
  exchangeDirect(ends.a, ends.b, ends.now);
}

/** Median over ROUNDS rounds of n iterations each (CPU time): the machine is shared, medians are steadier. */
const ROUNDS = 7;
function time(label: string, n: number, f: (i: number) => void): number {
  f(0); // warm-up
  const rounds: number[] = [];
  let i = 1;
  for (let r = 0; r < ROUNDS; r++) rounds.push(blockMs(n, () => f(i++)));
  const ms = median(rounds);
  report(label, ms);
  return ms;
}

/**
 * CPU ms per call of `f` over a block of n calls (process CPU time, so that other jobs on a
 * shared machine do not count; see measure.ts).
 */
function blockMs(n: number, f: () => void): number {
  const t0 = cpuMs();
  for (let k = 0; k < n; k++) f();
  return (cpuMs() - t0) / n;
}

function report(label: string, ms: number): void {
  console.log(`  ${label.padEnd(46)} ${ms.toFixed(3).padStart(9)} ms   ${(1000 / ms).toFixed(0).padStart(7)} /s`);
}

/** Signs once with each identity, so a provider's per-key caches are filled before timing. */
function warmKeys(crypto: CryptoProvider, ids: readonly HostIdentity[], random: RandomSource): void {
  const data = new Uint8Array(32);
  for (const id of ids) crypto.hostIdAlgorithm(id.algorithm)!.sign(id.privateKey, data, random);
}

/** The crypto one P-256 BEX performs (steady state: the R1 template is pre-signed), both sides. */
function cryptoFloor(crypto: CryptoProvider, a: HostIdentity, b: HostIdentity, random: RandomSource): () => void {
  const data = random(400);
  const dhg = crypto.dhGroup(7)!;
  const bDh = dhg.generate(random);
  const sigB = crypto.hostIdAlgorithm(b.algorithm)!.sign(b.privateKey, data, random);
  const sigA = crypto.hostIdAlgorithm(a.algorithm)!.sign(a.privateKey, data, random);
  const key = random(48);
  return () => {
    // Initiator: verify R1, DH keygen + Kij, KEYMAT, MAC + sign I2, verify R2 MAC_2 + signature.
    crypto.hostIdAlgorithm(b.algorithm)!.verify(b.hostIdentity, data, sigB);
    const aDh = dhg.generate(random);
    dhg.shared(aDh.privateKey, bDh.publicValue);
    crypto.hkdf('sha384', random(32), random(96), concatBytes(a.hit, b.hit), 240);
    solvePuzzle({ crypto, hash: 'sha384', k: 1, randomI: key, hitI: a.hit, hitR: b.hit, random, maxAttempts: 1 << 20 });
    crypto.hmac('sha384', key, data);
    crypto.hostIdAlgorithm(a.algorithm)!.sign(a.privateKey, data, random);
    crypto.hmac('sha384', key, data);
    crypto.hostIdAlgorithm(b.algorithm)!.verify(b.hostIdentity, data, sigB);
    // Responder: #I (I1 and I2), puzzle check, Kij, KEYMAT, verify I2 MAC + signature,
    // MAC_2 + sign R2, and both HITs from their Host Identities.
    crypto.hmac('sha384', key, data.subarray(0, 33));
    crypto.hmac('sha384', key, data.subarray(0, 33));
    crypto.hash('sha384', data.subarray(0, 128));
    dhg.shared(bDh.privateKey, aDh.publicValue);
    crypto.hkdf('sha384', random(32), random(96), concatBytes(a.hit, b.hit), 240);
    crypto.hmac('sha384', key, data);
    crypto.hostIdAlgorithm(a.algorithm)!.verify(a.hostIdentity, data, sigA);
    crypto.hmac('sha384', key, data);
    crypto.hostIdAlgorithm(b.algorithm)!.sign(b.privateKey, data, random);
    crypto.hash('sha384', data.subarray(0, 100));
    crypto.hash('sha384', data.subarray(0, 100));
  };
}

export async function run(): Promise<void> {
  const random = seededRandom('bench-engine');
  const noble = nobleCrypto();
  const fast = fastCrypto();
  const N = 15;
  // Fresh initiators: one per noble pair (and the warm-up), then 4N per fast round (and one).
  const initiators = Array.from({ length: 5 * N * (ROUNDS + 1) + 2 }, () => generateHostIdentity('ecdsa-p256', random));
  const responder = generateHostIdentity('ecdsa-p256', random);

  console.log('ECDSA P-256 identities, ECDH P-256 (group 7), puzzle K = 1, HIT suite 2 (SHA-384); process CPU time\n');
  const mk = (crypto: CryptoProvider): Ends => ({
    a: undefined as unknown as HipEngine,
    // The UPDATE rate limit (RFC 8046 §6) is lifted: the bench rekeys hundreds of times a second;
    // so are the R1 limits (RFC 7401 §6.7): thousands of Initiators share one address here.
    b: new HipEngine(
      {
        identities: [responder],
        locators: [LOC_B],
        crypto,
        random,
        config: { dhGroups: [7], puzzleK: 1, updatePerSecond: 1e9, updateBurst: 1e6, r1PerSecond: 1e9, r1Burst: 1e6, r1PerSourcePerSecond: 1e9, r1PerSourceBurst: 1e6 },
      },
      0,
    ),
    now: 0,
  });
  // Engine overhead: one BEX and one crypto floor at a time, interleaved pair by pair (the
  // order alternating), so that drift on a shared machine hits both sides of a pair alike, and
  // timed in CPU time; the overhead is the median of the per-pair (BEX - floor) / floor.
  const nobleEnds = mk(noble);
  const floorFn = cryptoFloor(noble, initiators[0]!, responder, random);
  let next = 0;
  const bexOnce = (): number => blockMs(1, () => bex(nobleEnds, initiators[next++]!, noble, random, responder.hit));
  const floorOnce = (): number => blockMs(1, floorFn);
  bexOnce(); // warm-up
  floorOnce();
  const PAIRS = N * ROUNDS;
  const pairs = interleave(PAIRS, bexOnce, floorOnce);
  const bexRounds = pairs.a;
  const floorRounds = pairs.b;
  const overheads = pairs.ratios.map((r) => r - 1);
  const bexNoble = median(bexRounds);
  const floor = median(floorRounds);
  const overhead = median(overheads);
  const sorted = [...overheads].sort((u, v) => u - v);
  const q1 = sorted[Math.floor(PAIRS / 4)]!;
  const q3 = sorted[Math.floor((3 * PAIRS) / 4)]!;
  report('BEX, nobleCrypto (engine + crypto)', bexNoble);
  report('crypto floor of one BEX, nobleCrypto', floor);

  // The fast provider derives a key's Host Identity once (a real public-key computation) and
  // caches it: every identity is warmed first, so the figure is the engine's steady-state cost.
  const fastEnds = mk(fast);
  const fastIds = initiators.slice(next, next + 4 * N * (ROUNDS + 1) + 1);
  warmKeys(fast, [responder, ...fastIds], random);
  const bexFast = time('BEX, fastCrypto (keys warmed; crypto ~free)', 4 * N, (i) => bex(fastEnds, fastIds[i]!, fast, random, responder.hit));

  // UPDATE: one rekey (3 UPDATEs) on an established pair, fast provider.
  const up: Ends = mk(fast);
  bex(up, initiators[0]!, fast, random, responder.hit);
  const assocA = up.a.associations()[0]!.id;
  const rekeyFast = time('rekey (3 UPDATEs), fastCrypto', 100, () => {
    up.now += 10;
    up.a.rekey(assocA, up.now);
    pump(up);
  });
  const upN: Ends = mk(noble);
  bex(upN, initiators[0]!, noble, random, responder.hit);
  const assocN = upN.a.associations()[0]!.id;
  const rekeyNoble = time('rekey (3 UPDATEs), nobleCrypto', 5, () => {
    upN.now += 10;
    upN.a.rekey(assocN, upN.now);
    pump(upN);
  });

  console.log('');
  console.log(`  engine overhead on top of the crypto floor: median over ${PAIRS} interleaved pairs of (BEX_noble - floor) / floor = ${(overhead * 100).toFixed(1)}% (quartiles ${(q1 * 100).toFixed(1)}% .. ${(q3 * 100).toFixed(1)}%)`);
  console.log(`  engine's own time per BEX (fast provider, every key warmed before timing): ${(bexFast * 1000).toFixed(0)} µs = ${((bexFast / floor) * 100).toFixed(1)}% of the floor`);
  console.log(`  engine's own time per rekey (fast provider): ${(rekeyFast * 1000).toFixed(0)} µs; with noble: ${rekeyNoble.toFixed(2)} ms`);

  // Heap per established association: one Responder engine, M initiators (fast crypto).
  const M = 2000;
  const ids = Array.from({ length: M }, (_, i) => importLike(initiators[i % initiators.length]!, i, random));
  const memEnds = mk(fast);
  for (let i = 0; i < 50; i++) bex(memEnds, ids[i]!, fast, random, responder.hit);
  memEnds.a = undefined as unknown as HipEngine;
  const before = heapBytes();
  for (let i = 50; i < M; i++) bex(memEnds, ids[i]!, fast, random, responder.hit);
  memEnds.a = undefined as unknown as HipEngine;
  const after = heapBytes();
  const per = (after - before) / (M - 50);
  const gcNote = (globalThis as { gc?: unknown }).gc ? '' : ' (no --expose-gc: includes garbage)';
  console.log(`  heap + ArrayBuffers per established association (Responder side, ${M - 50} associations): ${(per / 1024).toFixed(2)} KiB${gcNote}`);
}

/** Distinct identities for the memory run without paying for thousands of key generations. */
function importLike(base: HostIdentity, i: number, random: RandomSource): HostIdentity {
  return i < 64 ? base : generateHostIdentity('ed25519', random);
}

