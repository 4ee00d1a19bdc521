// testing/netem.ts: the sans-I/O one-way link model (docs/architecture.md, Simulator).
import { describe, expect, it } from 'vitest';
import { parseLocator } from '../../src/addr/locator.js';
import { Link, Prng, duplexLink, fragmentCount, havoc, type Delivery, type LinkOptions } from '../../src/testing/index.js';
import { equalBytes, toHex } from '../../src/util/bytes.js';

const V6A = parseLocator('2001:db8::a');
const V6B = parseLocator('2001:db8::b');
const V4A = parseLocator('192.0.2.1');
const V4B = parseLocator('192.0.2.2');

const pkt = (i: number, len = 100): Uint8Array => Uint8Array.from({ length: len }, (_, k) => (i * 31 + k * 7) & 0xff);

/** Submits n packets 1 ms apart and returns every outcome. */
function run(link: Link, n: number, len = 100, spacingMs = 1) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(link.transmit({ bytes: pkt(i, len) }, i * spacingMs));
  return out;
}

describe('latency, jitter, reordering', () => {
  it('a plain link delivers every packet once, intact, after latencyMs', () => {
    const l = new Link({ latencyMs: 20 }, 1);
    for (let i = 0; i < 50; i++) {
      const d = l.submit({ bytes: pkt(i), src: V6A, dst: V6B, tag: i }, i * 3);
      expect(d).toHaveLength(1);
      expect(d[0]!.deliverAt).toBe(i * 3 + 20);
      expect(equalBytes(d[0]!.bytes, pkt(i))).toBe(true);
      expect(d[0]!.duplicate).toBe(false);
      expect(d[0]!.corrupted).toBeUndefined();
      expect(d[0]!.index).toBe(i);
      expect(d[0]!.tag).toBe(i);
      expect(d[0]!.src).toBe(V6A);
      expect(d[0]!.dst).toBe(V6B);
    }
    expect(l.counters.delivered).toBe(50);
  });

  it('deliveries are fresh copies', () => {
    const l = new Link({}, 1);
    const b = pkt(0);
    const [d] = l.submit({ bytes: b }, 0);
    expect(d!.bytes).not.toBe(b);
    d!.bytes[0] = d!.bytes[0]! ^ 1;
    expect(equalBytes(b, pkt(0))).toBe(true);
  });

  it('jitter stays within [latency, latency + jitter) and reorders', () => {
    const l = new Link({ latencyMs: 20, jitterMs: 5 }, 2);
    const ds = run(l, 1000, 50, 1).flatMap((o) => o.deliveries);
    let minD = Infinity;
    let maxD = -Infinity;
    for (const d of ds) {
      const delay = d.deliverAt - d.index;
      minD = Math.min(minD, delay);
      maxD = Math.max(maxD, delay);
    }
    expect(minD).toBeGreaterThanOrEqual(20);
    expect(maxD).toBeLessThan(25);
    expect(maxD - minD).toBeGreaterThan(4); // the jitter is actually used
    const order = [...ds].sort((a, b) => a.deliverAt - b.deliverAt).map((d) => d.index);
    const inversions = order.filter((v, i) => i > 0 && v < order[i - 1]!).length;
    expect(inversions).toBeGreaterThan(100);
  });

  it('reorder holds back about p of packets by reorderDelayMs', () => {
    const l = new Link({ latencyMs: 10, reorder: 0.25, reorderDelayMs: 7 }, 3);
    const ds = run(l, 10_000).flatMap((o) => o.deliveries);
    const held = ds.filter((d) => d.deliverAt - d.index === 17).length;
    expect(ds.every((d) => d.deliverAt - d.index === 10 || d.deliverAt - d.index === 17)).toBe(true);
    expect(held).toBe(l.counters.reordered);
    expect(Math.abs(held / 10_000 - 0.25)).toBeLessThan(0.02);
  });
});

