// RFC 4303 ESP packet processing in the BEET mode of RFC 7402, every suite cross-checked
// against node:crypto (RFC 3602 AES-CBC, RFC 4868 HMAC-SHA-256-128, RFC 2404 HMAC-SHA1-96,
// RFC 4106 AES-GCM, RFC 2410 NULL).
import { describe, expect, it } from 'vitest';
import { EspDataPlane, ESP_DROP_REASONS, espSpi, type EspDataPlaneOptions } from '../../src/esp/index.js';
import { ESP_SUITE, type EspSuiteId } from '../../src/types.js';
import {
  ALL_SUITES,
  HIT_A,
  HIT_B,
  LOC_A,
  LOC_A4,
  LOC_B,
  LOC_B4,
  NODE_SUITES,
  bytesOf,
  keysFor,
  nodeBuild,
  nodeOpen,
  patternRandom,
  saPair,
} from './helpers.js';

const SIZES = [0, 1, 2, 13, 14, 15, 16, 17, 30, 31, 32, 100, 1400];

function planes(suite: EspSuiteId, spi = 0x1000, extra: Partial<EspDataPlaneOptions> = {}, encKeyLen?: number) {
  const opts: EspDataPlaneOptions = { random: patternRandom(), allowAuthOnly: true, ...extra };
  const tx = new EspDataPlane(opts);
  const rx = new EspDataPlane(opts);
  const pair = encKeyLen === undefined ? saPair(suite, spi) : saPair(suite, spi, { encKeyLen });
  tx.addSa(pair.out);
  rx.addSa(pair.in);
  return { tx, rx, pair };
}

function mustProtect(dp: EspDataPlane, payload: Uint8Array, nextHeader = 17) {
  const r = dp.protect(HIT_B, payload, { nextHeader });
  if (!r.ok) throw new Error(`protect failed: ${r.reason}`);
  return r.packet;
}

