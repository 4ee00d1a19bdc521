// Scale benchmark (`npm run bench -- scale`): what one operation costs as the number of
// associations n in one engine grows. One section per measurement; each prints its own table.
// Add a section by appending to SECTIONS.
//
// Simulator section: bench/sim-scale.ts.
//
// Environment: SCALE_SECTIONS=engine,sim picks sections (default: all); SCALE_SIZES=1000,10000
// overrides the engine sizes (default 1,000, 10,000 and 100,000); SCALE_ROUNDS the rounds.
//
// Engine section: three Responders with 1k, 10k and 100k established associations, built
// engine to engine with the insecure fast provider (fastCrypto: real hashes, HMACs and AES,
// fake signatures and DH) and fastIdentity initiators (no key generation), so the engine's own
// work is what is measured. Then rounds that visit
// every size in turn (interleaved, so drift on a shared machine affects all sizes alike), each
// timing per size: whole association lives (I1→R1, I2→R2, first ESP seen, rekey, close to
// discard), pollTimeout, idle handleTimeout (timed in batches of 1,000 calls), and one due timer
// among n idle ones. A figure is the median of every sample of that operation and size over the
// rounds (a first, unrecorded round warms the JIT up): a median, so that the major-GC pauses of
// a heap holding 100k associations, which land on whichever operation is running, do not
// decide the figure. Heap per association is measured around the
// build of the largest Responder, after forced GC.
import { parseLocator } from '../src/addr/locator.js';
import type { HipConfig } from '../src/engine/config.js';
import { HipEngine } from '../src/engine/hip-engine.js';
import { fmtMs, heapBytes, median, table } from './measure.js';
import { simScale } from './sim-scale.js';
import { RESPONDER_STEPS, establishDirect, fastCrypto, fastIdentity, responderLifecycle, seededRandom } from '../src/testing/index.js';

type Section = { readonly name: string; readonly run: () => Promise<void> | void };

export const SECTIONS: Section[] = [
  { name: 'engine', run: engineScale },
  { name: 'sim', run: simScale },
];

export async function run(): Promise<void> {
  const wanted = process.env.SCALE_SECTIONS?.split(',').filter(Boolean);
  for (const s of SECTIONS) {
    if (wanted && !wanted.includes(s.name)) continue;
    console.log(`### scale: ${s.name}\n`);
    await s.run();
    console.log('');
  }
}

// ---- engine section -----------------------------------------------------------------------

const LOC_I = parseLocator('2001:db8::1');
const LOC_R = parseLocator('2001:db8::2');
const LOC_P = parseLocator('2001:db8::3');

/**
 * Puzzle K = 1 and a short I1 retransmission interval (the "one due timer" step advances
 * virtual time by it); the R1 rate limits (RFC 7401 §6.7) lifted, as every Initiator shares one
 * address; everything else is the default configuration.
 */
const CONFIG: Partial<HipConfig> = { puzzleK: 1, dhGroups: [7], i1RetransmitMs: 10, r1PerSecond: 1e9, r1Burst: 1 << 24, r1PerSourcePerSecond: 1e9, r1PerSourceBurst: 1 << 20 };

