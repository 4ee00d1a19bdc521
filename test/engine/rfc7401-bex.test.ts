// RFC 7401 §4.1 and §6.6-§6.10: the base exchange between two engines on virtual time.
import { describe, expect, it } from 'vitest';
import { Pair } from './pair.js';
import { dropsOf, expectSasCrossed } from './helpers.js';
import type { FixtureKeyName } from '../fixtures/keys.js';
import { compareBytes } from '../../src/util/bytes.js';

describe('RFC 7401 §4.1 base exchange', () => {
  const suites: [string, FixtureKeyName, FixtureKeyName][] = [
    ['ECDSA P-256', 'p256A', 'p256B'],
    ['ECDSA P-384', 'p384A', 'p384B'],
    ['ECDSA_LOW secp160r1', 'secp160r1A', 'secp160r1B'],
    ['EdDSA Ed25519', 'ed25519A', 'ed25519B'],
    ['RSA-2048', 'rsaA', 'rsaB'],
  ];
  for (const [name, a, b] of suites) {
    it(`completes I1, R1, I2, R2 with ${name} identities and installs crossed SAs`, () => {
      const p = new Pair({ a, b });
      const id = p.connect('a');
      p.runUntil(() => p.state('a') === 'ESTABLISHED');
      expect(p.log.map((l) => `${l.from}:${l.kind}`)).toEqual(['a:I1', 'b:R1', 'a:I2', 'b:R2']);
      expect(p.a.association(id)?.role).toBe('initiator');
      // The responder waits in R2-SENT until data, an UPDATE or the timeout (§6.9 step 21).
      expect(p.state('b')).toBe('R2_SENT');
      expectSasCrossed(p);
      expect(p.events('a').some((e) => e.type === 'established')).toBe(true);
      p.run(p.now + 11_000);
      expect(p.state('b')).toBe('ESTABLISHED');
      expect(p.events('b').find((e) => e.type === 'established')).toMatchObject({ role: 'responder' });
    });
  }

  it('emits the inbound SA before the packet that announces its SPI (docs/architecture.md, The driving contract)', () => {
    const p = new Pair();
    p.connect('a');
    p.runUntil(() => p.state('a') === 'ESTABLISHED');
    for (const side of ['a', 'b'] as const) {
      const outs = p.out[side];
      const announcer = side === 'a' ? 'I2' : 'R2';
      const tx = outs.findIndex((o) => o.kind === 'transmit' && o.packet.kind === announcer);
      const sa = outs.findIndex((o) => o.kind === 'sa' && o.sa.direction === 'in');
      expect(sa).toBeGreaterThanOrEqual(0);
      expect(sa).toBeLessThan(tx);
    }
  });

  it('answers I1 statelessly: the Responder creates no association before a valid I2 (§6.7)', () => {
    const p = new Pair();
    p.connect('a');
    p.step(); // I1 delivered, R1 sent
    expect(p.b.associations()).toHaveLength(0);
    expect(p.log.map((l) => l.kind)).toEqual(['I1', 'R1']);
  });

  for (const lost of ['I1', 'R1', 'I2', 'R2'] as const) {
    it(`recovers when the first ${lost} is lost, by retransmission`, () => {
      const p = new Pair();
      let dropped = false;
      p.filter = (x) => {
        if (!dropped && x.packet.kind === lost) {
          dropped = true;
          return 'drop';
        }
        return 'pass';
      };
      p.connect('a');
      p.runUntil(() => p.state('a') === 'ESTABLISHED');
      expect(dropped).toBe(true);
      expectSasCrossed(p);
    });
  }

  it('gives up after I1_RETRIES_MAX and reports failed, then returns to UNASSOCIATED (Table 3, Table 9)', () => {
    const p = new Pair({ config: { i1RetriesMax: 2, eFailedLingerMs: 1000 } });
    p.filter = () => 'drop';
    const id = p.connect('a');
    p.run(60_000);
    expect(p.log.filter((l) => l.kind === 'I1')).toHaveLength(3);
    expect(p.events('a')).toContainEqual({ type: 'failed', assoc: id, reason: 'i1-retries' });
    expect(p.a.associations()).toHaveLength(0);
  });

  it('backs off exponentially between I1 retransmissions', () => {
    const p = new Pair({ config: { i1RetriesMax: 3, i1RetransmitMs: 500 } });
    p.filter = () => 'drop';
    p.connect('a');
    const times: number[] = [];
    for (let i = 0; i < 4; i++) {
      const t = p.a.pollTimeout();
      if (t === undefined) break;
      times.push(t);
      p.now = t;
      p.a.handleTimeout(t);
      p.drain('a');
    }
    expect(times).toEqual([500, 500 + 1000, 1500 + 2000, 3500 + 4000]);
  });

  it('resends the same R2 for a retransmitted I2 in R2-SENT (§6.9 step 4)', () => {
    const p = new Pair();
    let r2s = 0;
    p.filter = (x) => (x.packet.kind === 'R2' && r2s++ === 0 ? 'drop' : 'pass');
    p.connect('a');
    p.runUntil(() => p.state('a') === 'ESTABLISHED');
    const r2 = p.out.b.filter((o) => o.kind === 'transmit' && o.packet.kind === 'R2');
    expect(r2).toHaveLength(2);
    expect(r2[0]!.kind === 'transmit' && r2[1]!.kind === 'transmit' && r2[0]!.bytes).toEqual(r2[1]!.kind === 'transmit' && r2[1]!.bytes);
    expect(p.b.associations()).toHaveLength(1);
  });

  it('a late duplicate I2 after data proved the Initiator ESTABLISHED is dropped, not a new incarnation', () => {
    const p = new Pair();
    p.connect('a');
    p.runUntil(() => p.state('a') === 'ESTABLISHED');
    const i2 = p.out.a.find((o) => o.kind === 'transmit' && o.packet.kind === 'I2')!;
    const b = p.b.associations()[0]!;
    p.b.handle({ kind: 'esp-seen', spi: b.sas[0]!.localSpi, src: b.peerLocator, dst: b.localLocator }, p.now);
    p.drain('b');
    const sasBefore = [...p.sas.b.keys()];
    p.inject('b', i2.kind === 'transmit' ? i2.bytes : new Uint8Array());
    expect(dropsOf(p, 'b')).toContain('duplicate');
    expect([...p.sas.b.keys()]).toEqual(sasBefore);
    expect(p.b.stats().sent.R2).toBe(1);
  });

  it('simultaneous initiation ends with one association per side, ESTABLISHED, and one SA pair (§6.7 step 3, §6.9 step 5)', () => {
    const p = new Pair();
    p.connect('a');
    p.connect('b');
    p.run(30_000);
    expect(p.state('a')).toBe('ESTABLISHED');
    expect(p.state('b')).toBe('ESTABLISHED');
    expect(p.a.associations()).toHaveLength(1);
    expect(p.b.associations()).toHaveLength(1);
    expectSasCrossed(p);
    expect([...p.sas.a.values()]).toHaveLength(2);
    const lower = compareBytes(p.aHit, p.bHit) < 0 ? 'a' : 'b';
    expect(dropsOf(p, lower)).toContain('lower-hit');
  });
});

