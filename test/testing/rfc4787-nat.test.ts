// The simulator's NAT box against RFC 4787 (docs/architecture.md, Simulator): one test per
// requirement or behaviour, named with its section. Port allocation uses the seeded stream, time
// the `now` argument.
import { describe, expect, it } from 'vitest';
import { parseLocator } from '../../src/addr/locator.js';
import { NatBox, type NatOptions } from '../../src/testing/index.js';

const PUB = parseLocator('203.0.113.1');
const X1 = parseLocator('10.0.0.1');
const X2 = parseLocator('10.0.0.2');
const Y1 = parseLocator('198.51.100.1');
const Y2 = parseLocator('198.51.100.2');

function box(opts: Partial<NatOptions> = {}, seed: number | string = 1): NatBox {
  return new NatBox('nat', { publicAddress: '203.0.113.1', ...opts }, seed);
}

function out(nat: NatBox, src: Uint8Array, srcPort: number, dst: Uint8Array, dstPort: number, now = 0): number {
  const r = nat.outbound({ src, srcPort, dst, dstPort }, now);
  if (!r.ok) throw new Error(`outbound refused: ${r.reason}`);
  expect(r.external.address).toEqual(PUB);
  return r.external.port;
}

describe('RFC 4787 §4.1 address and port mapping', () => {
  it('REQ-1 endpoint-independent mapping: X:x keeps one external port for every remote address and port', () => {
    const nat = box({ mapping: 'endpoint-independent' });
    const p1 = out(nat, X1, 10500, Y1, 10500);
    expect(out(nat, X1, 10500, Y1, 4000)).toBe(p1);
    expect(out(nat, X1, 10500, Y2, 10500)).toBe(p1);
    expect(nat.counters.mappingsCreated).toBe(1);
    // Another internal endpoint gets another mapping.
    expect(out(nat, X2, 10500, Y1, 10500)).not.toBe(p1);
  });

  it('§4.1 address-dependent mapping: the same external port for one remote address, a new one for another address', () => {
    const nat = box({ mapping: 'address-dependent' });
    const p1 = out(nat, X1, 10500, Y1, 10500);
    expect(out(nat, X1, 10500, Y1, 4000)).toBe(p1);
    const p2 = out(nat, X1, 10500, Y2, 10500);
    expect(p2).not.toBe(p1);
    expect(nat.counters.mappingsCreated).toBe(2);
  });

  it('§4.1 address-and-port-dependent mapping: a new external port per remote address and port ("symmetric")', () => {
    const nat = box({ mapping: 'address-and-port-dependent' });
    const p1 = out(nat, X1, 10500, Y1, 10500);
    expect(out(nat, X1, 10500, Y1, 10500)).toBe(p1);
    const p2 = out(nat, X1, 10500, Y1, 4000);
    const p3 = out(nat, X1, 10500, Y2, 10500);
    expect(new Set([p1, p2, p3]).size).toBe(3);
    expect(nat.mappings(0).map((m) => m.remote?.port)).toEqual([10500, 4000, 10500]);
  });
});

describe('RFC 4787 §4.2.1 port assignment', () => {
  it('port preservation on: the external port is the internal one while it is free, then another one', () => {
    const nat = box({ portPreservation: true });
    expect(out(nat, X1, 10500, Y1, 10500)).toBe(10500);
    // X2 uses the same internal port: 10500 is taken, so it gets another (REQ-3: no port overloading).
    const p2 = out(nat, X2, 10500, Y1, 10500);
    expect(p2).not.toBe(10500);
  });

  it('port preservation off: external ports come from the seeded stream, the same for the same seed', () => {
    const ports = (seed: number): number[] => {
      const nat = box({ portPreservation: false }, seed);
      return [out(nat, X1, 10500, Y1, 10500), out(nat, X2, 10500, Y1, 10500)];
    };
    expect(ports(7)).toEqual(ports(7));
    expect(ports(7)).not.toEqual(ports(8));
    for (const p of ports(7)) expect(p).toBeGreaterThanOrEqual(1024);
  });

  it('REQ-3 "MUST NOT have a Port assignment behavior of Port overloading": no two live mappings share an external port', () => {
    const nat = box({ portRange: [40000, 40015], mapping: 'address-and-port-dependent' });
    const seen = new Set<number>();
    for (let i = 0; i < 16; i++) seen.add(out(nat, X1, 10500, Y1, 5000 + i));
    expect(seen.size).toBe(16);
    // The range is full: the next new mapping is refused rather than overloading a port.
    expect(nat.outbound({ src: X1, srcPort: 10500, dst: Y1, dstPort: 6000 }, 0)).toEqual({ ok: false, reason: 'no-port' });
    expect(nat.counters.droppedNoPort).toBe(1);
  });
});

