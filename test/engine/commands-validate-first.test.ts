// Commands and handle() check every argument before they change anything (docs/architecture.md, Errors: caller
// misuse throws TypeError/RangeError naming the field, or HipStateError with a code). After a
// throw the engine is exactly as before: no output queued, the same associations, locators,
// timers and clock. A HIP packet is at most 2048 bytes (RFC 7401 §5.1: "Header Length: 8 bits
// ... in 8-byte units"), so an UPDATE carries a bounded LOCATOR_SET.
import { describe, expect, it } from 'vitest';
import { parseLocator } from '../../src/addr/locator.js';
import { HipStateError } from '../../src/engine/errors.js';
import type { HipEngine } from '../../src/engine/hip-engine.js';
import { HipInternalError } from '../../src/util/assert.js';
import { maxLocalLocators } from '../../src/engine/limits.js';
import { DEFAULT_CONFIG } from '../../src/engine/config.js';
import { nobleCrypto } from '../../src/crypto/noble.js';
import { Pair, LOC_B, identity } from './pair.js';

function established(opts: ConstructorParameters<typeof Pair>[0] = {}): { p: Pair; idA: number } {
  const p = new Pair(opts);
  const idA = p.connect('a');
  p.runUntil(() => p.state('a') === 'ESTABLISHED');
  p.run(p.now + 11_000);
  return { p, idA };
}

const many = (n: number) => Array.from({ length: n }, (_, i) => parseLocator(`2001:db8:1::${(i + 1).toString(16)}`));

/** Everything observable about an engine, to compare before and after a refused call. */
function observe(e: HipEngine) {
  return JSON.stringify({
    assocs: e.associations(),
    locators: e.localLocatorList(),
    timeout: e.pollTimeout() ?? null,
    now: e.now,
    stats: e.stats(),
    peers: e.associations().map((a) => e.peerLocators(a.id)),
  }, (_, v) => (v instanceof Uint8Array ? Array.from(v) : typeof v === 'bigint' ? String(v) : v));
}

