// The NAT traversal mode rules of a base exchange through a Control Relay Server (RFC 9028 §4.5,
// §4.3, §5.10, §7.6): the relay drops an R1 or I2 without NAT_TRAVERSAL_MODE and answers with a
// bounded NOTIFY; the relayed R1 and I2 carry ICE-HIP-UDP even on hosts whose
// config.natTraversal is 'none'; the relay itself proposes UDP-ENCAPSULATION only.
import { describe, expect, it } from 'vitest';
import { encodeParamBlock, param } from '../../src/wire/index.js';
import type { HipPacket } from '../../src/wire/types.js';
import { concatBytes } from '../../src/util/bytes.js';
import { engineInternals } from '../../src/engine/hip-engine.js';
import { establishedKeys } from '../../src/engine/states.js';
import { acceptFromI2, chooseFromR1, r1NatParams } from '../../src/engine/nat-negotiation.js';
import { resolveConfig, type HipConfig } from '../../src/engine/config.js';
import type { EngineCore } from '../../src/engine/context.js';
import type { ParamInit } from '../../src/wire/types.js';
import { nobleCrypto } from '../../src/crypto/noble.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { C_NAT, HIP_PORT, I_NAT, R_PUB, RelayNet, type RelayNetOptions, type Wire } from './relay-net.js';

const NO_VALID_NAT_TRAVERSAL_MODE_PARAMETER = 60;
const ICE_HIP_UDP = 3;
const UDP_ENCAPSULATION = 1;

function registered(opts: RelayNetOptions = {}): RelayNet {
  const net = new RelayNet(opts);
  net.register('c');
  expect(net.state('c', 'r')).toBe('ESTABLISHED');
  net.wire.length = 0;
  return net;
}

/** `bytes` of `pkt` without its parameter `kind` (header length fixed; signatures not redone). */
function withoutParam(bytes: Uint8Array, pkt: HipPacket, kind: string): Uint8Array {
  const p = pkt.params.find((q) => q.kind === kind)!;
  const out = concatBytes(bytes.subarray(0, p.span!.offset), bytes.subarray(p.span!.offset + p.span!.length));
  out[1] = out.length / 8 - 1;
  return out;
}

/**
 * The client's R1 (with RELAY_TO and RELAY_HMAC) re-made without NAT_TRAVERSAL_MODE and with a
 * RELAY_HMAC that verifies, as a Responder that does not follow §4.5 step 3 would send it.
 */
function r1WithoutNatMode(net: RelayNet, w: Wire): Uint8Array {
  const noMode = withoutParam(w.bytes, w.packet, 'NAT_TRAVERSAL_MODE');
  const decoded = RelayNet.decode(noMode);
  const mac = param(decoded, 'RELAY_HMAC')!;
  const covered = noMode.slice(0, mac.span!.offset);
  covered[1] = covered.length / 8 - 1;
  const core = engineInternals(net.c);
  const relay = core.findAssoc(net.hit('c'), net.hit('r'))!;
  const keys = establishedKeys(relay.state)!;
  const out = concatBytes(covered, encodeParamBlock([{ kind: 'RELAY_HMAC', hmac: core.crypto.hmac(keys.rhash, keys.macOut, covered) }]));
  out[1] = out.length / 8 - 1;
  return out;
}

const notifies = (net: RelayNet, from: 'r', to: 'c' | 'i'): Wire[] => net.wire.filter((w) => w.from === from && w.to === to && w.packet.kind === 'NOTIFY');

