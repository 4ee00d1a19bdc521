// Engine bugs found with the simulator, kept as exact, deterministic regression tests
// (interceptor-driven, so they do not depend on a random loss pattern). Both are fixed: each test
// asserts the correct behaviour.
//
// Run: npx vitest run test/scenarios/engine-bugs.sim.test.ts
import { describe, expect, it } from 'vitest';
import { compareBytes } from '../../src/util/bytes.js';
import { on } from '../../src/testing/index.js';
import { count, establish, pair } from './sim-helpers.js';

describe('engine bug repros', () => {
  // Simultaneous rekey (RFC 7402 §6.8, both ends send U1 at once). Each end answers the peer's
  // U1 with an ACK, and finalizes when its own U1 is ACKed and it holds the peer's ESP_INFO. An
  // end installs the inbound SA for the SPI it announced in its own U1 only when it finalizes, but
  // its ACK lets the PEER finalize and move its outbound traffic to that SPI. If the ACK that A
  // needs is lost, B switches to A's new SPI while A has no inbound SA for it: every ESP packet
  // B sends is dropped ('unknown-spi') until A's U1 retransmission is ACKed (1 s here, tens of
  // seconds under loss), and B's next rekey is refused by A meanwhile ('bad-esp-info', "OLD SPI
  // is not the peer's"). docs/architecture.md, The driving contract: the inbound SA must exist before the packet that lets the
  // peer use it leaves. Found by a lossy simultaneous-rekey sweep (fastCrypto, seeds 229, 241).
  it('simultaneous rekey with the ACK to A lost: B must not send to an SPI A has not installed', () => {
    const { sim, a, b } = pair(700);
    establish(sim, a, b);
    // B's UPDATEs: #0 its own U1, #1 its ACK of A's U1 -> dropped.
    sim.intercept(on({ kind: 'UPDATE', from: 'B' }, 'drop', { nth: 1 }));
    sim.at(sim.now + 10, () => {
      a.rekey(b);
      b.rekey(a);
    });
    sim.runUntil(() => count(b, 'update-completed') === 1, { maxTimeMs: 5000 });
    const bOut = b.association(a)!.sas.map((s) => s.peerSpi);
    const before = a.received.length;
    expect(b.send(a, Uint8Array.of(1, 2, 3)).ok).toBe(true);
    sim.run(50);
    expect(a.sas.filter((s) => s.direction === 'in').map((s) => s.spi)).toEqual(expect.arrayContaining(bOut));
    expect(a.received.length).toBe(before + 1);
  });

  // Simultaneous base exchange with one lost I2 ends in a split brain: both ends ESTABLISHED with
  // different keys and disjoint SPIs, so no ESP gets through and every later UPDATE is dropped as
  // 'bad-mac', until both fail with 'update-retries' about a minute later.
  //   t=0    L (lower HIT) sends I1; t=5 H sends I1 (10 ms links).
  //   t=10   H, in I1-SENT with the greater HIT, answers L's I1 with R1.
  //   t=15   L, in I1-SENT, drops H's I1 ('lower-hit', §6.7 step 3).
  //   t=20   L sends I2 -> lost.
  //   t=1005 H retransmits I1; L (now I2-SENT) answers with R1 (Table 4); at 1025 H sends its own
  //          I2 (delayed here by 200 ms).
  //   t=1020 L retransmits I2; at 1030 H, in I2-SENT with the greater HIT, processes it and sends
  //          R2 (§6.9 step 5); at 1040 L gets R2 -> ESTABLISHED as Initiator.
  //   t=1235 H's I2 reaches L in ESTABLISHED; L takes it as a new incarnation (Table 5), replaces
  //          its SAs and keys and answers with an R2 that H, now R2-SENT as Responder, drops
  //          ('bad-state'). Both ends then go ESTABLISHED (as Responders) on different keys.
  // Found by a lossy simultaneous-initiation sweep (fastCrypto, seed 249).
  it('simultaneous initiation with a lost I2 must not end in a split brain', () => {
    const { sim, a, b } = pair(701, { crypto: 'fast', config: { r2SentTimeoutMs: 2000 } });
    const [lo, hi] = compareBytes(a.hit, b.hit) < 0 ? [a, b] : [b, a];
    sim.intercept(on({ kind: 'I2', from: lo.name }, 'drop', { nth: 0 }));
    sim.intercept(on({ kind: 'I2', from: hi.name }, { delayMs: 200 }, { nth: 0 }));
    sim.at(0, () => lo.connect(hi));
    sim.at(5, () => hi.connect(lo));
    sim.run(10_000);
    expect(lo.established(hi) && hi.established(lo)).toBe(true);
    // Both ends share one SA pair with equal keys (no split brain).
    const l = lo.association(hi)!.sas.map((s) => [s.localSpi, s.peerSpi]);
    const h = hi.association(lo)!.sas.map((s) => [s.peerSpi, s.localSpi]);
    expect(l).toEqual(h);
    const before = hi.received.length;
    lo.send(hi, Uint8Array.of(7));
    sim.run(100);
    expect(hi.received.length).toBe(before + 1);
  });
});
