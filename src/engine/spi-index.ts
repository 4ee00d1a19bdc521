// Outbound SPIs to the associations that send on them. The peer chooses its inbound SPIs (our
// outbound ones, RFC 7402 §3.3.1), so two peers may pick the same value: an SPI normally maps to
// one association, and to a list, in creation order, only when peers collide. Lookups and
// updates are O(1) in the number of associations (O(c) for c colliding peers).
import type { Association } from './association.js';

export class OutboundSpiIndex {
  private readonly map = new Map<number, Association | Association[]>();

  /** The first-created association sending on `spi`. */
  get(spi: number): Association | undefined {
    const v = this.map.get(spi);
    return Array.isArray(v) ? v[0] : v;
  }

  add(spi: number, assoc: Association): void {
    const v = this.map.get(spi);
    if (v === undefined) this.map.set(spi, assoc);
    else if (Array.isArray(v)) {
      if (!v.includes(assoc)) insertByCreation(v, assoc);
    } else if (v !== assoc) this.map.set(spi, insertByCreation([v], assoc));
  }

  delete(spi: number, assoc: Association): void {
    const v = this.map.get(spi);
    if (v === assoc) this.map.delete(spi);
    else if (Array.isArray(v)) {
      const rest = v.filter((a) => a !== assoc);
      if (rest.length === 1) this.map.set(spi, rest[0]!);
      else if (rest.length === 0) this.map.delete(spi);
      else this.map.set(spi, rest);
    }
  }
}

function insertByCreation(list: Association[], assoc: Association): Association[] {
  const i = list.findIndex((a) => a.id > assoc.id);
  if (i < 0) list.push(assoc);
  else list.splice(i, 0, assoc);
  return list;
}
