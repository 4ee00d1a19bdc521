// HIT suite negotiation (RFC 7401 §6.8 step 6, Table 3) and the NOTIFYs of §6.9.1.
import { describe, expect, it } from 'vitest';
import { LOC_B, Pair, identity } from './pair.js';
import { parseLocator } from '../../src/addr/locator.js';
import { dropsOf } from './helpers.js';
import { encodePacket } from '../../src/wire/packet.js';
import { NOTIFY_TYPE } from '../../src/wire/notify.js';

describe('RFC 7401 §6.8 step 6: HIT suite negotiation', () => {
  it('an Initiator whose HIT suite the Responder lacks restarts with another of its identities', () => {
    const ed = identity('ed25519A');
    const p256 = identity('p256A');
    const p = new Pair({ extraA: { identities: [ed, p256] }, configB: { hitSuites: [2] } });
    const id = p.a.connect({ hit: p.bHit, locators: [LOC_B], localHit: ed.hit }, 0);
    p.drain('a');
    p.runUntil(() => p.state('a') === 'ESTABLISHED');
    const info = p.a.association(id)!;
    expect(info.localHit).toEqual(p256.hit);
    expect(p.log.filter((l) => l.kind === 'I1')).toHaveLength(2);
    expect(dropsOf(p, 'a')).toContain('unsupported-hit-suite');
  });

  it('aborts with unsupported-hit-suite when no local identity has a suite the Responder lists', () => {
    const p = new Pair({ a: 'ed25519A', configB: { hitSuites: [2] } });
    const id = p.connect('a');
    p.run(5000);
    expect(p.events('a')).toContainEqual({ type: 'failed', assoc: id, reason: 'unsupported-hit-suite' });
  });
});

describe('RFC 7401 §6.9.1: NOTIFY for I2 errors found after the puzzle check', () => {
  it('a bad I2 HIP_MAC is answered with HIP_MAC_FAILED, which the Initiator reports authenticated and ignores', () => {
    const p = new Pair();
    let once = false;
    p.filter = (x) => {
      if (x.packet.kind !== 'I2' || once) return 'pass';
      once = true;
      const params = x.packet.params.map((q) => (q.kind === 'HIP_MAC' ? { ...q, hmac: q.hmac.map((b) => b ^ 0xff) } : q));
      return { replace: encodePacket({ ...x.packet, params }, { src: x.src, dst: x.dst }) };
    };
    p.connect('a');
    p.runUntil(() => p.state('a') === 'ESTABLISHED');
    expect(dropsOf(p, 'b')).toContain('bad-mac');
    const n = p.events('a').find((e) => e.type === 'notify');
    expect(n).toMatchObject({ type: 'notify', messageType: NOTIFY_TYPE.HIP_MAC_FAILED, authenticated: true });
  });

  it('a Responder at its half-open limit answers RESPONDER_BUSY_PLEASE_RETRY', () => {
    const p = new Pair({ configB: { maxHalfOpen: 1 } });
    // Occupy B's only half-open slot with an exchange of its own toward an unreachable peer.
    p.filter = (x) => (x.from === 'b' && x.packet.kind === 'I1' ? 'drop' : 'pass');
    p.b.connect({ hit: identity('p384A').hit, locators: [parseLocator('2001:db8::99')] }, 0);
    p.drain('b');
    p.connect('a');
    p.run(3000);
    expect(dropsOf(p, 'b')).toContain('policy');
    expect(p.events('a').some((e) => e.type === 'notify' && e.messageType === NOTIFY_TYPE.RESPONDER_BUSY_PLEASE_RETRY)).toBe(true);
  });
});
