// fastCrypto(): the insecure, deterministic provider for big simulations (docs/architecture.md, Clock, randomness and crypto).
import { describe, expect, it } from 'vitest';
import { parseLocator } from '../../src/addr/locator.js';
import { generateHostIdentity, importHostIdentity } from '../../src/crypto/host-id.js';
import { nobleCrypto } from '../../src/crypto/noble.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { HipEngine } from '../../src/engine/hip-engine.js';
import type { HipEvent, Output } from '../../src/engine/io.js';
import { FAST_CRYPTO_NAME, Sim, fastCrypto, seededRandom, tamperParam, on } from '../../src/testing/index.js';
import { fixturePkcs8 } from '../fixtures/keys.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('fastCrypto: primitives', () => {
  const fast = fastCrypto();

  it('is named as insecure and keeps the real hashes, HMAC, HKDF and ciphers', () => {
    const noble = nobleCrypto();
    expect(fast.name).toBe(FAST_CRYPTO_NAME);
    expect(fast.name).toMatch(/insecure/);
    const data = enc('abc');
    for (const h of ['sha1', 'sha256', 'sha384', 'sha512'] as const) {
      expect(fast.hash(h, data)).toEqual(noble.hash(h, data));
      expect(fast.hmac(h, enc('k'), data)).toEqual(noble.hmac(h, enc('k'), data));
    }
    expect(fast.hkdf('sha256', data, enc('salt'), enc('info'), 70)).toEqual(noble.hkdf('sha256', data, enc('salt'), enc('info'), 70));
    const key = new Uint8Array(16).fill(7);
    const iv = new Uint8Array(16).fill(9);
    const pt = new Uint8Array(32).fill(1);
    expect(fast.cipher(2)!.encrypt(key, iv, pt)).toEqual(noble.cipher(2)!.encrypt(key, iv, pt));
    expect(fast.espTransforms()).toEqual(noble.espTransforms());
  });

  it('DH: every group keeps its wire sizes, and both sides derive the same Kij', () => {
    const noble = nobleCrypto();
    for (const id of [3, 4, 7, 8, 9, 10, 11]) {
      const g = fast.dhGroup(id)!;
      const real = noble.dhGroup(id)!;
      expect(g.publicValueLength).toBe(real.publicValueLength);
      expect(g.sharedSecretLength).toBe(real.sharedSecretLength);
      expect(g.kind).toBe(real.kind);
      const ra = seededRandom(`a${id}`);
      const rb = seededRandom(`b${id}`);
      const a = g.generate(ra);
      const b = g.generate(rb);
      expect(a.publicValue.length).toBe(g.publicValueLength);
      const sa = g.shared(a.privateKey, b.publicValue);
      const sb = g.shared(b.privateKey, a.publicValue);
      expect(sa.ok && sb.ok).toBe(true);
      if (!sa.ok || !sb.ok) return;
      expect(sa.secret).toEqual(sb.secret);
      expect(sa.secret.length).toBe(g.sharedSecretLength);
      // A third party gets a different secret with either side.
      const c = g.generate(seededRandom(`c${id}`));
      const sc = g.shared(c.privateKey, b.publicValue);
      expect(sc.ok && !equal(sc.secret, sa.secret)).toBe(true);
      // Deterministic: the same random stream gives the same key pair.
      expect(g.generate(seededRandom(`a${id}`))).toEqual(a);
      // Refusal paths stay reachable.
      expect(g.shared(a.privateKey, b.publicValue.subarray(1))).toEqual({ ok: false, reason: 'length' });
      expect(g.shared(a.privateKey, new Uint8Array(g.publicValueLength))).toEqual({ ok: false, reason: 'zero' });
    }
    expect(fast.dhGroup(5)).toBeUndefined();
  });

  it('signatures: right length per key type, verify against the HI, any flipped bit fails', () => {
    const ids = [
      generateHostIdentity('ecdsa-p256', seededRandom('p256')),
      generateHostIdentity('ecdsa-p384', seededRandom('p384')),
      generateHostIdentity('ecdsa-secp160r1', seededRandom('p160')),
      generateHostIdentity('ed25519', seededRandom('ed')),
      importHostIdentity(fixturePkcs8('rsaA')),
    ];
    const lengths = [64, 96, 42, 64, 256];
    const data = enc('covered bytes of some HIP packet');
    ids.forEach((id, i) => {
      const alg = fast.hostIdAlgorithm(id.algorithm)!;
      expect(alg.keyType(id.hostIdentity)).toBe(id.keyType);
      const sig = alg.sign(id.privateKey, data, seededRandom('unused'));
      expect(sig.length).toBe(lengths[i]);
      expect(alg.sign(id.privateKey, data, seededRandom('other'))).toEqual(sig); // deterministic
      expect(alg.verify(id.hostIdentity, data, sig)).toBe(true);
      // A flipped signature byte, data byte or HI byte fails.
      for (const pos of [0, sig.length >> 1, sig.length - 1]) {
        const bad = sig.slice();
        bad[pos]! ^= 0x01;
        expect(alg.verify(id.hostIdentity, data, bad)).toBe(false);
      }
      const badData = data.slice();
      badData[3]! ^= 0x80;
      expect(alg.verify(id.hostIdentity, badData, sig)).toBe(false);
      const badHi = id.hostIdentity.slice();
      badHi[badHi.length - 1]! ^= 0x01;
      expect(alg.verify(badHi, data, sig)).toBe(false);
      expect(alg.verify(id.hostIdentity, data, sig.subarray(1))).toBe(false);
      // Another identity's HI does not verify it.
      const other = ids[(i + 1) % ids.length]!;
      expect(fast.hostIdAlgorithm(other.algorithm)!.verify(other.hostIdentity, data, sig)).toBe(false);
    });
  });

  it('a real signature is not a fast one (the providers do not mix)', () => {
    const id = generateHostIdentity('ecdsa-p256', seededRandom('mix'));
    const data = enc('x');
    const real = nobleCrypto().hostIdAlgorithm(7)!.sign(id.privateKey, data, seededRandom('r'));
    expect(fast.hostIdAlgorithm(7)!.verify(id.hostIdentity, data, real)).toBe(false);
  });

  it('keyType is structural: malformed HIs are refused', () => {
    const alg = fast.hostIdAlgorithm(7)!;
    expect(alg.keyType(new Uint8Array(0))).toBeUndefined();
    expect(alg.keyType(Uint8Array.of(0, 1, 4, ...new Uint8Array(63)))).toBeUndefined();
    expect(alg.keyType(Uint8Array.of(0, 1, 3, ...new Uint8Array(64)))).toBeUndefined();
    expect(alg.keyType(Uint8Array.of(0, 3, 4, ...new Uint8Array(64)))).toBeUndefined();
    expect(fast.hostIdAlgorithm(13)!.keyType(Uint8Array.of(0, 1, ...new Uint8Array(31)))).toBeUndefined();
    expect(fast.hostIdAlgorithm(42)).toBeUndefined();
  });
});

