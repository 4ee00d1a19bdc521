// RFC 9028 §4.3 (NAT traversal mode negotiation) and §4.4 (connectivity check pacing
// negotiation) in the base exchange, two engines driven by hand. Where a test needs a peer that
// our engine would never be (an R1 offering only a mode we lack, an I2 choosing a mode nobody
// offered), it re-signs the real packet with the fixture key of that peer, as a peer running other
// software would send it.
import { describe, expect, it } from 'vitest';
import { computeMac, signPacket } from '../../src/crypto/auth.js';
import { nobleCrypto } from '../../src/crypto/noble.js';
import { engineInternals } from '../../src/engine/hip-engine.js';
import { ordered } from '../../src/engine/packets.js';
import { chooseFromR1, acceptFromI2, DEFAULT_TA_MS } from '../../src/engine/nat-negotiation.js';
import type { EngineCore } from '../../src/engine/context.js';
import { DEFAULT_CONFIG, resolveConfig, type HipConfig } from '../../src/engine/config.js';
import { NAT_MODE } from '../../src/wire/constants.js';
import { NOTIFY_TYPE } from '../../src/wire/notify.js';
import { param } from '../../src/wire/access.js';
import { encodePacket } from '../../src/wire/packet.js';
import type { HipPacket, ParamInit } from '../../src/wire/types.js';
import { dropsOf } from './helpers.js';
import { identity, LOC_A, LOC_B, Pair } from './pair.js';

const crypto = nobleCrypto();
const fixedRandom = (n: number): Uint8Array => new Uint8Array(n).fill(7);

const sentOf = (p: Pair, from: 'a' | 'b', kind: string): HipPacket[] => p.log.filter((l) => l.from === from && l.kind === kind).map((l) => l.packet);

/** The parameters of `pkt` up to its MAC/signature, with `swap` applied, for re-signing. */
function bodyOf(pkt: HipPacket, swap: (p: HipPacket['params'][number]) => ParamInit | undefined): ParamInit[] {
  const cut = pkt.params.findIndex((x) => x.kind === 'HIP_MAC' || x.kind === 'HIP_SIGNATURE_2');
  return pkt.params.slice(0, cut).flatMap((x) => {
    const r = swap(x);
    return r ? [r] : [];
  });
}

const withModes = (modes: number[]) => (x: HipPacket['params'][number]): ParamInit => (x.kind === 'NAT_TRAVERSAL_MODE' ? { kind: 'NAT_TRAVERSAL_MODE', modes } : x);

/** B's R1 again, with another NAT_TRAVERSAL_MODE, signed with B's key (HIP_SIGNATURE_2, RFC 7401 §5.2.15). */
function resignR1(r1: HipPacket, modes: number[]): Uint8Array {
  const base = { kind: 'R1' as const, senderHit: r1.senderHit, receiverHit: r1.receiverHit };
  const params = bodyOf(r1, withModes(modes));
  const sig = signPacket(crypto, identity('p256B'), encodePacket({ ...base, params }), fixedRandom, 'HIP_SIGNATURE_2');
  return encodePacket({ ...base, params: [...params, { kind: 'HIP_SIGNATURE_2', ...sig }] }, { src: LOC_B, dst: LOC_A });
}

/** A's I2 again, with another NAT_TRAVERSAL_MODE, with A's HIP_MAC and HIP_SIGNATURE. */
function reauthI2(p: Pair, i2: HipPacket, modes: number[]): Uint8Array {
  const internals = engineInternals(p.a) as unknown as { assocs: Map<number, { state: { keys: { rhash: 'sha256' | 'sha384'; macOut: Uint8Array } } }> };
  const keys = [...internals.assocs.values()][0]!.state.keys;
  const base = { kind: 'I2' as const, senderHit: i2.senderHit, receiverHit: i2.receiverHit };
  // The chosen mode replaces the I2's own, or is added in type order where the I2 had none.
  const params: ParamInit[] = ordered([...bodyOf(i2, (x) => (x.kind === 'NAT_TRAVERSAL_MODE' ? undefined : x)), { kind: 'NAT_TRAVERSAL_MODE', modes }]);
  params.push({ kind: 'HIP_MAC', hmac: computeMac(crypto, keys.rhash, keys.macOut, encodePacket({ ...base, params })) });
  params.push({ kind: 'HIP_SIGNATURE', ...signPacket(crypto, identity('p256A'), encodePacket({ ...base, params }), fixedRandom) });
  return encodePacket({ ...base, params }, { src: LOC_A, dst: LOC_B });
}