describe.each(ALL_SUITES)('suite %i against node:crypto', (suite) => {
  const s = NODE_SUITES[suite];
  const { encKey, authKey } = keysFor(suite);

  it('protect() output equals the node:crypto packet byte for byte (same IV)', () => {
    const { tx } = planes(suite);
    const random = patternRandom();
    for (const [i, size] of SIZES.entries()) {
      const payload = bytesOf(size, i);
      const pkt = mustProtect(tx, payload);
      const seq = i + 1;
      // CBC: a fresh 16-byte IV from the RandomSource per packet. GCM: per-SA 4-byte random
      // prefix (drawn at addSa) ‖ the 32-bit sequence number. NULL: no IV.
      const iv =
        s.cipher === 'cbc'
          ? random(16)
          : s.cipher === 'gcm'
            ? Uint8Array.from([...random(4), 0, 0, 0, seq])
            : new Uint8Array(0);
      const expected = nodeBuild({ suite, encKey, authKey, spi: 0x1000, seq, iv, payload, nextHeader: 17 });
      expect(pkt.seq).toBe(seq);
      expect(pkt.spi).toBe(0x1000);
      expect(Buffer.from(pkt.bytes).toString('hex')).toBe(Buffer.from(expected).toString('hex'));
      const opened = nodeOpen(suite, encKey, authKey, pkt.bytes);
      expect(opened.payload).toEqual(payload);
      expect(opened.nextHeader).toBe(17);
      // RFC 4303 §2.4: the packet is aligned and the default padding is 1, 2, 3, ...
      expect((pkt.bytes.length - 8 - s.ivLen - s.icvLen) % s.align).toBe(0);
      expect(opened.padding).toEqual(Uint8Array.from({ length: opened.padding.length }, (_, k) => k + 1));
      expect(opened.padding.length).toBeLessThan(s.align);
    }
  });

  it('unprotect() accepts node-built packets (random IVs, every size)', () => {
    const { rx } = planes(suite);
    for (const [i, size] of SIZES.entries()) {
      const payload = bytesOf(size, 100 + i);
      const bytes = nodeBuild({ suite, encKey, authKey, spi: 0x1000, seq: 10 + i, payload, nextHeader: 6 });
      const r = rx.unprotect(bytes, LOC_A, LOC_B);
      expect(r.ok).toBe(true);
      if (!r.ok) continue;
      expect(r.payload).toEqual(payload);
      expect(r.nextHeader).toBe(6);
      expect(r.seq).toBe(10 + i);
      expect(r.spi).toBe(0x1000);
      // BEET (RFC 7402 §3): inner addresses are the SA's HITs, outer ones the locators.
      expect(r.peerHit).toEqual(HIT_A);
      expect(r.localHit).toEqual(HIT_B);
      expect(r.src).toEqual(LOC_A);
      expect(r.dst).toEqual(LOC_B);
    }
    expect(rx.stats().rxPackets).toBe(SIZES.length);
  });

  it('round-trips ours to ours and reports esp-seen per authenticated packet', () => {
    const { tx, rx } = planes(suite);
    for (let i = 0; i < 20; i++) {
      const payload = bytesOf(i * 37, i);
      const pkt = mustProtect(tx, payload);
      const r = rx.unprotect(pkt.bytes, pkt.src, pkt.dst);
      expect(r.ok && r.payload).toEqual(payload);
      expect(rx.pollFeedback()).toEqual({ kind: 'esp-seen', spi: 0x1000, src: LOC_A, dst: LOC_B, bytes: pkt.bytes.length });
      expect(rx.pollFeedback()).toBeUndefined();
    }
  });

  it('handles unaligned views (odd byteOffset) for payload and packet', () => {
    const { tx, rx } = planes(suite);
    const payload = bytesOf(101);
    const holder = new Uint8Array(payload.length + 3);
    holder.set(payload, 3);
    const pkt = mustProtect(tx, holder.subarray(3));
    const big = new Uint8Array(pkt.bytes.length + 5);
    big.set(pkt.bytes, 1);
    const r = rx.unprotect(big.subarray(1, 1 + pkt.bytes.length), LOC_A, LOC_B);
    expect(r.ok && r.payload).toEqual(payload);
  });

  it('a bit flip anywhere (header, IV, ciphertext, ICV) is dropped as bad-icv', () => {
    const { tx, rx } = planes(suite);
    const pkt = mustProtect(tx, bytesOf(64));
    for (let bit = 4 * 8; bit < pkt.bytes.length * 8; bit += 13) {
      const bad = pkt.bytes.slice();
      bad[bit >>> 3]! ^= 1 << (bit & 7);
      const r = rx.unprotect(bad, LOC_A, LOC_B);
      expect(r).toEqual({ ok: false, reason: 'bad-icv', spi: 0x1000 });
    }
    expect(rx.pollFeedback()).toBeUndefined();
    // The genuine packet still arrives: the failures did not move the window.
    expect(rx.unprotect(pkt.bytes, LOC_A, LOC_B).ok).toBe(true);
    const st = rx.stats();
    expect(st.drops['bad-icv']).toBeGreaterThan(10);
    expect(st.sas[0]!.drops['bad-icv']).toBe(st.drops['bad-icv']);
    // Drops on a known path count there too.
    expect(st.paths['2001:db8::a→2001:db8::b']!.rxPackets).toBe(1);
  });

  it('padding that is wrong under a valid ICV is dropped as bad-padding (built with node)', () => {
    const { rx } = planes(suite);
    const payload = bytesOf(20);
    const badPads = [
      Uint8Array.of(1, 2, 9, 4, 5, 6, 7, 8, 9, 10), // wrong byte
      Uint8Array.of(2, 3, 4, 5, 6, 7, 8, 9, 10, 11), // starts at 2
      Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0), // zeros
    ];
    let seq = 1;
    for (const padding of badPads) {
      // 20 + 10 + 2 = 32: aligned for every suite.
      const bytes = nodeBuild({ suite, encKey, authKey, spi: 0x1000, seq: seq++, payload, nextHeader: 17, padding });
      expect(rx.unprotect(bytes, LOC_A, LOC_B)).toEqual({ ok: false, reason: 'bad-padding', spi: 0x1000 });
    }
    // Pad Length larger than the plaintext (14 + 0 + 2 = 16 bytes: aligned for every suite).
    const tooLong = nodeBuild({ suite, encKey, authKey, spi: 0x1000, seq: seq++, payload: bytesOf(14), nextHeader: 17, padding: new Uint8Array(0), padLenByte: 200 });
    expect(rx.unprotect(tooLong, LOC_A, LOC_B)).toEqual({ ok: false, reason: 'bad-padding', spi: 0x1000 });
    expect(rx.stats().sas[0]!.drops['bad-padding']).toBe(4);
    expect(rx.pollFeedback()).toBeUndefined();
    // A correct packet is still accepted afterwards.
    const good = nodeBuild({ suite, encKey, authKey, spi: 0x1000, seq: seq++, payload, nextHeader: 17 });
    expect(rx.unprotect(good, LOC_A, LOC_B).ok).toBe(true);
  });

  it('truncated and misaligned packets are dropped with their reason', () => {
    const { tx, rx } = planes(suite);
    const pkt = mustProtect(tx, bytesOf(40)).bytes;
    expect(rx.unprotect(pkt.subarray(0, 7), LOC_A, LOC_B)).toEqual({ ok: false, reason: 'truncated' });
    expect(rx.unprotect(pkt.subarray(0, 8 + s.ivLen + s.icvLen), LOC_A, LOC_B)).toEqual({ ok: false, reason: 'truncated', spi: 0x1000 });
    expect(rx.unprotect(pkt.subarray(0, pkt.length - 1), LOC_A, LOC_B)).toEqual({ ok: false, reason: 'bad-length', spi: 0x1000 });
    const st = rx.stats();
    expect(st.drops.truncated).toBe(2);
    expect(st.drops['bad-length']).toBe(1);
    expect(rx.unprotect(pkt, LOC_A, LOC_B).ok).toBe(true);
  });
});

