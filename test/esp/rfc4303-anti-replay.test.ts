// RFC 4303 §3.4.3 anti-replay and §3.3.3 sequence number generation (32-bit, no ESN).
import { describe, expect, it } from 'vitest';
import { EspDataPlane, ReplayWindow, type EspDataPlaneOptions } from '../../src/esp/index.js';
import { ESP_SUITE, type EspSuiteId } from '../../src/types.js';
import { HIT_B, LOC_A, LOC_B, bytesOf, keysFor, nodeBuild, patternRandom, saPair } from './helpers.js';

const SUITE: EspSuiteId = ESP_SUITE.AES_128_CBC_HMAC_SHA256;
const { encKey, authKey } = keysFor(SUITE);

function receiver(opts: Partial<EspDataPlaneOptions> = {}, replayWindow?: number): EspDataPlane {
  const rx = new EspDataPlane({ random: patternRandom(), ...opts });
  rx.addSa(saPair(SUITE, 0x1000).in, replayWindow === undefined ? {} : { replayWindow });
  return rx;
}

function pkt(seq: number, spi = 0x1000): Uint8Array {
  return nodeBuild({ suite: SUITE, encKey, authKey, spi, seq, payload: bytesOf(8, seq & 0xff), nextHeader: 17 });
}

function recv(rx: EspDataPlane, seq: number): string {
  const r = rx.unprotect(pkt(seq), LOC_A, LOC_B);
  return r.ok ? 'ok' : r.reason;
}

describe('ReplayWindow (unit)', () => {
  it('accepts new, rejects duplicates and too-old, slides on far-ahead', () => {
    const w = new ReplayWindow(64);
    expect(w.check(0)).toBe('too-old');
    expect(w.check(1)).toBe('ok');
    w.update(1);
    expect(w.check(1)).toBe('replay');
    w.update(100);
    expect(w.top).toBe(100);
    expect(w.check(37)).toBe('ok'); // 100 - 37 = 63 < 64: inside the window
    expect(w.check(36)).toBe('too-old');
    expect(w.check(1)).toBe('too-old');
    w.update(37);
    expect(w.check(37)).toBe('replay');
    w.update(101); // slide by one: 37 falls out
    expect(w.check(37)).toBe('too-old');
    expect(w.check(38)).toBe('ok');
  });

  it('matches a reference model on random sequences (sizes 1..200)', () => {
    let state = 12345;
    const rnd = (n: number) => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state % n;
    };
    for (const size of [1, 2, 31, 32, 33, 63, 64, 65, 100, 128, 200]) {
      const w = new ReplayWindow(size);
      const seen = new Set<number>();
      let top = 0;
      let cur = 1;
      for (let i = 0; i < 3000; i++) {
        cur = Math.max(1, cur + rnd(3 * size) - size);
        const seq = rnd(10) === 0 ? cur + rnd(5 * size) : cur;
        const expected = seq === 0 || (seq <= top && top - seq >= size) ? 'too-old' : seq <= top && seen.has(seq) ? 'replay' : 'ok';
        expect(w.check(seq), `size ${size} step ${i} seq ${seq} top ${top}`).toBe(expected);
        if (expected === 'ok' && rnd(4) !== 0) {
          w.update(seq);
          seen.add(seq);
          top = Math.max(top, seq);
        }
      }
    }
  });

  it('handles the top of the 32-bit space', () => {
    const w = new ReplayWindow(64);
    w.update(0xffffffff - 10);
    expect(w.check(0xffffffff)).toBe('ok');
    w.update(0xffffffff);
    expect(w.check(0xffffffff)).toBe('replay');
    expect(w.check(0xffffffff - 10)).toBe('replay');
    expect(w.check(0xffffffff - 9)).toBe('ok');
    expect(w.check(0xffffffff - 64)).toBe('too-old');
  });
});

