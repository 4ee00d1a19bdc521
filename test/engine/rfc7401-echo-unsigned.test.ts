// RFC 7401 §5.2.21: "The ECHO_REQUEST_UNSIGNED parameter MUST be responded to with an
// ECHO_RESPONSE_UNSIGNED parameter", and "It is possible that middleboxes add
// ECHO_REQUEST_UNSIGNED parameters in HIP packets passing by". Here the test plays such a box:
// it re-encodes a packet on the wire with extra ECHO_REQUEST_UNSIGNED parameters, which sit after
// HIP_SIGNATURE (§5.2.1) and outside the HIP_MAC and the signature, with the header length and
// checksum computed again by the codec, so the packet stays valid. Every answer (R1 to an I1, I2
// to an R1, R2 to an I2, the UPDATE that acknowledges a SEQ, CLOSE_ACK) echoes each request, in a
// direct exchange with no Control Relay Server, and the number and size echoed are bounded
// (RFC 9028 §7.6): a packet over the bound is dropped with `echo-limit`.
import { describe, expect, it } from 'vitest';
import { MAX_UNSIGNED_ECHOES, MAX_UNSIGNED_ECHO_BYTES } from '../../src/engine/echo.js';
import { PARAM_TYPE } from '../../src/wire/constants.js';
import { decodePacket, encodePacket } from '../../src/wire/packet.js';
import type { HipPacket, ParamInit } from '../../src/wire/types.js';
import { dropsOf } from './helpers.js';
import { RelayNet } from './relay-net.js';
import { Pair, identity, type InFlight } from './pair.js';
import { signPacket } from '../../src/crypto/auth.js';
import { nobleCrypto } from '../../src/crypto/noble.js';
import { testRandom } from '../fixtures/keys.js';

const opaque = (tag: string, length = tag.length): Uint8Array => {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = tag.charCodeAt(i % tag.length);
  return out;
};

/** The box on the path: `bytes` with ECHO_REQUEST_UNSIGNED parameters added, checksum for src/dst. */
function addEchoes(p: InFlight, opaques: readonly Uint8Array[]): Uint8Array {
  const d = decodePacket(p.bytes);
  if (!d.ok) throw new Error('undecodable packet on the wire');
  const typeOf = (x: { type: number }): number => x.type;
  const added = opaques.map((o) => ({ kind: 'ECHO_REQUEST_UNSIGNED' as const, type: PARAM_TYPE.ECHO_REQUEST_UNSIGNED, critical: true, opaque: o }));
  const params = [...d.packet.params, ...added].sort((x, y) => typeOf(x) - typeOf(y)) as ParamInit[];
  return encodePacket({ kind: d.packet.kind, senderHit: d.packet.senderHit, receiverHit: d.packet.receiverHit, controls: d.packet.controls, params }, { src: p.src, dst: p.dst });
}

const kinds = (pkt: HipPacket): string[] => pkt.params.map((x) => x.kind);
const responses = (pkt: HipPacket): Uint8Array[] => pkt.params.flatMap((x) => (x.kind === 'ECHO_RESPONSE_UNSIGNED' ? [Uint8Array.from(x.opaque)] : []));

/** A pair whose box adds `opaques` to the first packet of `kind` from `from` (and `again` to its next copy). */
function withBox(kind: string, from: 'a' | 'b', opaques: readonly Uint8Array[], again?: readonly Uint8Array[]): Pair {
  const p = new Pair();
  let seen = 0;
  p.filter = (f) => {
    if (f.from !== from || f.packet.kind !== kind) return 'pass';
    seen++;
    if (seen === 1) return { replace: addEchoes(f, opaques) };
    if (seen === 2 && again) return { replace: addEchoes(f, again) };
    return 'pass';
  };
  return p;
}

const sent = (p: Pair, from: 'a' | 'b', kind: string): HipPacket[] => p.log.filter((l) => l.from === from && l.kind === kind).map((l) => l.packet);

