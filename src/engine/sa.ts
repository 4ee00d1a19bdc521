// SA outputs (RFC 7402 §3, §6): an SaPair becomes an inbound and an outbound SaSpec for the
// caller's ESP data plane. The inbound SA is always emitted before any packet that announces its
// SPI (docs/architecture.md, The driving contract), which the handlers guarantee by calling this before `send`.
import type { DirectionKeys } from '../crypto/keymat.js';
import type { SaSpec, UdpPorts } from '../types.js';
import type { Association } from './association.js';
import type { EngineCore } from './context.js';
import type { SaPair } from './states.js';

export function saSpec(assoc: Association, sa: SaPair, dir: 'in' | 'out', keys: DirectionKeys): SaSpec {
  const udp = espUdp(assoc, sa, dir);
  const spec: SaSpec = dir === 'in'
    ? {
        spi: sa.localSpi,
        direction: 'in',
        localHit: assoc.localHit,
        peerHit: assoc.peerHit,
        src: sa.peerLocator,
        dst: sa.localLocator,
        suite: sa.suite,
        encKey: keys.encKey,
        authKey: keys.authKey,
      }
    : {
        spi: sa.peerSpi,
        direction: 'out',
        localHit: assoc.localHit,
        peerHit: assoc.peerHit,
        src: sa.localLocator,
        dst: sa.peerLocator,
        suite: sa.suite,
        encKey: keys.encKey,
        authKey: keys.authKey,
        ...(sa.creditLimited ? { creditLimited: true } : {}),
        ...(sa.preferred ? { preferred: true } : {}),
      };
  return udp ? { ...spec, udp } : spec;
}

/**
 * ESP of an association that runs over UDP is UDP-encapsulated, on the ports of its HIP packets
 * (RFC 9028 §5.11: "When two peers perform a UDP-encapsulated base exchange, they MUST define a
 * pair of IPsec SAs that produces UDP-encapsulated ESP data traffic"; §5.1: one port for both).
 */
function espUdp(assoc: Association, sa: SaPair, dir: 'in' | 'out'): UdpPorts | undefined {
  if (!assoc.udp) return undefined;
  const peerPort = assoc.peerLocators.byLocator(sa.peerLocator)?.port ?? assoc.udp.peerPort;
  return dir === 'out' ? { srcPort: assoc.udp.localPort, dstPort: peerPort } : { srcPort: peerPort, dstPort: assoc.udp.localPort };
}

/** Emits `add` for the inbound and/or outbound SA of a pair and remembers them for deletion. */
export function installSaPair(core: EngineCore, assoc: Association, sa: SaPair, keys: { in: DirectionKeys; out: DirectionKeys }, which: 'both' | 'in' | 'out' = 'both'): void {
  if (which !== 'out') addSa(core, assoc, saSpec(assoc, sa, 'in', keys.in));
  if (which !== 'in') addSa(core, assoc, saSpec(assoc, sa, 'out', keys.out));
}

const NO_KEY = new Uint8Array(0);

export function addSa(core: EngineCore, assoc: Association, spec: SaSpec): void {
  // Kept for the later `delete` output, without the keys: the data plane deletes by SPI and
  // direction, and an idle association should not hold a second copy of its ESP keys.
  assoc.installed.push({ ...spec, encKey: NO_KEY, authKey: NO_KEY });
  if (spec.direction === 'in') core.bindSpi(spec.spi, assoc);
  else core.bindOutboundSpi(spec.spi, assoc);
  core.emit({ kind: 'sa', op: 'add', sa: spec });
}

export function deleteSa(core: EngineCore, assoc: Association, direction: 'in' | 'out', spi: number): void {
  const i = assoc.installed.findIndex((s) => s.direction === direction && s.spi === spi);
  if (i < 0) return;
  const spec = assoc.installed[i]!;
  assoc.installed.splice(i, 1);
  if (direction === 'in') core.unbindSpi(spi);
  else core.unbindOutboundSpi(spi, assoc);
  core.emit({ kind: 'sa', op: 'delete', sa: spec });
}

/** An SA pair moved to other locators (or its credit limit changed): `update` both directions. */
export function updateSa(core: EngineCore, assoc: Association, sa: SaPair): void {
  for (const dir of ['in', 'out'] as const) {
    const spi = dir === 'in' ? sa.localSpi : sa.peerSpi;
    const i = assoc.installed.findIndex((s) => s.direction === dir && s.spi === spi);
    if (i < 0) continue;
    const spec = { ...saSpec(assoc, sa, dir, { encKey: NO_KEY, authKey: NO_KEY }) };
    assoc.installed[i] = spec;
    core.emit({ kind: 'sa', op: 'update', sa: spec });
  }
}

/** RFC 7402 §6.7: when a HIP association is dropped, its ESP SAs go with it. */
export function removeAllSas(core: EngineCore, assoc: Association): void {
  for (const spec of [...assoc.installed]) deleteSa(core, assoc, spec.direction, spec.spi);
}