describe('AES-GCM key sizes (RFC 4106: 128/192/256-bit keys + 4-byte salt)', () => {
  it.each([20, 28, 36])('encKey of %i bytes matches node:crypto', (len) => {
    for (const suite of [ESP_SUITE.AES_GCM_8, ESP_SUITE.AES_GCM_16] as const) {
      const { tx, rx } = planes(suite, 0x2000, {}, len);
      const { encKey } = keysFor(suite, 1, len);
      const payload = bytesOf(1400);
      const pkt = mustProtect(tx, payload);
      expect(nodeOpen(suite, encKey, new Uint8Array(0), pkt.bytes).payload).toEqual(payload);
      const bytes = nodeBuild({ suite, encKey, authKey: new Uint8Array(0), spi: 0x2000, seq: 9, payload, nextHeader: 17 });
      const r = rx.unprotect(bytes, LOC_A, LOC_B);
      expect(r.ok && r.payload).toEqual(payload);
    }
  });
});

describe('inbound processing', () => {
  it('drops on a known path are counted on that path', () => {
    const { tx, rx } = planes(ESP_SUITE.AES_128_CBC_HMAC_SHA256);
    const pkt = mustProtect(tx, bytesOf(10));
    expect(rx.unprotect(pkt.bytes, LOC_A, LOC_B).ok).toBe(true);
    expect(rx.unprotect(pkt.bytes, LOC_A, LOC_B)).toEqual({ ok: false, reason: 'replay', spi: 0x1000 });
    const bad = mustProtect(tx, bytesOf(10)).bytes;
    bad[bad.length - 1]! ^= 1;
    expect(rx.unprotect(bad, LOC_A, LOC_B).ok).toBe(false);
    expect(rx.unprotect(bad, LOC_A4, LOC_B).ok).toBe(false); // unknown path: total only
    const st = rx.stats();
    const path = st.paths['2001:db8::a→2001:db8::b']!;
    expect([path.rxPackets, path.drops.replay, path.drops['bad-icv']]).toEqual([1, 1, 1]);
    expect(st.drops['bad-icv']).toBe(2);
    expect(Object.keys(st.paths)).toHaveLength(1);
  });

  it('never throws on mutated or random input (2000 cases, every suite)', () => {
    let state = 99;
    const rnd = (n: number) => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state % n;
    };
    for (const suite of ALL_SUITES) {
      const { tx, rx } = planes(suite, 0x1000, { replayWindow: 0 });
      const payload = bytesOf(50);
      const good = mustProtect(tx, payload).bytes;
      for (let i = 0; i < 2000 / ALL_SUITES.length; i++) {
        let b: Uint8Array;
        switch (rnd(4)) {
          case 0:
            b = good.slice(0, rnd(good.length + 1));
            break;
          case 1:
            b = Uint8Array.from({ length: rnd(120) }, () => rnd(256));
            if (b.length >= 4) b.set([0, 0, 0x10, 0], 0);
            break;
          default:
            b = good.slice();
            for (let k = 0, n = 1 + rnd(3); k < n; k++) b[rnd(b.length)]! ^= 1 << rnd(8);
        }
        const same = b.length === good.length && b.every((v, j) => v === good[j]);
        const r = rx.unprotect(b, LOC_A, LOC_B);
        expect(r.ok).toBe(same);
        if (r.ok) expect(r.payload).toEqual(payload);
      }
    }
  });

  it('drops an unknown SPI and counts it', () => {
    const { tx, rx } = planes(ESP_SUITE.AES_128_CBC_HMAC_SHA256);
    const pkt = mustProtect(tx, bytesOf(10)).bytes;
    const other = pkt.slice();
    other[3]! ^= 0xff;
    expect(rx.unprotect(other, LOC_A, LOC_B)).toEqual({ ok: false, reason: 'unknown-spi' });
    expect(rx.stats().drops['unknown-spi']).toBe(1);
    // Unauthenticated input does not create path entries.
    expect(Object.keys(rx.stats().paths)).toEqual([]);
  });

  it('does not check outer addresses (RFC 7402 §B.1.6) but reports them in esp-seen', () => {
    const { tx, rx } = planes(ESP_SUITE.AES_128_CBC_HMAC_SHA256);
    const pkt = mustProtect(tx, bytesOf(10));
    const r = rx.unprotect(pkt.bytes, LOC_A4, LOC_B4);
    expect(r.ok).toBe(true);
    expect(rx.pollFeedback()).toEqual({ kind: 'esp-seen', spi: 0x1000, src: LOC_A4, dst: LOC_B4, bytes: pkt.bytes.length });
    expect(Object.keys(rx.stats().paths)).toEqual(['192.0.2.1→198.51.100.2']);
  });

  it('never aliases the input buffer and never mutates it', () => {
    const { tx, rx } = planes(ESP_SUITE.AES_GCM_16);
    const pkt = mustProtect(tx, bytesOf(50));
    const copy = pkt.bytes.slice();
    const src = LOC_A.slice();
    const r = rx.unprotect(pkt.bytes, src, LOC_B);
    expect(pkt.bytes).toEqual(copy);
    if (!r.ok) throw new Error('drop');
    expect(r.payload.buffer).not.toBe(pkt.bytes.buffer);
    src[0] = 0xff; // the caller reuses its address buffer
    const fb = rx.pollFeedback();
    expect(fb?.kind === 'esp-seen' && fb.src).toEqual(LOC_A);
  });

  it('NULL suite: the payload travels in clear but authenticated', () => {
    const { tx } = planes(ESP_SUITE.NULL_HMAC_SHA256);
    const payload = new TextEncoder().encode('hello, BEET');
    const pkt = mustProtect(tx, payload);
    expect(Buffer.from(pkt.bytes).includes(Buffer.from(payload))).toBe(true);
  });

  it('esp-seen feedback is capped and the overflow counted', () => {
    const { tx, rx } = planes(ESP_SUITE.AES_GCM_16, 0x1000, { maxQueuedFeedback: 3 });
    for (let i = 0; i < 5; i++) {
      const p = mustProtect(tx, bytesOf(5));
      expect(rx.unprotect(p.bytes, p.src, p.dst).ok).toBe(true);
    }
    let n = 0;
    while (rx.pollFeedback() !== undefined) n++;
    expect(n).toBe(3);
    expect(rx.stats().feedbackOverflow).toBe(2);
  });

  it('seenFeedback: false turns esp-seen off', () => {
    const { tx, rx } = planes(ESP_SUITE.AES_GCM_16, 0x1000, { seenFeedback: false });
    const p = mustProtect(tx, bytesOf(5));
    expect(rx.unprotect(p.bytes, p.src, p.dst).ok).toBe(true);
    expect(rx.pollFeedback()).toBeUndefined();
  });

  it('espSpi() peeks the SPI for demultiplexing', () => {
    expect(espSpi(Uint8Array.of(0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1))).toBe(0xdeadbeef);
    expect(espSpi(new Uint8Array(7))).toBeUndefined();
  });
});

