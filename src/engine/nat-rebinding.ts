// NAT rebinding of the peer's UDP port (RFC 9028 §4.8, §5.1, §5.11): a NAT in front of the peer
// may give its mapping a new public port (the old one timed out, the NAT restarted). Replies and
// ESP must then go to the port the peer's packets come from now, or the NAT drops them. The
// engine follows the port on evidence that is both authenticated and fresh:
//   - esp-seen with `udp`: the data plane authenticated the ESP packet and passed it through its
//     anti-replay window (RFC 4303 §3.4.3), so a copy replayed from another port does not count;
//   - an UPDATE whose HIP_MAC and signature verify and that is new: a SEQ later than any seen
//     before (not one that arrives late, out of order, from before the rebinding), or an ACK of
//     an UPDATE of ours still outstanding (RFC 7401 §6.12.1).
// A NOTIFY (a keepalive) can be replayed from any port and moves nothing. Only the port of an
// address the peer already uses moves here; a new address is a new locator, verified under the
// rules of RFC 8046 §5.4 before it carries traffic. O(SA pairs) per change, nothing otherwise.
import { equalBytes } from '../util/bytes.js';
import type { Locator } from '../types.js';
import type { Association } from './association.js';
import type { EngineCore } from './context.js';
import { publicEntry } from './mobility.js';
import { updateSa } from './sa.js';
import { established } from './update.js';

/** The peer's fresh, authenticated packet came from `src`, UDP source port `port`. */
export function notePeerPort(core: EngineCore, assoc: Association, src: Locator, port: number | undefined): void {
  const udp = assoc.udp;
  if (!udp || port === undefined) return;
  const st = established(assoc);
  if (!st) return;
  const entry = assoc.peerLocators.byLocator(src);
  if (entry?.port !== undefined) {
    // A type 2 locator with its own port (RFC 9028 §5.7).
    if (entry.port === port || entry.state !== 'ACTIVE') return;
    entry.port = port;
    core.emit({ kind: 'locator', op: 'upsert', peer: assoc.peerHit, entry: publicEntry(entry) });
  } else {
    // The association's own port: the address must be the one in use, or an ACTIVE one of the table.
    if (udp.peerPort === port) return;
    if (!equalBytes(src, assoc.peerLocator) && entry?.state !== 'ACTIVE') return;
    udp.peerPort = port;
  }
  for (const sa of st.sas) {
    const e = assoc.peerLocators.byLocator(sa.peerLocator);
    const uses = entry?.port !== undefined ? e === entry : e?.port === undefined;
    if (uses) updateSa(core, assoc, sa);
  }
}
