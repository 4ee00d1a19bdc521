// LOCATOR_SET (193, critical) — RFC 8046 §4, with locator type 2 of RFC 5770 §5.7 / RFC 9028 §5.7.
//
// Contents: zero or more Locator sub-parameters, each
//   | Traffic Type (8) | Locator Type (8) | Locator Length (8) | Reserved (7) |P|
//   | Locator Lifetime (32, seconds)                                          |
//   | Locator (Locator Length * 4 bytes)                                      |
// Beware the units: Locator Length counts 4-byte words, the parameter Length counts bytes.
//   type 0: IPv6 / IPv4-mapped address (16 bytes, Locator Length 4)
//   type 1: ESP SPI (4) ‖ address (16) (Locator Length 5)
//   type 2: Transport Port (16) | Transport Protocol (8) | Kind (8) | Priority (32) | SPI (32) |
//           address (16) (Locator Length 7)
//   other:  kept raw (`unknown: true`) so that the engine can NOTIFY LOCATOR_TYPE_UNSUPPORTED and
//           the packet still re-encodes byte for byte.
// The 7 reserved bits are kept. A zero lifetime is a semantic error (RFC 8046 §4 "MUST have a
// non-zero lifetime") left to the engine: the codec is structural.
import { PARAM_TYPE } from '../constants.js';
import type { Reader } from '../reader.js';
import type { LocatorEntry, LocatorEntryInit, Span } from '../types.js';
import { checkArray, checkBool, checkBytes, checkInt, fieldPath, type Writer } from '../writer.js';
import type { ParamCodec } from './codec.js';

/** Locator Length (in 4-byte words) of the known locator types. */
export const LOCATOR_WORDS: Readonly<Record<0 | 1 | 2, number>> = { 0: 4, 1: 5, 2: 7 };

/** Reads Locator sub-parameters until `r.end`; errors are pathed `LOCATOR_SET[i].field`. */
export function readLocators(r: Reader): LocatorEntry[] {
  const out: LocatorEntry[] = [];
  const saved = r.overrun;
  r.overrun = 'BAD_INNER_LENGTH';
  let i = 0;
  while (r.pos < r.end) {
    r.index = i;
    if (r.end - r.pos < 8) r.fail('BAD_INNER_LENGTH', '', `a locator needs at least 8 bytes, ${r.end - r.pos} left`);
    const trafficType = r.u8('trafficType');
    const locatorType = r.u8('locatorType');
    const lenPos = r.pos;
    const words = r.u8('locatorLength');
    const flags = r.u8('flags');
    const lifetime = r.u32('lifetime');
    const reserved = flags >>> 1;
    const preferred = (flags & 1) === 1;
    const n = words * 4;
    if (n > r.end - r.pos) {
      r.fail('BAD_INNER_LENGTH', 'locatorLength', `Locator Length ${words} (x4 = ${n} bytes) overruns the parameter (${r.end - r.pos} bytes left)`, lenPos);
    }
    if (locatorType <= 2) {
      const want = LOCATOR_WORDS[locatorType as 0 | 1 | 2];
      if (words !== want) r.fail('BAD_INNER_LENGTH', 'locatorLength', `Locator Length of a type ${locatorType} locator must be ${want} (4-byte words), got ${words}`, lenPos);
    }
    if (locatorType === 0) {
      const address = r.bytes(16, 'address');
      out.push({ trafficType, locatorType: 0, reserved, preferred, lifetime, address });
    } else if (locatorType === 1) {
      const spi = r.u32('spi');
      const address = r.bytes(16, 'address');
      out.push({ trafficType, locatorType: 1, reserved, preferred, lifetime, spi, address });
    } else if (locatorType === 2) {
      const transportPort = r.u16('transportPort');
      const transportProtocol = r.u8('transportProtocol');
      const candidateKind = r.u8('candidateKind');
      const priority = r.u32('priority');
      const spi = r.u32('spi');
      const address = r.bytes(16, 'address');
      out.push({ trafficType, locatorType: 2, reserved, preferred, lifetime, transportPort, transportProtocol, candidateKind, priority, spi, address });
    } else {
      const raw = r.bytes(n, 'locator');
      out.push({ trafficType, locatorType, reserved, preferred, lifetime, raw, unknown: true });
    }
    i++;
  }
  r.index = -1;
  r.overrun = saved;
  return out;
}

