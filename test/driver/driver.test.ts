// The reference driver (docs/architecture.md, Drivers) with fake adapters: two engines wired through fake sockets
// and one fake virtual-time scheduler. Checks the order in which outputs reach the adapters,
// that exactly one timer is armed (and re-armed) per driver, and that a spurious timer is harmless.
import { describe, expect, it } from 'vitest';
import { locatorKey, parseLocator } from '../../src/addr/locator.js';
import { importHostIdentity } from '../../src/crypto/host-id.js';
import { createDriver, Driver, DriverDisposedError, type DatagramSocket, type EspDataPlaneAdapter, type LocatorSink, type Scheduler } from '../../src/driver/index.js';
import { HipEngine } from '../../src/engine/hip-engine.js';
import type { HipEvent } from '../../src/engine/io.js';
import { EspDataPlane } from '../../src/esp/dataplane.js';
import type { Locator, Millis, SaSpec } from '../../src/types.js';
import { fixturePkcs8, testRandom } from '../fixtures/keys.js';

const LOC_A = parseLocator('2001:db8::a');
const LOC_B = parseLocator('2001:db8::b');
const spiHex = (spi: number): string => `0x${(spi >>> 0).toString(16).padStart(8, '0')}`;

/** One virtual clock shared by every fake scheduler; each scheduler holds at most one timer. */
class World {
  now = 0;
  readonly log: string[] = [];
  readonly wire: { at: number; seq: number; to: Host; bytes: Uint8Array; src: Locator; dst: Locator }[] = [];
  readonly hosts: Host[] = [];
  latency = 10;
  /** Returns true to drop the packet. */
  drop: (from: string, kind: string) => boolean = () => false;
  /** Deliver synchronously inside send() (re-entrancy test). */
  synchronous = false;
  private seq = 0;

  put(from: Host, kind: string, bytes: Uint8Array, src: Locator, dst: Locator): void {
    const to = this.hosts.find((h) => locatorKey(h.loc) === locatorKey(dst));
    if (!to || this.drop(from.name, kind)) return;
    if (this.synchronous) {
      to.driver.onDatagram(bytes, src, dst);
      return;
    }
    this.wire.push({ at: this.now + this.latency, seq: this.seq++, to, bytes, src, dst });
  }

  /** Next delivery or timer; false when nothing is left or past `until`. */
  step(until = Infinity): boolean {
    let best: { t: number; run: () => void } | undefined;
    for (const p of this.wire) {
      if (!best || p.at < best.t) {
        best = {
          t: p.at,
          run: () => {
            this.wire.splice(this.wire.indexOf(p), 1);
            p.to.driver.onDatagram(p.bytes, p.src, p.dst);
          },
        };
      }
    }
    for (const h of this.hosts) {
      const timer = h.scheduler.timer;
      if (timer && (!best || timer.at < best.t)) {
        best = {
          t: timer.at,
          run: () => {
            h.scheduler.timer = undefined;
            timer.cb();
          },
        };
      }
    }
    if (!best || best.t > until) return false;
    this.now = Math.max(this.now, best.t);
    best.run();
    return true;
  }

  runUntil(pred: () => boolean, until = 60_000): void {
    for (let i = 0; i < 10_000 && !pred(); i++) if (!this.step(until)) break;
    if (!pred()) throw new Error(`condition not met at t=${this.now}:\n${this.log.join('\n')}`);
  }
}

class FakeScheduler implements Scheduler {
  timer: { at: Millis; cb: () => void } | undefined;
  readonly arms: (Millis | undefined)[] = [];
  private readonly world: World;
  constructor(world: World) {
    this.world = world;
  }
  now(): Millis {
    return this.world.now;
  }
  wakeAt(at: Millis | undefined, cb: () => void): void {
    this.arms.push(at);
    this.timer = at === undefined ? undefined : { at, cb };
  }
}

class Host {
  readonly engine: HipEngine;
  readonly scheduler: FakeScheduler;
  readonly driver: Driver;
  readonly events: HipEvent[] = [];
  readonly sas = new Map<string, SaSpec>();
  onEvent: (e: HipEvent) => void = () => {};
  readonly name: string;
  readonly loc: Locator;

  constructor(world: World, name: string, loc: Locator, key: 'p256A' | 'p256B', esp?: EspDataPlane) {
    this.name = name;
    this.loc = loc;
    const log = (s: string): void => {
      world.log.push(`${name} ${s}`);
    };
    this.engine = new HipEngine({ identities: [importHostIdentity(fixturePkcs8(key))], locators: [loc], random: testRandom(`driver-${name}`) }, 0);
    this.scheduler = new FakeScheduler(world);
    const socket: DatagramSocket = {
      send: (src, dst, bytes, packet) => {
        log(`send ${packet.kind}`);
        world.put(this, packet.kind, bytes, src, dst);
      },
    };
    const espAdapter: EspDataPlaneAdapter = {
      addSa: (sa) => {
        log(`sa add ${sa.direction} ${spiHex(sa.spi)}`);
        this.sas.set(`${sa.direction}:${sa.spi}`, sa);
        esp?.addSa(sa);
      },
      deleteSa: (spi, direction, peerHit) => {
        log(`sa delete ${direction} ${spiHex(spi)}`);
        this.sas.delete(`${direction}:${spi}`);
        esp?.deleteSa(spi, direction, peerHit);
      },
    };
    const locators: LocatorSink = {
      upsert: (_peer, e) => log(`locator upsert ${e.state}`),
      remove: (_peer, e) => log(`locator remove ${e.state}`),
    };
    this.driver = createDriver(this.engine, {
      socket,
      scheduler: this.scheduler,
      esp: espAdapter,
      locators,
      onEvent: (e) => {
        log(`event ${e.type}`);
        this.events.push(e);
        this.onEvent(e);
      },
    });
    world.hosts.push(this);
  }

