// Soak (slow suite, `npm run test:soak`): mobility and multihoming over 24 h of virtual time
// (RFC 8046 §3.2, §5.1, §5.4; RFC 8047 §4.2.3, §4.2.6). Two multihomed hosts; each has a fixed
// interface and a second one that goes down and comes back with a new address (renumbering);
// lifetimes of minutes, so announcements are refreshed all day; every link has its own loss rate
// from 0 to 30%. What must hold: the association never fails while a path exists (the fixed
// interfaces' link is lossy but always up), no table or list grows without bound, the locator
// states only change as RFC 8046 §5.1 allows, and data keeps flowing every hour.
import { describe, expect, it } from 'vitest';
import { formatLocator } from '../../src/addr/locator.js';
import { Sim, seededRandom, type SimHost, type SimLocatorInput } from '../../src/testing/index.js';

const SEEDS = (process.env['SOAK_SEEDS'] ?? 'soak-1,soak-2,soak-3').split(',');
const HOURS = Number(process.env['SOAK_HOURS'] ?? 24);
const MIN = 60_000;

/** Addresses a second interface takes in turn (documentation ranges, RFC 3849). */
const pool = (host: string, n: number): string[] => Array.from({ length: n }, (_, k) => `2001:db8:${host}${k.toString(16)}::${host}`);

const ALLOWED = new Set(['UNVERIFIED>ACTIVE', 'UNVERIFIED>DEPRECATED', 'ACTIVE>DEPRECATED', 'ACTIVE>UNVERIFIED', 'DEPRECATED>UNVERIFIED']);

function soak(seed: string) {
  const sim = new Sim({ seed, crypto: 'fast' });
  const rnd = seededRandom(`${seed}/plan`);
  const u = (): number => ((rnd(4)[0]! << 16) | (rnd(4)[1]! << 8) | rnd(4)[2]!) / 0x1000000;
  const config = {
    locatorLifetimeS: 180,
    silenceMs: 20_000,
    // Up to 30% loss each way: an UPDATE gets more tries than the default before the association
    // is given up (RFC 7401 §6.11 leaves the count to the host).
    updateRetriesMax: 10,
    maxPeerLocators: 16,
  };
  const A0 = '2001:db8:a::1';
  const B0 = '2001:db8:b::1';
  const aPool = pool('a1', 8);
  const bPool = pool('b1', 8);
  const a = sim.host('A', { locators: [{ address: A0, interface: 'a0' }], config });
  const b = sim.host('B', { locators: [{ address: B0, interface: 'b0' }], config });
  // A lossy mesh: every address of A to every address of B, each direction its own loss rate.
  for (const x of [A0, ...aPool]) for (const y of [B0, ...bPool]) sim.link(x, y, { latencyMs: 10 + Math.floor(u() * 40), loss: u() * 0.3 }, { latencyMs: 10 + Math.floor(u() * 40), loss: u() * 0.3 });
  sim.at(0, () => a.connect(b));
  sim.runUntil(() => a.established(b), { maxTimeMs: 120_000 });
  a.send(b, Uint8Array.of(0));
  sim.runUntil(() => b.established(a), { maxTimeMs: 120_000 });

  // Second interfaces: down or up with the next address of the pool, at random times.
  const second = new Map<SimHost, { pool: string[]; next: number; up: boolean; base: SimLocatorInput; iface: string }>([
    [a, { pool: aPool, next: 0, up: false, base: { address: A0, interface: 'a0' }, iface: 'a1' }],
    [b, { pool: bPool, next: 0, up: false, base: { address: B0, interface: 'b0' }, iface: 'b1' }],
  ]);
  const flap = (h: SimHost): void => {
    const s = second.get(h)!;
    s.up = !s.up;
    if (s.up) {
      const addr = s.pool[s.next % s.pool.length]!;
      s.next++;
      // The new interface is the preferred one while it is up: traffic moves there and back.
      h.setLocators([s.base, { address: addr, interface: s.iface, preferred: true }]);
    } else h.setLocators([s.base]);
  };

  const end = sim.now + HOURS * 60 * MIN;
  const nextFlap = new Map<SimHost, number>([
    [a, sim.now + (2 + u() * 10) * MIN],
    [b, sim.now + (2 + u() * 10) * MIN],
  ]);
  let maxTable = 0;
  let maxSas = 0;
  let maxInstalled = 0;
  const deliveredPerHour: number[] = [];
  let hourStart = sim.now;
  let deliveredAtHour = a.received.length + b.received.length;
  let flaps = 0;
  while (sim.now < end) {
    // Data both ways every 5 s (it also keeps the association from idling out, RFC 7401 UAL).
    a.send(b, new TextEncoder().encode(`a@${sim.now}`));
    b.send(a, new TextEncoder().encode(`b@${sim.now}`));
    sim.run(5000);
    for (const h of [a, b]) {
      if (sim.now >= nextFlap.get(h)!) {
        flap(h);
        flaps++;
        nextFlap.set(h, sim.now + (2 + u() * 20) * MIN);
      }
    }
    for (const [h, p] of [
      [a, b],
      [b, a],
    ] as const) {
      if (!h.established(p)) {
        const why = JSON.stringify([...a.eventsOf('failed'), ...b.eventsOf('failed'), ...a.eventsOf('closed'), ...b.eventsOf('closed')]);
        throw new Error(`${h.name} not established at t=${sim.now}: ${why}\n${sim.trace.tail(60).join('\n')}`);
      }
      maxTable = Math.max(maxTable, h.locatorTable(p).length);
      maxSas = Math.max(maxSas, h.association(p)!.sas.length);
      maxInstalled = Math.max(maxInstalled, h.esp.stats().sas.length);
    }
    if (sim.now - hourStart >= 60 * MIN) {
      const delivered = a.received.length + b.received.length;
      deliveredPerHour.push(delivered - deliveredAtHour);
      deliveredAtHour = delivered;
      hourStart = sim.now;
      // The trace of an hour is checked and dropped, so memory stays flat over the day.
      checkTransitions(sim);
    }
  }
  return { sim, a, b, maxTable, maxSas, maxInstalled, deliveredPerHour, flaps, config };
}

