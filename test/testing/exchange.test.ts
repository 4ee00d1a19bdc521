// testing/exchange.ts (base exchanges engine to engine, without the simulator) and
// fastIdentity (identities made without public-key arithmetic, for fastCrypto only).
import { describe, expect, it } from 'vitest';
import { parseLocator } from '../../src/addr/locator.js';
import { hitFromHostId } from '../../src/crypto/hit.js';
import { nobleCrypto } from '../../src/crypto/noble.js';
import { HipEngine } from '../../src/engine/hip-engine.js';
import { RESPONDER_STEPS, establishDirect, fastCrypto, fastIdentity, responderLifecycle, seededRandom } from '../../src/testing/index.js';

const LOC_I = parseLocator('2001:db8::1');
const LOC_R = parseLocator('2001:db8::2');

describe('establishDirect and responderLifecycle', () => {
  const crypto = fastCrypto();
  const random = seededRandom('exchange');
  const responder = new HipEngine({ identities: [fastIdentity(random)], locators: [LOC_R], crypto, random }, 0);

  it('establishDirect leaves both ends ESTABLISHED with crossed SPIs (RFC 7401 §6.9 step 21: the first data completes the Responder)', () => {
    const identity = fastIdentity(random);
    const x = establishDirect(responder, { identity, locator: LOC_I, responderLocator: LOC_R, crypto, random }, 0);
    const i = x.initiator.association(x.initiatorAssoc)!;
    const r = responder.association(x.responderAssoc)!;
    expect([i.state, r.state]).toEqual(['ESTABLISHED', 'ESTABLISHED']);
    expect(i.sas[0]!.localSpi).toBe(r.sas[0]!.peerSpi);
    expect(i.sas[0]!.peerSpi).toBe(r.sas[0]!.localSpi);
    expect(r.peerHit).toEqual(identity.hit);
  });

  it('responderLifecycle runs every step once, in order, and the association is discarded at the end', () => {
    const before = responder.stats().associations;
    const seen: string[] = [];
    const sentBefore = responder.stats().sent;
    responderLifecycle(responder, { identity: fastIdentity(random), locator: LOC_I, responderLocator: LOC_R, crypto, random }, 10, (step, run) => {
      seen.push(step);
      run();
    });
    expect(seen).toEqual([...RESPONDER_STEPS]);
    expect(responder.stats().associations).toBe(before);
    const sent = responder.stats().sent;
    // One R1, one R2, and the Responder's side of a rekey (UPDATE with SEQ, then the final ACK)
    // and of the close (CLOSE).
    expect((sent.R1 ?? 0) - (sentBefore.R1 ?? 0)).toBe(1);
    expect((sent.R2 ?? 0) - (sentBefore.R2 ?? 0)).toBe(1);
    expect((sent.UPDATE ?? 0) - (sentBefore.UPDATE ?? 0)).toBe(2);
    expect((sent.CLOSE ?? 0) - (sentBefore.CLOSE ?? 0)).toBe(1);
  });
});

describe('fastIdentity', () => {
  it('has an Ed25519-shaped Host Identity field whose HIT is its ORCHID (RFC 7343), and distinct draws differ', () => {
    const random = seededRandom('fast-identity');
    const a = fastIdentity(random);
    const b = fastIdentity(random);
    expect(a.hostIdentity.length).toBe(34);
    expect(a.algorithm).toBe(13);
    expect(hitFromHostId(a.algorithm, a.hostIdentity)).toEqual(a.hit);
    expect(a.hit).not.toEqual(b.hit);
  });

  it('signs for fastCrypto, but a real provider refuses its signature (its HI is not its public key)', () => {
    const id = fastIdentity(seededRandom('fast-identity-2'));
    const data = new Uint8Array([1, 2, 3]);
    const sig = fastCrypto().hostIdAlgorithm(13)!.sign(id.privateKey, data, seededRandom('r'));
    expect(fastCrypto().hostIdAlgorithm(13)!.verify(id.hostIdentity, data, sig)).toBe(true);
    expect(nobleCrypto().hostIdAlgorithm(13)!.verify(id.hostIdentity, data, sig)).toBe(false);
  });
});