describe('outbound processing', () => {
  it('refuses packets for a peer without SA (no-sa) and oversize packets (too-large)', () => {
    const dp = new EspDataPlane({ random: patternRandom(), maxPacketBytes: 200 });
    expect(dp.protect(HIT_B, bytesOf(10))).toEqual({ ok: false, reason: 'no-sa' });
    dp.addSa(saPair(ESP_SUITE.AES_128_CBC_HMAC_SHA256, 0x1000).out);
    expect(dp.protect(HIT_B, bytesOf(10), { spi: 0x9999 })).toEqual({ ok: false, reason: 'no-sa' });
    expect(dp.protect(HIT_B, bytesOf(200))).toEqual({ ok: false, reason: 'too-large' });
    const ok = dp.protect(HIT_B, bytesOf(100));
    expect(ok.ok && ok.packet.seq).toBe(1); // a refused packet does not consume a sequence number
    const st = dp.stats();
    expect(st.drops['no-sa']).toBe(2);
    expect(st.drops['too-large']).toBe(1);
    expect(st.sas[0]!.drops['too-large']).toBe(1);
    expect(st.txPackets).toBe(1);
  });

  it('default Next Header is 59 (no next header)', () => {
    const { tx } = planes(ESP_SUITE.AES_128_CBC_HMAC_SHA256);
    const r = tx.protect(HIT_B, bytesOf(3));
    if (!r.ok) throw new Error('drop');
    const { encKey, authKey } = keysFor(ESP_SUITE.AES_128_CBC_HMAC_SHA256);
    expect(nodeOpen(ESP_SUITE.AES_128_CBC_HMAC_SHA256, encKey, authKey, r.packet.bytes).nextHeader).toBe(59);
  });

  it('CBC draws a fresh IV per packet from the injected RandomSource', () => {
    let calls = 0;
    const dp = new EspDataPlane({
      random: (n) => {
        calls++;
        return Uint8Array.from({ length: n }, () => calls);
      },
    });
    dp.addSa(saPair(ESP_SUITE.AES_128_CBC_HMAC_SHA256, 0x1000).out);
    const a = dp.protect(HIT_B, bytesOf(3));
    const b = dp.protect(HIT_B, bytesOf(3));
    if (!a.ok || !b.ok) throw new Error('drop');
    expect(a.packet.bytes.subarray(8, 24)).toEqual(new Uint8Array(16).fill(1));
    expect(b.packet.bytes.subarray(8, 24)).toEqual(new Uint8Array(16).fill(2));
  });
});

