// NOTIFY (RFC 7401 §5.3.6, §6.13): generated for the error cases the RFC names, rate-limited
// engine-wide; received NOTIFYs are reported as events and never change state.
import { verifySignature } from '../crypto/auth.js';
import type { HostIdentity } from '../crypto/host-id.js';
import type { Hit, Locator } from '../types.js';
import { param } from '../wire/access.js';
import type { HipPacket } from '../wire/types.js';
import type { Association } from './association.js';
import type { EngineCore } from './context.js';
import { notifyDataRoom } from './limits.js';
import { buildPacket, send } from './packets.js';
import { NOTIFY_TYPE } from '../wire/notify.js';

/** Sends NOTIFY(NOTIFICATION, HIP_SIGNATURE) unless the rate limit says no. */
export function sendNotify(
  core: EngineCore,
  local: HostIdentity,
  peerHit: Hit,
  messageType: number,
  data: Uint8Array,
  src: Locator,
  dst: Locator,
  assoc?: Association,
): void {
  if (!core.takeNotifyToken()) return;
  // Notification Data is informational (§5.2.19): what does not fit in one packet is cut off.
  const room = notifyDataRoom(local);
  if (data.length > room) data = data.subarray(0, room);
  const built = buildPacket(
    core,
    { kind: 'NOTIFY', senderHit: local.hit, receiverHit: peerHit },
    [{ kind: 'NOTIFICATION', messageType, data }],
    { sign: local },
    src,
    dst,
  );
  send(core, built, src, dst, assoc);
}

/** A NOTIFY arrived: verify it if we know the sender's Host Identity, then report it. */
export function onNotify(core: EngineCore, assoc: Association | undefined, pkt: HipPacket, src: Locator): void {
  const n = param(pkt, 'NOTIFICATION');
  if (!n) return core.drop('missing-param', { packetKind: 'NOTIFY', src, ...(assoc ? { assoc } : {}) });
  let authenticated = false;
  if (assoc?.peerHostId) {
    const v = verifySignature(core.crypto, pkt, assoc.peerHostId);
    if (!v.ok) return core.drop('bad-signature', { packetKind: 'NOTIFY', src, assoc, detail: v.reason });
    authenticated = true;
    // RFC 9028 §5.3: a keepalive only keeps the NAT mapping; the peer sends one every Tr, so it is
    // counted (stats().received) but not reported.
    if (n.messageType === NOTIFY_TYPE.NAT_KEEPALIVE) return;
  }
  core.emit({
    kind: 'event',
    event: { type: 'notify', ...(assoc ? { assoc: assoc.id } : {}), messageType: n.messageType, data: n.data, src, authenticated },
  });
}
