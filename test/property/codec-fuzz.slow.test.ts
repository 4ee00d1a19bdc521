// Slow fuzz suite for the wire codec: the codec.prop properties at scale. `npm run fuzz` runs it.
//   FUZZ_CASES=<n>  total decodePacket cases (default 10,000,000), split 20% arbitrary bytes,
//                   20% arbitrary parameter regions behind a valid header, 60% mutated packets.
//   FC_SEED=<int>   fast-check seed (printed at start; any counterexample prints seed and path).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DECODE_ERROR_CODES, decodePacket, encodePacket } from '../../src/wire/index.js';
import { CORPUS, mutate, mutationArb } from './codec-arbitraries.js';

const TOTAL = process.env.FUZZ_CASES !== undefined ? Number(process.env.FUZZ_CASES) : 10_000_000;
const SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : 0x5eed7402;
console.log(`codec-fuzz: ${TOTAL} cases, fast-check seed ${SEED} (replay with FC_SEED=${SEED} FUZZ_CASES=${TOTAL})`);

const CODES = new Set<string>(DECODE_ERROR_CODES);
const tally = new Map<string, number>();

function check(bytes: Uint8Array): void {
  const res = decodePacket(bytes);
  const key = res.ok ? 'OK' : res.error.code;
  tally.set(key, (tally.get(key) ?? 0) + 1);
  if (!res.ok) {
    if (!CODES.has(res.error.code)) throw new Error(`unknown code ${res.error.code}`);
    return;
  }
  const again = encodePacket(res.packet, { keepChecksum: true });
  const raw = res.packet.raw!;
  if (again.length !== raw.length || again.some((x, i) => x !== raw[i])) throw new Error('accepted packet does not re-encode byte for byte');
}

describe(`codec fuzz (${TOTAL} cases)`, () => {
  it('arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), (b) => check(b)), { seed: SEED, numRuns: Math.round(TOTAL * 0.2) });
  });

  it('arbitrary parameter regions behind a valid header', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 19 }), fc.uint8Array({ maxLength: 400 }), fc.array(fc.tuple(fc.nat(399), fc.integer({ min: 0, max: 0xffff })), { maxLength: 6 }), (type, body, heads) => {
        const len = 40 + body.length - (body.length % 8);
        const b = new Uint8Array(len);
        b.set([0x3b, len / 8 - 1, type, 0x21]);
        b.set(body.subarray(0, len - 40), 40);
        // Plant plausible Type/Length words at 8-aligned offsets.
        for (const [at, v] of heads) {
          const o = 40 + ((at * 8) % Math.max(8, len - 40));
          if (o + 4 <= len) {
            b[o + 2] = 0;
            b[o + 3] = v & 0x3f;
          }
        }
        check(b);
      }),
      { seed: SEED + 1, numRuns: Math.round(TOTAL * 0.2) },
    );
  });

  it('mutated valid packets', () => {
    fc.assert(
      fc.property(fc.nat(CORPUS.length - 1), fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (i, ms) => {
        let b = CORPUS[i]!;
        for (const m of ms) b = mutate(b, m);
        check(b);
      }),
      { seed: SEED + 2, numRuns: TOTAL - 2 * Math.round(TOTAL * 0.2) },
    );
    const total = [...tally.values()].reduce((a, b) => a + b, 0);
    console.log(`codec-fuzz: ${total} cases; outcomes ${JSON.stringify(Object.fromEntries([...tally].sort((a, b) => b[1] - a[1])))}`);
    expect(total).toBe(TOTAL);
  });
});
