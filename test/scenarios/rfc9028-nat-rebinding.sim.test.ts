// RFC 9028 §4.8, §4.10 with RFC 4787 §4.3: a NAT in front of A rebinds (a new external port) or
// loses its mapping in the middle of a two-way ESP flow with the public host B; the flow
// recovers, and the time to recover and the packets lost stay within bounds derived from the
// send interval, the link latency and the keepalive timer Tr. SIM_SEED=<n> reproduces a run.
import { describe, expect, it } from 'vitest';
import type { Sim, SimHost } from '../../src/testing/index.js';
import { ADDR, natBox, natHost, newSim, text, untext } from './nat-helpers.js';

const LATENCY = 15;
const INTERVAL = 50;

function world(s: number) {
  const sim = newSim(s);
  const box = natBox(sim, 'natA', ADDR.NAT_A, [ADDR.A]);
  const a = natHost(sim, 'A', [ADDR.A]);
  const b = natHost(sim, 'B', [ADDR.B_PUB]);
  sim.link(ADDR.NAT_A, ADDR.B_PUB, { latencyMs: LATENCY });
  sim.at(0, () => a.connect(b));
  sim.runUntil(() => a.established(b), { maxTimeMs: 30_000 });
  a.send(b, text('a0'));
  sim.runUntil(() => b.established(a) && b.received.length === 1, { maxTimeMs: 5_000 });
  return { sim, box, a, b };
}

/** Both hosts send one numbered packet every INTERVAL ms from `start` for `count` rounds. */
function flow(sim: Sim, a: SimHost, b: SimHost, start: number, count: number, aToo = true): void {
  for (let i = 0; i < count; i++) {
    sim.at(start + i * INTERVAL, () => {
      if (aToo) a.send(b, text(`a${i + 1}`));
      b.send(a, text(`b${i}`));
    });
  }
}

/** Virtual time of the first packet from B that A received after `t`. */
function firstAfter(a: SimHost, t: number): number | undefined {
  return a.received.find((r) => r.t > t)?.t;
}

describe('RFC 9028 §4.8 a NAT rebinding in the middle of a two-way ESP flow (RFC 4787 §4.3)', () => {
  it('B follows A\'s new port on A\'s next authenticated ESP: B\'s packets resume within one send interval plus a round trip, at most that many lost', () => {
    const { sim, box, a, b } = world(1701);
    const start = sim.now + 10;
    flow(sim, a, b, start, 40);
    const rebindAt = start + 20 * INTERVAL + 5; // between two rounds
    sim.at(rebindAt, () => sim.rebindNat(box));
    sim.run(60 * INTERVAL);
    const got = a.received.map((r) => untext(r.payload));
    const lost = 40 - got.length;
    // Lost: what B sent after the rebinding and before its SA moved, i.e. before A's next packet
    // (at most INTERVAL later) crossed the link (LATENCY), plus what was in flight to the old port.
    const bound = Math.ceil((INTERVAL + 2 * LATENCY) / INTERVAL) + 1;
    expect(lost).toBeGreaterThan(0);
    expect(lost).toBeLessThanOrEqual(bound);
    // What did arrive arrived in order and contains the last round: the flow recovered.
    expect(got.at(-1)).toBe('b39');
    const recovered = firstAfter(a, rebindAt)!;
    // A's next packet leaves at most INTERVAL after the rebinding and reaches B LATENCY later; B's
    // next packet leaves at most INTERVAL after that and reaches A LATENCY later.
    expect(recovered - rebindAt).toBeLessThanOrEqual(2 * INTERVAL + 2 * LATENCY);
    // B's outbound SA now points at the NAT's new external port (RFC 9028 §5.11).
    const port = box.mappings(sim.now)[0]!.external.port;
    const bOut = b.sas.filter((s) => s.direction === 'out').at(-1)!;
    expect(bOut.udp?.dstPort).toBe(port);
    // A's side never noticed anything: no new base exchange, the same association.
    expect(a.stats().engine.sent.I1).toBe(1);
    // All of A's packets reached B (A's side of the mapping is recreated by A's own packets).
    expect(b.received.length).toBe(41);
  });

  it('RFC 4787 §4.3 mapping dropped (box state lost): A\'s next packet opens a new mapping and the flow recovers the same way', () => {
    const { sim, box, a, b } = world(1702);
    const start = sim.now + 10;
    flow(sim, a, b, start, 40);
    const dropAt = start + 10 * INTERVAL + 5;
    sim.at(dropAt, () => sim.rebindNat(box, 'drop'));
    sim.run(60 * INTERVAL);
    const lost = 40 - a.received.length;
    expect(lost).toBeGreaterThan(0);
    expect(lost).toBeLessThanOrEqual(Math.ceil((INTERVAL + 2 * LATENCY) / INTERVAL) + 1);
    expect(box.counters.droppedNoMapping).toBe(lost);
    expect(a.received.at(-1) && untext(a.received.at(-1)!.payload)).toBe('b39');
    expect(firstAfter(a, dropAt)! - dropAt).toBeLessThanOrEqual(2 * INTERVAL + 2 * LATENCY);
  });

  it('§4.8 B-to-A only: A\'s keepalives (§4.10 NOTIFY, replayable) do not move B\'s SA; B\'s flow resumes at A\'s next authenticated ESP packet, within one send interval plus the latency', () => {
    const { sim, box, a, b } = world(1703);
    const start = sim.now + 10;
    const rebindAt = start + 5 * INTERVAL + 5;
    flow(sim, a, b, start, 700, false);
    sim.at(rebindAt, () => sim.rebindNat(box));
    // Two keepalive periods Tr (config.natKeepaliveMs, 15 s): keepalives from the new port arrive.
    const tr = a.engine.config.natKeepaliveMs;
    const notifiesBefore = b.stats().engine.received.NOTIFY ?? 0;
    sim.run(2 * tr + 1_000);
    expect(b.stats().engine.received.NOTIFY ?? 0).toBeGreaterThanOrEqual(notifiesBefore + 2);
    expect(a.received.length).toBe(5); // b0..b4; b5 was in flight to the old port
    expect(box.counters.droppedNoMapping).toBeGreaterThan(500);
    const replyAt = sim.now;
    a.send(b, text('reply'));
    sim.run(INTERVAL + 2 * LATENCY);
    expect(a.received.length).toBeGreaterThan(5);
    expect(firstAfter(a, replyAt)! - replyAt).toBeLessThanOrEqual(INTERVAL + 2 * LATENCY);
  });
});
