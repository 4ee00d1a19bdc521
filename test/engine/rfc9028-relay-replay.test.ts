// Base exchange replay protection for the Control Relay Server (RFC 9028 §7.3), behind
// config.controlRelayReplayNonces: the relay puts a nonce (ECHO_REQUEST_UNSIGNED) in each R1 and
// I2 it relays, the end hosts sign it back (ECHO_RESPONSE_SIGNED), and the relay relays an I2 or
// R2 only with a fresh one: a replayed relayed I2 or R2 is not forwarded.
import { describe, expect, it } from 'vitest';
import { param } from '../../src/wire/index.js';
import type { HipPacket } from '../../src/wire/types.js';
import { concatBytes } from '../../src/util/bytes.js';
import { resolveConfig } from '../../src/engine/config.js';
import { HIP_PORT, I_NAT, R_PUB, RelayNet, type RelayNetOptions, type Wire } from './relay-net.js';

const ROTATE = 10_000;

function protectedNet(opts: RelayNetOptions = {}): RelayNet {
  const net = new RelayNet({ ...opts, relayConfig: { controlRelayReplayNonces: true, r1RotateMs: ROTATE, ...opts.relayConfig } });
  net.register('c');
  expect(net.state('c', 'r')).toBe('ESTABLISHED');
  net.wire.length = 0;
  return net;
}

const one = (net: RelayNet, from: string, to: string, kind: string): Wire => net.wire.find((w) => w.from === from && w.to === to && w.packet.kind === kind)!;
const kinds = (net: RelayNet): string[] => net.wire.map((w) => `${w.from}>${w.to ?? '?'}:${w.packet.kind}`);
const order = (p: HipPacket): string[] => p.params.map((q) => q.kind);

/** `bytes` of `pkt` without its parameters of `kind` (header length fixed). */
function without(bytes: Uint8Array, pkt: HipPacket, kind: string): Uint8Array {
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const p of pkt.params) {
    if (p.kind !== kind) continue;
    parts.push(bytes.subarray(at, p.span!.offset));
    at = p.span!.offset + p.span!.length;
  }
  parts.push(bytes.subarray(at));
  const out = concatBytes(...parts);
  out[1] = out.length / 8 - 1;
  return out;
}