describe('anti-replay in the data plane (RFC 4303 §3.4.3)', () => {
  it('in-window out-of-order packets are accepted once; duplicates are replays', () => {
    const rx = receiver();
    expect([5, 3, 4, 1, 2].map((s) => recv(rx, s))).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect([5, 3, 1].map((s) => recv(rx, s))).toEqual(['replay', 'replay', 'replay']);
    expect(rx.stats().drops.replay).toBe(3);
    expect(rx.stats().sas[0]!.seq).toBe(5);
  });

  it('too old: left of the window (default size 64)', () => {
    const rx = receiver();
    expect(recv(rx, 200)).toBe('ok');
    expect(recv(rx, 137)).toBe('ok'); // right edge - 63
    expect(recv(rx, 136)).toBe('too-old');
    expect(recv(rx, 0)).toBe('too-old');
    expect(rx.stats().drops['too-old']).toBe(2);
  });

  it('far ahead: the window slides', () => {
    const rx = receiver();
    expect(recv(rx, 1)).toBe('ok');
    expect(recv(rx, 1_000_000)).toBe('ok');
    expect(recv(rx, 2)).toBe('too-old');
    expect(recv(rx, 999_999)).toBe('ok');
    expect(recv(rx, 1_000_000)).toBe('replay');
  });

  it('window size 0 disables anti-replay', () => {
    const rx = receiver({ replayWindow: 0 });
    expect([1, 1, 1, 0, 50, 2].map((s) => recv(rx, s))).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
  });

  it('a large window (1024) keeps old in-window packets', () => {
    const rx = receiver({ replayWindow: 1024 });
    expect(recv(rx, 2000)).toBe('ok');
    expect(recv(rx, 977)).toBe('ok'); // 2000 - 1023
    expect(recv(rx, 976)).toBe('too-old');
    expect(recv(rx, 977)).toBe('replay');
    for (let s = 1500; s < 1600; s++) expect(recv(rx, s)).toBe('ok');
    for (let s = 1500; s < 1600; s += 7) expect(recv(rx, s)).toBe('replay');
  });

  it('a per-SA window overrides the data-plane default', () => {
    const rx = receiver({}, 1024);
    expect(recv(rx, 2000)).toBe('ok');
    expect(recv(rx, 1000)).toBe('ok');
  });

  it('checks the window before the ICV and moves it only after the ICV verifies', () => {
    const rx = receiver();
    expect(recv(rx, 10)).toBe('ok');
    // A forged packet far ahead with a bad ICV must not slide the window.
    const forged = pkt(5000);
    forged[forged.length - 1]! ^= 1;
    expect(rx.unprotect(forged, LOC_A, LOC_B)).toEqual({ ok: false, reason: 'bad-icv', spi: 0x1000 });
    expect(recv(rx, 9)).toBe('ok'); // still in window: 10 is the top
    expect(rx.stats().sas[0]!.seq).toBe(10);
    // A replayed packet with a bad ICV is rejected by the cheap check, as a replay.
    const replayed = pkt(10);
    replayed[30]! ^= 0x80;
    expect(rx.unprotect(replayed, LOC_A, LOC_B)).toEqual({ ok: false, reason: 'replay', spi: 0x1000 });
    // A bad-ICV packet inside the window does not mark its sequence number as seen.
    const bad8 = pkt(8);
    bad8[20]! ^= 1;
    expect(rx.unprotect(bad8, LOC_A, LOC_B).ok).toBe(false);
    expect(recv(rx, 8)).toBe('ok');
    const st = rx.stats();
    expect(st.drops['bad-icv']).toBe(2);
    expect(st.drops.replay).toBe(1);
  });
});

describe('sequence numbers (RFC 4303 §3.3.3: 32-bit, no cycling)', () => {
  function sender(initialSeq: number, opts: Partial<EspDataPlaneOptions> = {}) {
    const tx = new EspDataPlane({ random: patternRandom(), ...opts });
    tx.addSa(saPair(SUITE, 0x1000).out, { initialSeq });
    return tx;
  }
  const send = (tx: EspDataPlane) => {
    const r = tx.protect(HIT_B, bytesOf(4));
    return r.ok ? r.packet.seq : r.reason;
  };

  it('starts at 1 and increments by one', () => {
    const tx = sender(0);
    expect([send(tx), send(tx), send(tx)]).toEqual([1, 2, 3]);
  });

  it('signals esp-seq-exhausting once at the default soft limit 2^32 - 2^24', () => {
    const tx = sender(2 ** 32 - 2 ** 24 - 2);
    expect(send(tx)).toBe(2 ** 32 - 2 ** 24 - 1);
    expect(tx.pollFeedback()).toBeUndefined();
    expect(send(tx)).toBe(2 ** 32 - 2 ** 24);
    expect(tx.pollFeedback()).toEqual({ kind: 'esp-seq-exhausting', spi: 0x1000 });
    send(tx);
    send(tx);
    expect(tx.pollFeedback()).toBeUndefined();
  });

  it('refuses to send past 2^32 - 1, then a new SA takes over', () => {
    const tx = sender(0xffffffff - 2, { seqSoftLimit: 0xffffffff - 1 });
    expect(send(tx)).toBe(0xfffffffe);
    expect(tx.pollFeedback()).toEqual({ kind: 'esp-seq-exhausting', spi: 0x1000 });
    expect(send(tx)).toBe(0xffffffff);
    expect(send(tx)).toBe('seq-exhausted');
    expect(send(tx)).toBe('seq-exhausted');
    expect(tx.protect(HIT_B, bytesOf(4), { spi: 0x1000 })).toEqual({ ok: false, reason: 'seq-exhausted' });
    expect(tx.pollFeedback()).toBeUndefined(); // signalled once only
    const st = tx.stats();
    expect(st.drops['seq-exhausted']).toBe(3);
    expect(st.sas[0]!.seq).toBe(0xffffffff);
    expect(st.sas[0]!.packets).toBe(2);
    // Rekey: the engine installs a new outbound SA; it is used from seq 1.
    tx.addSa(saPair(SUITE, 0x2000, { seed: 9 }).out);
    const r = tx.protect(HIT_B, bytesOf(4));
    expect(r.ok && [r.packet.spi, r.packet.seq]).toEqual([0x2000, 1]);
  });

  it('the receiver accepts the last sequence number 2^32 - 1', () => {
    const rx = receiver();
    expect(recv(rx, 0xfffffffe)).toBe('ok');
    expect(recv(rx, 0xffffffff)).toBe('ok');
    expect(recv(rx, 0xffffffff)).toBe('replay');
  });

  it('an SA installed with initialSeq = 2^32 - 1 cannot send at all', () => {
    const tx = sender(0xffffffff);
    expect(send(tx)).toBe('seq-exhausted');
    expect(() => sender(2 ** 32)).toThrow(/initialSeq/);
  });
});
