// NAT keepalives (RFC 9028 §4.10, §5.3): an established association over UDP sends NOTIFY
// NAT_KEEPALIVE (empty data, signed) when nothing else of ours went out on its UDP ports for
// Tr = config.natKeepaliveMs, so the NATs on the path keep its mapping. One timer per UDP
// association in the engine's timer queue; the handler is O(1) and re-arms from the last packet
// we sent, so an association that sends anyway never sends a keepalive.
//
// What we send is what the engine sees: its own HIP packets. Outgoing ESP goes through the data
// plane, which reports only what it receives, so during an ESP flow one keepalive still leaves
// every Tr (RFC 9028 §5.3 "SHOULD be omitted": a NOTIFY per 15 s is the cost of not knowing).
// Keepalives are not activity for the Unused Association Lifetime (RFC 7401 §4.4.3 Table 6):
// an association that nothing else uses still closes after UAL.
import { NOTIFY_TYPE } from '../wire/notify.js';
import type { Association } from './association.js';
import type { EngineCore } from './context.js';
import { buildPacket, emitTransmit } from './packets.js';

/** Arms the keepalive of an association that became ESTABLISHED, if it runs over UDP. */
export function armKeepalive(core: EngineCore, assoc: Association): void {
  if (!assoc.udp) return;
  assoc.timers.set('NAT_KEEPALIVE', (assoc.udpSentAt ?? core.now) + core.config.natKeepaliveMs);
}

/** The NAT_KEEPALIVE timer fired: send one unless something else went out within Tr, then re-arm. */
export function onKeepaliveTimer(core: EngineCore, assoc: Association): void {
  if (assoc.state.name !== 'ESTABLISHED' || !assoc.udp) return;
  const tr = core.config.natKeepaliveMs;
  const due = (assoc.udpSentAt ?? -Infinity) + tr;
  if (due > core.now) {
    assoc.timers.set('NAT_KEEPALIVE', due);
    return;
  }
  // RFC 9028 §5.3: "HIP NOTIFY packets ... with the Notify message type field set to
  // NAT_KEEPALIVE (16385) and with an empty Notification data field". Our own timer, not a reply
  // to remote input: not under the NOTIFY rate limit of RFC 7401 §5.3.6.
  sendNatNotify(core, assoc, NOTIFY_TYPE.NAT_KEEPALIVE);
  assoc.timers.set('NAT_KEEPALIVE', core.now + tr);
}

/**
 * A signed NOTIFY with empty data to the peer on the association's current path: the
 * NAT_KEEPALIVE (RFC 9028 §5.3) and CONNECTIVITY_CHECKS_FAILED (§4.6.3, §5.10) messages.
 */
export function sendNatNotify(core: EngineCore, assoc: Association, messageType: number): void {
  const built = buildPacket(
    core,
    { kind: 'NOTIFY', senderHit: assoc.localHit, receiverHit: assoc.peerHit },
    [{ kind: 'NOTIFICATION', messageType, data: new Uint8Array(0) }],
    { sign: assoc.local },
    assoc.localLocator,
    assoc.peerLocator,
  );
  emitTransmit(core, built.bytes, built.packet, assoc.localLocator, assoc.peerLocator, assoc);
}