const lastState = new Map<string, string>();
/** ESP packets sent from or to a second interface's address (those paths carry data too). */
let viaSecond = 0;
function checkTransitions(sim: Sim): void {
  for (const r of sim.trace.records) {
    if (r.dir === 'send' && r.kind === 'ESP') {
      const ends = [r.fields!['src'], r.fields!['dst']].map((x) => formatLocator((x as { loc: Uint8Array }).loc));
      if (ends.some((e) => e.includes(':a1') || e.includes(':b1'))) viaSecond++;
    }
    if (r.dir !== 'locator' || r.kind === 'remove') continue;
    const key = `${r.host}/${formatLocator((r.fields!['loc'] as { loc: Uint8Array }).loc)}`;
    const st = String(r.fields!['state']);
    const prev = lastState.get(key);
    if (prev !== undefined && prev !== st) expect(ALLOWED.has(`${prev}>${st}`), `${key} ${prev}>${st} at t=${r.t}`).toBe(true);
    lastState.set(key, st);
  }
  sim.trace.clear();
}

describe('Soak · RFC 8046 / RFC 8047 over 24 h: flapping interfaces, renumbering, lifetimes of minutes, 0-30% loss', () => {
  for (const seed of SEEDS) {
    it(`RFC 8046 §5.1, RFC 8047 §4.2.3 · seed ${seed}: the association never fails, tables and SA lists stay bounded, data flows every hour`, () => {
      lastState.clear();
      viaSecond = 0;
      const r = soak(seed);
      const { a, b } = r;
      console.log(
        `soak ${seed}: ${HOURS} h, ${r.flaps} interface changes, largest peer table ${r.maxTable}, most SA pairs ${r.maxSas}, most SAs in a data plane ${r.maxInstalled}, delivered per hour min ${Math.min(...r.deliveredPerHour)} max ${Math.max(...r.deliveredPerHour)}, ESP via a second interface ${viaSecond}`,
      );
      expect(a.eventsOf('failed')).toEqual([]);
      expect(b.eventsOf('failed')).toEqual([]);
      expect(r.flaps).toBeGreaterThan(HOURS * 2);
      // The second interfaces carried data while they were up, not only the fixed ones.
      expect(viaSecond).toBeGreaterThan(0);
      expect(r.maxTable).toBeLessThanOrEqual(r.config.maxPeerLocators);
      // A pair per interface of each side (RFC 8047 §4.3; two each here), plus one being set up:
      // pairs of interfaces that went away are deprecated, not kept.
      expect(r.maxSas).toBeLessThanOrEqual(5);
      expect(r.maxInstalled).toBeLessThanOrEqual(14);
      // 2 packets per 5 s sent; with up to 30% loss and path changes, most arrive every hour.
      expect(r.deliveredPerHour.length).toBe(HOURS);
      expect(Math.min(...r.deliveredPerHour)).toBeGreaterThan(0.5 * 2 * 720);
      // Pending UPDATEs and locators of the last hour: nothing piled up.
      expect(a.locatorTable(b).length).toBeLessThanOrEqual(r.config.maxPeerLocators);
    });
  }
});