describe('SA installation (caller misuse throws, naming the field)', () => {
  const base = saPair(ESP_SUITE.AES_128_CBC_HMAC_SHA256, 0x1000).in;

  it('rejects malformed SaSpecs', () => {
    const dp = new EspDataPlane({ random: patternRandom() });
    expect(() => dp.addSa({ ...base, spi: 0 })).toThrow(RangeError);
    expect(() => dp.addSa({ ...base, spi: 2 ** 32 })).toThrow(/sa\.spi/);
    expect(() => dp.addSa({ ...base, spi: 1.5 })).toThrow(TypeError);
    expect(() => dp.addSa({ ...base, direction: 'both' as never })).toThrow(/sa\.direction/);
    expect(() => dp.addSa({ ...base, localHit: new Uint8Array(15) })).toThrow(/sa\.localHit/);
    expect(() => dp.addSa({ ...base, peerHit: 'x' as never })).toThrow(TypeError);
    expect(() => dp.addSa({ ...base, src: new Uint8Array(4) })).toThrow(/sa\.src/);
    expect(() => dp.addSa({ ...base, suite: 10 as never })).toThrow(/sa\.suite/);
    expect(() => dp.addSa({ ...base, encKey: new Uint8Array(32) })).toThrow(/sa\.encKey/);
    expect(() => dp.addSa({ ...base, authKey: new Uint8Array(16) })).toThrow(/sa\.authKey/);
    expect(() => dp.addSa(null as never)).toThrow(TypeError);
  });

  it('rejects a duplicate inbound SPI; re-adding after delete works', () => {
    const dp = new EspDataPlane({ random: patternRandom() });
    dp.addSa(base);
    expect(() => dp.addSa(base)).toThrow(RangeError);
    expect(() => dp.addSa(base)).toThrow(/sa\.spi/);
    expect(dp.deleteSa(0x1000, 'in')).toBe(true);
    expect(dp.deleteSa(0x1000, 'in')).toBe(false);
    dp.addSa(base);
  });

  it('accepts NULL (auth-only, suite 7) only with allowAuthOnly (RFC 7402 §5.1.2)', () => {
    const pair = saPair(ESP_SUITE.NULL_HMAC_SHA256, 0x1000);
    expect(() => new EspDataPlane({ random: patternRandom() }).addSa(pair.in)).toThrow(/allowAuthOnly/);
    expect(() => new EspDataPlane({ random: patternRandom(), allowAuthOnly: false }).addSa(pair.out)).toThrow(RangeError);
    new EspDataPlane({ random: patternRandom(), allowAuthOnly: true }).addSa(pair.out);
  });

  it('validates options and arguments', () => {
    expect(() => new EspDataPlane({} as never)).toThrow(/options\.random/);
    expect(() => new EspDataPlane({ random: patternRandom(), replayWindow: -1 })).toThrow(/replayWindow/);
    expect(() => new EspDataPlane({ random: patternRandom(), seqSoftLimit: 2 ** 32 })).toThrow(/seqSoftLimit/);
    const dp = new EspDataPlane({ random: patternRandom() });
    expect(() => dp.protect(HIT_B.subarray(1), new Uint8Array(1))).toThrow(/peerHit/);
    expect(() => dp.protect(HIT_B, [1, 2] as never)).toThrow(/payload/);
    expect(() => dp.protect(HIT_B, new Uint8Array(1), { nextHeader: 256 })).toThrow(/nextHeader/);
    expect(() => dp.unprotect(new Uint8Array(20), new Uint8Array(5), LOC_B)).toThrow(/src/);
    expect(() => dp.addSa(saPair(ESP_SUITE.AES_128_CBC_HMAC_SHA256, 5).out, { replayWindow: 32 })).toThrow(/replayWindow/);
  });

  it('a bad RandomSource is a caller bug and throws', () => {
    const dp = new EspDataPlane({ random: () => new Uint8Array(3) });
    expect(() => dp.addSa(saPair(ESP_SUITE.AES_GCM_16, 0x1000).out)).toThrow(/random/);
  });

  it('every drop reason has a counter, starting at zero', () => {
    const st = new EspDataPlane({ random: patternRandom() }).stats();
    expect(Object.keys(st.drops).sort()).toEqual([...ESP_DROP_REASONS].sort());
    expect(Object.values(st.drops).every((v) => v === 0)).toBe(true);
  });
});

