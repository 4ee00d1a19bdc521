// CLOSE and CLOSE_ACK (RFC 7401 §5.3.8-9, §6.14-6.15) and the association lifetime (UAL, Table 6):
// CLOSING retransmits CLOSE until UAL+MSL has passed (Table 7), CLOSED lingers UAL+2MSL (Table 8).
import { verifyMac, verifySignature } from '../crypto/auth.js';
import type { Locator } from '../types.js';
import { equalBytes } from '../util/bytes.js';
import { param } from '../wire/access.js';
import type { HipPacket, ParamInit } from '../wire/types.js';
import type { Association } from './association.js';
import type { EngineCore } from './context.js';
import type { DropReason } from './errors.js';
import { echoReplyFits } from './limits.js';
import { answerEchoes } from './echo.js';
import { buildPacket, resend, send } from './packets.js';
import { forgetRegistrations } from './registration.js';
import { removeAllSas } from './sa.js';
import type { HipKeys } from './states.js';
import { backoff } from './timing.js';
import { checkDiscard, transition, type Trigger } from './transitions.js';

/** The keys an association holds in the states where CLOSE can be sent or received. */
function keysOf(assoc: Association): HipKeys | undefined {
  const st = assoc.state;
  switch (st.name) {
    case 'I2_SENT':
    case 'R2_SENT':
    case 'ESTABLISHED':
    case 'CLOSING':
    case 'CLOSED':
      return st.keys;
    default:
      return undefined;
  }
}

/** `close` command, or UAL expiry ('lifetime'). */
export function startClose(core: EngineCore, assoc: Association, cause: 'local' | 'lifetime' = 'local'): void {
  const st = assoc.state;
  switch (st.name) {
    case 'I1_SENT':
    case 'I2_SENT':
      // Nothing established to close: abandon the exchange.
      checkDiscard(assoc, 'close');
      core.discardAssoc(assoc);
      core.emit({ kind: 'event', event: { type: 'closed', assoc: assoc.id, by: 'local' } });
      return;
    case 'E_FAILED':
      checkDiscard(assoc, 'close');
      core.discardAssoc(assoc);
      return;
    case 'CLOSING':
    case 'CLOSED':
      return;
    case 'R2_SENT':
    case 'ESTABLISHED': {
      const nonce = core.random(16);
      const close = buildPacket(
        core,
        { kind: 'CLOSE', senderHit: assoc.localHit, receiverHit: assoc.peerHit },
        [{ kind: 'ECHO_REQUEST_SIGNED', opaque: nonce }],
        { mac: { hash: st.keys.rhash, key: st.keys.macOut }, sign: assoc.local },
        assoc.localLocator,
        assoc.peerLocator,
      );
      const trigger: Trigger = cause === 'lifetime' ? 'ual-expired' : 'close';
      transition(assoc, trigger, { name: 'CLOSING', keys: st.keys, close: close.bytes, nonce, retries: 0, since: core.now, cause });
      // CLOSING: "no data can be sent" (Table 1); the SAs go now, and the registrations the
      // association carried end with it (RFC 8003 §6).
      removeAllSas(core, assoc);
      assoc.timers.clearAll();
      forgetRegistrations(core, assoc);
      send(core, close, assoc.localLocator, assoc.peerLocator, assoc);
      assoc.timers.set('CLOSE_RETRANSMIT', core.now + core.config.closeRetransmitMs);
      assoc.timers.set('CLOSING_EXPIRE', core.now + core.config.ualMs + core.config.mslMs);
      return;
    }
  }
}

function verifyClosePacket(core: EngineCore, assoc: Association, pkt: HipPacket, keys: HipKeys): DropReason | undefined {
  if (!param(pkt, 'HIP_MAC') || !param(pkt, 'HIP_SIGNATURE')) return 'missing-param';
  if (!verifyMac(core.crypto, keys.rhash, keys.macIn, pkt).ok) return 'bad-mac';
  if (!assoc.peerHostId || !verifySignature(core.crypto, pkt, assoc.peerHostId).ok) return 'bad-signature';
  return undefined;
}