function established(p: Pair): void {
  p.connect();
  p.runUntil(() => p.state('a') === 'ESTABLISHED' && (p.state('b') === 'R2_SENT' || p.state('b') === 'ESTABLISHED'));
}

describe('RFC 9028 §4.3 NAT traversal mode negotiation', () => {
  it('step 2: "the NAT_TRAVERSAL_MODE parameter in R1 contains a list of NAT traversal modes the Responder supports", ICE-HIP-UDP first, with TRANSACTION_PACING (§4.4)', () => {
    const p = new Pair({ config: { natTraversal: 'ice-hip-udp' } });
    established(p);
    const r1 = sentOf(p, 'b', 'R1')[0]!;
    expect(param(r1, 'NAT_TRAVERSAL_MODE')?.modes).toEqual([NAT_MODE.ICE_HIP_UDP, NAT_MODE.UDP_ENCAPSULATION]);
    expect(param(r1, 'TRANSACTION_PACING')?.minTa).toBe(50);
  });

  it('step 3: "the I2 ... contains the mode selected by the Initiator from the list"; both associations keep ICE-HIP-UDP', () => {
    const p = new Pair({ config: { natTraversal: 'ice-hip-udp' } });
    established(p);
    const i2 = sentOf(p, 'a', 'I2')[0]!;
    expect(param(i2, 'NAT_TRAVERSAL_MODE')?.modes).toEqual([NAT_MODE.ICE_HIP_UDP]);
    expect(p.a.associations()[0]?.natTraversal).toEqual({ mode: 'ice-hip-udp', taMs: 50 });
    expect(p.b.associations()[0]?.natTraversal).toEqual({ mode: 'ice-hip-udp', taMs: 50 });
  });

  it('the default ("none") sends neither parameter, and nothing is negotiated', () => {
    const p = new Pair();
    established(p);
    for (const pkt of p.log.map((l) => l.packet)) {
      expect(param(pkt, 'NAT_TRAVERSAL_MODE'), pkt.kind).toBeUndefined();
      expect(param(pkt, 'TRANSACTION_PACING'), pkt.kind).toBeUndefined();
    }
    expect(p.a.associations()[0]?.natTraversal).toBeUndefined();
    expect(p.b.associations()[0]?.natTraversal).toBeUndefined();
  });

  it('"As the parameter is non-critical ... it can be ignored by an end host": an Initiator without NAT traversal completes with a Responder that offers it', () => {
    const p = new Pair({ configB: { natTraversal: 'ice-hip-udp' } });
    established(p);
    expect(param(sentOf(p, 'b', 'R1')[0]!, 'NAT_TRAVERSAL_MODE')).toBeDefined();
    expect(param(sentOf(p, 'a', 'I2')[0]!, 'NAT_TRAVERSAL_MODE')).toBeUndefined();
    expect(p.a.associations()[0]?.natTraversal).toBeUndefined();
    expect(p.b.associations()[0]?.natTraversal).toBeUndefined();
  });

  it('an Initiator that wants ICE-HIP-UDP completes without it when the R1 offers no mode at all (the Responder ignores the extension)', () => {
    const p = new Pair({ configA: { natTraversal: 'ice-hip-udp' } });
    established(p);
    expect(param(sentOf(p, 'a', 'I2')[0]!, 'NAT_TRAVERSAL_MODE')).toBeUndefined();
    expect(p.a.associations()[0]?.natTraversal).toBeUndefined();
  });

  it('the Initiator picks UDP-ENCAPSULATION when that is the only mode of ours the Responder offers', () => {
    const p = new Pair({ config: { natTraversal: 'ice-hip-udp' } });
    p.filter = (f) => (f.packet.kind === 'R1' ? { replace: resignR1(f.packet, [NAT_MODE.ICE_STUN_UDP, NAT_MODE.UDP_ENCAPSULATION]) } : 'pass');
    established(p);
    expect(param(sentOf(p, 'a', 'I2')[0]!, 'NAT_TRAVERSAL_MODE')?.modes).toEqual([NAT_MODE.UDP_ENCAPSULATION]);
    expect(p.a.associations()[0]?.natTraversal?.mode).toBe('udp-encapsulation');
    expect(p.b.associations()[0]?.natTraversal?.mode).toBe('udp-encapsulation');
  });

  it('no common mode in the R1: the Initiator sends NOTIFY NO_VALID_NAT_TRAVERSAL_MODE_PARAMETER and aborts', () => {
    const p = new Pair({ config: { natTraversal: 'ice-hip-udp' } });
    p.filter = (f) => (f.packet.kind === 'R1' ? { replace: resignR1(f.packet, [NAT_MODE.ICE_STUN_UDP]) } : 'pass');
    p.connect();
    p.run(5_000);
    expect(sentOf(p, 'a', 'I2')).toEqual([]);
    const notify = sentOf(p, 'a', 'NOTIFY')[0];
    expect(notify && param(notify, 'NOTIFICATION')?.messageType).toBe(NOTIFY_TYPE.NO_VALID_NAT_TRAVERSAL_MODE_PARAMETER);
    expect(p.events('a')).toContainEqual(expect.objectContaining({ type: 'failed', reason: 'no-common-nat-mode' }));
    expect(p.events('b')).toContainEqual(expect.objectContaining({ type: 'notify', messageType: NOTIFY_TYPE.NO_VALID_NAT_TRAVERSAL_MODE_PARAMETER }));
  });

  it('step 4: "If the NAT traversal mode selected by the Initiator is not supported by the Responder, the Responder SHOULD reply with a NOTIFY ... and abort the base exchange"', () => {
    const p = new Pair({ config: { natTraversal: 'ice-hip-udp' } });
    p.filter = (f) => (f.packet.kind === 'I2' ? { replace: reauthI2(p, f.packet, [NAT_MODE.ICE_STUN_UDP]) } : 'pass');
    p.connect();
    p.run(500);
    expect(dropsOf(p, 'b')).toContain('no-common-nat-mode');
    expect(sentOf(p, 'b', 'R2')).toEqual([]);
    expect(p.b.associations()).toEqual([]);
    const notify = sentOf(p, 'b', 'NOTIFY')[0];
    expect(notify && param(notify, 'NOTIFICATION')?.messageType).toBe(NOTIFY_TYPE.NO_VALID_NAT_TRAVERSAL_MODE_PARAMETER);
  });

  it('a Responder that offered no mode refuses an I2 that chooses one the same way', () => {
    const p = new Pair({ configA: { natTraversal: 'ice-hip-udp' } });
    p.filter = (f) => (f.packet.kind === 'I2' ? { replace: reauthI2(p, f.packet, [NAT_MODE.ICE_HIP_UDP]) } : 'pass');
    p.connect();
    p.run(500);
    expect(dropsOf(p, 'b')).toContain('no-common-nat-mode');
    expect(p.b.associations()).toEqual([]);
  });

  it('an I2 naming two modes has not selected one: refused', () => {
    const p = new Pair({ config: { natTraversal: 'ice-hip-udp' } });
    p.filter = (f) => (f.packet.kind === 'I2' ? { replace: reauthI2(p, f.packet, [NAT_MODE.ICE_HIP_UDP, NAT_MODE.UDP_ENCAPSULATION]) } : 'pass');
    p.connect();
    p.run(500);
    expect(dropsOf(p, 'b')).toContain('no-common-nat-mode');
  });
});