function establish(p: Pair): void {
  p.connect('a');
  p.runUntil(() => p.state('a') === 'ESTABLISHED');
  p.run(p.now + 11_000); // R2-SENT into ESTABLISHED on the Responder (RFC 7401 §4.4.3)
}

describe('RFC 7401 §5.2.21 ECHO_REQUEST_UNSIGNED is answered with ECHO_RESPONSE_UNSIGNED in a direct exchange', () => {
  it('§5.3.2/§5.3.3 · an R1 given two ECHO_REQUEST_UNSIGNED by a box gets an I2 with both, in order, after HIP_SIGNATURE; the exchange completes', () => {
    const n1 = opaque('box-one-nonce');
    const n2 = opaque('box-two', 20);
    const p = withBox('R1', 'b', [n1, n2]);
    establish(p);
    const [i2] = sent(p, 'a', 'I2');
    expect(responses(i2!)).toEqual([n1, n2]);
    // Unsigned: after the signature, and no signed copy outside a relayed exchange (RFC 9028 §7.3 only).
    const k = kinds(i2!);
    expect(k.lastIndexOf('HIP_SIGNATURE')).toBeLessThan(k.indexOf('ECHO_RESPONSE_UNSIGNED'));
    expect(k).not.toContain('ECHO_RESPONSE_SIGNED');
    expect(p.state('a')).toBe('ESTABLISHED');
    expect(p.state('b')).toBe('ESTABLISHED');
    expect(dropsOf(p, 'b')).toEqual([]);
  });

  it('§5.2.21 · an I2 given an ECHO_REQUEST_UNSIGNED gets an R2 that echoes it; the Initiator accepts that R2', () => {
    const n = opaque('i2-box', 32);
    const p = withBox('I2', 'a', [n]);
    establish(p);
    const [r2] = sent(p, 'b', 'R2');
    expect(responses(r2!)).toEqual([n]);
    expect(kinds(r2!).indexOf('HIP_SIGNATURE')).toBeLessThan(kinds(r2!).indexOf('ECHO_RESPONSE_UNSIGNED'));
    expect(p.state('a')).toBe('ESTABLISHED');
    expect(dropsOf(p, 'a')).toEqual([]);
  });

  it('§5.2.21 · an I1 given an ECHO_REQUEST_UNSIGNED gets an R1 that echoes it, after HIP_SIGNATURE_2, still verifying', () => {
    const n = opaque('i1-box', 12);
    const p = withBox('I1', 'a', [n]);
    establish(p);
    const [r1] = sent(p, 'b', 'R1');
    expect(responses(r1!)).toEqual([n]);
    expect(kinds(r1!).indexOf('HIP_SIGNATURE_2')).toBeLessThan(kinds(r1!).indexOf('ECHO_RESPONSE_UNSIGNED'));
    expect(p.state('a')).toBe('ESTABLISHED');
    expect(dropsOf(p, 'a')).toEqual([]);
  });

  it('§5.2.20 · an R1 the Responder signed with ECHO_REQUEST_SIGNED gets ECHO_RESPONSE_SIGNED in the I2 (§4.1.2: "the Initiator MUST copy unmodified"), next to the unsigned answers', () => {
    const signedNonce = opaque('responder-state', 24);
    const boxNonce = opaque('box');
    const p = new Pair();
    p.filter = (f) => {
      if (f.from !== 'b' || f.packet.kind !== 'R1') return 'pass';
      // The Responder's own request, signed (HIP_SIGNATURE_2 made again with its key), then a box's.
      const typeOf = (x: { type: number }): number => x.type;
      const body = [...f.packet.params.filter((x) => x.kind !== 'HIP_SIGNATURE_2'), { kind: 'ECHO_REQUEST_SIGNED' as const, type: PARAM_TYPE.ECHO_REQUEST_SIGNED, critical: true, opaque: signedNonce }].sort((x, y) => typeOf(x) - typeOf(y)) as ParamInit[];
      const head = { kind: 'R1' as const, senderHit: f.packet.senderHit, receiverHit: f.packet.receiverHit, controls: f.packet.controls };
      const sig = signPacket(nobleCrypto(), identity('p256B'), encodePacket({ ...head, params: body }), testRandom('resign'), 'HIP_SIGNATURE_2');
      const signedR1 = encodePacket({ ...head, params: [...body, { kind: 'HIP_SIGNATURE_2', ...sig }] }, { src: f.src, dst: f.dst });
      return { replace: addEchoes({ ...f, bytes: signedR1 }, [boxNonce]) };
    };
    establish(p);
    const i2 = sent(p, 'a', 'I2')[0]!;
    const signed = i2.params.find((x) => x.kind === 'ECHO_RESPONSE_SIGNED');
    expect(signed && signed.kind === 'ECHO_RESPONSE_SIGNED' && Uint8Array.from(signed.opaque)).toEqual(signedNonce);
    // Signed, so before HIP_MAC and covered by it; the box's answer after the signature.
    expect(kinds(i2).indexOf('ECHO_RESPONSE_SIGNED')).toBeLessThan(kinds(i2).indexOf('HIP_MAC'));
    expect(responses(i2)).toEqual([boxNonce]);
    expect(p.state('b')).toBe('ESTABLISHED');
  });

  it('§6.12.1 step 6 · each UPDATE of a rekey given an ECHO_REQUEST_UNSIGNED is answered by the UPDATE that ACKs it', () => {
    const p = new Pair();
    establish(p);
    const u1 = opaque('u1-box');
    const u2 = opaque('u2-box', 40);
    p.filter = (f) => {
      if (f.packet.kind !== 'UPDATE') return 'pass';
      if (f.from === 'a' && f.packet.params.some((x) => x.kind === 'SEQ') && !f.packet.params.some((x) => x.kind === 'ACK')) return { replace: addEchoes(f, [u1]) };
      if (f.from === 'b' && f.packet.params.some((x) => x.kind === 'SEQ')) return { replace: addEchoes(f, [u2]) };
      return 'pass';
    };
    const idA = p.a.associations()[0]!.id;
    p.log.length = 0;
    p.a.rekey(idA, p.now);
    p.drain('a');
    p.run(p.now + 2000);
    const fromB = sent(p, 'b', 'UPDATE');
    const fromA = sent(p, 'a', 'UPDATE');
    // U2 (b's SEQ with the ACK of U1) echoes u1; U3 (a's ACK of U2) echoes u2.
    expect(responses(fromB[0]!)).toEqual([u1]);
    expect(responses(fromA[1]!)).toEqual([u2]);
    expect(p.events('a')).toContainEqual({ type: 'update-completed', assoc: idA, what: 'rekey' });
    expect(dropsOf(p, 'a')).toEqual([]);
    expect(dropsOf(p, 'b')).toEqual([]);
  });

  it('§6.12.1 step 2 · a retransmitted UPDATE with another box nonce gets the stored answer with the new nonce in place of the old; it still verifies', () => {
    const p = new Pair();
    establish(p);
    const first = opaque('first-copy');
    const second = opaque('second-copy');
    let u1Copies = 0;
    let u2Seen = 0;
    p.filter = (f) => {
      if (f.packet.kind !== 'UPDATE') return 'pass';
      const seq = f.packet.params.some((x) => x.kind === 'SEQ');
      const ack = f.packet.params.some((x) => x.kind === 'ACK');
      if (f.from === 'a' && seq && !ack) return { replace: addEchoes(f, [++u1Copies === 1 ? first : second]) };
      // The first answer is lost, so the Initiator retransmits its UPDATE.
      if (f.from === 'b' && seq && ++u2Seen === 1) return 'drop';
      return 'pass';
    };
    const idA = p.a.associations()[0]!.id;
    p.log.length = 0;
    p.a.rekey(idA, p.now);
    p.drain('a');
    p.run(p.now + 10_000);
    expect(u1Copies).toBeGreaterThanOrEqual(2);
    const answers = sent(p, 'b', 'UPDATE');
    expect(responses(answers[0]!)).toEqual([first]);
    expect(responses(answers[1]!)).toEqual([second]);
    // Same signed part: the stored reply was not built again, only its unsigned tail.
    const signedPart = (x: HipPacket): string[] => x.params.filter((q) => q.kind !== 'ECHO_RESPONSE_UNSIGNED').map((q) => JSON.stringify(q, (_k, v) => (v instanceof Uint8Array ? Array.from(v) : v)).replace(/"span":\{[^}]*\},?/, ''));
    expect(signedPart(answers[1]!)).toEqual(signedPart(answers[0]!));
    expect(p.events('a')).toContainEqual({ type: 'update-completed', assoc: idA, what: 'rekey' });
    expect(dropsOf(p, 'a')).toEqual([]);
  });

  it('§5.2.21 · a retransmitted I2 with another box nonce gets the stored R2 with that nonce, and the Initiator accepts it', () => {
    const first = opaque('i2-first');
    const second = opaque('i2-second');
    const p = withBox('I2', 'a', [first], [second]);
    let r2s = 0;
    const box = p.filter;
    p.filter = (f, i) => (f.from === 'b' && f.packet.kind === 'R2' && ++r2s === 1 ? 'drop' : box(f, i));
    establish(p);
    const r2 = sent(p, 'b', 'R2');
    expect(r2.length).toBeGreaterThanOrEqual(2);
    expect(responses(r2[0]!)).toEqual([first]);
    expect(responses(r2[1]!)).toEqual([second]);
    expect(p.state('a')).toBe('ESTABLISHED');
    expect(dropsOf(p, 'a')).toEqual([]);
  });

  it('§5.3.7/§5.3.8 · a CLOSE given an ECHO_REQUEST_UNSIGNED gets a CLOSE_ACK that echoes it next to the signed echo', () => {
    const p = new Pair();
    establish(p);
    const n = opaque('close-box');
    p.filter = (f) => (f.from === 'a' && f.packet.kind === 'CLOSE' ? { replace: addEchoes(f, [n]) } : 'pass');
    p.a.close(p.a.associations()[0]!.id, p.now);
    p.drain('a');
    p.run(p.now + 1000);
    const [ack] = sent(p, 'b', 'CLOSE_ACK');
    expect(responses(ack!)).toEqual([n]);
    expect(kinds(ack!)).toContain('ECHO_RESPONSE_SIGNED');
    expect(p.events('a').some((e) => e.type === 'closed')).toBe(true);
  });
});

