// Remote input whose reply would not fit in one HIP packet never throws (docs/architecture.md, Errors). A HIP
// packet is at most 2048 bytes (RFC 7401 §5.1, Header Length is 8 bits of 8-byte units); a
// peer with a small signature can send a packet whose answer, signed with our larger one, would
// be bigger. Cases: a LOCATOR_SET full of unsupported locator types (RFC 8046 §5.3: the NOTIFY
// carries "the locator(s) that the receiver failed to process"), one with more entries than
// maxPeerLocators, and a CLOSE whose ECHO_REQUEST_SIGNED the CLOSE_ACK must echo (§5.3.8).
import { describe, expect, it } from 'vitest';
import { NOTIFY_TYPE } from '../../src/wire/notify.js';
import type { LocatorEntryInit } from '../../src/wire/types.js';
import { Pair, LOC_A, LOC_B } from './pair.js';
import { dropsOf, forgePacket } from './helpers.js';

/** A (P-256, 64-byte signatures) and B (RSA-2048, 256-byte signatures), established. */
function established(): Pair {
  const p = new Pair({ a: 'p256A', b: 'rsaA', config: { updateBurst: 100 } });
  p.connect('a');
  p.runUntil(() => p.state('a') === 'ESTABLISHED');
  p.run(p.now + 11_000);
  return p;
}

/** An unknown locator type (RFC 8046 §4: Locator Length in 4-byte words) of `words` words. */
const unsupported = (i: number, words: number): LocatorEntryInit => ({
  trafficType: 0,
  locatorType: 200,
  preferred: i === 0,
  lifetime: 60,
  raw: new Uint8Array(4 * words).fill(i + 1),
  unknown: true,
});

const snapshot = (p: Pair) => JSON.stringify([p.b.associations(), p.b.peerLocators(p.b.associations()[0]!.id)], (_, v) => (v instanceof Uint8Array ? Array.from(v) : v));

describe('a reply that would exceed 2048 bytes is never a throw', () => {
  it('a signed LOCATOR_SET of unsupported types whose NOTIFY would not fit: NOTIFY with as many as fit', () => {
    const p = established();
    // 16 entries of 116 bytes (8 + 4 × 27): a 1.86 KB LOCATOR_SET, an UPDATE just under 2048 bytes from A.
    const locators = Array.from({ length: 16 }, (_, i) => unsupported(i, 27));
    const bytes = forgePacket(p, 'a', 'UPDATE', [{ kind: 'LOCATOR_SET', locators }, { kind: 'SEQ', updateId: 77 }], LOC_A, LOC_B);
    expect(bytes.length).toBeGreaterThan(1900);
    expect(bytes.length).toBeLessThanOrEqual(2048);
    const mark = p.out.b.length;
    expect(() => p.inject('b', bytes)).not.toThrow();
    const sent = p.out.b.slice(mark).flatMap((o) => (o.kind === 'transmit' ? [o] : []));
    for (const t of sent) expect(t.bytes.length).toBeLessThanOrEqual(2048);
    const notify = sent.find((t) => t.packet.kind === 'NOTIFY');
    expect(notify).toBeDefined();
    const n = notify!.packet.params.find((q) => q.kind === 'NOTIFICATION');
    expect(n && n.kind === 'NOTIFICATION' && n.messageType).toBe(NOTIFY_TYPE.LOCATOR_TYPE_UNSUPPORTED);
    // Whole entries only, fewer than were sent, the preferred one first (§5.3 SHOULD report it).
    const data = n && n.kind === 'NOTIFICATION' ? n.data : new Uint8Array(0);
    expect(data.length % 116).toBe(0);
    expect(data.length / 116).toBeGreaterThan(0);
    expect(data.length / 116).toBeLessThan(16);
    expect(data[8]).toBe(1);
    // The set is authenticated, so it is processed (RFC 8046 §5.3: the addresses it leaves out
    // are deprecated); the association itself carries on.
    expect(p.b.associations()[0]!.state).toBe('ESTABLISHED');
  });

  it('a signed LOCATOR_SET with more entries than maxPeerLocators is refused without a throw', () => {
    const p = established();
    const locators = Array.from({ length: 40 }, (_, i) => unsupported(i, 4));
    const bytes = forgePacket(p, 'a', 'UPDATE', [{ kind: 'LOCATOR_SET', locators }, { kind: 'SEQ', updateId: 78 }], LOC_A, LOC_B);
    const before = snapshot(p);
    expect(() => p.inject('b', bytes)).not.toThrow();
    expect(dropsOf(p, 'b')).toContain('policy');
    expect(snapshot(p)).toBe(before);
  });

  it('an UPDATE whose ECHO_REQUEST_SIGNED our reply cannot echo in 2048 bytes is refused, state kept', () => {
    const p = established();
    const bytes = forgePacket(p, 'a', 'UPDATE', [{ kind: 'SEQ', updateId: 79 }, { kind: 'ECHO_REQUEST_SIGNED', opaque: new Uint8Array(1750).fill(3) }], LOC_A, LOC_B);
    expect(bytes.length).toBeLessThanOrEqual(2048);
    const before = snapshot(p);
    expect(() => p.inject('b', bytes)).not.toThrow();
    expect(dropsOf(p, 'b').slice(-1)).toEqual(['policy']);
    expect(snapshot(p)).toBe(before);
    // A small echo (a real nonce) is still answered.
    const small = forgePacket(p, 'a', 'UPDATE', [{ kind: 'SEQ', updateId: 80 }, { kind: 'ECHO_REQUEST_SIGNED', opaque: new Uint8Array(16).fill(4) }], LOC_A, LOC_B);
    const mark = p.out.b.length;
    p.inject('b', small);
    const reply = p.out.b.slice(mark).find((o) => o.kind === 'transmit' && o.packet.kind === 'UPDATE');
    expect(reply && reply.kind === 'transmit' && reply.packet.params.some((q) => q.kind === 'ECHO_RESPONSE_SIGNED')).toBe(true);
  });

  it('a CLOSE whose ECHO_REQUEST_SIGNED the CLOSE_ACK cannot echo in 2048 bytes is dropped, state kept', () => {
    const p = established();
    const bytes = forgePacket(p, 'a', 'CLOSE', [{ kind: 'ECHO_REQUEST_SIGNED', opaque: new Uint8Array(1800).fill(9) }], LOC_A, LOC_B);
    expect(bytes.length).toBeLessThanOrEqual(2048);
    const before = snapshot(p);
    expect(() => p.inject('b', bytes)).not.toThrow();
    expect(dropsOf(p, 'b').slice(-1)).toEqual(['policy']);
    expect(snapshot(p)).toBe(before);
    expect(p.state('b')).toBe('ESTABLISHED');
  });
});