describe('loss', () => {
  it('a bigint loss mask drops exactly the masked indices', () => {
    const mask = 0b1011_0010n | (1n << 63n);
    const l = new Link({ lossMask: mask }, 4);
    const dropped = run(l, 70).filter((o) => o.drop !== undefined).map((o) => o.index);
    expect(dropped).toEqual([1, 4, 5, 7, 63]);
    expect(run(l, 0)).toEqual([]);
    expect(l.counters.lost.mask).toBe(5);
    expect(l.counters.delivered).toBe(65);
  });

  it('an index-list loss mask drops exactly the listed indices', () => {
    const l = new Link({ lossMask: [0, 3, 3, 9] }, 4);
    const outs = run(l, 12);
    expect(outs.filter((o) => o.drop === 'mask').map((o) => o.index)).toEqual([0, 3, 9]);
    expect(outs.filter((o) => o.drop === undefined)).toHaveLength(9);
  });

  it('exhaustive masks over 6 packets each drop their own pattern', () => {
    for (let m = 0n; m < 64n; m++) {
      const l = new Link({ lossMask: m }, 5);
      const bits = run(l, 6).reduce((acc, o) => (o.drop === 'mask' ? acc | (1n << BigInt(o.index)) : acc), 0n);
      expect(bits).toBe(m);
    }
  });

  it('Bernoulli loss rate over 100k packets is within bounds (fixed seed)', () => {
    const l = new Link({ loss: 0.1 }, 6);
    const b = pkt(0, 10);
    for (let i = 0; i < 100_000; i++) l.submit({ bytes: b }, i);
    const lost = l.counters.lost.loss;
    // sd = sqrt(100k * 0.1 * 0.9) ≈ 95: allow ±5 sd.
    expect(lost).toBeGreaterThan(10_000 - 475);
    expect(lost).toBeLessThan(10_000 + 475);
    expect(lost + l.counters.delivered).toBe(100_000);
  });

  it('Gilbert–Elliott loss comes in bursts of mean length ≈ 1/pBadToGood', () => {
    const burstsOf = (opts: LinkOptions, seed: number) => {
      const l = new Link(opts, seed);
      const lost: boolean[] = [];
      for (let i = 0; i < 100_000; i++) lost.push(l.transmit({ bytes: pkt(0, 10) }, i).drop !== undefined);
      const bursts: number[] = [];
      let run = 0;
      for (const x of lost) {
        if (x) run++;
        else if (run > 0) {
          bursts.push(run);
          run = 0;
        }
      }
      const total = lost.filter(Boolean).length;
      return { mean: bursts.reduce((a, b) => a + b, 0) / bursts.length, rate: total / lost.length };
    };
    const ge = burstsOf({ loss: { pGoodToBad: 0.02, pBadToGood: 0.25 } }, 7);
    expect(ge.mean).toBeGreaterThan(3.6);
    expect(ge.mean).toBeLessThan(4.4);
    // Stationary loss rate: pGB / (pGB + pBG) = 0.02 / 0.27 ≈ 0.074.
    expect(Math.abs(ge.rate - 0.02 / 0.27)).toBeLessThan(0.01);
    // Bernoulli loss of the same rate has bursts of mean ≈ 1 / (1 − p) ≈ 1.08.
    const b = burstsOf({ loss: ge.rate }, 7);
    expect(b.mean).toBeLessThan(1.2);
  });

  it('lossInBad < 1 and lossInGood > 0 are honoured', () => {
    const l = new Link({ loss: { pGoodToBad: 0, pBadToGood: 0, lossInGood: 0.5 } }, 8);
    for (let i = 0; i < 10_000; i++) l.submit({ bytes: pkt(0, 10) }, i);
    expect(Math.abs(l.counters.lost.loss / 10_000 - 0.5)).toBeLessThan(0.03);
    expect(l.inBadState).toBe(false);
  });
});

