// Receiving rules (RFC 8047 §5.2, RFC 8046 §5.3): ESP_INFO first, its four
// cases (anything else a protocol error); type 1 locators bound to their SPI; type 0 bound by the
// `bindType0Locator` policy hook; unknown locator types answered with NOTIFY
// LOCATOR_TYPE_UNSUPPORTED; locators left out DEPRECATED; a retransmitted UPDATE not processed
// again (the same LOCATOR_SET in a new UPDATE is). Malformed peers are played by re-signing A's own UPDATEs (mobility-helpers
// `resignUpdate`): a peer holding its keys can send any of this.
import { describe, expect, it } from 'vitest';
import { formatLocator } from '../../src/addr/locator.js';
import { on, type InterceptContext, type SimHost } from '../../src/testing/index.js';
import { decodeNotifyData, NOTIFY_TYPE } from '../../src/wire/notify.js';
import type { LocatorEntryInit, ParamInit } from '../../src/wire/types.js';
import { establish } from './sim-helpers.js';
import { A1, A2, A3, B1, B2, L, drops, figure, hipMsgs, host, mesh, mhSim, outPaths, ping, resignUpdate, sasOf, table } from './mobility-helpers.js';

const hex = (spi: number): string => `0x${(spi >>> 0).toString(16).padStart(8, '0')}`;

function pair(s: number, extra: Parameters<typeof host>[2] extends infer T ? Partial<T> : never = {}) {
  const sim = mhSim(s);
  const a = host(sim, 'A', { locators: [A1] });
  const b = host(sim, 'B', { locators: [B1, B2], ...extra });
  mesh(sim, [A1, A2, A3], [B1, B2]);
  sim.at(0, () => a.connect({ hit: b.hit, locators: [B1] }));
  sim.runUntil(() => a.established(b));
  a.send(b, Uint8Array.of(0));
  sim.runUntil(() => b.established(a));
  sim.run(300);
  return { sim, a, b };
}

/** Rewrites A's next UPDATE that carries a LOCATOR_SET. */
function rewriteNextLocatorSet(a: SimHost, b: SimHost, edit: (params: ParamInit[], ctx: InterceptContext) => ParamInit[]) {
  return on(
    { kind: 'UPDATE', from: 'A', where: (_x, c) => c.packet?.params.some((p) => p.kind === 'LOCATOR_SET') === true },
    (_bytes, ctx) => ({ replace: resignUpdate(a, b, ctx.packet!, ctx, (ps) => edit(ps, ctx)) }),
    { times: 1 },
  );
}

const sasRecords = (sim: ReturnType<typeof mhSim>, host: string, since: number) => sim.trace.records.slice(since).filter((r) => r.host === host && r.dir === 'sa' && r.kind !== 'update');