describe('RFC 7401 §5.2.21 with RFC 9028 §7.6: what is echoed is bounded', () => {
  it(`an R1 with ${MAX_UNSIGNED_ECHOES} requests of ${MAX_UNSIGNED_ECHO_BYTES} bytes (the bound) is answered in full`, () => {
    const ns = Array.from({ length: MAX_UNSIGNED_ECHOES }, (_, i) => opaque(`n${i}-`, MAX_UNSIGNED_ECHO_BYTES));
    const p = withBox('R1', 'b', ns);
    establish(p);
    expect(responses(sent(p, 'a', 'I2')[0]!)).toEqual(ns);
    expect(p.state('a')).toBe('ESTABLISHED');
  });

  it(`an R1 with ${MAX_UNSIGNED_ECHOES + 1} requests is dropped (echo-limit), no I2 answers it, and the Initiator stays in I1-SENT`, () => {
    const ns = Array.from({ length: MAX_UNSIGNED_ECHOES + 1 }, (_, i) => opaque(`many-${i}`));
    const p = new Pair();
    p.filter = (f) => (f.from === 'b' && f.packet.kind === 'R1' ? { replace: addEchoes(f, ns) } : 'pass');
    p.connect('a');
    p.run(p.now + 100);
    expect(dropsOf(p, 'a')).toEqual(['echo-limit']);
    expect(p.state('a')).toBe('I1_SENT');
    expect(sent(p, 'a', 'I2')).toEqual([]);
    expect(p.a.stats().drops['echo-limit']).toBe(1);
  });

  it('a hostile R1 with many large requests cannot grow our I2: dropped, nothing kept; an R1 without them then completes', () => {
    const huge = Array.from({ length: 20 }, (_, i) => opaque(`big-${i}`, 60));
    let r1s = 0;
    const p = new Pair();
    p.filter = (f) => (f.from === 'b' && f.packet.kind === 'R1' && ++r1s === 1 ? { replace: addEchoes(f, huge) } : 'pass');
    establish(p);
    expect(dropsOf(p, 'a')).toContain('echo-limit');
    const i2s = sent(p, 'a', 'I2');
    expect(i2s.every((x) => responses(x).length === 0)).toBe(true);
    expect(p.state('a')).toBe('ESTABLISHED');
  });

  it(`one request of ${MAX_UNSIGNED_ECHO_BYTES + 1} bytes gets the packet dropped, at the Responder too (I2)`, () => {
    const p = new Pair();
    p.filter = (f) => (f.from === 'a' && f.packet.kind === 'I2' ? { replace: addEchoes(f, [opaque('x', MAX_UNSIGNED_ECHO_BYTES + 1)]) } : 'pass');
    p.connect('a');
    p.run(p.now + 100);
    expect(dropsOf(p, 'b')).toEqual(['echo-limit']);
    expect(p.b.associations()).toEqual([]);
    expect(sent(p, 'b', 'R2')).toEqual([]);
  });

  it('same seed, same bytes: two runs with a box adding echoes put identical packets on the wire', () => {
    const run = (): string[] => {
      const p = withBox('R1', 'b', [opaque('det-1'), opaque('det-2', 33)]);
      establish(p);
      return p.out.a.concat(p.out.b).flatMap((o) => (o.kind === 'transmit' ? [Buffer.from(o.bytes).toString('hex')] : []));
    };
    expect(run()).toEqual(run());
  });
});