describe('duplication and corruption', () => {
  it('duplicates about p of packets, as marked extra copies', () => {
    const l = new Link({ latencyMs: 5, duplicate: 0.2 }, 9);
    const outs = run(l, 10_000);
    const ds = outs.flatMap((o) => o.deliveries);
    const dups = ds.filter((d) => d.duplicate);
    expect(dups.length).toBe(l.counters.duplicated);
    expect(ds.length).toBe(10_000 + dups.length);
    expect(Math.abs(dups.length / 10_000 - 0.2)).toBeLessThan(0.015);
    for (const o of outs) {
      if (o.deliveries.length === 2) expect(equalBytes(o.deliveries[0]!.bytes, o.deliveries[1]!.bytes)).toBe(true);
    }
  });

  it('corruption always changes the bytes and uses every havoc kind', () => {
    const l = new Link({ corrupt: 1 }, 10);
    const kinds = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const orig = pkt(i, 1 + (i % 64));
      const [d] = l.submit({ bytes: orig }, i);
      expect(d!.corrupted).toBeDefined();
      expect(equalBytes(d!.bytes, orig)).toBe(false);
      kinds.set(d!.corrupted!, (kinds.get(d!.corrupted!) ?? 0) + 1);
      if (d!.corrupted === 'truncate') expect(d!.bytes.length).toBeLessThan(orig.length);
      else expect(d!.bytes.length).toBe(orig.length);
    }
    expect([...kinds.keys()].sort()).toEqual(['flip', 'swap', 'truncate']);
    expect(l.counters.corrupted).toBe(3000);
  });

  it('corruptKinds restricts havoc; a bit flip flips exactly one bit', () => {
    const l = new Link({ corrupt: 1, corruptKinds: ['flip'] }, 11);
    for (let i = 0; i < 500; i++) {
      const orig = pkt(i, 40);
      const [d] = l.submit({ bytes: orig }, i);
      let bits = 0;
      for (let k = 0; k < 40; k++) for (let x = orig[k]! ^ d!.bytes[k]!; x; x &= x - 1) bits++;
      expect(bits).toBe(1);
    }
  });

  it('havoc: swap over equal bytes falls back to a flip; empty input cannot be corrupted', () => {
    const rng = new Prng(1);
    expect(havoc(new Uint8Array(0), rng, 'flip')).toBeUndefined();
    const r = havoc(new Uint8Array(8).fill(7), rng, 'swap');
    expect(r!.kind).toBe('flip');
    const l = new Link({ corrupt: 1 }, 12);
    const [d] = l.submit({ bytes: new Uint8Array(0) }, 0);
    expect(d!.corrupted).toBeUndefined();
    expect(l.counters.corrupted).toBe(0);
  });
});