it('interop with HIT_A/HIT_B both ways on one data plane pair', () => {
  // A's data plane has out A→B and in B→A; B's the mirror image, SPIs chosen by receivers.
  const suite = ESP_SUITE.AES_256_CBC_HMAC_SHA256;
  const a = new EspDataPlane({ random: patternRandom(1) });
  const b = new EspDataPlane({ random: patternRandom(2) });
  const ab = saPair(suite, 0xb0b, { seed: 3 });
  const k = keysFor(suite, 4);
  a.addSa(ab.out);
  b.addSa(ab.in);
  b.addSa({ spi: 0xa1a, direction: 'out', localHit: HIT_B, peerHit: HIT_A, src: LOC_B, dst: LOC_A, suite, ...k });
  a.addSa({ spi: 0xa1a, direction: 'in', localHit: HIT_A, peerHit: HIT_B, src: LOC_B, dst: LOC_A, suite, ...k });
  const p1 = a.protect(HIT_B, bytesOf(33));
  const p2 = b.protect(HIT_A, bytesOf(44));
  if (!p1.ok || !p2.ok) throw new Error('drop');
  const r1 = b.unprotect(p1.packet.bytes, p1.packet.src, p1.packet.dst);
  const r2 = a.unprotect(p2.packet.bytes, p2.packet.src, p2.packet.dst);
  expect(r1.ok && [r1.peerHit, r1.localHit, r1.payload]).toEqual([HIT_A, HIT_B, bytesOf(33)]);
  expect(r2.ok && [r2.peerHit, r2.localHit, r2.payload]).toEqual([HIT_B, HIT_A, bytesOf(44)]);
});

