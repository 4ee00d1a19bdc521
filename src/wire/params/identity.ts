// HOST_ID and CERT (RFC 7401 §5.2.9; CERT's layout is RFC 8002 §2, referenced from §5.2).
//
// HOST_ID (705):
//   | HI Length (16) | DI-Type (4) | DI Length (12) |
//   | Algorithm (16) | Host Identity (HI Length bytes) | Domain Identifier (DI Length bytes) |
//   Length = 6 + HI Length + DI Length; padding follows the whole (HI ‖ DI), not the HI alone.
//   HI Length counts the Host Identity only (not the Algorithm field). DI-Type 0 requires DI
//   Length 0 (§5.2.9: "the DI Length field is set to zero as well").
// CERT (768, repeatable): | CERT group (8) | CERT count (8) | CERT ID (8) | CERT type (8) | Certificate |
import { PARAM_TYPE } from '../constants.js';
import { checkBytes, checkBytesMax, checkInt, fieldPath } from '../writer.js';
import { expectMinLength, type ParamCodec } from './codec.js';

export const HOST_ID: ParamCodec<'HOST_ID'> = {
  kind: 'HOST_ID',
  type: PARAM_TYPE.HOST_ID,
  repeatable: false,
  decode(r, type, span) {
    expectMinLength(r, span, 6);
    const hiPos = r.pos;
    const hiLen = r.u16('hiLength');
    const diPos = r.pos;
    const di = r.u16('diLength');
    const diType = di >>> 12;
    const diLen = di & 0x0fff;
    const algorithm = r.u16('algorithm');
    const left = r.end - r.pos;
    if (hiLen + diLen !== left) {
      r.fail('BAD_INNER_LENGTH', 'hiLength', `HI Length ${hiLen} + DI Length ${diLen} disagree with the ${left} byte(s) after the Algorithm field`, hiPos);
    }
    if (diType === 0 && diLen !== 0) r.fail('BAD_FIELD', 'diLength', `DI-Type 0 (none) with DI Length ${diLen}`, diPos);
    const hostIdentity = r.bytes(hiLen, 'hostIdentity');
    const domainIdentifier = r.rest();
    return { kind: 'HOST_ID', type, critical: (type & 1) === 1, span, diType, algorithm, hostIdentity, domainIdentifier };
  },
  size(p, i) {
    const diType = checkInt(p.diType, i, 'diType', 0, 15);
    checkInt(p.algorithm, i, 'algorithm', 0, 0xffff);
    const hi = checkBytesMax(p.hostIdentity, i, 'hostIdentity', 0xffff);
    const di = checkBytesMax(p.domainIdentifier, i, 'domainIdentifier', 0x0fff);
    if (diType === 0 && di.length !== 0) {
      throw new RangeError(`"${fieldPath(i, 'domainIdentifier')}" must be empty when diType is 0, got length=${di.length}`);
    }
    return 6 + hi.length + di.length;
  },
  write(w, p) {
    w.u16(p.hostIdentity.length);
    w.u16((p.diType << 12) | p.domainIdentifier.length);
    w.u16(p.algorithm);
    w.bytes(p.hostIdentity);
    w.bytes(p.domainIdentifier);
  },
};

export const CERT: ParamCodec<'CERT'> = {
  kind: 'CERT',
  type: PARAM_TYPE.CERT,
  repeatable: true,
  decode(r, type, span) {
    expectMinLength(r, span, 4);
    const certGroup = r.u8('certGroup');
    const certCount = r.u8('certCount');
    const certId = r.u8('certId');
    const certType = r.u8('certType');
    const certificate = r.rest();
    return { kind: 'CERT', type, critical: (type & 1) === 1, span, certGroup, certCount, certId, certType, certificate };
  },
  size(p, i) {
    checkInt(p.certGroup, i, 'certGroup', 0, 0xff);
    checkInt(p.certCount, i, 'certCount', 0, 0xff);
    checkInt(p.certId, i, 'certId', 0, 0xff);
    checkInt(p.certType, i, 'certType', 0, 0xff);
    return 4 + checkBytes(p.certificate, i, 'certificate').length;
  },
  write(w, p) {
    w.u8(p.certGroup);
    w.u8(p.certCount);
    w.u8(p.certId);
    w.u8(p.certType);
    w.bytes(p.certificate);
  },
};