describe('MTU and IP fragmentation', () => {
  it('fragmentCount follows the IPv4/IPv6 fragment payload sizes', () => {
    // IPv4, mtu 1500: 1480 bytes per fragment; IPv6, mtu 1280: 1280 − 40 − 8 = 1232.
    expect(fragmentCount(1480, 1500, 'ipv4')).toBe(1);
    expect(fragmentCount(1481, 1500, 'ipv4')).toBe(2);
    expect(fragmentCount(2960, 1500, 'ipv4')).toBe(2);
    expect(fragmentCount(1240, 1280, 'ipv6')).toBe(1);
    expect(fragmentCount(1241, 1280, 'ipv6')).toBe(2);
    expect(fragmentCount(3 * 1232, 1280, 'ipv6')).toBe(3);
    expect(fragmentCount(3 * 1232 + 1, 1280, 'ipv6')).toBe(4);
    expect(fragmentCount(1000, 576, 'ipv4')).toBe(2); // 556 → 552 per fragment
    expect(fragmentCount(3000, 1000)).toBe(3);
  });

  it('oversize packets are fragmented by default and delivered whole', () => {
    const l = new Link({ mtu: 1280, latencyMs: 1 }, 13);
    const big = pkt(1, 3000);
    const o = l.transmit({ bytes: big, src: V6A, dst: V6B }, 0);
    expect(o.fragments).toBe(3);
    expect(o.deliveries).toHaveLength(1);
    expect(o.deliveries[0]!.fragments).toBe(3);
    expect(equalBytes(o.deliveries[0]!.bytes, big)).toBe(true);
    expect(l.counters.fragmented).toBe(1);
    // The IP header counts against the MTU: 1460 + 20 fits IPv4 1480, 1461 does not.
    const l4 = new Link({ mtu: 1480, fragmentation: false }, 13);
    expect(l4.transmit({ bytes: pkt(0, 1460), src: V4A, dst: V4B }, 0).drop).toBeUndefined();
    expect(l4.transmit({ bytes: pkt(0, 1461), src: V4A, dst: V4B }, 0).drop).toBe('mtu');
  });

  it('fragmentation: false drops oversize packets as mtu', () => {
    const l = new Link({ mtu: 1280, fragmentation: false }, 14);
    expect(l.submit({ bytes: pkt(0, 1240), src: V6A }, 0)).toHaveLength(1);
    expect(l.submit({ bytes: pkt(0, 1241), src: V6A }, 0)).toHaveLength(0);
    expect(l.counters.lost.mtu).toBe(1);
  });

  it('a 3-fragment packet survives per-fragment loss p with rate ≈ (1 − p)^3', () => {
    const p = 0.1;
    const l = new Link({ mtu: 1280, loss: p }, 15);
    const N = 20_000;
    const big = pkt(0, 3000);
    for (let i = 0; i < N; i++) l.submit({ bytes: big, src: V6A, dst: V6B }, i);
    const c = l.counters;
    const rate = c.delivered / N;
    expect(Math.abs(rate - (1 - p) ** 3)).toBeLessThan(0.015); // 0.729; sd ≈ 0.003
    expect(c.lost.fragment).toBe(N - c.delivered);
    expect(c.lost.loss).toBe(0);
    expect(c.fragmented).toBe(N);
    // An unfragmented packet on the same kind of link survives with rate ≈ 1 − p.
    const s = new Link({ mtu: 1280, loss: p }, 15);
    const small = pkt(0, 1000);
    for (let i = 0; i < N; i++) s.submit({ bytes: small, src: V6A, dst: V6B }, i);
    expect(Math.abs(s.counters.delivered / N - (1 - p))).toBeLessThan(0.015);
  });
});

describe('up/down', () => {
  it('drops packets submitted inside a down interval [from, to)', () => {
    const l = new Link({ latencyMs: 1, down: [[100, 200], [300, 300]] }, 16);
    expect(l.transmit({ bytes: pkt(0) }, 99).drop).toBeUndefined();
    expect(l.transmit({ bytes: pkt(0) }, 100).drop).toBe('down');
    expect(l.transmit({ bytes: pkt(0) }, 199.5).drop).toBe('down');
    expect(l.transmit({ bytes: pkt(0) }, 200).drop).toBeUndefined();
    expect(l.transmit({ bytes: pkt(0) }, 300).drop).toBeUndefined(); // empty interval
    expect(l.isUp(150)).toBe(false);
    expect(l.isUp(250)).toBe(true);
  });

  it('setUp(false) drops everything until setUp(true)', () => {
    const l = new Link({}, 17);
    l.setUp(false);
    expect(run(l, 5).every((o) => o.drop === 'down')).toBe(true);
    l.setUp(true);
    expect(l.transmit({ bytes: pkt(0) }, 10).drop).toBeUndefined();
    expect(l.counters.lost.down).toBe(5);
  });
});