describe('unprotect() with IPv4 outer addresses as a socket gives them (RFC 8046 §4.2)', () => {
  const four = (loc: Uint8Array): Uint8Array => loc.slice(12);

  it('4-byte src and dst are taken and reported in the 16-byte form, counted on the same path', () => {
    const { tx, rx } = planes(ESP_SUITE.AES_128_CBC_HMAC_SHA256, 0x1000);
    const ipv4 = saPair(ESP_SUITE.AES_128_CBC_HMAC_SHA256, 0x2000, { src: LOC_A4, dst: LOC_B4 });
    tx.addSa(ipv4.out);
    rx.addSa(ipv4.in);
    tx.setPreferred(0x2000, HIT_B);
    for (let i = 0; i < 2; i++) {
      const pkt = mustProtect(tx, bytesOf(40, i));
      expect(pkt.spi).toBe(0x2000);
      // The first with the 4 bytes a socket reports, the second with the mapped form.
      const r = i === 0 ? rx.unprotect(pkt.bytes, four(LOC_A4), four(LOC_B4)) : rx.unprotect(pkt.bytes, LOC_A4, LOC_B4);
      expect(r.ok && r.payload).toEqual(bytesOf(40, i));
      expect(rx.pollFeedback()).toEqual({ kind: 'esp-seen', spi: 0x2000, src: LOC_A4, dst: LOC_B4, bytes: pkt.bytes.length });
    }
    const paths = Object.entries(rx.stats().paths).filter(([, p]) => p.rxPackets > 0);
    expect(paths.map(([name, p]) => [name, p.rxPackets])).toEqual([['192.0.2.1→198.51.100.2', 2]]);
  });

  it('another length is caller misuse: a RangeError naming the field', () => {
    const { rx } = planes(ESP_SUITE.AES_128_CBC_HMAC_SHA256);
    expect(() => rx.unprotect(new Uint8Array(40), new Uint8Array(5), LOC_B)).toThrow('"src" expected Uint8Array of length 4 (IPv4) or 16');
    expect(() => rx.unprotect(new Uint8Array(40), LOC_A, new Uint8Array(8))).toThrow(RangeError);
  });
});
