// A recorded I2 replayed at an established Responder (RFC 7401 §6.9, Table 6, §4.5.4).
//
// Table 6 lets an I2 replace an ESTABLISHED association ("If successful, send R2, drop old HIP
// association, establish a new HIP association") because the peer may have restarted: "The peer
// does not reset its state until it receives a valid I2 packet" (§4.5.4). A copy of the I2 that
// set up the current association is not a restart: it carries the same Diffie-Hellman value and
// the same puzzle solution, whose #I and #J already salt the association's KEYMAT (§6.5). The
// eavesdropper's attack: an I1 with the Initiator's HIT from any address (so that an R1 went out
// after ESTABLISHED), then the recorded I2. Each case checks that the Responder keeps its SAs and
// that ESP keys still match end to end; a genuine restart still replaces the association.
import { describe, expect, it } from 'vitest';
import { HipEngine } from '../../src/engine/hip-engine.js';
import { parseLocator } from '../../src/addr/locator.js';
import { fixHipChecksum } from '../../src/testing/intercept.js';
import { testRandom } from '../fixtures/keys.js';
import { Pair, LOC_A, LOC_B, identity } from './pair.js';
import { dropsOf, expectSasCrossed } from './helpers.js';

const ATTACKER = parseLocator('2001:db8::bad');

type Recorded = { i1: Uint8Array; i2: Uint8Array };

/** A and B established; the I1 and I2 that A sent are recorded, as an eavesdropper would. */
function established(opts: { dataFirst: boolean }): { p: Pair; rec: Recorded; idA: number } {
  const p = new Pair();
  const idA = p.connect('a');
  p.runUntil(() => p.state('a') === 'ESTABLISHED');
  if (opts.dataFirst) {
    // ESP from the Initiator moves R2-SENT to ESTABLISHED at once (§6.9 step 21).
    const spi = p.b.associations()[0]!.sas[0]!.localSpi;
    p.b.handle({ kind: 'esp-seen', spi, src: LOC_A, dst: LOC_B }, p.now);
    p.drain('b');
  }
  p.run(p.now + 11_000);
  expect(p.state('b')).toBe('ESTABLISHED');
  const sent = p.log.filter((l) => l.from === 'a');
  const raw = (kind: string): Uint8Array => p.out.a.flatMap((o) => (o.kind === 'transmit' && o.packet.kind === kind ? [o.bytes] : []))[0]!;
  expect(sent.some((l) => l.kind === 'I2')).toBe(true);
  return { p, rec: { i1: raw('I1'), i2: raw('I2') }, idA };
}

/** The attacker's replay: the recorded I1 and I2 sent from `src`, checksums fixed for it. */
function replay(p: Pair, rec: Recorded, src: Uint8Array): void {
  const i1 = fixHipChecksum(Uint8Array.from(rec.i1), src, LOC_B);
  const i2 = fixHipChecksum(Uint8Array.from(rec.i2), src, LOC_B);
  p.b.handle({ kind: 'datagram', bytes: i1, src, dst: LOC_B }, p.now);
  p.drain('b');
  p.b.handle({ kind: 'datagram', bytes: i2, src, dst: LOC_B }, p.now);
  p.drain('b');
}

const saOutputs = (p: Pair, from: number) => p.out.b.slice(from).filter((o) => o.kind === 'sa');

/** Replays from `src` and checks that B's associations and SAs are exactly as before. */
function replayChangesNothing(p: Pair, rec: Recorded, src: Uint8Array): number {
  const before = JSON.stringify(p.b.associations());
  const mark = p.out.b.length;
  replay(p, rec, src);
  expect(JSON.stringify(p.b.associations())).toBe(before);
  expect(saOutputs(p, mark)).toEqual([]);
  return mark;
}

/** A loses all its state (same identity, new randomness) and connects again. */
function rebootAndReconnect(p: Pair, seed: string): void {
  (p as unknown as { a: HipEngine }).a = new HipEngine({ identities: [identity('p256A')], locators: [LOC_A], random: testRandom(seed) }, p.now);
  p.sas.a.clear();
  p.connect('a');
  p.runUntil(() => p.state('a') === 'ESTABLISHED');
  p.run(p.now + 11_000);
}

