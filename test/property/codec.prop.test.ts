// Property tests for the wire codec (docs/architecture.md, Tests): decodePacket never throws — on arbitrary bytes,
// on arbitrary parameter regions behind a valid header, and on mutated valid packets (bit flips,
// truncation, Length-field lies, header-length lies, parameter swaps/duplication/removal, byte
// insertion); every accepted packet re-encodes byte for byte; and decode(encode(p)) equals p for
// generated packets covering every parameter kind.
//
// Seed: fixed (printed), override with FC_SEED=<int> to replay. fast-check prints the seed and
// path of any counterexample.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DECODE_ERROR_CODES, decodePacket, encodePacket, type DecodePacketResult } from '../../src/wire/index.js';
import { CORPUS, mutate, mutationArb, packetArb, withoutDerived } from './codec-arbitraries.js';

const SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : 0x5eed7401;
console.log(`codec.prop: fast-check seed ${SEED} (replay with FC_SEED=${SEED})`);

const CODES = new Set<string>(DECODE_ERROR_CODES);
let cases = 0;

/** The invariant for any input: no throw; a known error code; or a packet that re-encodes to its raw bytes. */
function checkDecode(bytes: Uint8Array): DecodePacketResult {
  cases++;
  const res = decodePacket(bytes);
  if (!res.ok) {
    if (!CODES.has(res.error.code)) throw new Error(`unknown code ${res.error.code}`);
    if (!(res.error.offset >= 0 && res.error.offset <= bytes.length)) throw new Error(`offset ${res.error.offset} outside input`);
    return res;
  }
  const again = encodePacket(res.packet, { keepChecksum: true });
  const raw = res.packet.raw!;
  if (again.length !== raw.length || again.some((x, i) => x !== raw[i])) throw new Error('accepted packet does not re-encode byte for byte');
  return res;
}

const header = (type: number, body: Uint8Array): Uint8Array => {
  const len = 40 + body.length - (body.length % 8);
  const b = new Uint8Array(len);
  b.set([0x3b, len / 8 - 1, type, 0x21]);
  b.set(body.subarray(0, len - 40), 40);
  return b;
};

describe('decodePacket never throws', () => {
  it('on arbitrary bytes (100,000 cases)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 160 }), (b) => {
        checkDecode(b);
      }),
      { seed: SEED, numRuns: 100_000 },
    );
  });

  it('on arbitrary parameter bytes behind a valid header (100,000 cases)', () => {
    const tlvish = fc.array(
      fc.oneof(
        fc.uint8Array({ minLength: 1, maxLength: 24 }),
        // A plausible TLV head: known-ish type, small Length.
        fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 40 })).map(([t, l]) => Uint8Array.of(t >> 8, t & 0xff, 0, l)),
      ),
      { maxLength: 12 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 19 }), tlvish, (type, chunks) => {
        const body = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
        let o = 0;
        for (const c of chunks) {
          body.set(c, o);
          o += c.length;
        }
        checkDecode(header(type, body));
      }),
      { seed: SEED + 1, numRuns: 100_000 },
    );
  });

  it(`on mutated valid packets from a ${CORPUS.length}-packet corpus (150,000 cases)`, () => {
    for (const c of CORPUS) expect(checkDecode(c).ok).toBe(true);
    fc.assert(
      fc.property(fc.nat(CORPUS.length - 1), fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (i, ms) => {
        let b = CORPUS[i]!;
        for (const m of ms) b = mutate(b, m);
        checkDecode(b);
      }),
      { seed: SEED + 2, numRuns: 150_000 },
    );
  });
});

describe('round trips', () => {
  it('decode(encode(p)) equals p, and encode(decode(b)) equals b, for generated packets (10,000 cases)', () => {
    fc.assert(
      fc.property(packetArb, (p) => {
        const b = encodePacket(p, { keepChecksum: true });
        const res = checkDecode(b);
        if (!res.ok) throw new Error(`${res.error.code} ${res.error.message}`);
        expect(withoutDerived(res.packet)).toEqual(p);
        expect(res.packet.raw).toEqual(b);
      }),
      { seed: SEED + 3, numRuns: 10_000 },
    );
  });

  it(`ran at least 350,000 decode cases`, () => {
    expect(cases).toBeGreaterThanOrEqual(350_000);
    console.log(`codec.prop: ${cases} decodePacket cases`);
  });
});
