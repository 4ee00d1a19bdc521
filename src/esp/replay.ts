// Anti-replay window of RFC 4303 §3.4.3 for 32-bit sequence numbers (no ESN).
//
// The bitmap is a ring of 32-bit words indexed by `seq >>> 5`, one word larger than the window
// needs, so the window slides by clearing whole words instead of shifting bits (the technique of
// RFC 6479). `check` is the cheap pre-ICV test; `update` runs only after the ICV verified.

/**
 * The anti-replay check of a sequence number (RFC 4303 §3.4.3): new, seen before, or left of the
 * window.
 */
export type ReplayVerdict = 'ok' | 'replay' | 'too-old';

/**
 * The anti-replay window of one inbound SA (RFC 4303 §3.4.3, 32-bit sequence numbers). `check`
 * before the ICV, `update` only after the ICV verified, so a forged packet cannot move the window.
 */
export class ReplayWindow {
  /** Window size in packets; 0 means anti-replay is disabled. */
  readonly size: number;
  /** Highest authenticated sequence number (0 before the first packet). */
  top = 0;
  readonly #bits: Uint32Array;
  readonly #words: number;

  constructor(size: number) {
    this.size = size;
    this.#words = size === 0 ? 0 : Math.ceil(size / 32) + 1;
    this.#bits = new Uint32Array(this.#words);
  }

  /** Would `seq` be accepted? Does not change state. */
  check(seq: number): ReplayVerdict {
    if (this.size === 0) return 'ok';
    if (seq === 0) return 'too-old'; // never sent: the first packet carries 1 (RFC 4303 §3.3.3)
    if (seq > this.top) return 'ok';
    if (this.top - seq >= this.size) return 'too-old';
    const w = (seq >>> 5) % this.#words;
    return (this.#bits[w]! >>> (seq & 31)) & 1 ? 'replay' : 'ok';
  }

  /** Records an authenticated `seq` (which `check` accepted), sliding the window if needed. */
  update(seq: number): void {
    if (this.size === 0) {
      if (seq > this.top) this.top = seq;
      return;
    }
    const words = this.#words;
    if (seq > this.top) {
      const from = (this.top >>> 5) + 1;
      const to = seq >>> 5;
      if (to - from + 1 >= words) this.#bits.fill(0);
      else for (let i = from; i <= to; i++) this.#bits[i % words] = 0;
      this.top = seq;
    }
    const w = (seq >>> 5) % words;
    this.#bits[w] = this.#bits[w]! | (1 << (seq & 31));
  }
}
