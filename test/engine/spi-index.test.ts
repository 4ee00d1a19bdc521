// engine/spi-index.ts: outbound SPIs are chosen by the peers (each peer's inbound SPI, RFC 7402
// §3.3.1), so two peers may pick the same value; the index must keep both and answer with the
// first-created association, as the scan it replaces did.
import { describe, expect, it } from 'vitest';
import type { Association } from '../../src/engine/association.js';
import { OutboundSpiIndex } from '../../src/engine/spi-index.js';

const assoc = (id: number): Association => ({ id }) as unknown as Association;

describe('OutboundSpiIndex', () => {
  it('one association per SPI: add, get, delete', () => {
    const x = new OutboundSpiIndex();
    const a = assoc(1);
    x.add(0x1234, a);
    expect(x.get(0x1234)).toBe(a);
    x.delete(0x1234, assoc(2)); // not the owner: no effect
    expect(x.get(0x1234)).toBe(a);
    x.delete(0x1234, a);
    expect(x.get(0x1234)).toBeUndefined();
  });

  it('colliding peers: the first-created association answers, and the next one after it goes', () => {
    const x = new OutboundSpiIndex();
    const [a1, a2, a3] = [assoc(1), assoc(2), assoc(3)];
    x.add(7, a3);
    x.add(7, a1);
    x.add(7, a2);
    x.add(7, a1); // the same pair twice is one entry
    expect(x.get(7)).toBe(a1);
    x.delete(7, a1);
    expect(x.get(7)).toBe(a2);
    x.delete(7, a2);
    expect(x.get(7)).toBe(a3);
    x.delete(7, a3);
    expect(x.get(7)).toBeUndefined();
  });
});