async function engineScale(): Promise<void> {
  const sizes = (process.env.SCALE_SIZES ?? '1000,10000,100000').split(',').map(Number);
  const rounds = Number(process.env.SCALE_ROUNDS ?? 7);
  const LIVES = 20;
  const CALLS = 20_000;
  const crypto = fastCrypto();
  const random = seededRandom('bench-scale');
  const newIdentity = () => fastIdentity(random);
  const responderId = newIdentity();
  console.log(`fastCrypto (insecure, engine cost only), fastIdentity (Ed25519-shaped, no key arithmetic), ECDH P-256 (group 7) sizes, puzzle K = 1, zero-latency wire.`);
  console.log(`${rounds} interleaved rounds after a warm-up round; per round and size: ${LIVES} association lives, ${LIVES} due timers, ${CALLS} pollTimeout and idle handleTimeout calls; medians of the samples.\n`);

  // Build: one Responder per size (the largest last, with the heap measured around it).
  type Sized = { n: number; engine: HipEngine; now: number };
  const built: Sized[] = [];
  let perAssocBytes = NaN;
  for (const n of [...sizes].sort((a, b) => a - b)) {
    const engine = new HipEngine({ identities: [responderId], locators: [LOC_R], crypto, random, config: CONFIG }, 0);
    const largest = n === Math.max(...sizes);
    const before = largest ? heapBytes() : 0;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) establishDirect(engine, { identity: newIdentity(), locator: LOC_I, responderLocator: LOC_R, crypto, random, config: CONFIG }, 0);
    const ms = performance.now() - t0;
    if (largest) perAssocBytes = (heapBytes() - before) / n;
    const st = engine.stats();
    if (st.established !== n) throw new Error(`expected ${n} established associations, got ${st.established}`);
    console.log(`  built ${n.toLocaleString('en')} associations in ${(ms / 1000).toFixed(1)} s (${(ms / n).toFixed(2)} ms per base exchange, both engines)`);
    built.push({ n, engine, now: 1 });
  }
  console.log('');

  const OPS = [...RESPONDER_STEPS, 'pollTimeout', 'idle handleTimeout', 'one due timer'] as const;
  type Op = (typeof OPS)[number];
  const samples = new Map<number, Map<Op, number[]>>(built.map((b) => [b.n, new Map(OPS.map((o) => [o, [] as number[]]))]));
  let sink = 0;
  const BATCH = 1000;
  // Round 0 warms the JIT up on every size and is not recorded.
  for (let r = 0; r <= rounds; r++) {
    for (const b of built) {
      const s = samples.get(b.n)!;
      const record = (op: Op, ms: number): void => {
        if (r > 0) s.get(op)!.push(ms);
      };
      const e = b.engine;
      for (let i = 0; i < LIVES; i++) {
        responderLifecycle(e, { identity: newIdentity(), locator: LOC_I, responderLocator: LOC_R, crypto, random, config: CONFIG }, b.now, (step, go) => {
          const t0 = performance.now();
          go();
          record(step, performance.now() - t0);
        });
      }
      for (let k = 0; k < CALLS / BATCH; k++) {
        let t0 = performance.now();
        for (let i = 0; i < BATCH; i++) sink += e.pollTimeout() ?? 0;
        record('pollTimeout', (performance.now() - t0) / BATCH);
        t0 = performance.now();
        for (let i = 0; i < BATCH; i++) e.handleTimeout(b.now);
        record('idle handleTimeout', (performance.now() - t0) / BATCH);
      }
      // One due timer among n idle ones: a connect's I1 retransmission (the connect itself and
      // the abandoning close are not timed).
      for (let i = 0; i < LIVES; i++) {
        const id = e.connect({ hit: newIdentity().hit, locators: [LOC_P] }, b.now);
        while (e.poll());
        b.now += CONFIG.i1RetransmitMs!;
        const t1 = performance.now();
        e.handleTimeout(b.now);
        record('one due timer', performance.now() - t1);
        let sent = 0;
        for (let o = e.poll(); o !== undefined; o = e.poll()) if (o.kind === 'transmit' && o.packet.kind === 'I1') sent++;
        if (sent !== 1) throw new Error(`the due timer should retransmit one I1, sent ${sent}`);
        e.close(id, b.now);
        while (e.poll());
      }
    }
  }
  if (sink === -1) console.log(sink);

  const ns = built.map((b) => b.n);
  const small = ns[0]!;
  const large = ns[ns.length - 1]!;
  const rows = OPS.map((o) => {
    const med = ns.map((n) => median(samples.get(n)!.get(o)!));
    return [o, ...med.map(fmtMs), `${(med[med.length - 1]! / med[0]!).toFixed(2)}x`];
  });
  table(['operation', ...ns.map((n) => `n = ${n.toLocaleString('en')}`), `${large.toLocaleString('en')} / ${small.toLocaleString('en')}`], rows);
  const gcNote = (globalThis as { gc?: unknown }).gc ? 'after forced GC' : 'no --expose-gc: includes garbage';
  console.log(`\n  heap + ArrayBuffers per established association at n = ${large.toLocaleString('en')}: ${(perAssocBytes / 1024).toFixed(2)} KiB (${gcNote})`);
  const worst = Math.max(...rows.map((r) => Number.parseFloat(r[r.length - 1]!)));
  console.log(`  worst ratio ${large.toLocaleString('en')} / ${small.toLocaleString('en')}: ${worst.toFixed(2)}x (target ≤ 2x); memory target < 4 KiB`);
}
