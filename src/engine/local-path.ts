// Local path failures as data-plane feedback (RFC 8047 §4.2.3 fault tolerance): the caller says
// that sending from one of our locators to a peer locator fails (interface down, ICMP
// unreachable, a send error). The association stops sending from that locator, announces
// another of ours as preferred (the locator "on which the host prefers to receive traffic"),
// and when it has no other locator of that family it treats the peer address as failing instead.
import { locatorFamily, locatorKey } from '../addr/locator.js';
import type { Locator } from '../types.js';
import { equalBytes } from '../util/bytes.js';
import type { Association } from './association.js';
import type { EngineCore } from './context.js';
import { noteAnnounced } from './locator-lifetime.js';
import { onPathFailed, ourLocatorSet, sourceLocators, type TrafficUse } from './mobility.js';
import { updateSa } from './sa.js';
import type { SaPair } from './states.js';
import { established, sendSeqUpdate, setUpdate } from './update.js';

/** The `path-error` input: move off `local` toward `remote`, announce, or fall back to another peer address. */
export function onLocalPathFailed(core: EngineCore, assoc: Association, local: Locator, remote: Locator): void {
  const st = established(assoc);
  if (!st) return;
  const failed = (assoc.failedLocals ??= new Set<string>());
  failed.add(locatorKey(local));
  const family = locatorFamily(remote);
  // ESP moves to a locator that may carry data, control traffic to one that may carry
  // signalling (RFC 8046 §4.1).
  const other = (use: TrafficUse): Locator | undefined => sourceLocators(core, use, assoc.peerLocator).find((l) => locatorFamily(l) === family && !failed.has(locatorKey(l)));
  const alt = other('data');
  const altControl = other('signalling');
  // Nothing else of ours reaches that family: the fault may be on the peer's side of the path.
  if (!alt && !altControl) return onPathFailed(core, assoc, remote);
  let moved = false;
  const sas = st.sas.map((sa): SaPair => {
    if (!alt || !equalBytes(sa.localLocator, local)) return sa;
    moved = true;
    const next: SaPair = { ...sa, localLocator: alt };
    updateSa(core, assoc, next);
    return next;
  });
  if (moved) setUpdate(assoc, 'recv-UPDATE', {}, sas);
  if (altControl && equalBytes(assoc.localLocator, local)) assoc.localLocator = altControl;
  if (!moved && !(altControl && equalBytes(assoc.localLocator, altControl))) return;
  // RFC 8047 §4.2.3: tell the peer which locator we now prefer to receive on (the failing one
  // loses its P bit, ourLocatorSet), from the working locator: UPDATE(ESP_INFO, LOCATOR_SET, SEQ).
  const now = established(assoc)!;
  const spi = now.sas[0]!.localSpi;
  sendSeqUpdate(core, assoc, [{ kind: 'ESP_INFO', keymatIndex: 0, oldSpi: spi, newSpi: spi }, ourLocatorSet(core, assoc, now.sas)], 'locators', { src: altControl ?? assoc.localLocator, trigger: 'rekey' });
  noteAnnounced(core, assoc);
}

/**
 * The P bits of our announcement with failing locators demoted: a preferred locator that is
 * failing hands the bit to the first working one of its family (RFC 8047 §4.2.3).
 */
export function demoteFailing<T extends { readonly locator: Locator; readonly preferred: boolean }>(assoc: Association, chosen: readonly T[]): T[] {
  const failed = assoc.failedLocals;
  if (!failed || failed.size === 0) return [...chosen];
  const bad = (l: Locator): boolean => failed.has(locatorKey(l));
  const out = chosen.map((c) => (c.preferred && bad(c.locator) ? { ...c, preferred: false } : c));
  for (const c of chosen) {
    if (!c.preferred || !bad(c.locator)) continue;
    const family = locatorFamily(c.locator);
    if (out.some((o) => o.preferred && locatorFamily(o.locator) === family)) continue;
    const i = out.findIndex((o) => locatorFamily(o.locator) === family && !bad(o.locator));
    if (i >= 0) out[i] = { ...out[i]!, preferred: true };
  }
  return out;
}