describe('RFC 4787 §4.3 mapping refresh', () => {
  it('REQ-5 default UDP mapping timer: 300 s, not less than two minutes', () => {
    const nat = box();
    expect(nat.mappingTimeoutMs).toBe(300_000);
    const p = out(nat, X1, 10500, Y1, 10500, 0);
    expect(nat.inbound({ src: Y1, srcPort: 10500, dstPort: p }, 299_999)).toMatchObject({ ok: true });
  });

  it('§4.3 a mapping not refreshed for the timer is gone: inbound finds no mapping, outbound makes a new one', () => {
    const nat = box({ mappingTimeoutMs: 30_000 });
    const p = out(nat, X1, 10500, Y1, 10500, 0);
    expect(nat.inbound({ src: Y1, srcPort: 10500, dstPort: p }, 30_000)).toEqual({ ok: false, reason: 'no-mapping' });
    expect(nat.counters).toMatchObject({ droppedNoMapping: 1, mappingsExpired: 1 });
    const r = nat.outbound({ src: X1, srcPort: 10500, dst: Y1, dstPort: 10500 }, 30_001);
    expect(r).toMatchObject({ ok: true, created: true });
    expect(nat.mappings(30_001)).toHaveLength(1);
  });

  it('REQ-6 "MUST have a NAT Outbound refresh behavior of True": outbound packets keep the mapping alive', () => {
    const nat = box({ mappingTimeoutMs: 30_000 });
    const p = out(nat, X1, 10500, Y1, 10500, 0);
    expect(out(nat, X1, 10500, Y1, 10500, 20_000)).toBe(p);
    expect(out(nat, X1, 10500, Y1, 10500, 40_000)).toBe(p);
    expect(nat.inbound({ src: Y1, srcPort: 10500, dstPort: p }, 69_999)).toMatchObject({ ok: true });
    expect(nat.mappings(40_000)[0]?.expiresAt).toBe(70_000);
  });

  it('REQ-6a inbound refresh is off by default and can be turned on', () => {
    for (const inboundRefresh of [false, true]) {
      const nat = box({ mappingTimeoutMs: 30_000, inboundRefresh });
      const p = out(nat, X1, 10500, Y1, 10500, 0);
      expect(nat.inbound({ src: Y1, srcPort: 10500, dstPort: p }, 20_000)).toMatchObject({ ok: true });
      expect(nat.inbound({ src: Y1, srcPort: 10500, dstPort: p }, 40_000).ok).toBe(inboundRefresh);
    }
  });
});

describe('RFC 4787 §5 filtering behaviour', () => {
  it('REQ-8 endpoint-independent filtering: any remote may send to a mapped port', () => {
    const nat = box({ filtering: 'endpoint-independent' });
    const p = out(nat, X1, 10500, Y1, 10500);
    expect(nat.inbound({ src: Y2, srcPort: 999, dstPort: p }, 1)).toEqual({ ok: true, internal: { address: X1, port: 10500 } });
  });

  it('REQ-8 address-dependent filtering: only addresses X:x has sent to, from any port', () => {
    const nat = box({ filtering: 'address-dependent' });
    const p = out(nat, X1, 10500, Y1, 10500);
    expect(nat.inbound({ src: Y1, srcPort: 4000, dstPort: p }, 1)).toMatchObject({ ok: true });
    expect(nat.inbound({ src: Y2, srcPort: 10500, dstPort: p }, 1)).toEqual({ ok: false, reason: 'filtered' });
    expect(nat.counters.droppedByFilter).toBe(1);
    out(nat, X1, 10500, Y2, 7);
    expect(nat.inbound({ src: Y2, srcPort: 10500, dstPort: p }, 2)).toMatchObject({ ok: true });
  });

  it('§5 address-and-port-dependent filtering: only the exact address and port X:x has sent to', () => {
    const nat = box({ filtering: 'address-and-port-dependent' });
    const p = out(nat, X1, 10500, Y1, 10500);
    expect(nat.inbound({ src: Y1, srcPort: 10500, dstPort: p }, 1)).toMatchObject({ ok: true });
    expect(nat.inbound({ src: Y1, srcPort: 4000, dstPort: p }, 1)).toEqual({ ok: false, reason: 'filtered' });
    expect(nat.inbound({ src: Y2, srcPort: 10500, dstPort: p }, 1)).toEqual({ ok: false, reason: 'filtered' });
    expect(nat.counters).toMatchObject({ droppedByFilter: 2, inbound: 1 });
  });

  it('§5 an inbound packet to a port no mapping owns is dropped whatever the filtering', () => {
    const nat = box({ filtering: 'endpoint-independent' });
    out(nat, X1, 10500, Y1, 10500);
    expect(nat.inbound({ src: Y1, srcPort: 10500, dstPort: 1 }, 1)).toEqual({ ok: false, reason: 'no-mapping' });
    expect(nat.counters.droppedNoMapping).toBe(1);
  });
});

