// What fits in one HIP packet. The Header Length field is 8 bits of 8-byte units, so a HIP
// packet is at most 2048 bytes (RFC 7401 §5.1). The engine checks a reply against this limit
// before it changes any state, so that neither a command nor remote input ends in the encoder's
// error half-way through (docs/architecture.md, Errors).
import type { HostIdentity } from '../crypto/host-id.js';
import { rhashLength } from '../crypto/hit.js';
import { HASH_LENGTH, type CryptoProvider, type HashId } from '../crypto/provider.js';
import { PARAM_TYPE } from '../wire/constants.js';
import { encodingLength } from '../wire/packet.js';
import type { ParamInit } from '../wire/types.js';
import type { HipConfig } from './config.js';
import type { HipKeys } from './states.js';

/** RFC 7401 §5.1: (255 + 1) 8-byte units. */
export const MAX_PACKET = 2048;

/** Bytes of one LOCATOR_SET entry at its largest: type 1, ESP SPI + IPv6 address (RFC 8046 §4). */
export const LOCATOR_ENTRY_BYTES = 28;

const ZERO_HIT = new Uint8Array(16);

/** Length of a HIP_SIGNATURE value made with `identity` (RFC 7401 §5.2.14). */
export function signatureLength(identity: HostIdentity): number {
  switch (identity.keyType) {
    case 'ecdsa-p256':
    case 'ed25519':
      return 64;
    case 'ecdsa-p384':
      return 96;
    case 'ecdsa-secp160r1':
      return 42;
    case 'rsa': {
      // RFC 3110 form: exponent length (1 byte, or 0 then 2 bytes), exponent, modulus.
      const hi = identity.hostIdentity;
      const eLen = hi[0] === 0 ? ((hi[1]! << 8) | hi[2]!) + 3 : hi[0]! + 1;
      return hi.length - eLen;
    }
  }
}

/**
 * Bytes of a packet with `params`, plus HIP_MAC of `mac` and HIP_SIGNATURE by `sign` when given
 * (placeholders of the real lengths).
 */
export function packetLength(params: readonly ParamInit[], auth: { readonly mac?: HashId; readonly sign?: HostIdentity }): number {
  // In type order, those numbered above HIP_SIGNATURE (ECHO_RESPONSE_UNSIGNED, VIA_RVS...) after
  // it, as packets.ts builds them (RFC 7401 §5.2.1).
  const typeOf = (p: ParamInit): number => (p.kind === 'UNKNOWN' ? p.type : PARAM_TYPE[p.kind]);
  const sorted = [...params].sort((a, b) => typeOf(a) - typeOf(b));
  const all: ParamInit[] = sorted.filter((p) => typeOf(p) < PARAM_TYPE.HIP_SIGNATURE);
  if (auth.mac) all.push({ kind: 'HIP_MAC', hmac: new Uint8Array(HASH_LENGTH[auth.mac]) });
  if (auth.sign) all.push({ kind: 'HIP_SIGNATURE', algorithm: auth.sign.algorithm, signature: new Uint8Array(signatureLength(auth.sign)) });
  all.push(...sorted.filter((p) => typeOf(p) > PARAM_TYPE.HIP_SIGNATURE));
  return encodingLength({ kind: 'NOTIFY', senderHit: ZERO_HIT, receiverHit: ZERO_HIT, params: all });
}

/**
 * The most local locators a LOCATOR_SET of ours may list so that every packet that carries one
 * fits (RFC 8046 §5.2 UPDATE, RFC 8047 §4.2.8 R1/I2/R2): the largest of those packets without
 * its locators, for the largest identity and DH group configured, leaves room for this many
 * type 1 entries. The I2 is the largest carrier: DIFFIE_HELLMAN, HOST_ID (in ENCRYPTED at worst),
 * SOLUTION, HIP_MAC and HIP_SIGNATURE.
 */
export function maxLocalLocators(identities: readonly HostIdentity[], crypto: CryptoProvider, config: HipConfig): number {
  let dhLength = 0;
  for (const id of config.dhGroups) {
    const g = crypto.dhGroup(id as Parameters<CryptoProvider['dhGroup']>[0]);
    if (g) dhLength = Math.max(dhLength, g.publicValueLength);
  }
  let worst = 0;
  for (const identity of identities) {
    const h = rhashLength(identity.suite);
    const i2: ParamInit[] = [
      { kind: 'ESP_INFO', keymatIndex: 0, oldSpi: 0, newSpi: 0 },
      { kind: 'R1_COUNTER', generation: 0n },
      { kind: 'LOCATOR_SET', locators: [] },
      { kind: 'SOLUTION', k: 0, opaque: 0, randomI: new Uint8Array(h), solutionJ: new Uint8Array(h) },
      { kind: 'DIFFIE_HELLMAN', groupId: 3, publicValue: new Uint8Array(Math.max(1, dhLength)) },
      { kind: 'HIP_CIPHER', ciphers: [1] },
      // ENCRYPTED: IV (16) + the HOST_ID parameter padded to the block (16) at worst.
      { kind: 'ENCRYPTED', ivAndData: new Uint8Array(16 + identity.hostIdParam.length + 16) },
      { kind: 'TRANSPORT_FORMAT_LIST', formats: [2] },
      { kind: 'ESP_TRANSFORM', suites: [1] },
    ];
    worst = Math.max(worst, packetLength(i2, { mac: 'sha384', sign: identity }));
  }
  return Math.max(0, Math.floor((MAX_PACKET - worst) / LOCATOR_ENTRY_BYTES));
}

/** Data bytes a signed NOTIFY from `local` can carry (RFC 7401 §5.3.6, §5.2.19). */
export function notifyDataRoom(local: HostIdentity): number {
  return MAX_PACKET - packetLength([{ kind: 'NOTIFICATION', messageType: 0, data: new Uint8Array(0) }], { sign: local });
}

/**
 * Whether a reply with the echo responses `echoes` (ECHO_RESPONSE_SIGNED, ECHO_RESPONSE_UNSIGNED)
 * fits, next to the largest other content an UPDATE reply of ours carries (ESP_INFO,
 * DIFFIE_HELLMAN, a LOCATOR_SET of our `locators`, SEQ, ACK, a new ECHO_REQUEST_SIGNED nonce) or
 * a CLOSE_ACK (RFC 7401 §5.3.5, §5.3.8, §5.2.21; RFC 8046 §5.2).
 */
export function echoReplyFits(echoes: readonly ParamInit[], local: HostIdentity, keys: HipKeys, crypto: CryptoProvider, locators: number): boolean {
  const dh = crypto.dhGroup(keys.dhGroup)?.publicValueLength ?? 0;
  const entry = { trafficType: 0, locatorType: 1 as const, preferred: false, lifetime: 1, spi: 0, address: new Uint8Array(16) };
  const params: ParamInit[] = [
    { kind: 'ESP_INFO', keymatIndex: 0, oldSpi: 0, newSpi: 0 },
    ...(locators > 0 ? [{ kind: 'LOCATOR_SET' as const, locators: Array.from({ length: locators }, () => entry) }] : []),
    { kind: 'SEQ', updateId: 0 },
    { kind: 'ACK', peerUpdateIds: [0] },
    ...(dh > 0 ? [{ kind: 'DIFFIE_HELLMAN' as const, groupId: keys.dhGroup, publicValue: new Uint8Array(dh) }] : []),
    ...echoes,
  ];
  return packetLength(params, { mac: keys.rhash, sign: local }) <= MAX_PACKET;
}