describe('RFC 8047 §5.2 · ESP_INFO first: its four cases (RFC 8047 §5.2, RFC 8046 §5.3)', () => {
  it('RFC 8047 §5.2 · case 1 (no rekeying): OLD = NEW = an existing SPI is gratuitous: no SA is added or removed', () => {
    const { sim, a, b } = pair(401);
    const t0 = sim.trace.length;
    const spi = a.association(b)!.sas[0]!.localSpi;
    a.setLocators([A1, A2]);
    sim.run(200);
    expect(hipMsgs(sim, t0)[0]!.fields['esp']).toBe(`${hex(spi)}>${hex(spi)}`);
    expect(sasRecords(sim, 'B', t0)).toEqual([]);
    // The new type 0 address is bound (default policy) to the ESP_INFO's SA.
    expect(b.locatorTable(a).map((e) => [formatLocator(e.locator), e.spi])).toEqual([
      [A1, spi],
      [A2, spi],
    ]);
  });

  it('RFC 8047 §5.2 · case 2 (rekeying): OLD an existing SPI, NEW a new one: a new outbound SA with the NEW SPI; type 1 locators reference the NEW SPI', () => {
    const { sim, a, b } = pair(402);
    const old = a.association(b)!.sas[0]!.localSpi;
    const t0 = sim.trace.length;
    a.setLocators([A1, A2], { rekey: true });
    sim.run(300);
    const fresh = a.association(b)!.sas[0]!.localSpi;
    expect(hipMsgs(sim, t0)[0]!.fields['esp']).toBe(`${hex(old)}>${hex(fresh)}`);
    expect(sasOf(b, a, 'out')).toEqual([fresh]);
    expect(b.locatorTable(a).find((e) => formatLocator(e.locator) === A1)).toMatchObject({ type: 1, spi: fresh, state: 'ACTIVE' });
    expect(ping(sim, a, b).ba).toEqual({ [`${B1}>${A1}`]: 3 });
  });

  it('RFC 8047 §5.2 · case 3 (new SA): OLD 0, NEW a new SPI: the receiver creates a new SA pair and answers with its ESP_INFO and the ACK', () => {
    const { sim, a, b } = pair(403);
    const t0 = sim.trace.length;
    a.setLocators([A1, A2], { announce: false });
    a.addSaPair(b, { local: A2 });
    sim.run(300);
    const [u1, u2] = hipMsgs(sim, t0);
    expect(String(u1!.fields['esp']).startsWith('0x00000000>')).toBe(true);
    expect(String(u2!.fields['esp']).startsWith('0x00000000>')).toBe(true);
    expect(u2!.fields['ack']).toEqual([u1!.fields['seq']]);
    expect(b.association(a)!.sas).toHaveLength(2);
    expect(sasRecords(sim, 'B', t0).map((r) => `${r.kind} ${String(r.fields!['dir'])}`)).toEqual(['add in', 'add out']);
  });

  it('RFC 8047 §5.2 · case 4 (deprecating the SA): NEW SPI 0: the outbound SA goes, the locators bound only to it are DEPRECATED, the other pair carries on', () => {
    const { sim, a, b } = pair(404);
    a.setLocators([A1, A2], { announce: false });
    a.addSaPair(b, { local: A2 });
    sim.run(300);
    const [first, second] = a.association(b)!.sas;
    expect(table(b, a)).toEqual({ [A1]: 'ACTIVE t1 P', [A2]: 'ACTIVE t1' });
    // A's next LOCATOR_SET UPDATE (A3 added) is turned into "deprecate the A2 SA": ESP_INFO
    // OLD = A's second inbound SPI, NEW = 0, and a LOCATOR_SET without A2.
    sim.intercept(
      rewriteNextLocatorSet(a, b, (ps) =>
        ps.map((p): ParamInit => {
          if (p.kind === 'ESP_INFO') return { ...p, oldSpi: second!.localSpi, newSpi: 0 };
          if (p.kind === 'LOCATOR_SET') return { ...p, locators: p.locators.filter((l) => 'address' in l && formatLocator(l.address) === A1) };
          return p;
        }),
      ),
    );
    const t0 = sim.trace.length;
    a.setLocators([A1, A2, A3], { announce: true });
    sim.run(100);
    expect(figure(sim, t0)[0]).toBe('A>B UPDATE(ESP_INFO,LOCATOR_SET,SEQ)');
    expect(sasRecords(sim, 'B', t0).map((r) => `${r.kind} ${String(r.fields!['dir'])} ${String(r.fields!['spi'])}`)).toEqual([`delete out ${hex(second!.localSpi)}`]);
    expect(table(b, a)).toEqual({ [A1]: 'ACTIVE t1 P', [A2]: 'DEPRECATED t1' });
    expect(b.association(a)!.sas.map((s) => s.peerSpi)).toEqual([first!.localSpi]);
    expect(outPaths(b, a)).toEqual([`${B1}>${A1}`]);
  });

  it('RFC 8047 §5.2 · an ESP_INFO that fits none of the cases is a protocol error: the UPDATE is dropped (bad-esp-info), nothing changes, no ACK', () => {
    const { sim, a, b } = pair(405);
    sim.intercept(rewriteNextLocatorSet(a, b, (ps) => ps.map((p): ParamInit => (p.kind === 'ESP_INFO' ? { ...p, oldSpi: 0x1234567, newSpi: 0x1234567 } : p))));
    const before = JSON.stringify(table(b, a));
    const t0 = sim.trace.length;
    a.setLocators([A1, A2]);
    sim.run(200);
    expect(drops(b, 'bad-esp-info')).toBe(1);
    expect(JSON.stringify(table(b, a))).toBe(before);
    expect(hipMsgs(sim, t0).filter((m) => m.from === 'B')).toEqual([]);
  });
});