describe('RFC 7401 §4.1.3 DH group negotiation', () => {
  it('the Responder picks the first group of its own list that the Initiator offers', () => {
    const p = new Pair({ configA: { dhGroups: [8, 7] }, configB: { dhGroups: [7, 3] } });
    p.connect('a');
    p.runUntil(() => p.state('a') === 'ESTABLISHED');
    const r1 = p.out.b.find((o) => o.kind === 'transmit' && o.packet.kind === 'R1');
    const dh = r1?.kind === 'transmit' ? r1.packet.params.find((x) => x.kind === 'DIFFIE_HELLMAN') : undefined;
    expect(dh && dh.kind === 'DIFFIE_HELLMAN' && dh.groupId).toBe(7);
  });

  it('detects a DH_GROUP_LIST downgrade in the I1 and restarts with a fresh I1 (§6.8 step 7)', async () => {
    const { encodePacket } = await import('../../src/wire/packet.js');
    const p = new Pair({ config: { dhGroups: [8, 7] } });
    let tampered = 0;
    p.filter = (x) => {
      if (x.packet.kind === 'I1' && tampered++ === 0) {
        // An attacker strips the strong group: the Responder then answers with group 7.
        const params = x.packet.params.map((q) => (q.kind === 'DH_GROUP_LIST' ? { ...q, groups: [7] } : q));
        return { replace: encodePacket({ ...x.packet, params }, { src: x.src, dst: x.dst }) };
      }
      return 'pass';
    };
    p.connect('a');
    p.runUntil(() => p.state('a') === 'ESTABLISHED');
    expect(dropsOf(p, 'a')).toContain('dh-downgrade');
    expect(p.log.filter((l) => l.from === 'a' && l.kind === 'I1')).toHaveLength(2);
    const i2 = p.out.a.find((o) => o.kind === 'transmit' && o.packet.kind === 'I2');
    const dh = i2?.kind === 'transmit' ? i2.packet.params.find((x) => x.kind === 'DIFFIE_HELLMAN') : undefined;
    expect(dh && dh.kind === 'DIFFIE_HELLMAN' && dh.groupId).toBe(8);
  });

  it('fails with no-common-dh-group when the Responder shares no group', () => {
    const p = new Pair({ configA: { dhGroups: [8] }, configB: { dhGroups: [7] } });
    const id = p.connect('a');
    p.run(5_000);
    expect(p.events('a')).toContainEqual({ type: 'failed', assoc: id, reason: 'no-common-dh-group' });
  });

  for (const [name, groups] of [['MODP 1536 (group 3)', [3]], ['NIST P-521 (group 9)', [9]]] as const) {
    it(`completes with ${name}`, () => {
      const p = new Pair({ config: { dhGroups: [...groups] } });
      p.connect('a');
      p.runUntil(() => p.state('a') === 'ESTABLISHED');
      expectSasCrossed(p);
    });
  }
});

