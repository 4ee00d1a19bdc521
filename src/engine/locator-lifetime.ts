// Locator lifetimes over time (RFC 8046 §4, §5.1): the lifetime we announced for our own
// locators is tracked and a fresh LOCATOR_SET goes out before it runs out; DEPRECATED entries of
// the peer locator table age out, and the table of one peer never holds more than
// config.maxPeerLocators entries however many UPDATEs arrive (RFC 8046 §6.2.2).
import type { Association } from './association.js';
import type { EngineCore } from './context.js';
import { LIFETIME_UNBOUNDED, ourLocatorSet, publicEntry } from './mobility.js';
import { established, sendSeqUpdate } from './update.js';

/**
 * The share of our announced lifetime after which we announce again: half, so that the
 * refreshing UPDATE has the other half for its retransmissions (RFC 7401 §6.11) before the peer
 * would see our addresses expire.
 */
const REFRESH_SHARE = 0.5;

/**
 * We just sent a LOCATOR_SET with config.locatorLifetimeS: the peer's copy expires that long
 * after it arrives, so the next announcement is due at half of it (RFC 8046 §5.1: a host keeps
 * state about the lifetimes of its own locators offered to the peer).
 */
export function noteAnnounced(core: EngineCore, assoc: Association): void {
  const life = core.config.locatorLifetimeS;
  if (life === LIFETIME_UNBOUNDED) return assoc.timers.clear('LOCATOR_REFRESH');
  assoc.timers.set('LOCATOR_REFRESH', core.now + Math.max(1, Math.floor(life * 1000 * REFRESH_SHARE)));
}

/**
 * LOCATOR_REFRESH fired: announce the current set again (RFC 8046 §5.2 case 1: ESP_INFO with
 * OLD = NEW, LOCATOR_SET, SEQ), unless an announcement is still being retransmitted, in which
 * case the refresh follows once it is over.
 */
export function refreshLocators(core: EngineCore, assoc: Association): void {
  const st = established(assoc);
  if (!st) return;
  if (st.update.pending.some((p) => p.purpose === 'locators')) {
    assoc.timers.set('LOCATOR_REFRESH', core.now + core.config.updateRetransmitMs);
    return;
  }
  const spi = st.sas[0]!.localSpi;
  const id = sendSeqUpdate(core, assoc, [{ kind: 'ESP_INFO', keymatIndex: 0, oldSpi: spi, newSpi: spi }, ourLocatorSet(core, assoc, st.sas)], 'locators', { trigger: 'rekey' });
  // Nothing could be sent (no locator of the peer's family right now): try again later.
  if (id < 0) assoc.timers.set('LOCATOR_REFRESH', core.now + core.config.updateRetransmitMs);
  else noteAnnounced(core, assoc);
}

/**
 * RFC 8046 §6.2.2 (a host SHOULD limit the locators it keeps per peer): DEPRECATED entries older
 * than config.deprecatedLocatorMs leave the table, and while the table holds more than
 * config.maxPeerLocators the oldest DEPRECATED ones go first. Returns whether any left.
 */
export function trimPeerLocators(core: EngineCore, assoc: Association): boolean {
  const table = assoc.peerLocators;
  const old = table.values().filter((e) => e.state === 'DEPRECATED' && e.deprecatedAt !== undefined && core.now - e.deprecatedAt >= core.config.deprecatedLocatorMs);
  const over = table.size - old.length - core.config.maxPeerLocators;
  const byAge = over > 0 ? table.values().filter((e) => e.state === 'DEPRECATED' && !old.includes(e)).sort((a, b) => (a.deprecatedAt ?? 0) - (b.deprecatedAt ?? 0)) : [];
  const gone = [...old, ...byAge.slice(0, Math.max(0, over))];
  for (const e of gone) {
    table.delete(e.key);
    core.emit({ kind: 'locator', op: 'remove', peer: assoc.peerHit, entry: publicEntry(e) });
  }
  return gone.length > 0;
}

/** When the next DEPRECATED entry ages out (Infinity when none will). */
export function nextAgeOut(core: EngineCore, assoc: Association): number {
  let next = Infinity;
  for (const e of assoc.peerLocators.values()) {
    if (e.state === 'DEPRECATED' && e.deprecatedAt !== undefined) next = Math.min(next, e.deprecatedAt + core.config.deprecatedLocatorMs);
  }
  return next;
}
