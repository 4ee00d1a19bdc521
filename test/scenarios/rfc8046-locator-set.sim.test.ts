// The LOCATOR_SET format on the wire (RFC 8046 §4: Traffic Type,
// Locator Type 0 / 1, Locator Length in 4-byte words, P bit, Lifetime, IPv4-mapped IPv4) and the
// peer locator table with its states and lifetimes (RFC 8046 §5.1).
import { describe, expect, it } from 'vitest';
import { formatLocator } from '../../src/addr/locator.js';
import { on } from '../../src/testing/index.js';
import { readU16, readU32 } from '../../src/util/bytes.js';
import { establish } from './sim-helpers.js';
import { A1, A2, A4, B1, B4, host, mesh, mhSim, outPaths, ping, states, table } from './mobility-helpers.js';

/** From now on, A's UPDATEs with a LOCATOR_SET are lost on the way (until `stop()`). */
function loseRefreshes(sim: ReturnType<typeof mhSim>): { stop(): void } {
  let on_ = true;
  sim.intercept(on({ kind: 'UPDATE', from: 'A', where: (_x, c) => on_ && c.packet?.params.some((p) => p.kind === 'LOCATOR_SET') === true }, 'drop'));
  return {
    stop: () => {
      on_ = false;
    },
  };
}

describe('RFC 8046 §4 · LOCATOR_SET format (RFC 8046 §4)', () => {
  it('RFC 8046 §4 · RFC 8046 §4 Figure 6 on the wire: type 1 (SPI + address, length 5 words) for the SA locator, type 0 (length 4) for the others, IPv4-mapped IPv4, P bit, lifetime; the peer decodes it into its table', () => {
    const sim = mhSim(101);
    const a = host(sim, 'A', { locators: [A1], config: { locatorLifetimeS: 3600 } });
    const b = host(sim, 'B', { locators: [B1, B4] });
    mesh(sim, [A1, A2, A4], [B1, B4]);
    establish(sim, a, b);
    let raw: Uint8Array | undefined;
    sim.intercept(
      on({ kind: 'UPDATE', from: 'A', where: (_x, c) => c.packet?.params.some((p) => p.kind === 'LOCATOR_SET') === true }, (bytes, ctx) => {
        const p = ctx.packet!.params.find((x) => x.kind === 'LOCATOR_SET')!;
        raw = bytes.slice(p.span!.offset, p.span!.offset + p.span!.length);
        return 'pass';
      }, { times: 1 }),
    );
    const t = sim.now;
    a.setLocators([A1, A2, A4]);
    sim.run(300);
    const spi = a.association(b)!.sas[0]!.localSpi;
    // Type 193, Length in bytes (contents only): 3 locators of 8 + 20, 8 + 16, 8 + 16 bytes.
    expect(readU16(raw!, 0)).toBe(193);
    expect(readU16(raw!, 2)).toBe(28 + 24 + 24);
    const entries: { type: number; words: number; p: number; lifetime: number; traffic: number }[] = [];
    let off = 4;
    for (let i = 0; i < 3; i++) {
      const e = { traffic: raw![off]!, type: raw![off + 1]!, words: raw![off + 2]!, p: raw![off + 3]! & 1, lifetime: readU32(raw!, off + 4) };
      entries.push(e);
      off += 8 + e.words * 4;
    }
    expect(entries).toEqual([
      { traffic: 0, type: 1, words: 5, p: 1, lifetime: 3600 },
      { traffic: 0, type: 0, words: 4, p: 0, lifetime: 3600 },
      { traffic: 0, type: 0, words: 4, p: 1, lifetime: 3600 },
    ]);
    // Type 1: SPI first (the sender's inbound SPI), then the address.
    expect(readU32(raw!, 12)).toBe(spi);
    expect(formatLocator(raw!.subarray(16, 32))).toBe(A1);
    // The IPv4 address rides as ::ffff:192.0.2.10.
    const v4 = raw!.subarray(4 + 28 + 24 + 8, 4 + 28 + 24 + 24);
    expect([...v4]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 10]);
    // Padding to 8 bytes: 4 + 76 = 80, already aligned.
    expect(raw!.length).toBe(80);
    // What B made of it: type, bound SPI, P bit, lifetime (received time + 3600 s).
    const byAddr = Object.fromEntries(b.locatorTable(a).map((e) => [formatLocator(e.locator), e]));
    expect(byAddr[A1]).toMatchObject({ type: 1, spi, preferred: true, state: 'ACTIVE', expiresAt: t + 10 + 3_600_000 });
    expect(byAddr[A2]).toMatchObject({ type: 0, preferred: false, state: 'ACTIVE', expiresAt: t + 10 + 3_600_000 });
    expect(byAddr[A4]).toMatchObject({ type: 0, preferred: true, state: 'ACTIVE', expiresAt: t + 10 + 3_600_000 });
    expect(ping(sim, a, b).ba).toEqual({ [`${B1}>${A1}`]: 3 });
  });

  it('the unbounded lifetime (0xffffffff) never expires; the locators of the base exchange are ACTIVE and unbounded (RFC 8046 §5.1)', () => {
    const sim = mhSim(102);
    const a = host(sim, 'A', { locators: [A1], config: { locatorLifetimeS: 0xffffffff } });
    const b = host(sim, 'B', { locators: [B1] });
    mesh(sim, [A1, A2], [B1]);
    establish(sim, a, b);
    expect(b.locatorTable(a)).toMatchObject([{ state: 'ACTIVE', type: 1, preferred: true, expiresAt: Infinity }]);
    a.setLocators([A1, A2]);
    sim.run(100);
    expect(b.locatorTable(a).map((e) => e.expiresAt)).toEqual([Infinity, Infinity]);
  });
});