describe('RFC 7401 §4.1.2 puzzle difficulty', () => {
  it('K = 0 needs no work and is accepted', () => {
    const p = new Pair({ config: { puzzleK: 0 } });
    p.connect('a');
    p.runUntil(() => p.state('a') === 'ESTABLISHED');
  });

  it('K = 12 is solved and verified', () => {
    const p = new Pair({ configB: { puzzleK: 12 } });
    p.connect('a');
    p.runUntil(() => p.state('a') === 'ESTABLISHED');
    const sol = p.out.a.find((o) => o.kind === 'transmit' && o.packet.kind === 'I2');
    const s = sol?.kind === 'transmit' ? sol.packet.params.find((x) => x.kind === 'SOLUTION') : undefined;
    expect(s && s.kind === 'SOLUTION' && s.k).toBe(12);
  });

  it('a K above the Initiator limit fails the exchange with puzzle-too-hard', () => {
    const p = new Pair({ configA: { maxPuzzleK: 8 }, configB: { puzzleK: 9 } });
    const id = p.connect('a');
    p.run(5_000);
    expect(p.events('a')).toContainEqual({ type: 'failed', assoc: id, reason: 'puzzle-too-hard' });
  });

  it('a puzzle not solved within the attempt budget fails with puzzle-too-hard', () => {
    const p = new Pair({ configA: { puzzleAttemptBudget: 4 }, configB: { puzzleK: 20 } });
    const id = p.connect('a');
    p.run(5_000);
    expect(p.events('a')).toContainEqual({ type: 'failed', assoc: id, reason: 'puzzle-too-hard' });
  });

  it('raises K under half-open load through the policy hook', () => {
    const p = new Pair({ extraB: { policy: { puzzleDifficulty: () => 5 } } });
    p.connect('a');
    p.runUntil(() => p.state('a') === 'ESTABLISHED');
    const r1 = p.out.b.find((o) => o.kind === 'transmit' && o.packet.kind === 'R1');
    const z = r1?.kind === 'transmit' ? r1.packet.params.find((x) => x.kind === 'PUZZLE') : undefined;
    expect(z && z.kind === 'PUZZLE' && z.k).toBe(5);
  });
});

describe('RFC 7401 §4.4.3 Table 9: an I2 while E-FAILED', () => {
  it('is dropped, never thrown ("Renegotiation is possible after moving to UNASSOCIATED"); the exchange completes once the failed association is gone', () => {
    const p = new Pair();
    p.filter = (x) => (x.from === 'b' ? 'drop' : 'pass');
    p.connect('a');
    p.runUntil(() => p.state('a') === 'E_FAILED', 120_000);
    p.filter = () => 'pass';
    // B starts its own exchange while A still lingers in E-FAILED.
    p.connect('b');
    expect(() => p.run(p.now + 500)).not.toThrow();
    expect(p.state('a')).toBe('E_FAILED');
    expect(dropsOf(p, 'a')).toContain('bad-state');
    // B's I2 retransmissions outlast the linger (eFailedLingerMs): A answers once UNASSOCIATED.
    p.runUntil(() => p.state('b') === 'ESTABLISHED', p.now + 60_000);
    p.run(p.now + 11_000);
    expect(p.state('a')).toBe('ESTABLISHED');
    expectSasCrossed(p);
  });
});
