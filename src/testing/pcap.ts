// Classic libpcap capture files (https://www.tcpdump.org/manpages/pcap-savefile.5.txt):
// a 24-byte global header (magic 0xa1b2c3d4, version 2.4, thiszone, sigfigs, snaplen, linktype)
// then records of a 16-byte header (ts_sec, ts_usec, incl_len, orig_len) and incl_len bytes.
// The writer uses LINKTYPE_RAW (101): every record is a raw IPv4 or IPv6 packet, told apart by
// the IP version nibble, and Wireshark hands IP protocol 139 to its HIP dissector and 50 to ESP.
// No file I/O here: `toBytes()` returns the file and the caller writes it.
import type { Millis } from '../types.js';
import { abytes } from '../util/bytes.js';
import { buildIpPacket, type IpPacketSpec } from './ip.js';

/** Link-layer header types (tcpdump.org linktypes). */
export const LINKTYPE = { RAW: 101, IPV4: 228, IPV6: 229 } as const;
/** Magic of a microsecond-resolution file, as a number in the file's own byte order. */
export const PCAP_MAGIC = 0xa1b2c3d4;
/** Magic of a nanosecond-resolution file. */
export const PCAP_MAGIC_NANO = 0xa1b23c4d;
/** Size of a pcap file's global header (magic, version, thiszone, sigfigs, snaplen, linktype). */
export const PCAP_GLOBAL_HEADER_BYTES = 24;
/** Size of a pcap record header (ts_sec, ts_usec, incl_len, orig_len). */
export const PCAP_RECORD_HEADER_BYTES = 16;

/** Options of {@link PcapWriter}. */
export type PcapWriterOptions = {
  /** Maximum bytes kept per record (default 65535); longer packets are truncated, orig_len kept. */
  readonly snaplen?: number;
  /** Link type (default LINKTYPE.RAW = 101). */
  readonly linktype?: number;
  /** Byte order of the file (default little-endian, as most capture tools write). */
  readonly littleEndian?: boolean;
  /** Added to every `timeMs` to form the Unix timestamp (default 0: the epoch). */
  readonly epochMs?: Millis;
};

type PendingRecord = { readonly tsSec: number; readonly tsUsec: number; readonly bytes: Uint8Array };

function put32(out: Uint8Array, off: number, v: number, le: boolean): void {
  if (le) {
    out[off] = v & 0xff;
    out[off + 1] = (v >>> 8) & 0xff;
    out[off + 2] = (v >>> 16) & 0xff;
    out[off + 3] = (v >>> 24) & 0xff;
  } else {
    out[off] = (v >>> 24) & 0xff;
    out[off + 1] = (v >>> 16) & 0xff;
    out[off + 2] = (v >>> 8) & 0xff;
    out[off + 3] = v & 0xff;
  }
}

function put16(out: Uint8Array, off: number, v: number, le: boolean): void {
  if (le) {
    out[off] = v & 0xff;
    out[off + 1] = (v >>> 8) & 0xff;
  } else {
    out[off] = (v >>> 8) & 0xff;
    out[off + 1] = v & 0xff;
  }
}

/** Collects (time, IP packet) records and produces a classic pcap file. */
export class PcapWriter {
  /** Maximum bytes kept per record; longer packets are truncated (orig_len keeps their length). */
  readonly snaplen: number;
  /** Link type of the file (LINKTYPE.RAW: raw IPv4/IPv6 packets). */
  readonly linktype: number;
  /** Byte order of the file. */
  readonly littleEndian: boolean;
  /** Added to every record's time to form its Unix timestamp. */
  readonly epochMs: Millis;
  readonly #records: PendingRecord[] = [];