// Drives two engines by hand (no Sim): fastCrypto plugs in through `crypto:` with no engine change.
function bexByHand(crypto: CryptoProvider): { events: HipEvent[][]; ms: number } {
  const t0 = performance.now();
  const locs = [parseLocator('2001:db8::1'), parseLocator('2001:db8::2')];
  const engines = [0, 1].map(
    (i) =>
      new HipEngine(
        {
          identities: [generateHostIdentity('ecdsa-p256', seededRandom(`id${i}`))],
          locators: [locs[i]!],
          random: seededRandom(`engine${i}`),
          crypto,
        },
        0,
      ),
  );
  const events: HipEvent[][] = [[], []];
  const wire: { to: number; out: Extract<Output, { kind: 'transmit' }> }[] = [];
  const drain = (i: number): void => {
    for (let o = engines[i]!.poll(); o !== undefined; o = engines[i]!.poll()) {
      if (o.kind === 'transmit') wire.push({ to: 1 - i, out: o });
      if (o.kind === 'event') events[i]!.push(o.event);
    }
  };
  engines[0]!.connect({ hit: engines[1]!.localHits[0]!, locators: [locs[1]!] }, 0);
  drain(0);
  for (let n = 0; n < 20 && wire.length > 0; n++) {
    const { to, out } = wire.shift()!;
    engines[to]!.handle({ kind: 'datagram', bytes: out.bytes, src: out.src, dst: out.dst }, n);
    drain(to);
  }
  return { events, ms: performance.now() - t0 };
}

describe('fastCrypto in the engine', () => {
  it('a base exchange completes with fastCrypto, no engine change', () => {
    const { events } = bexByHand(fastCrypto());
    expect(events[0]!.filter((e) => e.type === 'established')).toHaveLength(1);
    expect(events[0]!.filter((e) => e.type === 'dropped')).toEqual([]);
    expect(events[1]!.filter((e) => e.type === 'dropped')).toEqual([]);
  });

  it('is much faster than noble for base exchanges', () => {
    // Warm both up, then compare the best of a few runs (a loose bound to stay robust on busy CI).
    bexByHand(fastCrypto());
    bexByHand(nobleCrypto());
    const best = (c: CryptoProvider): number => Math.min(...[0, 1, 2].map(() => bexByHand(c).ms));
    const fast = best(fastCrypto());
    const noble = best(nobleCrypto());
    expect(fast).toBeLessThan(noble);
  });

  it('a flipped HIP_SIGNATURE byte in R2 is still detected (bad-signature), and the BEX recovers', () => {
    const sim = new Sim({ seed: 7, crypto: 'fast' });
    const a = sim.host('A', { locators: ['2001:db8::a'] });
    const b = sim.host('B', { locators: ['2001:db8::b'] });
    sim.link(a, b, { latencyMs: 5 });
    sim.intercept(on({ kind: 'R2' }, tamperParam('HIP_SIGNATURE', 4, 3), { nth: 0 }));
    sim.at(0, () => a.connect(b));
    sim.runUntil(() => a.established(b), { maxTimeMs: 30_000 });
    const drops = a.eventsOf('dropped');
    expect(drops.map((d) => [d.reason, d.packetKind])).toEqual([['bad-signature', 'R2']]);
  });

  it('a flipped HIP_SIGNATURE_2 byte in R1 is dropped as bad-signature', () => {
    const sim = new Sim({ seed: 8, crypto: 'fast' });
    const a = sim.host('A', { locators: ['2001:db8::a'] });
    const b = sim.host('B', { locators: ['2001:db8::b'] });
    sim.link(a, b, { latencyMs: 5 });
    sim.intercept(on({ kind: 'R1' }, tamperParam('HIP_SIGNATURE_2', 0, 0), { nth: 0 }));
    sim.at(0, () => a.connect(b));
    sim.runUntil(() => a.established(b), { maxTimeMs: 30_000 });
    expect(a.eventsOf('dropped').map((d) => [d.reason, d.packetKind])).toEqual([['bad-signature', 'R1']]);
  });
});

function equal(x: Uint8Array, y: Uint8Array): boolean {
  return x.length === y.length && x.every((v, i) => v === y[i]);
}