describe('RFC 9028 §4.5 ¶1 the Control Relay Server drops an R1 or I2 without NAT_TRAVERSAL_MODE', () => {
  it('§4.5 "If the Control Relay Server receives an R1 or I2 packet without the NAT traversal mode parameter, it MUST drop it and SHOULD send a NOTIFY error packet with type NO_VALID_NAT_TRAVERSAL_MODE_PARAMETER to the sender": an I2 from the Initiator', () => {
    const net = registered();
    net.filter = (w) => (w.from === 'i' && w.to === 'r' && w.packet.kind === 'I2' ? withoutParam(w.bytes, w.packet, 'NAT_TRAVERSAL_MODE') : 'pass');
    net.connectViaRelay();
    // Dropped at the relay with its reason, and not forwarded to the client.
    expect(net.drops('r').map((d) => [d.reason, d.packetKind])).toEqual([['relay-no-nat-mode', 'I2']]);
    expect(net.wire.filter((w) => w.from === 'r' && w.to === 'c' && w.packet.kind === 'I2')).toEqual([]);
    // The NOTIFY goes back to the I2's sender, the transport address it came from.
    const [n] = notifies(net, 'r', 'i');
    expect(n).toBeDefined();
    expect(n!.src).toEqual(R_PUB);
    expect(n!.srcPort).toBe(HIP_PORT);
    expect(n!.dst).toEqual(I_NAT);
    expect(n!.dstPort).toBe(50_001);
    expect(n!.packet.receiverHit).toEqual(net.hit('i'));
    const note = param(n!.packet, 'NOTIFICATION')!;
    expect(note.messageType).toBe(NO_VALID_NAT_TRAVERSAL_MODE_PARAMETER);
    // §5.10: "The Notification Data field for the error notifications SHOULD contain the HIP
    // header of the rejected packet".
    expect(note.data.length).toBe(40);
    expect(note.data.subarray(8, 24)).toEqual(net.hit('i'));
    expect(note.data.subarray(24, 40)).toEqual(net.hit('c'));
    expect(net.events.i.some((e) => e.type === 'notify' && e.messageType === NO_VALID_NAT_TRAVERSAL_MODE_PARAMETER)).toBe(true);
    expect(net.state('c', 'i')).toBeUndefined();
  });

  it('§4.5 ¶1 · an R1 from the client without NAT_TRAVERSAL_MODE (RELAY_HMAC valid) is dropped, not sent to the Initiator, and the client gets the NOTIFY', () => {
    const net = registered();
    net.filter = (w) => (w.from === 'c' && w.to === 'r' && w.packet.kind === 'R1' ? r1WithoutNatMode(net, w) : 'pass');
    net.connectViaRelay();
    expect(net.drops('r').map((d) => [d.reason, d.packetKind])).toEqual([['relay-no-nat-mode', 'R1']]);
    expect(net.wire.filter((w) => w.from === 'r' && w.to === 'i')).toEqual([]);
    const [n] = notifies(net, 'r', 'c');
    expect(n).toBeDefined();
    // To the client's registered transport address (the reverse of the registration's R2).
    expect(n!.dst).toEqual(C_NAT);
    expect(n!.dstPort).toBe(40_001);
    const note = param(n!.packet, 'NOTIFICATION')!;
    expect(note.messageType).toBe(NO_VALID_NAT_TRAVERSAL_MODE_PARAMETER);
    expect(note.data.subarray(8, 24)).toEqual(net.hit('c'));
    // The client knows the relay: the NOTIFY is authenticated (signed by the relay).
    expect(net.events.c.some((e) => e.type === 'notify' && e.messageType === NO_VALID_NAT_TRAVERSAL_MODE_PARAMETER && e.authenticated)).toBe(true);
  });

  it('§4.5 ¶1 with §7.6 · under a flood of I2s without the parameter: every one dropped and counted, at most one NOTIFY per packet, and no more than the client\'s relay budget per time window', () => {
    const net = registered({ relayConfig: { controlRelayBurst: 3, controlRelayPerSecond: 1 } });
    // One real I2 to copy: let the exchange run to the I2 and stop it at the relay.
    let i2: Wire | undefined;
    net.filter = (w) => {
      if (w.from === 'i' && w.packet.kind === 'I2') {
        i2 = w;
        return 'drop';
      }
      return 'pass';
    };
    net.connectViaRelay();
    expect(i2).toBeDefined();
    const bad = withoutParam(i2!.bytes, i2!.packet, 'NAT_TRAVERSAL_MODE');
    net.wire.length = 0;
    const dropsBefore = net.drops('r').length;
    const flood = (n: number, at: number): void => {
      for (let k = 0; k < n; k++) net.r.handle({ kind: 'datagram', transport: 'udp', bytes: bad, src: I_NAT, dst: R_PUB, srcPort: 50_001, dstPort: HIP_PORT }, at);
      net.drain('r');
    };
    // The relay forwarded the I1 and R1 of this exchange from the burst of 3: one token left.
    flood(50, net.now);
    const drops = net.drops('r').slice(dropsBefore);
    expect(drops.filter((d) => d.reason === 'relay-no-nat-mode')).toHaveLength(50);
    const first = net.wire.filter((w) => w.from === 'r').map((w) => w.packet.kind);
    expect(first.every((k) => k === 'NOTIFY')).toBe(true);
    expect(first.length).toBeLessThanOrEqual(1);
    // Ten seconds later at 1 per second the bucket is full again (3): at most 3 more NOTIFYs
    // for 50 more packets, and still nothing reaches the client.
    net.wire.length = 0;
    flood(50, net.now + 10_000);
    const second = net.wire.filter((w) => w.from === 'r');
    expect(second.map((w) => w.packet.kind)).toEqual(['NOTIFY', 'NOTIFY', 'NOTIFY']);
    expect(second.every((w) => w.to === 'i')).toBe(true);
  });

  it('§4.5 ¶1 with RFC 7401 §5.3.6 · the NOTIFYs also stay within the engine-wide NOTIFY rate limit', () => {
    const net = registered({ relayConfig: { controlRelayBurst: 100, controlRelayPerSecond: 100, notifyBurst: 2, notifyPerSecond: 1 } });
    let i2: Wire | undefined;
    net.filter = (w) => (w.from === 'i' && w.packet.kind === 'I2' ? ((i2 = w), 'drop') : 'pass');
    net.connectViaRelay();
    const bad = withoutParam(i2!.bytes, i2!.packet, 'NAT_TRAVERSAL_MODE');
    net.wire.length = 0;
    for (let k = 0; k < 20; k++) net.r.handle({ kind: 'datagram', transport: 'udp', bytes: bad, src: I_NAT, dst: R_PUB, srcPort: 50_001, dstPort: HIP_PORT }, net.now);
    net.drain('r');
    expect(net.wire.filter((w) => w.from === 'r').length).toBeLessThanOrEqual(2);
    expect(net.drops('r').filter((d) => d.reason === 'relay-no-nat-mode')).toHaveLength(20);
  });

  it('§4.5 ¶1 · I1, R2 and later packets need no NAT_TRAVERSAL_MODE: the I1 is relayed as before', () => {
    const net = registered();
    net.connectViaRelay();
    expect(param(net.wire.find((w) => w.from === 'i' && w.packet.kind === 'I1')!.packet, 'NAT_TRAVERSAL_MODE')).toBeUndefined();
    expect(net.wire.some((w) => w.from === 'r' && w.to === 'c' && w.packet.kind === 'I1')).toBe(true);
    expect(net.drops('r').filter((d) => d.reason === 'relay-no-nat-mode')).toEqual([]);
    expect(net.state('i', 'c')).toBe('ESTABLISHED');
  });
});

