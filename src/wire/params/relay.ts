// REG_FROM (950), RELAY_FROM (63998), RELAY_TO (64002) and RELAY_HMAC (65520) — RFC 9028 §5.6,
// §5.8. The three address parameters share one format (Figure 10), Length 20:
//
//   | Port (16) | Protocol (8) | Reserved (8) | Address (16) |
//
// Port is zero and Protocol 0 for plain IP, Protocol 17 for UDP; the Address is IPv6 or
// IPv4-mapped. Reserved is "zero when sent, ignored when received" (kept as received so that a
// decoded packet re-encodes byte for byte). REG_FROM is signed (its type is below 61440);
// RELAY_FROM, RELAY_TO and RELAY_HMAC follow the signature and are not. RELAY_HMAC has "the same
// semantics as RVS_HMAC" (§5.8): a MAC over the packet up to it.
import { PARAM_TYPE } from '../constants.js';
import { checkBytes, checkInt, optInt } from '../writer.js';
import { expectLength, type ParamCodec } from './codec.js';
import { macCodec } from './auth.js';

type TransportKind = 'REG_FROM' | 'RELAY_FROM' | 'RELAY_TO';

function transportAddressCodec<K extends TransportKind>(kind: K): ParamCodec<K> {
  const codec: ParamCodec<TransportKind> = {
    kind,
    type: PARAM_TYPE[kind],
    repeatable: false,
    decode(r, type, span) {
      expectLength(r, span, 20);
      const port = r.u16('port');
      const protocol = r.u8('protocol');
      const reserved = r.u8('reserved');
      const address = r.bytes(16, 'address');
      return { kind, type, critical: (type & 1) === 1, span, port, protocol, reserved, address };
    },
    size(p, i) {
      checkInt(p.port, i, 'port', 0, 0xffff);
      checkInt(p.protocol, i, 'protocol', 0, 0xff);
      optInt(p.reserved, i, 'reserved', 0, 0xff, 0);
      checkBytes(p.address, i, 'address', 16);
      return 20;
    },
    write(w, p) {
      w.u16(p.port);
      w.u8(p.protocol);
      w.u8(p.reserved ?? 0);
      w.bytes(p.address);
    },
  };
  return codec as unknown as ParamCodec<K>;
}

export const REG_FROM = transportAddressCodec('REG_FROM');
export const RELAY_FROM = transportAddressCodec('RELAY_FROM');
export const RELAY_TO = transportAddressCodec('RELAY_TO');
export const RELAY_HMAC = macCodec('RELAY_HMAC');