describe('RFC 7401 §5.2.21 with RFC 9028 §7.3: through a Control Relay Server', () => {
  it('a relayed R1 with the relay\'s nonce and a second box nonce: both answered unsigned, the relay\'s (the first) also signed, once; the exchange completes', () => {
    const net = new RelayNet({ relayConfig: { controlRelayReplayNonces: true } });
    net.register('c');
    net.wire.length = 0;
    const box = opaque('second-box', 16);
    net.filter = (w) => {
      if (w.from !== 'r' || w.to !== 'i' || w.packet.kind !== 'R1') return 'pass';
      const d = decodePacket(w.bytes);
      if (!d.ok) return 'pass';
      const params = [...d.packet.params, { kind: 'ECHO_REQUEST_UNSIGNED' as const, type: PARAM_TYPE.ECHO_REQUEST_UNSIGNED, critical: true, opaque: box }].sort((x, y) => x.type - y.type) as ParamInit[];
      // Over UDP the HIP checksum is zero (RFC 9028 §5.1).
      return encodePacket({ kind: 'R1', senderHit: d.packet.senderHit, receiverHit: d.packet.receiverHit, controls: d.packet.controls, params });
    };
    net.connectViaRelay();
    expect(net.state('i', 'c')).toBe('ESTABLISHED');
    const relayNonce = net.wire.find((w) => w.from === 'r' && w.to === 'i' && w.packet.kind === 'R1')!.packet.params.find((x) => x.kind === 'ECHO_REQUEST_UNSIGNED')!;
    const i2 = net.wire.find((w) => w.from === 'i' && w.packet.kind === 'I2')!.packet;
    const signed = i2.params.filter((x) => x.kind === 'ECHO_RESPONSE_SIGNED');
    expect(signed.length).toBe(1);
    expect(signed[0]!.kind === 'ECHO_RESPONSE_SIGNED' && Uint8Array.from(signed[0]!.opaque)).toEqual(relayNonce.kind === 'ECHO_REQUEST_UNSIGNED' && Uint8Array.from(relayNonce.opaque));
    expect(responses(i2)).toEqual([relayNonce.kind === 'ECHO_REQUEST_UNSIGNED' ? Uint8Array.from(relayNonce.opaque) : undefined, box]);
  });
});