describe('RFC 9028 §4.5 steps 3 and 5: the relayed R1 and I2 carry ICE-HIP-UDP, whatever config.natTraversal says', () => {
  it('§4.5 step 3 "The Responder MUST include ICE-HIP-UDP in the NAT traversal modes" and step 5 "The I2 packet MUST also contain a NAT traversal mode parameter that includes ICE-HIP-UDP mode": both hosts have natTraversal "none"', () => {
    const net = registered();
    expect(resolveConfig({}).natTraversal).toBe('none');
    net.connectViaRelay();
    const r1 = net.wire.find((w) => w.from === 'c' && w.packet.kind === 'R1')!.packet;
    expect(param(r1, 'NAT_TRAVERSAL_MODE')?.modes).toEqual([ICE_HIP_UDP]);
    expect(param(r1, 'TRANSACTION_PACING')?.minTa).toBe(50);
    const i2 = net.wire.find((w) => w.from === 'i' && w.packet.kind === 'I2')!.packet;
    expect(param(i2, 'NAT_TRAVERSAL_MODE')?.modes).toEqual([ICE_HIP_UDP]);
    // §4.3 step 3: "If ICE-HIP-UDP mode was selected, the I2 also includes the "Transport address"
    // locators ... With ICE-HIP-UDP mode, the LOCATOR_SET parameter MUST be encapsulated within
    // an ENCRYPTED parameter".
    expect(param(i2, 'ENCRYPTED')).toBeDefined();
    expect(param(i2, 'LOCATOR_SET')).toBeUndefined();
    expect(net.state('i', 'c')).toBe('ESTABLISHED');
    const mode = (n: 'i' | 'c', peer: 'i' | 'c') => net.engine(n).associations().find((a) => a.id === net.assocId(n, peer))!.natTraversal?.mode;
    expect(mode('i', 'c')).toBe('ice-hip-udp');
    expect(mode('c', 'i')).toBe('ice-hip-udp');
  });

  it('§4.5 step 3 · a Responder with natTraversal "ice-hip-udp" offers ICE-HIP-UDP only on a relayed R1 (the I2 must choose it), ICE-HIP-UDP then UDP-ENCAPSULATION on a direct one', () => {
    const net = registered({ clientConfig: { natTraversal: 'ice-hip-udp' } });
    net.connectViaRelay();
    const relayed = net.wire.find((w) => w.from === 'c' && w.packet.kind === 'R1')!.packet;
    expect(param(relayed, 'NAT_TRAVERSAL_MODE')?.modes).toEqual([ICE_HIP_UDP]);
    const core = { config: resolveConfig({ natTraversal: 'ice-hip-udp' }) } as unknown as EngineCore;
    expect(r1NatParams(core, false)[0]).toMatchObject({ kind: 'NAT_TRAVERSAL_MODE', modes: [ICE_HIP_UDP, UDP_ENCAPSULATION] });
    expect(r1NatParams(core, true)[0]).toMatchObject({ kind: 'NAT_TRAVERSAL_MODE', modes: [ICE_HIP_UDP] });
  });

  it('§4.5 step 3 · the direct base exchange of a host with natTraversal "none" still offers no mode (§4.3: the parameter is non-critical and may be left out)', () => {
    const net = new RelayNet();
    net.register('c');
    expect(param(net.wire.find((w) => w.from === 'r' && w.packet.kind === 'R1')!.packet, 'NAT_TRAVERSAL_MODE')).toBeUndefined();
    expect(param(net.wire.find((w) => w.from === 'c' && w.packet.kind === 'I2')!.packet, 'NAT_TRAVERSAL_MODE')).toBeUndefined();
  });

  it('§4.5 step 3 "to allow pre-created R1 packets at the Responder" · relayed I1s are answered from one signed R1 template: one signature, however many I1s', () => {
    const base = nobleCrypto();
    let signatures = 0;
    // Count the signatures made with the HIP_SIGNATURE_2 of an R1 template (RFC 7401 §5.2.15).
    let r1Signatures = 0;
    const counting: CryptoProvider = {
      ...base,
      hostIdAlgorithm: (id) => {
        const alg = base.hostIdAlgorithm(id);
        if (!alg) return undefined;
        return {
          ...alg,
          sign: (key, data, random) => {
            signatures += 1;
            if ((data[2]! & 0x7f) === 2) r1Signatures += 1; // the covered packet is an R1
            return alg.sign(key, data, random);
          },
        };
      },
    };
    const net = registered({ clientCrypto: counting });
    net.i.connect({ hit: net.hit('c'), locators: [R_PUB], udpPort: HIP_PORT }, net.now);
    const out = net.i.poll();
    if (out?.kind !== 'transmit') throw new Error('expected the I1');
    signatures = 0;
    r1Signatures = 0;
    for (let k = 0; k < 5; k++) {
      net.r.handle({ kind: 'datagram', transport: 'udp', bytes: out.bytes, src: I_NAT, dst: R_PUB, srcPort: 50_001, dstPort: HIP_PORT }, net.now + k);
      net.drain('r');
      net.deliver();
    }
    const r1s = net.wire.filter((w) => w.from === 'c' && w.packet.kind === 'R1');
    expect(r1s.length).toBeGreaterThanOrEqual(2);
    for (const w of r1s) expect(param(w.packet, 'NAT_TRAVERSAL_MODE')?.modes).toEqual([ICE_HIP_UDP]);
    // Five R1s, one R1 signature (the template's); the rest of the client's signatures are for
    // the R2 of the one exchange the Initiator went on with.
    expect(r1s).toHaveLength(5);
    expect(r1Signatures).toBe(1);
    expect(signatures - r1Signatures).toBe(net.wire.filter((w) => w.from === 'c' && w.packet.kind === 'R2').length);
  });

  it('§4.5 step 5 with §4.3 · an R1 with RELAY_TO that does not offer ICE-HIP-UDP is dropped (no-common-nat-mode) and the Initiator keeps waiting: RELAY_TO is not signed, so adding one cannot abort an exchange', () => {
    const net = new RelayNet();
    // A direct exchange with C (natTraversal "none": its R1 offers no mode), to C's NAT mapping.
    net.register('c');
    net.wire.length = 0;
    net.filter = (w) => {
      if (w.from !== 'c' || w.packet.kind !== 'R1') return 'pass';
      const withTo = concatBytes(w.bytes, encodeParamBlock([{ kind: 'RELAY_TO', port: 50_001, protocol: 17, address: I_NAT }]));
      withTo[1] = withTo.length / 8 - 1;
      return withTo;
    };
    net.i.connect({ hit: net.hit('c'), locators: [C_NAT], udpPort: 40_001 }, net.now);
    net.drain('i');
    net.deliver();
    expect(net.drops('i').map((d) => [d.reason, d.packetKind])).toEqual([['no-common-nat-mode', 'R1']]);
    expect(net.state('i', 'c')).toBe('I1_SENT');
    expect(net.events.i.some((e) => e.type === 'failed')).toBe(false);
    expect(net.wire.some((w) => w.from === 'i' && w.packet.kind === 'I2')).toBe(false);
  });

  it('§4.5 step 5 · the Responder refuses a relayed I2 without ICE-HIP-UDP (§4.3: NOTIFY NO_VALID_NAT_TRAVERSAL_MODE_PARAMETER); a direct one may decline the mode', () => {
    const core = (c: Partial<HipConfig>): EngineCore => ({ config: resolveConfig(c) }) as unknown as EngineCore;
    const pkt = (params: ParamInit[]): HipPacket => ({ kind: 'I2', params }) as unknown as HipPacket;
    for (const nat of ['none', 'ice-hip-udp'] as const) {
      const c = core({ natTraversal: nat });
      expect(acceptFromI2(c, pkt([]), true).ok).toBe(false);
      expect(acceptFromI2(c, pkt([{ kind: 'NAT_TRAVERSAL_MODE', modes: [UDP_ENCAPSULATION] }]), true).ok).toBe(false);
      const ok = acceptFromI2(c, pkt([{ kind: 'NAT_TRAVERSAL_MODE', modes: [ICE_HIP_UDP] }]), true);
      expect(ok.ok && ok.nat?.mode).toBe('ice-hip-udp');
      expect(acceptFromI2(c, pkt([]), false).ok).toBe(true);
    }
    // And the Initiator: a relayed R1 is answered with ICE-HIP-UDP even when UDP-ENCAPSULATION is offered first.
    const r1 = { kind: 'R1', params: [{ kind: 'NAT_TRAVERSAL_MODE', modes: [UDP_ENCAPSULATION, ICE_HIP_UDP] }] } as unknown as HipPacket;
    const choice = chooseFromR1(core({}), r1, true);
    expect(choice.ok && choice.nat?.mode).toBe('ice-hip-udp');
    expect(choice.ok && choice.params[0]).toMatchObject({ kind: 'NAT_TRAVERSAL_MODE', modes: [ICE_HIP_UDP] });
  });
});

