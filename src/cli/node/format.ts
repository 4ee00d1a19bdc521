// Small text helpers shared by the CLI commands.
import { formatHit } from '../../addr/hit.js';
import { formatLocator, isIpv4Mapped } from '../../addr/locator.js';
import type { HipEvent } from '../../engine/io.js';
import { suiteInfo } from '../../esp/suites.js';
import type { Hit } from '../../types.js';

export function spiHex(spi: number): string {
  return `0x${(spi >>> 0).toString(16).padStart(8, '0')}`;
}

export function suiteName(suite: number): string {
  return suiteInfo(suite)?.name ?? `suite ${suite}`;
}

/** Milliseconds with 3 decimals, right-aligned. */
export function ms(t: number, width = 9): string {
  return t.toFixed(3).padStart(width);
}

/** Application payload as text for a timeline: quoted, control characters escaped, truncated. */
export function payloadText(bytes: Uint8Array, max = 60): string {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  const q = JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
  return q;
}

/** One line for an engine event (no key material ever reaches events). */
export function eventText(e: HipEvent, peerName: (hit: Hit) => string = formatHit): string {
  switch (e.type) {
    case 'established':
      return `** established with ${peerName(e.peerHit)} as ${e.role} (association ${e.assoc})`;
    case 'update-completed':
      return `** update completed (${e.what}) on association ${e.assoc}`;
    case 'closed':
      return `** closed by ${e.by} (association ${e.assoc})`;
    case 'failed':
      return `** FAILED: ${e.reason} (association ${e.assoc})`;
    case 'notify':
      return `** NOTIFY type ${e.messageType}${e.authenticated ? ' (authenticated)' : ' (unauthenticated)'}`;
    case 'dropped':
      return `!! dropped${e.packetKind !== undefined ? ` ${e.packetKind}` : ''}: ${e.reason}${e.detail !== undefined ? ` (${e.detail})` : ''}`;
    case 'registered':
      return `** REGISTERED types ${e.regTypes.join(',')} for ${Math.round(e.lifetimeS)} s as ${e.as} with ${peerName(e.peerHit)} (association ${e.assoc})`;
    case 'registration-failed':
      return `** REGISTRATION FAILED types ${e.regTypes.join(',')}, failure type ${e.failureType} (association ${e.assoc})`;
    case 'registration-ended':
      return `** REGISTRATION ENDED types ${e.regTypes.join(',')} (${e.by}, association ${e.assoc})`;
    case 'server-reflexive':
      return `** SERVER-REFLEXIVE ${transportAddress(e.address, e.port)} (REG_FROM of ${peerName(e.peerHit)}, association ${e.assoc})${e.previous ? `, was ${transportAddress(e.previous.address, e.previous.port)}` : ''}`;
    case 'nat-path':
      return `** NAT-PATH ${transportAddress(e.src, e.srcPort)} -> ${transportAddress(e.dst, e.dstPort)} (the peer's ${e.kind} candidate, nominated; association ${e.assoc})`;
    case 'nat-checks-failed':
      return `** NAT-CHECKS-FAILED: no candidate pair works (association ${e.assoc})`;
    default:
      return '** event';
  }
}

/** A transport address as text: 192.0.2.1:10500 or [2001:db8::1]:10500. */
export function transportAddress(address: Uint8Array, port: number): string {
  return isIpv4Mapped(address) ? `${formatLocator(address)}:${port}` : `[${formatLocator(address)}]:${port}`;
}
