// Address checks under a budget (RFC 8046 §5.4, §6.2.1; RFC 4225): every new peer address is
// verified, but one peer never has more than config.maxOutstandingChecks checks under way, the
// rest wait in the queue (UNVERIFIED entries with no check), and each address gets at most
// config.maxChecksPerAddress check packets. So an authenticated peer that names addresses which
// never answer (a victim's) can make us send a bounded number of packets per UPDATE.
import type { Association } from './association.js';
import type { EngineCore } from './context.js';
import { pathTo, sendCheck, type PeerLocatorEntry } from './mobility.js';
import type { PendingUpdate } from './states.js';
import { established } from './update.js';

/** Checks of this peer's addresses under way (UPDATEs carrying one of our ECHO_REQUESTs). */
export function outstandingChecks(assoc: Association): number {
  return established(assoc)?.update.pending.filter((p) => p.verify !== undefined).length ?? 0;
}

/** Whether a check of `key` is under way. */
export function checkUnderWay(assoc: Association, key: string): boolean {
  return established(assoc)?.update.pending.some((p) => p.verify?.locatorKey === key) ?? false;
}

/**
 * How many retransmissions an UPDATE gets: an address check stops after
 * config.maxChecksPerAddress packets in all; anything else after config.updateRetriesMax.
 */
export function retriesFor(core: EngineCore, p: PendingUpdate): number {
  return p.purpose === 'verify' ? Math.min(core.config.updateRetriesMax, core.config.maxChecksPerAddress - 1) : core.config.updateRetriesMax;
}

/** Room for more checks of this peer now. */
export function checkRoom(core: EngineCore, assoc: Association): number {
  return Math.max(0, core.config.maxOutstandingChecks - outstandingChecks(assoc));
}

/**
 * Starts queued checks while the budget allows: UNVERIFIED addresses with no check under way and
 * a local locator of their family, the preferred first (RFC 8046 §5.5 switches to it once it is
 * verified). Called whenever a check may have completed. O(table size), never O(associations).
 */
export function pumpChecks(core: EngineCore, assoc: Association): void {
  const st = established(assoc);
  if (!st) return;
  let room = checkRoom(core, assoc);
  if (room === 0) return;
  // Queued: no nonce issued in this round. An entry whose check was ACKed without our nonce keeps
  // it and is not checked again until a new LOCATOR_SET names it (the peer answered, wrongly).
  // Type 2 candidates are verified by connectivity checks (RFC 9028 §4.6), not by this check.
  const queued = assoc.peerLocators.values().filter((e) => e.state === 'UNVERIFIED' && e.type !== 2 && e.nonce === undefined && !checkUnderWay(assoc, e.key) && pathTo(core, assoc, e.locator) !== undefined);
  const order = (e: PeerLocatorEntry): number => (e.preferred ? 0 : 1);
  for (const e of [...queued].sort((a, b) => order(a) - order(b))) {
    if (room-- === 0) return;
    e.nonce = core.random(16);
    sendCheck(core, assoc, { nonce: e.nonce, locator: e.locator, key: e.key });
  }
}