describe('rate limit and tail drop', () => {
  it('serialises packets at rateBps behind each other', () => {
    // 8000 bit/s = 1 byte per ms: a 100-byte packet takes 100 ms.
    const l = new Link({ rateBps: 8000, latencyMs: 10 }, 18);
    const at = [0, 0, 0, 50, 1000].map((t) => l.submit({ bytes: pkt(0, 100) }, t)[0]!.deliverAt);
    expect(at).toEqual([110, 210, 310, 410, 1110]);
  });

  it('tail-drops when the backlog would exceed bufferBytes', () => {
    const l = new Link({ rateBps: 8000, bufferBytes: 250 }, 19);
    const r = (t: number) => l.transmit({ bytes: pkt(0, 100) }, t);
    expect(r(0).deliveries[0]!.deliverAt).toBe(100);
    expect(r(0).deliveries[0]!.deliverAt).toBe(200);
    expect(r(0).drop).toBe('queue'); // backlog 200 + 100 > 250
    // At 150 the first packet has left the queue: backlog 100 + 100 fits.
    expect(r(150).deliveries[0]!.deliverAt).toBe(300);
    expect(r(150).drop).toBe('queue');
    expect(l.counters.lost.queue).toBe(2);
  });

  it('the IP header counts toward the serialised size', () => {
    const l = new Link({ rateBps: 8000 }, 20);
    expect(l.submit({ bytes: pkt(0, 80), src: V4A, dst: V4B }, 0)[0]!.deliverAt).toBe(100);
    expect(l.submit({ bytes: pkt(0, 60), src: V6A, dst: V6B }, 100)[0]!.deliverAt).toBe(200);
  });
});

describe('determinism', () => {
  const opts: LinkOptions = {
    latencyMs: 30,
    jitterMs: 10,
    reorder: 0.05,
    loss: { pGoodToBad: 0.05, pBadToGood: 0.3, lossInBad: 0.8 },
    duplicate: 0.05,
    corrupt: 0.05,
    mtu: 1280,
    rateBps: 10_000_000,
    bufferBytes: 64_000,
  };
  const trace = (seed: number | string) => {
    const l = new Link(opts, seed);
    const ds: Delivery[] = [];
    for (let i = 0; i < 2000; i++) ds.push(...l.submit({ bytes: pkt(i, 200 + ((i * 37) % 3000)), src: V6A, dst: V6B }, i * 0.7));
    return { ds: ds.map((d) => [d.index, d.deliverAt, d.duplicate, d.corrupted ?? '', toHex(d.bytes)]), counters: l.counters };
  };

  it('same seed → identical deliveries and counters; another seed differs', () => {
    const a = trace(42);
    expect(trace(42)).toEqual(a);
    expect(trace(43).ds).not.toEqual(a.ds);
    const c = a.counters;
    expect(c.submitted).toBe(2000);
    expect(c.delivered + Object.values(c.lost).reduce((x, y) => x + y, 0)).toBe(2000);
  });

  it('duplexLink gives the two directions independent streams', () => {
    const { forward, reverse } = duplexLink({ loss: 0.5 }, 'path');
    const f = run(forward, 64).map((o) => o.drop === undefined);
    const r = run(reverse, 64).map((o) => o.drop === undefined);
    expect(f).not.toEqual(r);
    const again = duplexLink({ loss: 0.5 }, 'path');
    expect(run(again.forward, 64).map((o) => o.drop === undefined)).toEqual(f);
  });
});

describe('option validation', () => {
  it('rejects bad options', () => {
    expect(() => new Link({ loss: 1.5 }, 1)).toThrow(RangeError);
    expect(() => new Link({ latencyMs: -1 }, 1)).toThrow(RangeError);
    expect(() => new Link({ mtu: 20 }, 1)).toThrow(RangeError);
    expect(() => new Link({ rateBps: 0 }, 1)).toThrow(RangeError);
    expect(() => new Link({ down: [[5, 1]] }, 1)).toThrow(RangeError);
    expect(() => new Link({ lossMask: [-1] }, 1)).toThrow(RangeError);
    expect(() => new Link({ corruptKinds: [] }, 1)).toThrow(RangeError);
    expect(() => new Link({ loss: { pGoodToBad: 2, pBadToGood: 0 } }, 1)).toThrow(RangeError);
  });
});