describe('RFC 9028 §4.4 connectivity check pacing negotiation', () => {
  it('"The value that is used by both of the hosts is the higher of the two offered values"', () => {
    const p = new Pair({ config: { natTraversal: 'ice-hip-udp' }, configA: { natMinTaMs: 120 }, configB: { natMinTaMs: 80 } });
    established(p);
    expect(param(sentOf(p, 'b', 'R1')[0]!, 'TRANSACTION_PACING')?.minTa).toBe(80);
    expect(param(sentOf(p, 'a', 'I2')[0]!, 'TRANSACTION_PACING')?.minTa).toBe(120);
    expect(p.a.associations()[0]?.natTraversal?.taMs).toBe(120);
    expect(p.b.associations()[0]?.natTraversal?.taMs).toBe(120);
  });

  it('"The Initiator MUST NOT propose a smaller value than what the Responder offered"', () => {
    const p = new Pair({ config: { natTraversal: 'ice-hip-udp' }, configA: { natMinTaMs: 20 }, configB: { natMinTaMs: 200 } });
    established(p);
    expect(param(sentOf(p, 'a', 'I2')[0]!, 'TRANSACTION_PACING')?.minTa).toBe(200);
    expect(p.a.associations()[0]?.natTraversal?.taMs).toBe(200);
    expect(p.b.associations()[0]?.natTraversal?.taMs).toBe(200);
  });

  it('"if no value is configured, a value of 50 ms MUST be used"; "Hosts MUST NOT use values smaller than 5 ms"', () => {
    expect(DEFAULT_CONFIG.natMinTaMs).toBe(50);
    expect(() => resolveConfig({ natMinTaMs: 4 })).toThrow(/config\.natMinTaMs/);
    expect(resolveConfig({ natMinTaMs: 5 }).natMinTaMs).toBe(5);
    expect(() => resolveConfig({ natTraversal: 'ice' as never })).toThrow(/config\.natTraversal/);
  });
});