/** True for the raw (unknown locator type) variant. */
export function isRawLocator(e: LocatorEntry | LocatorEntryInit): e is Extract<LocatorEntryInit, { unknown: true }> {
  return (e as { unknown?: unknown }).unknown === true;
}

/** Validates one entry for encoding and returns its size in bytes (8 + Locator). */
export function locatorSize(e: LocatorEntryInit, i: number, j: number): number {
  if (typeof e !== 'object' || e === null) throw new TypeError(`"${fieldPath(i, 'locators[#]', j)}" expected object, got ${e === null ? 'null' : typeof e}`);
  checkInt(e.trafficType, i, 'locators[#].trafficType', 0, 0xff, j);
  checkInt(e.locatorType, i, 'locators[#].locatorType', 0, 0xff, j);
  if (e.reserved !== undefined) checkInt(e.reserved, i, 'locators[#].reserved', 0, 0x7f, j);
  checkBool(e.preferred, i, 'locators[#].preferred', j);
  checkInt(e.lifetime, i, 'locators[#].lifetime', 0, 0xffffffff, j);
  if (isRawLocator(e)) {
    const raw = checkBytes(e.raw, i, 'locators[#].raw', undefined, j);
    if (raw.length % 4 !== 0 || raw.length > 255 * 4) {
      throw new RangeError(`"${fieldPath(i, 'locators[#].raw', j)}" expected a multiple of 4 bytes up to 1020, got length=${raw.length}`);
    }
    return 8 + raw.length;
  }
  const lt: number = e.locatorType;
  switch (lt) {
    case 0:
      break;
    case 1:
      checkInt((e as { spi?: unknown }).spi, i, 'locators[#].spi', 0, 0xffffffff, j);
      break;
    case 2: {
      const t = e as Extract<LocatorEntryInit, { locatorType: 2 }>;
      checkInt(t.transportPort, i, 'locators[#].transportPort', 0, 0xffff, j);
      checkInt(t.transportProtocol, i, 'locators[#].transportProtocol', 0, 0xff, j);
      checkInt(t.candidateKind, i, 'locators[#].candidateKind', 0, 0xff, j);
      checkInt(t.priority, i, 'locators[#].priority', 0, 0xffffffff, j);
      checkInt(t.spi, i, 'locators[#].spi', 0, 0xffffffff, j);
      break;
    }
    default:
      throw new RangeError(`"${fieldPath(i, 'locators[#].locatorType', j)}" ${lt} is not a known locator type; give raw bytes with unknown: true`);
  }
  checkBytes((e as { address?: unknown }).address, i, 'locators[#].address', 16, j);
  return 8 + LOCATOR_WORDS[lt as 0 | 1 | 2] * 4;
}

export function writeLocator(w: Writer, e: LocatorEntryInit): void {
  w.u8(e.trafficType);
  w.u8(e.locatorType);
  const raw = isRawLocator(e);
  w.u8(raw ? e.raw.length / 4 : LOCATOR_WORDS[e.locatorType as 0 | 1 | 2]);
  w.u8(((e.reserved ?? 0) << 1) | (e.preferred ? 1 : 0));
  w.u32(e.lifetime);
  if (raw) {
    w.bytes(e.raw);
    return;
  }
  const k = e as Exclude<LocatorEntryInit, { unknown: true }>;
  if (k.locatorType === 1) {
    w.u32((k as Extract<LocatorEntryInit, { locatorType: 1 }>).spi);
  } else if (k.locatorType === 2) {
    const t = k as Extract<LocatorEntryInit, { locatorType: 2 }>;
    w.u16(t.transportPort);
    w.u8(t.transportProtocol);
    w.u8(t.candidateKind);
    w.u32(t.priority);
    w.u32(t.spi);
  }
  w.bytes(k.address);
}

export const LOCATOR_SET: ParamCodec<'LOCATOR_SET'> = {
  kind: 'LOCATOR_SET',
  type: PARAM_TYPE.LOCATOR_SET,
  repeatable: false,
  decode(r, type, span) {
    const locators = readLocators(r);
    return { kind: 'LOCATOR_SET', type, critical: (type & 1) === 1, span, locators };
  },
  size(p, i) {
    const list = checkArray(p.locators, i, 'locators') as readonly LocatorEntryInit[];
    let n = 0;
    for (let j = 0; j < list.length; j++) n += locatorSize(list[j]!, i, j);
    return n;
  },
  write(w, p) {
    for (const e of p.locators) writeLocator(w, e);
  },
};