describe('RFC 9028 §7.3 the relay becomes involved in the base exchange with nonces the end hosts sign', () => {
  it('§7.3 "introducing nonces that the end hosts (Initiator and Responder) are required to sign": the relayed R1 and I2 carry the relay\'s nonce, the I2 and R2 sign it back, and the exchange completes', () => {
    const net = protectedNet();
    net.connectViaRelay();
    expect(kinds(net)).toEqual(['i>r:I1', 'r>c:I1', 'c>r:R1', 'r>i:R1', 'i>r:I2', 'r>c:I2', 'c>r:R2', 'r>i:R2']);
    expect(net.state('i', 'c')).toBe('ESTABLISHED');
    // The R1 the client signed has no nonce; the relay adds one after the signature, so the
    // pre-signed R1 still verifies (RFC 7401 §5.2.21: "middleboxes add ECHO_REQUEST_UNSIGNED
    // parameters in HIP packets passing by").
    expect(param(one(net, 'c', 'r', 'R1').packet, 'ECHO_REQUEST_UNSIGNED')).toBeUndefined();
    const r1 = one(net, 'r', 'i', 'R1').packet;
    const n1 = param(r1, 'ECHO_REQUEST_UNSIGNED')!.opaque;
    expect(n1.length).toBe(20);
    expect(order(r1).indexOf('ECHO_REQUEST_UNSIGNED')).toBeGreaterThan(order(r1).indexOf('HIP_SIGNATURE_2'));
    // The I2 signs it back: ECHO_RESPONSE_SIGNED sits before HIP_MAC and HIP_SIGNATURE, which
    // cover it (RFC 7401 §5.2.22), and the RFC 7401 §5.2.21 ECHO_RESPONSE_UNSIGNED answer too.
    const i2 = one(net, 'i', 'r', 'I2').packet;
    const signed = param(i2, 'ECHO_RESPONSE_SIGNED')!;
    expect(signed.opaque).toEqual(n1);
    expect(order(i2).indexOf('ECHO_RESPONSE_SIGNED')).toBeLessThan(order(i2).indexOf('HIP_MAC'));
    expect(order(i2).indexOf('ECHO_RESPONSE_SIGNED')).toBeLessThan(order(i2).indexOf('HIP_SIGNATURE'));
    expect(param(i2, 'ECHO_RESPONSE_UNSIGNED')?.opaque).toEqual(n1);
    // The same for the relayed I2 and the R2.
    const n2 = param(one(net, 'r', 'c', 'I2').packet, 'ECHO_REQUEST_UNSIGNED')!.opaque;
    expect(n2).not.toEqual(n1);
    const r2 = one(net, 'c', 'r', 'R2').packet;
    expect(param(r2, 'ECHO_RESPONSE_SIGNED')?.opaque).toEqual(n2);
    expect(order(r2).indexOf('ECHO_RESPONSE_SIGNED')).toBeLessThan(order(r2).indexOf('HIP_SIGNATURE'));
  });

  it('§7.3 "drop the I2 or R2 packets if the corresponding ECHO_RESPONSE_M parameters are not present": a replayed relayed I2 is not forwarded once its nonce is stale', () => {
    const net = protectedNet();
    net.connectViaRelay();
    const i2 = one(net, 'i', 'r', 'I2');
    net.wire.length = 0;
    const dropsBefore = net.drops('r').length;
    // Two nonce windows later (r1RotateMs × (r1AcceptGenerations + 1)) an attacker replays it.
    net.r.handle({ kind: 'datagram', transport: 'udp', bytes: i2.bytes, src: I_NAT, dst: R_PUB, srcPort: 50_001, dstPort: HIP_PORT }, net.now + 2 * ROTATE + 1);
    net.drain('r');
    net.deliver();
    expect(net.wire).toEqual([]);
    expect(net.drops('r').slice(dropsBefore).map((d) => [d.reason, d.packetKind])).toEqual([['relay-replay', 'I2']]);
  });

  it('§7.3 · a replayed R2 of the client is not forwarded to the Initiator once its nonce is stale', () => {
    const net = protectedNet();
    net.connectViaRelay();
    const r2 = one(net, 'c', 'r', 'R2');
    net.wire.length = 0;
    net.r.handle({ kind: 'datagram', transport: 'udp', bytes: r2.bytes, src: r2.src, dst: R_PUB, srcPort: r2.srcPort, dstPort: HIP_PORT }, net.now + 2 * ROTATE + 1);
    net.drain('r');
    expect(net.wire).toEqual([]);
    expect(net.drops('r').at(-1)).toMatchObject({ reason: 'relay-replay', packetKind: 'R2' });
  });

  it('§7.3 · within the nonce\'s window a copy is relayed (the relay keeps no state per exchange) and the end host answers it as RFC 7401 §6.9 says, with the R2 it already sent', () => {
    const net = protectedNet();
    net.connectViaRelay();
    const i2 = one(net, 'i', 'r', 'I2');
    const sasBefore = net.sas.c.length;
    net.wire.length = 0;
    net.r.handle({ kind: 'datagram', transport: 'udp', bytes: i2.bytes, src: I_NAT, dst: R_PUB, srcPort: 50_001, dstPort: HIP_PORT }, net.now + 1);
    net.drain('r');
    net.deliver();
    expect(kinds(net).slice(0, 2)).toEqual(['r>c:I2', 'c>r:R2']);
    expect(net.sas.c.length).toBe(sasBefore);
  });

  it('§7.3 · an I2 that answers the nonce only unsigned (ECHO_RESPONSE_UNSIGNED, which anyone on the path can add) is not forwarded', () => {
    const net = protectedNet();
    net.filter = (w) => (w.from === 'i' && w.packet.kind === 'I2' ? without(w.bytes, w.packet, 'ECHO_RESPONSE_SIGNED') : 'pass');
    net.connectViaRelay();
    expect(net.wire.filter((w) => w.from === 'r' && w.to === 'c' && w.packet.kind === 'I2')).toEqual([]);
    expect(net.drops('r').at(-1)).toMatchObject({ reason: 'relay-replay', packetKind: 'I2' });
    expect(net.state('c', 'i')).toBeUndefined();
  });

  it('§7.3 · only a nonce the relay made counts: an echo one bit off is refused', () => {
    const net = protectedNet();
    net.filter = (w) => {
      if (w.from !== 'i' || w.packet.kind !== 'I2') return 'pass';
      // Flip one bit of the tag inside the signed echo: the relay does not recognise it.
      const p = param(w.packet, 'ECHO_RESPONSE_SIGNED')!;
      const b = w.bytes.slice();
      b[p.span!.offset + 4 + 10] = b[p.span!.offset + 4 + 10]! ^ 0x01;
      return b;
    };
    net.connectViaRelay();
    expect(net.drops('r').at(-1)).toMatchObject({ reason: 'relay-replay', packetKind: 'I2' });
    expect(net.wire.filter((w) => w.from === 'r' && w.to === 'c' && w.packet.kind === 'I2')).toEqual([]);
  });

  it('§7.6 with §7.3 · the nonce keeps the relay one packet out per packet in, each at most 24 bytes larger than without it', () => {
    const net = protectedNet();
    net.connectViaRelay();
    const ins = net.wire.filter((w) => w.to === 'r');
    const outs = net.wire.filter((w) => w.from === 'r');
    expect(outs.length).toBe(ins.length);
    for (let k = 0; k < ins.length; k++) {
      const a = ins[k]!;
      const b = outs[k]!;
      const hmacLen = (param(b.packet, 'RELAY_HMAC') ?? param(a.packet, 'RELAY_HMAC'))!.span!.length;
      const nonce = param(b.packet, 'ECHO_REQUEST_UNSIGNED') && !param(a.packet, 'ECHO_REQUEST_UNSIGNED') ? 24 : 0;
      expect(nonce === 0 || a.packet.kind === 'R1' || a.packet.kind === 'I2', a.packet.kind).toBe(true);
      const growth = b.bytes.length - a.bytes.length;
      expect(growth === 24 + hmacLen + nonce || growth === -hmacLen + nonce, `${a.packet.kind}: ${growth}`).toBe(true);
    }
  });

  it('§7.3 is a "can": off by default (config.controlRelayReplayNonces false), no nonce is added and an I2 without an echo is relayed', () => {
    expect(resolveConfig({}).controlRelayReplayNonces).toBe(false);
    const net = new RelayNet();
    net.register('c');
    net.wire.length = 0;
    net.connectViaRelay();
    expect(net.wire.some((w) => param(w.packet, 'ECHO_REQUEST_UNSIGNED') !== undefined)).toBe(false);
    expect(param(one(net, 'i', 'r', 'I2').packet, 'ECHO_RESPONSE_SIGNED')).toBeUndefined();
    expect(net.state('i', 'c')).toBe('ESTABLISHED');
  });

  it('config · controlRelayReplayNonces must be a boolean', () => {
    expect(() => resolveConfig({ controlRelayReplayNonces: 1 as unknown as boolean })).toThrow(TypeError);
  });
});