  constructor(opts: PcapWriterOptions = {}) {
    const snaplen = opts.snaplen ?? 65535;
    if (!Number.isInteger(snaplen) || snaplen < 1 || snaplen > 0x7fffffff) throw new RangeError(`"snaplen" expected integer in 1..2^31-1, got ${snaplen}`);
    const linktype = opts.linktype ?? LINKTYPE.RAW;
    if (!Number.isInteger(linktype) || linktype < 0 || linktype > 0xffffffff) throw new RangeError(`"linktype" expected u32, got ${linktype}`);
    const epochMs = opts.epochMs ?? 0;
    if (!Number.isFinite(epochMs) || epochMs < 0) throw new RangeError(`"epochMs" expected a finite number >= 0, got ${epochMs}`);
    this.snaplen = snaplen;
    this.linktype = linktype;
    this.littleEndian = opts.littleEndian ?? true;
    this.epochMs = epochMs;
  }

  /** Number of records so far. */
  get count(): number {
    return this.#records.length;
  }

  /** Adds one record: `packet` is the whole link-layer frame (an IP packet for LINKTYPE_RAW). */
  add(timeMs: Millis, packet: Uint8Array): void {
    abytes(packet, 'packet');
    const total = this.epochMs + timeMs;
    if (typeof timeMs !== 'number' || !Number.isFinite(total) || total < 0) throw new RangeError(`"timeMs" expected a finite time >= -epochMs, got ${String(timeMs)}`);
    let tsSec = Math.floor(total / 1000);
    let tsUsec = Math.round((total - tsSec * 1000) * 1000);
    if (tsUsec >= 1_000_000) {
      tsSec += 1;
      tsUsec -= 1_000_000;
    }
    if (tsSec > 0xffffffff) throw new RangeError(`"timeMs" beyond the 32-bit pcap timestamp: ${total} ms`);
    this.#records.push({ tsSec, tsUsec, bytes: Uint8Array.from(packet) });
  }

  /** Builds the IP packet (`buildIpPacket`) and adds it. */
  addIp(timeMs: Millis, spec: IpPacketSpec): void {
    this.add(timeMs, buildIpPacket(spec));
  }