describe('RFC 4787 §6 hairpinning', () => {
  it('REQ-9 hairpinning is on by default (the simulator turns packets to the public address around)', () => {
    expect(box().hairpinning).toBe(true);
    expect(box({ hairpinning: false }).hairpinning).toBe(false);
  });

  it('REQ-9a "External source IP address and port": the hairpinned packet comes from the sender\'s mapping', () => {
    // X2's mapping exists; X1 sends to it through the box's public address. The box translates
    // X1's source first, then maps the packet back, so X2 sees X1's external endpoint.
    const nat = box({ filtering: 'endpoint-independent' });
    const p2 = out(nat, X2, 10500, Y1, 10500);
    const p1 = out(nat, X1, 10500, PUB, p2);
    const back = nat.inbound({ src: PUB, srcPort: p1, dstPort: p2 }, 1);
    expect(back).toEqual({ ok: true, internal: { address: X2, port: 10500 } });
  });
});

describe('a NAT rebinding (what RFC 9028 §4.10 keepalives guard against)', () => {
  it("rebind('new-ports') moves every mapping to a new external port; the old port finds no mapping", () => {
    const nat = box();
    const p1 = out(nat, X1, 10500, Y1, 10500);
    const p2 = out(nat, X2, 10500, Y1, 10500);
    nat.rebind('new-ports');
    expect(nat.inbound({ src: Y1, srcPort: 10500, dstPort: p1 }, 1)).toEqual({ ok: false, reason: 'no-mapping' });
    const q1 = out(nat, X1, 10500, Y1, 10500, 1);
    const q2 = out(nat, X2, 10500, Y1, 10500, 1);
    expect(q1).not.toBe(p1);
    expect(q2).not.toBe(p2);
    expect(nat.counters.mappingsCreated).toBe(2);
    expect(nat.inbound({ src: Y1, srcPort: 10500, dstPort: q1 }, 2)).toEqual({ ok: true, internal: { address: X1, port: 10500 } });
  });

  it("rebind('drop') forgets every mapping; the next outbound packet creates a new one", () => {
    const nat = box();
    const p1 = out(nat, X1, 10500, Y1, 10500);
    nat.rebind('drop');
    expect(nat.mappings(1)).toEqual([]);
    expect(nat.inbound({ src: Y1, srcPort: 10500, dstPort: p1 }, 1)).toEqual({ ok: false, reason: 'no-mapping' });
    expect(nat.outbound({ src: X1, srcPort: 10500, dst: Y1, dstPort: 10500 }, 2)).toMatchObject({ ok: true, created: true });
  });
});

describe('options', () => {
  it('caller misuse throws naming the field', () => {
    expect(() => box({ mapping: 'full-cone' as never })).toThrow(/opts\.mapping/);
    expect(() => box({ filtering: 'x' as never })).toThrow(/opts\.filtering/);
    expect(() => box({ mappingTimeoutMs: 0 })).toThrow(/opts\.mappingTimeoutMs/);
    expect(() => box({ portRange: [5000, 10] })).toThrow(/opts\.portRange/);
    expect(() => box({ hairpinning: 'yes' as never })).toThrow(/opts\.hairpinning/);
    expect(() => new NatBox('n', { publicAddress: new Uint8Array(3) }, 1)).toThrow(/opts\.publicAddress/);
    expect(() => box().rebind('x' as never)).toThrow(/mode/);
  });
});