describe('RFC 9028 §4.4, §5.4 rules of the choice itself', () => {
  const core = (c: Partial<HipConfig>): EngineCore => ({ config: resolveConfig(c) }) as unknown as EngineCore;
  const pkt = (params: ParamInit[]): HipPacket => ({ kind: 'R1', params }) as unknown as HipPacket;

  it('"If a host does not include the TRANSACTION_PACING parameter ... a Ta value of 50 ms MUST be used as that host\'s minimum value"', () => {
    const c = core({ natTraversal: 'ice-hip-udp', natMinTaMs: 10 });
    const r = chooseFromR1(c, pkt([{ kind: 'NAT_TRAVERSAL_MODE', modes: [3] }]));
    expect(r.ok && r.nat?.taMs).toBe(DEFAULT_TA_MS);
    const a = acceptFromI2(c, pkt([{ kind: 'NAT_TRAVERSAL_MODE', modes: [3] }]));
    expect(a.ok && a.nat?.taMs).toBe(DEFAULT_TA_MS);
  });

  it('"a recipient MUST be prepared to handle ... more than six Mode IDs by accepting the first six and dropping the rest"', () => {
    const c = core({ natTraversal: 'ice-hip-udp' });
    expect(chooseFromR1(c, pkt([{ kind: 'NAT_TRAVERSAL_MODE', modes: [2, 2, 2, 2, 2, 2, 3] }])).ok).toBe(false);
    const six = chooseFromR1(c, pkt([{ kind: 'NAT_TRAVERSAL_MODE', modes: [2, 2, 2, 2, 2, 3, 1] }]));
    expect(six.ok && six.nat?.mode).toBe('ice-hip-udp');
  });

  it('our preference order decides among the modes offered (§5.4: "most preferred mode(s) first")', () => {
    const r = chooseFromR1(core({ natTraversal: 'ice-hip-udp' }), pkt([{ kind: 'NAT_TRAVERSAL_MODE', modes: [1, 3] }]));
    expect(r.ok && r.nat?.mode).toBe('ice-hip-udp');
  });
});