describe('RFC 9028 §4.3 the Control Relay Server proposes UDP-ENCAPSULATION', () => {
  it('§4.3 "the Relay Server SHOULD propose the UDP-ENCAPSULATION mode as the preferred or only mode": its R1 offers only UDP-ENCAPSULATION, and no connectivity checks run with its clients (§4.7.1)', () => {
    const net = new RelayNet({ relayConfig: { natTraversal: 'ice-hip-udp' }, clientConfig: { natTraversal: 'ice-hip-udp' } });
    net.register('c');
    const r1 = net.wire.find((w) => w.from === 'r' && w.packet.kind === 'R1')!.packet;
    expect(param(r1, 'NAT_TRAVERSAL_MODE')?.modes).toEqual([UDP_ENCAPSULATION]);
    expect(param(net.wire.find((w) => w.from === 'c' && w.packet.kind === 'I2')!.packet, 'NAT_TRAVERSAL_MODE')?.modes).toEqual([UDP_ENCAPSULATION]);
    expect(net.c.associations().find((a) => a.id === net.assocId('c', 'r'))!.natTraversal?.mode).toBe('udp-encapsulation');
    net.wire.length = 0;
    net.runUntil(net.now + 5_000);
    // §4.7.1: "When UDP-ENCAPSULATION mode is chosen ... the connectivity checks as defined in
    // this document MUST NOT be used": no UPDATE with CANDIDATE_PRIORITY between them.
    expect(net.wire.filter((w) => param(w.packet, 'CANDIDATE_PRIORITY') !== undefined)).toEqual([]);
  });
});
