import { expect } from 'vitest';
import type { Pair } from './pair.js';
import { toHex } from '../../src/util/bytes.js';

/** Every inbound SA of one side is an outbound SA of the other with the same keys and suite. */
export function expectSasCrossed(p: Pair): void {
  const a = [...p.sas.a.values()];
  const b = [...p.sas.b.values()];
  expect(a.length).toBeGreaterThan(0);
  expect(a.length).toBe(b.length);
  for (const sa of a) {
    const other = b.find((x) => x.spi === sa.spi && x.direction !== sa.direction);
    expect(other, `SPI ${sa.spi} (${sa.direction}) has no counterpart`).toBeDefined();
    expect(toHex(other!.encKey)).toBe(toHex(sa.encKey));
    expect(toHex(other!.authKey)).toBe(toHex(sa.authKey));
    expect(other!.suite).toBe(sa.suite);
    expect(toHex(other!.src)).toBe(toHex(sa.src));
    expect(toHex(other!.dst)).toBe(toHex(sa.dst));
  }
}

export function dropsOf(p: Pair, side: 'a' | 'b'): string[] {
  return p.events(side).flatMap((e) => (e.type === 'dropped' ? [e.reason] : []));
}