  /** The file: global header then every record, in the order added. */
  toBytes(): Uint8Array {
    let size = PCAP_GLOBAL_HEADER_BYTES;
    for (const r of this.#records) size += PCAP_RECORD_HEADER_BYTES + Math.min(r.bytes.length, this.snaplen);
    const out = new Uint8Array(size);
    const le = this.littleEndian;
    put32(out, 0, PCAP_MAGIC, le);
    put16(out, 4, 2, le);
    put16(out, 6, 4, le);
    put32(out, 8, 0, le); // thiszone: UTC
    put32(out, 12, 0, le); // sigfigs
    put32(out, 16, this.snaplen, le);
    put32(out, 20, this.linktype, le);
    let off = PCAP_GLOBAL_HEADER_BYTES;
    for (const r of this.#records) {
      const incl = Math.min(r.bytes.length, this.snaplen);
      put32(out, off, r.tsSec, le);
      put32(out, off + 4, r.tsUsec, le);
      put32(out, off + 8, incl, le);
      put32(out, off + 12, r.bytes.length, le);
      out.set(r.bytes.subarray(0, incl), off + PCAP_RECORD_HEADER_BYTES);
      off += PCAP_RECORD_HEADER_BYTES + incl;
    }
    return out;
  }
}

/** One record of a pcap file: its timestamp, original length and the captured bytes. */
export type PcapRecord = {
  readonly tsSec: number;
  /** Microseconds, or nanoseconds in a nanosecond-resolution file. */
  readonly tsFrac: number;
  /** tsSec and tsFrac as milliseconds since the epoch. */
  readonly timeMs: Millis;
  /** Captured length (incl_len) is `bytes.length`. */
  readonly origLen: number;
  readonly bytes: Uint8Array;
};

/** A parsed pcap file: the global header fields and every record. */
export type PcapFile = {
  readonly littleEndian: boolean;
  readonly nanosecond: boolean;
  readonly versionMajor: number;
  readonly versionMinor: number;
  readonly thiszone: number;
  readonly sigfigs: number;
  readonly snaplen: number;
  readonly linktype: number;
  readonly records: readonly PcapRecord[];
};

/** Why a pcap file could not be read. */
export type PcapErrorCode = 'NOT_BYTES' | 'TRUNCATED_HEADER' | 'BAD_MAGIC' | 'BAD_VERSION' | 'TRUNCATED_RECORD';
/** A pcap read error: its code, a message and the byte offset where reading stopped. */
export type PcapError = { readonly code: PcapErrorCode; readonly message: string; readonly offset: number };
/** What {@link readPcap} returns: the parsed file, or an error. It never throws. */
export type PcapReadResult = { readonly ok: true; readonly value: PcapFile } | { readonly ok: false; readonly error: PcapError };

function get32(b: Uint8Array, off: number, le: boolean): number {
  return le
    ? (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0
    : ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}

function get16(b: Uint8Array, off: number, le: boolean): number {
  return le ? b[off]! | (b[off + 1]! << 8) : (b[off]! << 8) | b[off + 1]!;
}

const err = (code: PcapErrorCode, message: string, offset: number): PcapReadResult => ({ ok: false, error: { code, message, offset } });

/**
 * Parses a classic pcap file of either byte order and either timestamp resolution. Never throws:
 * malformed or truncated input gives `{ ok: false, error }`. Record bytes are copies.
 */
export function readPcap(bytes: Uint8Array): PcapReadResult {
  if (!(bytes instanceof Uint8Array)) return err('NOT_BYTES', 'expected Uint8Array', 0);
  if (bytes.length < PCAP_GLOBAL_HEADER_BYTES) return err('TRUNCATED_HEADER', `global header needs 24 bytes, have ${bytes.length}`, 0);
  let le: boolean;
  let nanosecond: boolean;
  const magicBe = get32(bytes, 0, false);
  const magicLe = get32(bytes, 0, true);
  if (magicBe === PCAP_MAGIC || magicBe === PCAP_MAGIC_NANO) {
    le = false;
    nanosecond = magicBe === PCAP_MAGIC_NANO;
  } else if (magicLe === PCAP_MAGIC || magicLe === PCAP_MAGIC_NANO) {
    le = true;
    nanosecond = magicLe === PCAP_MAGIC_NANO;
  } else {
    return err('BAD_MAGIC', `unknown magic 0x${magicBe.toString(16).padStart(8, '0')}`, 0);
  }
  const versionMajor = get16(bytes, 4, le);
  const versionMinor = get16(bytes, 6, le);
  if (versionMajor !== 2) return err('BAD_VERSION', `unsupported version ${versionMajor}.${versionMinor}`, 4);
  const thiszone = get32(bytes, 8, le) | 0;
  const sigfigs = get32(bytes, 12, le);
  const snaplen = get32(bytes, 16, le);
  const linktype = get32(bytes, 20, le);
  const records: PcapRecord[] = [];
  let off = PCAP_GLOBAL_HEADER_BYTES;
  const fracPerMs = nanosecond ? 1_000_000 : 1000;
  while (off < bytes.length) {
    if (bytes.length - off < PCAP_RECORD_HEADER_BYTES) {
      return err('TRUNCATED_RECORD', `record header needs 16 bytes, have ${bytes.length - off}`, off);
    }
    const tsSec = get32(bytes, off, le);
    const tsFrac = get32(bytes, off + 4, le);
    const incl = get32(bytes, off + 8, le);
    const origLen = get32(bytes, off + 12, le);
    const start = off + PCAP_RECORD_HEADER_BYTES;
    if (incl > bytes.length - start) {
      return err('TRUNCATED_RECORD', `record of ${incl} bytes, have ${bytes.length - start}`, off);
    }
    records.push({ tsSec, tsFrac, timeMs: tsSec * 1000 + tsFrac / fracPerMs, origLen, bytes: new Uint8Array(bytes.subarray(start, start + incl)) });
    off = start + incl;
  }
  return { ok: true, value: { littleEndian: le, nanosecond, versionMajor, versionMinor, thiszone, sigfigs, snaplen, linktype, records } };
}