describe('RFC 8047 §5.2 · locators (RFC 8047 §5.2, RFC 8046 §5.3)', () => {
  it('RFC 8047 §5.2 · type 1 binds the address to the named SPI; a type 1 locator naming an SPI no SA has is ignored', () => {
    const { sim, a, b } = pair(410);
    const spi = a.association(b)!.sas[0]!.localSpi;
    sim.intercept(
      rewriteNextLocatorSet(a, b, (ps) =>
        ps.map((p): ParamInit => (p.kind === 'LOCATOR_SET' ? { ...p, locators: [...p.locators, { trafficType: 0, locatorType: 1, preferred: false, lifetime: 600, spi: 0xdead, address: L(A3) }] } : p)),
      ),
    );
    a.setLocators([A1, A2]);
    sim.run(300);
    expect(b.locatorTable(a).map((e) => [formatLocator(e.locator), e.type, e.spi])).toEqual([
      [A1, 1, spi],
      [A2, 0, spi],
    ]);
  });

  it('RFC 8047 §5.2 · type 0: the bindType0Locator policy hook decides which SA the address serves (here: none in particular)', () => {
    const seen: (number | undefined)[] = [];
    const { sim, a, b } = pair(411, {
      policy: {
        bindType0Locator: ({ espInfoSpi }) => {
          seen.push(espInfoSpi);
          return undefined;
        },
      },
    });
    const spi = a.association(b)!.sas[0]!.localSpi;
    a.setLocators([A1, A2]);
    sim.run(300);
    expect(seen.at(-1)).toBe(spi);
    const e = b.locatorTable(a).find((x) => formatLocator(x.locator) === A2)!;
    expect(e.type).toBe(0);
    expect(e.spi).toBeUndefined();
    expect(e.state).toBe('ACTIVE');
  });

  it('RFC 8047 §5.2 · locators left out of a new LOCATOR_SET become DEPRECATED; the data moves to what is listed', () => {
    const { sim, a, b } = pair(412);
    a.setLocators([A1, A2]);
    sim.run(300);
    expect(table(b, a)).toEqual({ [A1]: 'ACTIVE t1 P', [A2]: 'ACTIVE t0' });
    a.setLocators([A2]);
    sim.run(300);
    expect(table(b, a)).toEqual({ [A1]: 'DEPRECATED t1', [A2]: 'ACTIVE t1 P' });
    expect(ping(sim, a, b).ba).toEqual({ [`${B1}>${A2}`]: 3 });
  });

  it.each([
    [true, true, 'a preferred unknown type: NOTIFY (SHOULD), even with notifyUnsupportedLocators off'],
    [false, true, 'a non-preferred unknown type, default config: NOTIFY (MAY, on)'],
    [false, false, 'a non-preferred unknown type, notifyUnsupportedLocators off: no NOTIFY'],
  ] as const)('RFC 8047 §5.2 · unknown locator type (preferred=%s, notify=%s): %s; the rest of the set is processed', (preferred, notify, _what) => {
    const { sim, a, b } = pair(413, { config: { notifyUnsupportedLocators: notify } });
    const unknown: LocatorEntryInit = { trafficType: 0, locatorType: 7, preferred, lifetime: 600, raw: new Uint8Array(20).fill(7), unknown: true };
    sim.intercept(rewriteNextLocatorSet(a, b, (ps) => ps.map((p): ParamInit => (p.kind === 'LOCATOR_SET' ? { ...p, locators: [...p.locators.map((l) => (preferred ? { ...l, preferred: false } : l)), unknown] } : p))));
    const t0 = sim.trace.length;
    a.setLocators([A1, A2]);
    sim.run(300);
    const notifies = hipMsgs(sim, t0).filter((m) => m.kind === 'NOTIFY');
    const expectNotify = preferred || notify;
    expect(notifies.map((m) => `${m.from}>${m.to} ${String(m.fields['notify'])}`)).toEqual(expectNotify ? [`B>A ${NOTIFY_TYPE.LOCATOR_TYPE_UNSUPPORTED}`] : []);
    expect(a.eventsOf('notify').map((e) => [e.messageType, e.authenticated])).toEqual(expectNotify ? [[NOTIFY_TYPE.LOCATOR_TYPE_UNSUPPORTED, true]] : []);
    // The known locators were processed as usual; no state changed because of the NOTIFY.
    expect(Object.keys(table(b, a))).toEqual([A1, A2]);
    expect(a.established(b)).toBe(true);
  });

  it('RFC 8046 §4, RFC 8047 §5.2 · a type 2 locator (RFC 5770/9028) is decoded (no decode drop) and, unsupported here, answered with LOCATOR_TYPE_UNSUPPORTED', () => {
    const { sim, a, b } = pair(414);
    const spi = a.association(b)!.sas[0]!.localSpi;
    const t2: LocatorEntryInit = { trafficType: 0, locatorType: 2, preferred: false, lifetime: 600, transportPort: 10500, transportProtocol: 17, candidateKind: 0, priority: 1000, spi, address: L(A3) };
    sim.intercept(rewriteNextLocatorSet(a, b, (ps) => ps.map((p): ParamInit => (p.kind === 'LOCATOR_SET' ? { ...p, locators: [...p.locators, t2] } : p))));
    a.setLocators([A1, A2]);
    sim.run(300);
    expect(drops(b, 'decode')).toBe(0);
    expect(a.eventsOf('notify').map((e) => e.messageType)).toEqual([NOTIFY_TYPE.LOCATOR_TYPE_UNSUPPORTED]);
    expect(Object.keys(table(b, a))).toEqual([A1, A2]);
  });

  // Was an engine bug (fixed): the Notification Data of LOCATOR_TYPE_UNSUPPORTED holds only the bare
  // Locator field bytes (mobility.ts locatorBytes: `raw`, or the 16-byte address for type 2),
  // not the locator sub-parameters. RFC 8046 §5.3 / RFC 8047 §5.2: "the Notification Data field
  // containing the locator(s) that the receiver failed to process"; this project's own
  // decodeNotifyData (wire/notify.ts) reads it as LOCATOR_SET-encoded locators, and so reports
  // MALFORMED for what the engine sends. Expected: each failed locator encoded as in the
  // LOCATOR_SET (Traffic Type, Locator Type, Locator Length, P, Lifetime, Locator).
  // Repro: npx vitest run test/scenarios/rfc8047-receiving-rules.sim.test.ts -t "Notification Data"
  it('RFC 8047 §5.2 · the LOCATOR_TYPE_UNSUPPORTED Notification Data holds the failed locator itself, decodable as a LOCATOR_SET entry', () => {
    const { sim, a, b } = pair(415);
    const unknown: LocatorEntryInit = { trafficType: 0, locatorType: 7, preferred: true, lifetime: 600, raw: new Uint8Array(20).fill(7), unknown: true };
    sim.intercept(rewriteNextLocatorSet(a, b, (ps) => ps.map((p): ParamInit => (p.kind === 'LOCATOR_SET' ? { ...p, locators: [...p.locators.map((l) => ({ ...l, preferred: false })), unknown] } : p))));
    a.setLocators([A1, A2]);
    sim.run(300);
    const n = a.eventsOf('notify')[0]!;
    const d = decodeNotifyData(n.messageType, n.data);
    expect(d.format).toBe('LOCATORS');
    expect(d.format === 'LOCATORS' ? d.locators.map((l) => l.locatorType) : []).toEqual([7]);
  });
});

