// Typed accessors over a packet's parameters (docs/architecture.md, Codec).
import type { HipParam, ParamKind, ParamOf } from './types.js';

type HasParams = { readonly params: readonly HipParam[] };

/** The first parameter of `kind`, typed, or undefined: `param(pkt, 'ESP_INFO')?.newSpi`. */
export function param<K extends ParamKind>(packet: HasParams, kind: K): ParamOf<K> | undefined {
  const ps = packet.params;
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i]!;
    if (p.kind === kind) return p as ParamOf<K>;
  }
  return undefined;
}

/** Every parameter of `kind`, in packet order. */
export function params<K extends ParamKind>(packet: HasParams, kind: K): ParamOf<K>[] {
  const out: ParamOf<K>[] = [];
  for (const p of packet.params) if (p.kind === kind) out.push(p as ParamOf<K>);
  return out;
}

/** True when the packet carries a parameter of `kind`. */
export function hasParam(packet: HasParams, kind: ParamKind): boolean {
  return param(packet, kind) !== undefined;
}

/** Unknown parameters with the critical bit set (the engine answers them with NOTIFY, §5.2.1). */
export function unknownCriticalParams(packet: HasParams): ParamOf<'UNKNOWN'>[] {
  const out: ParamOf<'UNKNOWN'>[] = [];
  for (const p of packet.params) if (p.kind === 'UNKNOWN' && p.critical) out.push(p);
  return out;
}
