// The reference driver (docs/architecture.md, Drivers): the thin imperative shell around a HipEngine. It follows
// the engine's driving contract (docs/architecture.md, The driving contract) for every mutation:
//
//   1. perform exactly one mutation: handle(input), handleTimeout(now) or a command;
//   2. drain poll() until undefined, applying each output in order: transmit → socket.send,
//      sa → esp.addSa / esp.updateSa (or updateSaLocators) / esp.deleteSa, locator → the
//      locator sink, event → onEvent;
//   3. re-arm the ONE timer with pollTimeout() (scheduler.wakeAt replaces the previous one).
//
// Re-entrancy: an adapter may call back into the driver while a drain is running (a synchronous
// test network delivering a packet at once, an onEvent handler closing the association).
// Inputs that arrive then (datagrams, data-plane feedback, the timer) are queued and handled,
// each followed by its own drain, right after the current drain; commands (connect, rekey,
// close...) run at once and their outputs join the queue being drained, in order. The driver
// never awaits and never reads a clock other than `scheduler.now()`.
import type { ConnectPeer } from '../engine/engine.js';
import type { HipEngine } from '../engine/hip-engine.js';
import type { Input, Output } from '../engine/io.js';
import type { AssocId, Hit, Locator, Millis, UdpPorts } from '../types.js';
import { assertNever } from '../util/assert.js';
import type { DriverAdapters } from './adapters.js';

/** The engine surface the driver uses (a HipEngine, or a wrapper of one). */
export type DrivableEngine = Pick<HipEngine, 'handle' | 'handleTimeout' | 'poll' | 'pollTimeout' | 'connect' | 'rekey' | 'close' | 'setLocalLocators'>;

/** Data-plane feedback, as the `EspDataPlane` produces it with `pollFeedback()`. */
export type EspFeedbackInput = Extract<Input, { readonly kind: 'esp-seen' | 'esp-seq-exhausting' }>;

/** Anything with `pollFeedback()`, such as the `EspDataPlane` class. */
export type FeedbackSource = {
  /** The next queued feedback entry, or undefined when the queue is empty. */
  pollFeedback(): EspFeedbackInput | undefined;
};

/**
 * The peer to connect to: its HIT, the locators to send I1 to (RFC 7401 §4.1, or the address of
 * its rendezvous server, RFC 8004 §3.3), optionally which of our HITs to use and the registration
 * types to request in the I2 (RFC 8003 §3.2), and the peer's UDP port to run over UDP (RFC 9028
 * §5.1): what `HipEngine.connect` takes.
 */
export type PeerSpec = ConnectPeer;

/** Thrown by a command (connect, rekey, close, ...) on a driver after {@link Driver.dispose}. */
export class DriverDisposedError extends Error {
  /** Always 'DriverDisposedError'. */
  override readonly name = 'DriverDisposedError';
}

/**
 * The reference driver: the thin imperative shell that runs a `HipEngine` by the driving
 * contract (docs/architecture.md): one mutation, then drain `poll()` into the adapters in order,
 * then re-arm the single timer with `pollTimeout()`. It owns no I/O and reads no clock but
 * `scheduler.now()`; {@link createDriver} makes one.
 */
export class Driver<E extends DrivableEngine = HipEngine> {
  /** The engine the driver runs. */
  readonly engine: E;
  readonly #a: DriverAdapters;
  readonly #pending: (() => void)[] = [];
  #busy = false;
  #disposed = false;
  /** The deadline last given to scheduler.wakeAt, undefined when none is armed. */
  #armed: Millis | undefined;
  readonly #onTimer = (): void => this.onTimer();

  constructor(engine: E, adapters: DriverAdapters) {
    if (typeof engine !== 'object' || engine === null || typeof engine.poll !== 'function') throw new TypeError('"engine" expected a HipEngine');
    if (typeof adapters !== 'object' || adapters === null) throw new TypeError('"adapters" expected object');
    if (typeof adapters.socket?.send !== 'function') throw new TypeError('"adapters.socket" expected a DatagramSocket with send()');
    if (typeof adapters.scheduler?.now !== 'function' || typeof adapters.scheduler.wakeAt !== 'function') {
      throw new TypeError('"adapters.scheduler" expected a Scheduler with now() and wakeAt()');
    }
    this.engine = engine;
    this.#a = adapters;
  }

  /** The deadline of the armed timer (what pollTimeout() said after the last drain). */
  get armedAt(): Millis | undefined {
    return this.#armed;
  }

  /**
   * True after {@link Driver.dispose}: inputs are ignored and commands throw
   * {@link DriverDisposedError}.
   */
  get disposed(): boolean {
    return this.#disposed;
  }

  // ---- inputs -----------------------------------------------------------------------------------

  /**
   * A HIP packet arrived: `bytes` after the IP header (protocol 139), or after the RFC 9028 zero
   * marker with `transport` 'udp' (the HIP checksum is then zero and not checked) and the UDP
   * ports it came with (absent: 10500, RFC 9028 §5.1).
   */
  onDatagram(bytes: Uint8Array, src: Locator, dst: Locator, transport: 'ip' | 'udp' = 'ip', udp?: UdpPorts): void {
    if (transport === 'udp' && udp !== undefined) this.handle({ kind: 'datagram', bytes, src, dst, transport, srcPort: udp.srcPort, dstPort: udp.dstPort });
    else this.handle({ kind: 'datagram', bytes, src, dst, transport });
  }