describe('RFC 8046 §5.3 · only a retransmitted UPDATE is not processed again', () => {
  it('RFC 8047 §5.2 · the same UPDATE delivered twice: ACKed again from the cache, no second check, no table change', () => {
    const { sim, a, b } = pair(420);
    sim.intercept(on({ kind: 'UPDATE', from: 'A', where: (_x, c) => c.packet?.params.some((p) => p.kind === 'LOCATOR_SET') === true }, { duplicate: 1 }, { times: 1 }));
    const t0 = sim.trace.length;
    a.setLocators([A1, A2]);
    sim.run(300);
    const msgs = hipMsgs(sim, t0);
    const u = msgs.find((m) => m.from === 'A' && m.params.includes('LOCATOR_SET'))!;
    const fromB = msgs.filter((m) => m.from === 'B');
    // The first copy: UPDATE(ACK) back to its source, and one check of the new address A2 (not
    // the UPDATE's source). The second copy: only the same ACK again, no second check.
    expect(fromB.map((m) => `${m.params.join(',')} ${m.src}>${m.dst}`)).toEqual([`ACK ${B1}>${A1}`, `ESP_INFO,SEQ,ECHO_REQUEST ${B1}>${A2}`, `ACK ${B1}>${A1}`]);
    expect(fromB[0]!.fields['ack']).toEqual([u.fields['seq']]);
    expect(fromB[2]!.fields).toEqual(fromB[0]!.fields);
    // Processing the second copy changed nothing: no locator record between its arrival and
    // B's next input.
    const recs = sim.trace.records;
    const dup = recs.findIndex((r, i) => i >= t0 && r.host === 'B' && r.dir === 'recv' && r.fields?.['dup'] === true);
    expect(dup).toBeGreaterThan(0);
    const nextIn = recs.findIndex((r, i) => i > dup && r.host === 'B' && r.dir === 'recv');
    expect(recs.slice(dup, nextIn).filter((r) => r.host === 'B' && r.dir === 'locator')).toEqual([]);
    const upserts = sim.trace.records.slice(t0).filter((r) => r.host === 'B' && r.dir === 'locator' && r.fields?.['state'] === 'UNVERIFIED');
    expect(upserts).toHaveLength(1);
    expect(table(b, a)).toEqual({ [A1]: 'ACTIVE t1 P', [A2]: 'ACTIVE t0' });
  });

  it('RFC 8046 §5.3: the same LOCATOR_SET in another UPDATE sent to another address of the host is processed: ACKed, lifetimes updated, no address checked twice', () => {
    // This test used to expect the copy to change nothing. RFC 8046 §5.3: "If the address is
    // already bound, its lifetime is updated"; only a retransmitted UPDATE (the same SEQ) is not
    // processed again (RFC 7401 §6.12.1 step 2). Reprocessing the copy is harmless: both
    // addresses are ACTIVE, so nothing is checked again and no state changes.
    const { sim, a, b } = pair(421);
    // A's UPDATE goes to B1; a copy of the same LOCATOR_SET in a new UPDATE (next Update ID) to B2.
    let copy: Uint8Array | undefined;
    sim.intercept(
      on({ kind: 'UPDATE', from: 'A', where: (_x, c) => c.packet?.params.some((p) => p.kind === 'LOCATOR_SET') === true }, (_bytes, ctx) => {
        const seq = ctx.packet!.params.find((p) => p.kind === 'SEQ') as { updateId: number };
        copy = resignUpdate(a, b, ctx.packet!, { src: ctx.src, dst: L(B2) }, (ps) => ps.map((p): ParamInit => (p.kind === 'SEQ' ? { kind: 'SEQ', updateId: seq.updateId + 1 } : p)));
        return 'pass';
      }, { times: 1 }),
    );
    a.setLocators([A1, A2]);
    sim.run(300);
    expect(table(b, a)).toEqual({ [A1]: 'ACTIVE t1 P', [A2]: 'ACTIVE t0' });
    const expires = b.locatorTable(a).map((e) => e.expiresAt);
    const t0 = sim.trace.length;
    const at = sim.now;
    b.engine.handle({ kind: 'datagram', bytes: copy!, src: L(A1), dst: L(B2) }, sim.now);
    sim.drainHost(b);
    sim.run(100);
    const fromB = hipMsgs(sim, t0).filter((m) => m.from === 'B');
    expect(fromB.map((m) => m.params.join(','))).toEqual(['ACK']);
    expect(table(b, a)).toEqual({ [A1]: 'ACTIVE t1 P', [A2]: 'ACTIVE t0' });
    // Both lifetimes (A's default, 3600 s) run from the copy's arrival now, later than before.
    const later = b.locatorTable(a).map((e) => e.expiresAt);
    expect(later).toEqual([at + 3_600_000, at + 3_600_000]);
    expect(later.every((t, i) => t > expires[i]!)).toBe(true);
    const recs = sim.trace.records.slice(t0).filter((r) => r.host === 'B' && r.dir === 'locator');
    expect(recs.map((r) => r.fields?.['state'])).toEqual(['ACTIVE', 'ACTIVE']);
  });
});
