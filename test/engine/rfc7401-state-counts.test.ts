// The running per-state counts (transitions.ts StateCensus) behind the half-open budget
// (RFC 7401 §4.1.1: the Responder limits the exchanges it holds open) and stats().established
// stay equal to a recount of the associations through the RFC 7401 §4.4.3 lifecycle: exchange,
// R2-SENT to ESTABLISHED, rekey, close and linger, retransmission failure to E-FAILED and its
// linger, and an abandoned half-open exchange.
import { describe, expect, it } from 'vitest';
import { engineInternals, type HipEngine } from '../../src/engine/hip-engine.js';
import type { StateName } from '../../src/engine/states.js';
import { Pair } from './pair.js';

const STATES: readonly StateName[] = ['UNASSOCIATED', 'I1_SENT', 'I2_SENT', 'R2_SENT', 'ESTABLISHED', 'CLOSING', 'CLOSED', 'E_FAILED'];

function expectCountsMatch(e: HipEngine, when: string): void {
  const census = (engineInternals(e) as unknown as { census: { count(s: StateName): number } }).census;
  const list = e.associations();
  for (const s of STATES) expect(census.count(s), `${when}: ${s}`).toBe(list.filter((a) => a.state === s).length);
  const halfOpen = list.filter((a) => a.state === 'I1_SENT' || a.state === 'I2_SENT' || a.state === 'R2_SENT').length;
  expect(engineInternals(e).halfOpenCount(), `${when}: half-open`).toBe(halfOpen);
  expect(e.stats().established, `${when}: established`).toBe(list.filter((a) => a.state === 'ESTABLISHED').length);
}

describe('running state counts follow every transition', () => {
  it('exchange, R2-SENT timeout, rekey, close, linger', () => {
    const p = new Pair();
    const check = (when: string): void => {
      expectCountsMatch(p.a, `A ${when}`);
      expectCountsMatch(p.b, `B ${when}`);
    };
    check('start');
    const id = p.connect('a');
    check('I1 sent');
    p.runUntil(() => p.state('a') === 'ESTABLISHED');
    check('A established, B in R2-SENT');
    expect(p.state('b')).toBe('R2_SENT');
    p.run(p.now + 11_000);
    check('B established');
    p.a.rekey(id, p.now);
    p.drain('a');
    check('rekey started');
    p.run(p.now + 1_000);
    check('rekeyed');
    p.a.close(id, p.now);
    p.drain('a');
    check('CLOSE sent');
    p.run(p.now + 1_000);
    check('closed');
    p.run(p.now + 40 * 60_000, 100_000);
    check('linger over');
    expect(p.a.associations()).toEqual([]);
  });

  it('retransmissions exhausted (E-FAILED) and its linger; an abandoned half-open exchange', () => {
    const p = new Pair();
    p.filter = () => 'drop';
    p.connect('a');
    expectCountsMatch(p.a, 'I1 sent into the void');
    p.runUntil(() => p.state('a') === 'E_FAILED', 600_000, 100_000);
    expectCountsMatch(p.a, 'E-FAILED');
    p.run(p.now + 60_000, 100_000);
    expectCountsMatch(p.a, 'after the linger');
    expect(p.a.associations()).toEqual([]);
    const id = p.connect('a');
    expectCountsMatch(p.a, 'second I1');
    p.a.close(id, p.now);
    expectCountsMatch(p.a, 'abandoned');
    expect(p.a.associations()).toEqual([]);
  });
});