function refuses(e: HipEngine, call: () => unknown, error: new (...args: never[]) => Error, field?: string): void {
  const before = observe(e);
  let thrown: unknown;
  try {
    call();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(error);
  expect(thrown).not.toBeInstanceOf(HipInternalError);
  if (field) expect((thrown as Error).message).toContain(`"${field}`);
  expect(e.poll()).toBeUndefined();
  expect(observe(e)).toBe(before);
}

describe('setLocalLocators / addLocalLocator: more locators than an UPDATE can carry', () => {
  it('throws RangeError naming "locators" and keeps the previous list; one fewer is announced', () => {
    const { p } = established();
    const max = maxLocalLocators([identity('p256A')], nobleCrypto(), DEFAULT_CONFIG);
    expect(max).toBeGreaterThan(8);
    refuses(p.a, () => p.a.setLocalLocators(many(max + 1), p.now + 5), RangeError, 'locators');
    // At the bound itself the UPDATE is built and fits in 2048 bytes.
    p.a.setLocalLocators(many(max), p.now + 5);
    p.drain('a');
    const update = p.log.filter((l) => l.from === 'a' && l.kind === 'UPDATE').at(-1)!;
    const ls = update.packet.params.find((q) => q.kind === 'LOCATOR_SET');
    expect(ls && ls.kind === 'LOCATOR_SET' && ls.locators.length).toBe(max);
    expect(p.a.localLocatorList()).toHaveLength(max);
    refuses(p.a, () => p.a.addLocalLocator(parseLocator('2001:db8:2::1'), p.now + 6), RangeError, 'locator');
  });

  it('at the bound, an announcement with a rekey, then a rekey with a new DH, fit in one packet each', () => {
    // The peer keeps up to 64 locators (its default cap, 32, would refuse this announcement).
    const { p, idA } = established({ configB: { maxPeerLocators: 64 } });
    const max = maxLocalLocators([identity('p256A')], nobleCrypto(), DEFAULT_CONFIG);
    expect(() => p.a.setLocalLocators(many(max), p.now + 5, { rekey: true })).not.toThrow();
    p.drain('a');
    p.runUntil(() => p.events('a').some((e) => e.type === 'update-completed' && e.what === 'rekey'), p.now + 30_000);
    expect(() => p.a.rekey(idA, p.now, { newDh: true })).not.toThrow();
    p.drain('a');
    p.run(p.now + 3_000);
    const updates = p.log.filter((x) => x.from === 'a' && x.kind === 'UPDATE');
    expect(updates.some((u) => u.packet.params.some((q) => q.kind === 'DIFFIE_HELLMAN'))).toBe(true);
    for (const u of updates) expect(u.packet.raw!.length).toBeLessThanOrEqual(2048);
  });

  it('a larger identity leaves room for fewer: RSA with MODP-3072', () => {
    const max = maxLocalLocators([identity('rsaA')], nobleCrypto(), DEFAULT_CONFIG);
    const small = maxLocalLocators([identity('p256A')], nobleCrypto(), DEFAULT_CONFIG);
    expect(max).toBeGreaterThan(0);
    expect(max).toBeLessThan(small);
  });
});

describe('every command validates all arguments before it changes anything', () => {
  const hit = (p: Pair) => p.bHit;
  const cases: [string, (p: Pair, id: number) => unknown, new (...args: never[]) => Error, string | undefined][] = [
    ['connect: peer not an object', (p) => p.a.connect(null as never, p.now + 1), TypeError, 'peer'],
    ['connect: short peer.hit', (p) => p.a.connect({ hit: new Uint8Array(4), locators: [LOC_B] }, p.now + 1), RangeError, 'peer.hit'],
    ['connect: peer.locators[1] not 16 bytes', (p) => p.a.connect({ hit: hit(p), locators: [LOC_B, new Uint8Array(3)] }, p.now + 1), RangeError, 'peer.locators[1]'],
    ['connect: unknown peer.localHit', (p) => p.a.connect({ hit: hit(p), locators: [LOC_B], localHit: p.bHit }, p.now + 1), HipStateError, undefined],
    ['connect: now not a number', (p) => p.a.connect({ hit: hit(p), locators: [LOC_B] }, 'soon' as never), TypeError, 'now'],
    ['rekey: unknown association', (p) => p.a.rekey(999, p.now + 1), HipStateError, undefined],
    ['rekey: opts.newDh not boolean', (p, id) => p.a.rekey(id, p.now + 1, { newDh: 'yes' as never }), TypeError, 'opts.newDh'],
    ['rekey: now NaN', (p, id) => p.a.rekey(id, Number.NaN), TypeError, 'now'],
    ['close: unknown association', (p) => p.a.close(999, p.now + 1), HipStateError, undefined],
    ['setLocalLocators: not an array', (p) => p.a.setLocalLocators('2001:db8::a' as never, p.now + 1), TypeError, 'locators'],
    ['setLocalLocators: locators[2] malformed (0 and 1 valid)', (p) => p.a.setLocalLocators([parseLocator('2001:db8::c'), parseLocator('2001:db8::d'), new Uint8Array(15)], p.now + 1), RangeError, 'locators[2]'],
    ['setLocalLocators: opts.rekey not boolean', (p) => p.a.setLocalLocators([parseLocator('2001:db8::c')], p.now + 1, { rekey: 1 as never }), TypeError, 'opts.rekey'],
    ['setLocalLocators: now missing', (p) => p.a.setLocalLocators([parseLocator('2001:db8::c')], undefined as never), TypeError, 'now'],
    ['addLocalLocator: not a locator', (p) => p.a.addLocalLocator({ address: new Uint8Array(2) }, p.now + 1), RangeError, 'locator[0].address'],
    ['removeLocalLocator: neither a locator nor { interface }', (p) => p.a.removeLocalLocator(null as never, p.now + 1), TypeError, 'which'],
    ['addSaPair: paths.local not 16 bytes', (p, id) => p.a.addSaPair(id, { local: new Uint8Array(1) }, p.now + 1), RangeError, 'paths.local'],
    ['addSaPair: paths.local not ours', (p, id) => p.a.addSaPair(id, { local: parseLocator('2001:db8::99') }, p.now + 1), HipStateError, undefined],
    ['addSaPair: paths.peer not 16 bytes', (p, id) => p.a.addSaPair(id, { local: p.a.localLocatorList()[0]!.address, peer: new Uint8Array(5) }, p.now + 1), RangeError, 'paths.peer'],
    ['pathFailed: peer not 16 bytes', (p, id) => p.a.pathFailed(id, new Uint8Array(0), p.now + 1), RangeError, 'peer'],
    ['pathFailed: unknown association', (p) => p.a.pathFailed(999, LOC_B, p.now + 1), HipStateError, undefined],
  ];
  for (const [what, call, error, field] of cases) {
    it(`${what}: ${error.name}${field ? ` naming "${field}"` : ''}, nothing changed`, () => {
      const { p, idA } = established();
      refuses(p.a, () => call(p, idA), error, field);
    });
  }
});

describe('handle(): malformed inputs from the caller throw TypeError naming the field', () => {
  const cases: [string, unknown, string][] = [
    ['an input of unknown kind', { kind: 'esp', bytes: new Uint8Array(8) }, 'input.kind'],
    ['an input without kind', { bytes: new Uint8Array(8) }, 'input.kind'],
    ['a packet object missing params', { kind: 'packet', src: LOC_B, dst: LOC_B, packet: { kind: 'UPDATE', code: 16, version: 2, controls: 0, senderHit: new Uint8Array(16), receiverHit: new Uint8Array(16) } }, 'input.packet.params'],
    ['a packet of unknown packet kind', { kind: 'packet', src: LOC_B, dst: LOC_B, packet: { kind: 'HELLO', controls: 0, senderHit: new Uint8Array(16), receiverHit: new Uint8Array(16), params: [] } }, 'input.packet.kind'],
    ['a packet whose params hold a non-object', { kind: 'packet', src: LOC_B, dst: LOC_B, packet: { kind: 'UPDATE', controls: 0, senderHit: new Uint8Array(16), receiverHit: new Uint8Array(16), params: [null] } }, 'input.packet.params[0]'],
    ['a datagram without bytes', { kind: 'datagram', src: LOC_B, dst: LOC_B }, 'input.bytes'],
    ['esp-seen with a string SPI', { kind: 'esp-seen', spi: '7', src: LOC_B, dst: LOC_B }, 'input.spi'],
    ['null', null, 'input'],
  ];
  for (const [what, input, field] of cases) {
    it(`${what}: TypeError naming "${field}", not HipInternalError`, () => {
      const { p } = established();
      refuses(p.a, () => p.a.handle(input as never, p.now + 1), TypeError, field);
    });
  }
});