  /** Data-plane feedback: `esp-seen` (an authenticated ESP packet) or `esp-seq-exhausting`. */
  onEspFeedback(input: EspFeedbackInput): void {
    this.handle(input);
  }

  /** Feeds every queued feedback entry of a data plane to the engine, one mutation each. */
  pullFeedback(source: FeedbackSource): void {
    for (let f = source.pollFeedback(); f !== undefined; f = source.pollFeedback()) this.onEspFeedback(f);
  }

  /** Any engine input. */
  handle(input: Input): void {
    this.#input(() => this.engine.handle(input, this.#a.scheduler.now()));
  }

  /** The timer callback given to `scheduler.wakeAt`; a spurious (early) call is harmless. */
  onTimer(): void {
    // The scheduler's timer is spent: whatever the drain leaves must be armed again.
    this.#armed = undefined;
    this.#input(() => this.engine.handleTimeout(this.#a.scheduler.now()));
  }

  // ---- commands ---------------------------------------------------------------------------------

  /** engine.connect, then drain and re-arm. */
  connect(peer: PeerSpec): AssocId {
    return this.mutate((e, now) => e.connect(peer, now));
  }

  /**
   * engine.rekey (an UPDATE with new ESP_INFO, RFC 7402 §6.9; with `newDh` also a new DH key), then
   * drain and re-arm.
   */
  rekey(id: AssocId, opts: { readonly newDh?: boolean } = {}): void {
    this.mutate((e, now) => e.rekey(id, now, opts));
  }

  /** engine.close (CLOSE, RFC 7401 §5.3.7), then drain and re-arm. */
  close(id: AssocId): void {
    this.mutate((e, now) => e.close(id, now));
  }

  /**
   * engine.setLocalLocators (a readdressing UPDATE to every peer, RFC 8046 §5.3), then drain and
   * re-arm.
   */
  setLocalLocators(locators: readonly Locator[]): void {
    this.mutate((e, now) => e.setLocalLocators(locators, now));
  }

  /**
   * Runs one mutation of the caller's choice with the scheduler's `now`, then drains and
   * re-arms; returns what `fn` returned. Caller errors thrown by the engine propagate.
   */
  mutate<T>(fn: (engine: E, now: Millis) => T): T {
    if (this.#disposed) throw new DriverDisposedError('the driver is disposed');
    if (this.#busy) return fn(this.engine, this.#a.scheduler.now());
    let result: T | undefined;
    let ran = false;
    this.#run(() => {
      result = fn(this.engine, this.#a.scheduler.now());
      ran = true;
    });
    if (!ran) throw new DriverDisposedError('the driver is disposed');
    return result as T;
  }

  /** Disarms the timer and ignores every later input (commands throw). Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#pending.length = 0;
    if (this.#armed !== undefined) {
      this.#armed = undefined;
      this.#a.scheduler.wakeAt(undefined, this.#onTimer);
    }
  }

  // ---- the loop ---------------------------------------------------------------------------------

  #input(mutation: () => void): void {
    if (this.#disposed) return;
    if (this.#busy) {
      this.#pending.push(mutation);
      return;
    }
    this.#run(mutation);
  }

  #run(mutation: () => void): void {
    if (this.#disposed) return;
    this.#busy = true;
    try {
      mutation();
      this.#drain();
      for (let next = this.#pending.shift(); next !== undefined && !this.#disposed; next = this.#pending.shift()) {
        next();
        this.#drain();
      }
    } finally {
      this.#busy = false;
      this.#rearm();
    }
  }

  #drain(): void {
    for (let out = this.engine.poll(); out !== undefined; out = this.engine.poll()) {
      this.#apply(out);
      if (this.#disposed) return;
    }
  }

  #apply(out: Output): void {
    const a = this.#a;
    a.onOutput?.(out, a.scheduler.now());
    switch (out.kind) {
      case 'transmit':
        if (out.udp === undefined) a.socket.send(out.src, out.dst, out.bytes, out.packet);
        else a.socket.send(out.src, out.dst, out.bytes, out.packet, out.udp);
        return;
      case 'sa': {
        const esp = a.esp;
        if (esp === undefined) return;
        const sa = out.sa;
        const op = out.op;
        switch (op) {
          case 'add':
            return esp.addSa(sa);
          case 'delete':
            return esp.deleteSa(sa.spi, sa.direction, sa.peerHit);
          case 'update':
            if (esp.updateSa !== undefined) return esp.updateSa(sa);
            if (sa.direction === 'out') esp.updateSaLocators?.(sa.spi, sa.src, sa.dst, sa.peerHit);
            return;
          default:
            return assertNever(op, 'sa op');
        }
      }
      case 'locator':
        if (a.locators === undefined) return;
        if (out.op === 'upsert') a.locators.upsert(out.peer, out.entry);
        else a.locators.remove(out.peer, out.entry);
        return;
      case 'event':
        a.onEvent?.(out.event);
        return;
      default:
        return assertNever(out, 'output kind');
    }
  }

  #rearm(): void {
    if (this.#disposed) return;
    const next = this.engine.pollTimeout();
    if (next === this.#armed) return;
    this.#armed = next;
    this.#a.scheduler.wakeAt(next, this.#onTimer);
  }
}

/** A driver for `engine` wired to `adapters` (docs/architecture.md, Drivers). */
export function createDriver<E extends DrivableEngine = HipEngine>(engine: E, adapters: DriverAdapters): Driver<E> {
  return new Driver(engine, adapters);
}