describe('a replayed I2 cannot disturb an established association (RFC 7401 §6.9, Table 6)', () => {
  // The I2 was sent at about t = 20 ms, in R1 generation 1; with the default r1RotateMs = 60 s
  // and r1AcceptGenerations = 1 its puzzle is accepted until t = 120 s (§6.9 step 7).
  const delays = [0, 5_000, 30_000, 59_000, 61_000, 90_000, 105_000];
  for (const dataFirst of [false, true]) {
    for (const delay of delays) {
      for (const src of [ATTACKER, LOC_A]) {
        const from = src === ATTACKER ? 'a spoofed address' : "the Initiator's address";
        it(`replay ${delay / 1000} s after the exchange from ${from} (${dataFirst ? 'R2-SENT left on data' : 'R2-SENT left on its timer'}): no state change`, () => {
          const { p, rec } = established({ dataFirst });
          p.run(Math.max(p.now, 20 + delay));
          const mark = replayChangesNothing(p, rec, src);
          expect(p.b.associations()[0]!.state).toBe('ESTABLISHED');
          // "at most a retransmitted R2": anything B sends in reply is the R2 it sent before.
          const r2s = p.out.b.slice(mark).flatMap((o) => (o.kind === 'transmit' && o.packet.kind === 'R2' ? [o] : []));
          for (const r2 of r2s) expect(r2.dst).toEqual(LOC_A);
          expect(dropsOf(p, 'b').slice(-1)[0] === 'duplicate' || r2s.length === 1).toBe(true);
          p.run(p.now + 30_000);
          expect(p.state('a')).toBe('ESTABLISHED');
          expect(p.state('b')).toBe('ESTABLISHED');
          expectSasCrossed(p);
        });
      }
    }
  }

  for (const newDh of [false, true]) {
    it(`a replay after a rekey${newDh ? ' with a new Diffie-Hellman key' : ''} leaves the rekeyed SAs in place`, () => {
      const { p, rec, idA } = established({ dataFirst: false });
      p.a.rekey(idA, p.now, { newDh });
      p.drain('a');
      p.runUntil(() => p.events('a').some((e) => e.type === 'update-completed'));
      p.run(p.now + 6_000);
      replayChangesNothing(p, rec, ATTACKER);
      p.run(p.now + 30_000);
      expect(p.state('b')).toBe('ESTABLISHED');
      expectSasCrossed(p);
    });
  }

  it('after the acceptance window the replay is still refused (§6.9 step 7: the puzzle is stale by then)', () => {
    const { p, rec } = established({ dataFirst: false });
    p.run(125_000);
    const mark = replayChangesNothing(p, rec, ATTACKER);
    const sent = p.out.b.slice(mark).flatMap((o) => (o.kind === 'transmit' ? [o.packet.kind] : []));
    expect(sent.filter((k) => k !== 'R1' && k !== 'R2')).toEqual([]);
  });
});

describe('a genuine restart still replaces the association (RFC 7401 §4.5.4, §6.9 step 20)', () => {
  it('after a restart, the I2 of the replaced association cannot bring its keys back', () => {
    const { p, rec } = established({ dataFirst: false });
    p.run(p.now + 5_000);
    rebootAndReconnect(p, 'engine-a-rebooted');
    replayChangesNothing(p, rec, ATTACKER);
    expect(dropsOf(p, 'b').slice(-1)).toEqual(['duplicate']);
    p.run(p.now + 30_000);
    expectSasCrossed(p);
  });

  for (const delay of [1_000, 30_000, 90_000]) {
    it(`the Initiator reboots ${delay / 1000} s after the exchange and sets up a new association: fresh DH, fresh puzzle`, () => {
      const { p } = established({ dataFirst: false });
      p.run(p.now + delay);
      const oldSpis = p.b.associations()[0]!.sas.map((s) => s.localSpi);
      rebootAndReconnect(p, `engine-a-rebooted-${delay}`);
      expect(p.state('b')).toBe('ESTABLISHED');
      expect(p.b.associations()).toHaveLength(1);
      expect(p.b.associations()[0]!.sas.map((s) => s.localSpi).some((s) => oldSpis.includes(s))).toBe(false);
      expectSasCrossed(p);
    });
  }
});