describe('RFC 8046 §5.1 · locator states and lifetimes (RFC 8046 §5.1)', () => {
  it('RFC 8046 §5.1 · UNVERIFIED -> ACTIVE (check), ACTIVE -> DEPRECATED (lifetime), DEPRECATED -> UNVERIFIED (new lifetime) -> ACTIVE (checked again), ACTIVE -> UNVERIFIED (path failed); never DEPRECATED -> ACTIVE', () => {
    const sim = mhSim(103);
    const a = host(sim, 'A', { locators: [A1], config: { locatorLifetimeS: 5 } });
    const b = host(sim, 'B', { locators: [B1] });
    mesh(sim, [A1, A2], [B1]);
    establish(sim, a, b);
    const t0 = sim.trace.length;
    a.setLocators([A1, A2]);
    sim.run(100);
    expect(states(b, a)).toEqual({ [A1]: 'ACTIVE', [A2]: 'ACTIVE' });
    // Both were announced with a 5 s lifetime. A announces them again at half of it (RFC 8046
    // §5.1); here those refreshing UPDATEs are lost, so both are DEPRECATED 5 s after the UPDATE
    // arrived.
    const lost = loseRefreshes(sim);
    sim.run(5000);
    expect(states(b, a)).toEqual({ [A1]: 'DEPRECATED', [A2]: 'DEPRECATED' });
    // With every address DEPRECATED, B still sends (there is no alternative, RFC 8046 §4 SHOULD NOT
    // only applies when one exists).
    expect(ping(sim, a, b).ba).toEqual({ [`${B1}>${A1}`]: 3 });
    // A's next refresh gets through: the same LOCATOR_SET in a new UPDATE, a new lifetime for
    // both, which brings them back to UNVERIFIED (RFC 8046 §5.3: "If the status of the address is
    // DEPRECATED, the status is changed to UNVERIFIED"), then checks make them ACTIVE.
    lost.stop();
    sim.runUntil(() => states(b, a)[A1] !== 'DEPRECATED', { maxTimeMs: 10_000 });
    expect(states(b, a)).toEqual({ [A1]: 'UNVERIFIED', [A2]: 'UNVERIFIED' });
    sim.run(200);
    expect(states(b, a)).toEqual({ [A1]: 'ACTIVE', [A2]: 'ACTIVE' });
    // A path failure signalled by the caller: ACTIVE -> UNVERIFIED.
    b.pathFailed(a, A2);
    expect(states(b, a)[A2]).toBe('UNVERIFIED');
    // Every transition the trace shows is one §5.1 allows.
    const allowed = new Set(['UNVERIFIED>ACTIVE', 'UNVERIFIED>DEPRECATED', 'ACTIVE>DEPRECATED', 'ACTIVE>UNVERIFIED', 'DEPRECATED>UNVERIFIED']);
    const last = new Map<string, string>([
      [A1, 'ACTIVE'],
      [A2, 'NEW'],
    ]);
    const seen: string[] = [];
    for (const r of sim.trace.records.slice(t0)) {
      if (r.host !== 'B' || r.dir !== 'locator') continue;
      const loc = formatLocator((r.fields!['loc'] as { loc: Uint8Array }).loc);
      const st = String(r.fields!['state']);
      const prev = last.get(loc)!;
      if (prev !== st && prev !== 'NEW') {
        seen.push(`${prev}>${st}`);
        expect(allowed.has(`${prev}>${st}`)).toBe(true);
      }
      last.set(loc, st);
    }
    expect(new Set(seen)).toEqual(new Set(['UNVERIFIED>ACTIVE', 'ACTIVE>DEPRECATED', 'DEPRECATED>UNVERIFIED', 'ACTIVE>UNVERIFIED']));
  });

  it('RFC 8046 §5.1 · an UNVERIFIED locator whose lifetime ends goes to DEPRECATED (UNVERIFIED -> DEPRECATED)', () => {
    const sim = mhSim(104);
    const a = host(sim, 'A', { locators: [A1], config: { locatorLifetimeS: 2 } });
    const b = host(sim, 'B', { locators: [B1] });
    // No link for A2: B's check never arrives.
    mesh(sim, [A1], [B1]);
    establish(sim, a, b);
    a.setLocators([A1, A2]);
    sim.run(100);
    expect(states(b, a)).toEqual({ [A1]: 'ACTIVE', [A2]: 'UNVERIFIED' });
    // A's refresh at half the lifetime (RFC 8046 §5.1) is lost: the lifetime ends at B.
    loseRefreshes(sim);
    sim.run(2000);
    expect(states(b, a)).toEqual({ [A1]: 'DEPRECATED', [A2]: 'DEPRECATED' });
    expect(table(b, a)[A2]).toBe('DEPRECATED t0');
    expect(outPaths(b, a)).toEqual([`${B1}>${A1}`]);
  });
});