  get hit(): Uint8Array {
    return this.engine.localHits[0]!;
  }
  state(): string | undefined {
    return this.engine.associations()[0]?.state;
  }
}

function setup(opts: { espA?: EspDataPlane; espB?: EspDataPlane } = {}): { world: World; a: Host; b: Host } {
  const world = new World();
  const a = new Host(world, 'A', LOC_A, 'p256A', opts.espA);
  const b = new Host(world, 'B', LOC_B, 'p256B', opts.espB);
  return { world, a, b };
}

describe('createDriver with fake adapters', () => {
  it('completes a base exchange and applies outputs in the engine order (inbound SA before R2)', () => {
    const { world, a, b } = setup();
    a.driver.connect({ hit: b.hit, locators: [LOC_B] });
    world.runUntil(() => a.state() === 'ESTABLISHED');
    expect(b.state()).toBe('R2_SENT');

    const bLog = world.log.filter((l) => l.startsWith('B '));
    const r2 = bLog.indexOf('B send R2');
    const inAdd = bLog.findIndex((l) => l.startsWith('B sa add in '));
    const outAdd = bLog.findIndex((l) => l.startsWith('B sa add out '));
    expect(r2).toBeGreaterThan(0);
    expect(inAdd).toBeGreaterThanOrEqual(0);
    expect(inAdd).toBeLessThan(r2);
    expect(outAdd).toBeLessThan(r2);
    expect(bLog.slice(0, 2)).toEqual(['B send R1', expect.stringMatching(/^B sa add /)]);

    // The initiator installs its inbound SA before the I2 that announces its SPI, and its
    // outbound SA before it reports the association established.
    const aLog = world.log.filter((l) => l.startsWith('A ') && !l.startsWith('A locator')).map((l) => l.replace(/ 0x[0-9a-f]+$/, ''));
    expect(aLog).toEqual(['A send I1', 'A sa add in', 'A send I2', 'A sa add out', 'A event established']);
    // The peer's locator reached the sink (RFC 8046 §5.1 state ACTIVE once R2 arrived).
    expect(world.log).toContain('A locator upsert ACTIVE');
    // The SAs agree: A's outbound SPI is B's inbound SPI with the same keys.
    const aOut = [...a.sas.values()].find((s) => s.direction === 'out')!;
    const bIn = b.sas.get(`in:${aOut.spi}`)!;
    expect(bIn.encKey).toEqual(aOut.encKey);
    expect(a.events.map((e) => e.type)).toEqual(['established']);
  });

  it('keeps exactly one timer armed per driver, re-armed with pollTimeout() after every drain', () => {
    const { world, a, b } = setup();
    let i1s = 0;
    world.drop = (from, kind) => from === 'A' && kind === 'I1' && i1s++ === 0;
    a.driver.connect({ hit: b.hit, locators: [LOC_B] });
    // Connecting armed the I1 retransmission timer, once.
    expect(a.scheduler.arms).toEqual([a.engine.pollTimeout()]);
    expect(a.scheduler.timer?.at).toBe(1000);
    // No association on B yet: nothing armed there (no wakeAt call at all).
    expect(b.scheduler.arms).toEqual([]);

    const check = (): void => {
      for (const h of [a, b]) {
        expect(h.driver.armedAt).toBe(h.engine.pollTimeout());
        expect(h.scheduler.timer?.at).toBe(h.engine.pollTimeout());
      }
    };
    let guard = 0;
    while (a.state() !== 'ESTABLISHED' && guard++ < 100) {
      expect(world.step()).toBe(true);
      check();
    }
    expect(a.state()).toBe('ESTABLISHED');
    // The first I1 was lost; the timer fired at 1000 and its retransmission left in that drain.
    expect(world.log.filter((l) => l === 'A send I1')).toHaveLength(2);
    expect(world.now).toBeGreaterThanOrEqual(1000 + 40);
    // wakeAt was called only when the deadline changed.
    for (const arms of [a.scheduler.arms, b.scheduler.arms]) {
      for (let i = 1; i < arms.length; i++) expect(arms[i]).not.toBe(arms[i - 1]);
    }
  });

  it('treats a spurious (early) timer as harmless and arms the same deadline again', () => {
    const { world, a, b } = setup();
    a.driver.connect({ hit: b.hit, locators: [LOC_B] });
    world.wire.length = 0; // the I1 is lost
    const deadline = a.driver.armedAt!;
    const logBefore = world.log.length;
    world.now = deadline - 500;
    a.scheduler.timer = undefined; // the scheduler fired early (spent)
    a.driver.onTimer();
    const timer = (): { at: Millis } | undefined => a.scheduler.timer;
    expect(world.log.length).toBe(logBefore); // nothing sent, nothing installed
    expect(a.state()).toBe('I1_SENT');
    expect(a.driver.armedAt).toBe(deadline);
    expect(timer()?.at).toBe(deadline);
    // A second spurious call while the timer is still armed changes nothing either.
    const arms = a.scheduler.arms.length;
    a.driver.onTimer();
    expect(timer()?.at).toBe(deadline);
    expect(a.scheduler.arms.length).toBe(arms + 1);
    // At the deadline the retransmission goes out.
    world.now = deadline;
    a.driver.onTimer();
    expect(world.log.slice(logBefore)).toEqual(['A send I1']);
    expect(a.driver.armedAt).toBeGreaterThan(deadline);
  });

  it('handles re-entrant delivery (a synchronous network) without nesting drains', () => {
    const { world, a, b } = setup();
    world.synchronous = true;
    a.driver.connect({ hit: b.hit, locators: [LOC_B] });
    // The whole exchange ran inside connect(): each input queued behind the drain in progress.
    expect(a.state()).toBe('ESTABLISHED');
    expect(b.state()).toBe('R2_SENT');
    const bLog = world.log.filter((l) => l.startsWith('B '));
    expect(bLog.findIndex((l) => l.startsWith('B sa add in '))).toBeLessThan(bLog.indexOf('B send R2'));
    expect(world.log.map((l) => l.split(' ').slice(0, 3).join(' ')).filter((l) => / send /.test(l))).toEqual(['A send I1', 'B send R1', 'A send I2', 'B send R2']);
    expect(a.driver.armedAt).toBe(a.engine.pollTimeout());
    expect(b.driver.armedAt).toBe(b.engine.pollTimeout());
  });

  it('runs commands issued from an event handler inside the same drain (close on established)', () => {
    const { world, a, b } = setup();
    a.onEvent = (e) => {
      if (e.type === 'established') a.driver.close(e.assoc);
    };
    a.driver.connect({ hit: b.hit, locators: [LOC_B] });
    world.runUntil(() => a.events.some((e) => e.type === 'closed'));
    const aLog = world.log.filter((l) => l.startsWith('A '));
    const est = aLog.indexOf('A event established');
    // Closing removes the SAs first, then CLOSE leaves: all in the drain that reported established.
    expect(aLog.slice(est + 1, est + 4).map((l) => l.replace(/ 0x[0-9a-f]+$/, ''))).toEqual(['A sa delete in', 'A sa delete out', 'A send CLOSE']);
    expect(b.events.map((e) => e.type)).toContain('closed');
    expect(a.events.find((e) => e.type === 'closed')).toMatchObject({ by: 'local' });
  });

  it('works with the real EspDataPlane: data-plane feedback moves the responder to ESTABLISHED', () => {
    const espA = new EspDataPlane({ random: testRandom('esp-a') });
    const espB = new EspDataPlane({ random: testRandom('esp-b') });
    const { world, a, b } = setup({ espA, espB });
    a.driver.connect({ hit: b.hit, locators: [LOC_B] });
    world.runUntil(() => a.state() === 'ESTABLISHED');
    const sent = espA.protect(b.hit, new TextEncoder().encode('hello'));
    expect(sent.ok).toBe(true);
    if (!sent.ok) return;
    const got = espB.unprotect(sent.packet.bytes, sent.packet.src, sent.packet.dst);
    expect(got.ok && new TextDecoder().decode(got.payload)).toBe('hello');
    b.driver.pullFeedback(espB);
    expect(b.state()).toBe('ESTABLISHED');
    expect(b.events.map((e) => e.type)).toEqual(['established']);
    expect(b.driver.armedAt).toBe(b.engine.pollTimeout());
  });

  it('dispose() disarms the timer, ignores inputs and refuses commands', () => {
    const { world, a, b } = setup();
    a.driver.connect({ hit: b.hit, locators: [LOC_B] });
    expect(a.scheduler.timer).toBeDefined();
    a.driver.dispose();
    expect(a.scheduler.timer).toBeUndefined();
    expect(a.scheduler.arms.at(-1)).toBeUndefined();
    const n = world.log.length;
    world.now = 5000;
    a.driver.onTimer();
    expect(world.log.length).toBe(n);
    expect(() => a.driver.connect({ hit: b.hit, locators: [LOC_B] })).toThrow(DriverDisposedError);
    a.driver.dispose();
  });

  it('validates its adapters', () => {
    const world = new World();
    const engine = new HipEngine({ identities: [importHostIdentity(fixturePkcs8('p256A'))], locators: [LOC_A], random: testRandom('v') }, 0);
    expect(() => createDriver(engine, { scheduler: new FakeScheduler(world) } as never)).toThrow(TypeError);
    expect(() => createDriver(engine, { socket: { send: () => {} } } as never)).toThrow(TypeError);
  });
});
