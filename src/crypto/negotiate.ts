// Algorithm negotiation (RFC 7401 §5.2.6-§5.2.8, §4.1.7; RFC 7402 §5.1.2). Pure functions over
// preference-ordered id lists; the engine intersects its config with the provider first.
import type { EspSuiteId } from '../types.js';
import { isDhGroupId, isHipCipherId, type CryptoProvider, type DhGroupId, type HipCipherId } from './provider.js';

/** At most six ids of HIP_CIPHER / ESP_TRANSFORM are sent (RFC 7401 §5.2.8, RFC 7402 §5.1.2). */
export const MAX_OFFERED = 6;

/** Our preference list restricted to what `crypto` implements (DH groups). */
export function supportedDhGroups(crypto: Pick<CryptoProvider, 'dhGroup'>, prefs: readonly number[]): DhGroupId[] {
  return prefs.filter((id): id is DhGroupId => isDhGroupId(id) && crypto.dhGroup(id) !== undefined);
}

/** Our preference list restricted to what `crypto` implements (HIP ciphers). */
export function supportedHipCiphers(crypto: Pick<CryptoProvider, 'cipher'>, prefs: readonly number[]): HipCipherId[] {
  return prefs.filter((id): id is HipCipherId => isHipCipherId(id) && crypto.cipher(id) !== undefined);
}

/** Our ESP preference list restricted to what the provider's data plane supports. */
export function supportedEspTransforms(crypto: Pick<CryptoProvider, 'espTransforms'>, prefs: readonly EspSuiteId[]): EspSuiteId[] {
  const have = crypto.espTransforms();
  return prefs.filter((id) => have.includes(id));
}

/**
 * Responder (§5.2.6): the first group of the Responder's own DH_GROUP_LIST that the Initiator
 * also offered in I1. It MUST NOT pick any other common group, or downgrades go unnoticed.
 */
export function selectDhGroup(responderList: readonly number[], initiatorList: readonly number[]): DhGroupId | undefined {
  for (const id of responderList) if (isDhGroupId(id) && initiatorList.includes(id)) return id;
  return undefined;
}

/**
 * The Initiator's verdict on the Responder's DH group choice in R1 (RFC 7401 §4.1.7, §6.8): the
 * group, or why it is refused (not offered, a downgrade, no common group).
 */
export type DhChoiceCheck =
  | { readonly ok: true; readonly group: DhGroupId }
  | { readonly ok: false; readonly reason: 'not-offered' | 'downgrade' | 'no-common-group' };

/**
 * Initiator (§4.1.7, §5.2.6, §6.8 step 7): checks the Responder's choice in R1 (the DIFFIE_HELLMAN
 * group) against our I1 list and the Responder's signed DH_GROUP_LIST. A choice other than
 * "the first of the Responder's list that we offered" is a downgrade attempt.
 */
export function checkDhChoice(ourList: readonly number[], responderList: readonly number[], chosen: number): DhChoiceCheck {
  if (!isDhGroupId(chosen) || !ourList.includes(chosen)) return { ok: false, reason: 'not-offered' };
  const expected = selectDhGroup(responderList, ourList);
  if (expected === undefined) return { ok: false, reason: 'no-common-group' };
  if (expected !== chosen) return { ok: false, reason: 'downgrade' };
  return { ok: true, group: chosen };
}

/**
 * Initiator (§5.2.8): picks one cipher of the Responder's HIP_CIPHER (in the Responder's order;
 * only the first six ids count) that we support. NULL-ENCRYPT (1) only when `allowNull`.
 */
export function selectHipCipher(offered: readonly number[], ours: readonly number[], allowNull = false): HipCipherId | undefined {
  for (const id of offered.slice(0, MAX_OFFERED)) {
    if (!isHipCipherId(id) || !ours.includes(id)) continue;
    if (id === 1 && !allowNull) continue;
    return id;
  }
  return undefined;
}

/**
 * Picks one suite of a received ESP_TRANSFORM (in the sender's order) that we support.
 * Authentication-only NULL (7) only when `allowNull` (RFC 7402 §5.1.2, §3.3.5).
 */
export function selectEspTransform(offered: readonly number[], ours: readonly EspSuiteId[], allowNull = false): EspSuiteId | undefined {
  for (const id of offered) {
    const s = ours.find((x) => x === id);
    if (s === undefined) continue;
    if (s === 7 && !allowNull) continue;
    return s;
  }
  return undefined;
}