/** CLOSE received (§6.14): answer CLOSE_ACK and move to CLOSED, whatever the closing state. */
export function onClose(core: EngineCore, assoc: Association, pkt: HipPacket, src: Locator): void {
  const keys = keysOf(assoc);
  if (!keys) return core.drop('bad-state', { packetKind: 'CLOSE', src, assoc });
  const echo = param(pkt, 'ECHO_REQUEST_SIGNED');
  if (!echo) return core.drop('missing-param', { packetKind: 'CLOSE', src, assoc });
  const bad = verifyClosePacket(core, assoc, pkt, keys);
  if (bad) return core.drop(bad, { packetKind: 'CLOSE', src, assoc });
  // RFC 7401 §5.2.21: each ECHO_REQUEST_UNSIGNED (a box on the path may add them) is answered
  // too, bounded (echo.ts).
  const unsigned = answerEchoes(pkt);
  if (!unsigned.ok) return core.drop('echo-limit', { packetKind: 'CLOSE', src, assoc, detail: unsigned.detail });
  const echoes: ParamInit[] = [{ kind: 'ECHO_RESPONSE_SIGNED', opaque: echo.opaque }, ...unsigned.params];
  // §5.3.8: the CLOSE_ACK echoes the request; one that cannot fit in a HIP packet cannot be sent.
  if (!echoReplyFits([echoes[0]!], assoc.local, keys, core.crypto, 0)) {
    return core.drop('policy', { packetKind: 'CLOSE', src, assoc, detail: 'ECHO_REQUEST_SIGNED too large to echo in a CLOSE_ACK' });
  }
  if (!echoReplyFits(echoes, assoc.local, keys, core.crypto, 0)) {
    return core.drop('echo-limit', { packetKind: 'CLOSE', src, assoc, detail: 'the CLOSE_ACK with the echo responses would exceed one HIP packet' });
  }
  const ack = buildPacket(
    core,
    { kind: 'CLOSE_ACK', senderHit: assoc.localHit, receiverHit: assoc.peerHit },
    echoes,
    { mac: { hash: keys.rhash, key: keys.macOut }, sign: assoc.local },
    assoc.localLocator,
    assoc.peerLocator,
  );
  const wasClosed = assoc.state.name === 'CLOSED';
  transition(assoc, 'recv-CLOSE', { name: 'CLOSED', keys, since: core.now });
  removeAllSas(core, assoc);
  assoc.timers.clearAll();
  // RFC 8003 §6: the registrations end with the association (the peer closed it).
  forgetRegistrations(core, assoc);
  send(core, ack, assoc.localLocator, assoc.peerLocator, assoc);
  assoc.timers.set('CLOSED_LINGER', core.now + core.config.ualMs + 2 * core.config.mslMs);
  if (!wasClosed) core.emit({ kind: 'event', event: { type: 'closed', assoc: assoc.id, by: 'peer' } });
}

/** CLOSE_ACK received (§6.15): it must echo our CLOSE's nonce; then the state is discarded. */
export function onCloseAck(core: EngineCore, assoc: Association, pkt: HipPacket, src: Locator): void {
  const st = assoc.state;
  if (st.name !== 'CLOSING' && st.name !== 'CLOSED') return core.drop('bad-state', { packetKind: 'CLOSE_ACK', src, assoc });
  const echo = param(pkt, 'ECHO_RESPONSE_SIGNED');
  if (!echo) return core.drop('missing-param', { packetKind: 'CLOSE_ACK', src, assoc });
  const bad = verifyClosePacket(core, assoc, pkt, st.keys);
  if (bad) return core.drop(bad, { packetKind: 'CLOSE_ACK', src, assoc });
  if (st.name === 'CLOSING' && !equalBytes(echo.opaque, st.nonce)) return core.drop('bad-echo', { packetKind: 'CLOSE_ACK', src, assoc });
  checkDiscard(assoc, 'recv-CLOSE_ACK');
  core.discardAssoc(assoc);
  if (st.name === 'CLOSING') core.emit({ kind: 'event', event: { type: 'closed', assoc: assoc.id, by: st.cause } });
}

export function retransmitClose(core: EngineCore, assoc: Association): void {
  const st = assoc.state;
  if (st.name !== 'CLOSING') return;
  const retries = st.retries + 1;
  transition(assoc, 'timeout-retransmit', { ...st, retries });
  resend(core, st.close, assoc.localLocator, assoc.peerLocator, assoc);
  assoc.timers.set('CLOSE_RETRANSMIT', core.now + backoff(core.config.closeRetransmitMs, retries, core.config.maxRetransmitMs));
}

/** CLOSING for UAL+MSL without a CLOSE_ACK: give up (Table 7). */
export function expireClosing(core: EngineCore, assoc: Association): void {
  const st = assoc.state;
  if (st.name !== 'CLOSING') return;
  checkDiscard(assoc, 'closing-expired');
  core.discardAssoc(assoc);
  core.emit({ kind: 'event', event: { type: 'closed', assoc: assoc.id, by: st.cause } });
}

/** CLOSED for UAL+2MSL: discard (Table 8). */
export function expireClosed(core: EngineCore, assoc: Association): void {
  if (assoc.state.name !== 'CLOSED') return;
  checkDiscard(assoc, 'closed-expired');
  core.discardAssoc(assoc);
}

/** The UAL timer fired: close if nothing was sent or received for UAL, else re-arm (Table 6). */
export function ualExpired(core: EngineCore, assoc: Association): void {
  const st = assoc.state.name;
  if (st !== 'ESTABLISHED' && st !== 'R2_SENT') return;
  const due = assoc.lastActivity + core.config.ualMs;
  if (due > core.now) {
    assoc.timers.set('UAL', due);
    return;
  }
  startClose(core, assoc, 'lifetime');
}
