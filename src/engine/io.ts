// The engine's inputs and outputs (docs/architecture.md, The driving contract). Outputs leave through ONE ordered queue so
// that "install inbound SA" always precedes the R2 or UPDATE that announces its SPI.
import type { AssocId, CandidateKind, Hit, Locator, PeerLocator, SaSpec, UdpPorts } from '../types.js';
import type { PacketKind } from '../wire/constants.js';
import type { HipPacket } from '../wire/types.js';
import type { DropReason } from './errors.js';

/**
 * What `HipEngine.handle` takes: a received HIP packet (raw or decoded) or data-plane feedback.
 * `src` and `dst` are 16-byte locators, or 4-byte IPv4 addresses as a socket or a pcap gives
 * them, which the engine maps to the IPv4-in-IPv6 form (RFC 8046 §4.2); any other length throws
 * a RangeError naming the field.
 */
export type Input =
  /** A packet the caller already decoded (e.g. to demultiplex). */
  | { readonly kind: 'packet'; readonly packet: HipPacket; readonly src: Locator; readonly dst: Locator }
  /**
   * Raw HIP packet bytes as received from IP (protocol 139), or after the UDP zero marker with
   * `transport: 'udp'` (RFC 9028 §5.1: the HIP checksum is then zero and not verified; the UDP
   * checksum protects the packet instead). With 'udp', `srcPort` and `dstPort` are the UDP ports
   * it arrived with; absent, both are taken as 10500 (RFC 9028 §5.1).
   */
  | {
      readonly kind: 'datagram';
      readonly bytes: Uint8Array;
      readonly src: Locator;
      readonly dst: Locator;
      readonly transport?: 'ip' | 'udp';
      readonly srcPort?: number;
      readonly dstPort?: number;
    }
  /** The data plane authenticated an inbound ESP packet on `spi` (RFC 8046 §5.4 implicit verification, §5.6 credit). */
  | {
      readonly kind: 'esp-seen';
      readonly spi: number;
      readonly src: Locator;
      readonly dst: Locator;
      readonly bytes?: number;
      /** The UDP ports of a UDP-encapsulated packet (RFC 9028 §5.11); a changed source port is a NAT rebinding. */
      readonly udp?: UdpPorts | undefined;
    }
  /** The data plane's outbound sequence number on `spi` is close to wrapping: rekey (RFC 7402 §6). */
  | { readonly kind: 'esp-seq-exhausting'; readonly spi: number }
  /**
   * A local path is failing (RFC 8047 §4.2.3): sending from our `src` to the peer's `dst` on the
   * SA `spi` (outbound or inbound SPI of the pair) failed, because the interface went down, an
   * ICMP unreachable came back, or the send returned an error. The engine moves that SA's
   * traffic to another local locator of the family and announces it as preferred, or, with no
   * other local locator, moves to another peer locator and checks `dst` again.
   */
  | { readonly kind: 'path-error'; readonly spi: number; readonly src: Locator; readonly dst: Locator; readonly cause: PathErrorCause };

/** What made a local path fail (the `path-error` input). */
export type PathErrorCause = 'interface-down' | 'unreachable' | 'send-error';

/** Why an association failed (the `failed` event). */
export type FailReason =
  | 'i1-retries'
  | 'i2-retries'
  | 'puzzle-too-hard'
  | 'no-common-dh-group'
  | 'no-common-cipher'
  | 'no-common-esp-transform'
  | 'unsupported-hit-suite'
  | 'notify'
  | 'update-retries'
  /** The Responder offered no NAT traversal mode of ours (RFC 9028 §4.3). */
  | 'no-common-nat-mode';

/** Which side of the base exchange this host was (RFC 7401 §4.1). */
export type Role = 'initiator' | 'responder';

/** Events in the output queue (`{ kind: 'event', event }`). */
export type HipEvent =
  | { readonly type: 'established'; readonly assoc: AssocId; readonly peerHit: Hit; readonly role: Role }
  /**
   * ICE-HIP-UDP nominated a candidate pair (RFC 9028 §4.6.3): HIP control traffic and the SAs use
   * it from now on (`sa` `update` outputs carry the new addresses and UDP ports).
   */
  | { readonly type: 'nat-path'; readonly assoc: AssocId; readonly src: Locator; readonly dst: Locator; readonly srcPort: number; readonly dstPort: number; readonly kind: CandidateKind }
  /**
   * Every ICE-HIP-UDP connectivity check failed (RFC 9028 §4.6.3): the association stays on the
   * locators of the base exchange for HIP packets, and the application MUST NOT send ESP on it.
   * A later check from the peer can still trigger checks that succeed (RFC 8445 §7.3.1.4): a
   * `nat-path` event then follows.
   */
  | { readonly type: 'nat-checks-failed'; readonly assoc: AssocId }
  | { readonly type: 'update-completed'; readonly assoc: AssocId; readonly what: 'rekey' | 'new-sa' | 'locators' }
  | { readonly type: 'closed'; readonly assoc: AssocId; readonly by: 'local' | 'peer' | 'lifetime' }
  | { readonly type: 'failed'; readonly assoc: AssocId; readonly reason: FailReason }
  /**
   * A registration was granted or refreshed (RFC 8003 §3.3): `as` 'requester' when the peer
   * granted it to us, 'registrar' when we granted it to the peer; lifetime in seconds.
   */
  | { readonly type: 'registered'; readonly assoc: AssocId; readonly peerHit: Hit; readonly as: 'requester' | 'registrar'; readonly regTypes: readonly number[]; readonly lifetimeS: number }
  /** The registrar refused registration types with a Failure Type (RFC 8003 §4.5); 1 also when it never offered them. */
  | { readonly type: 'registration-failed'; readonly assoc: AssocId; readonly peerHit: Hit; readonly regTypes: readonly number[]; readonly failureType: number }
  /**
   * Registrations ended: cancelled with lifetime 0 (RFC 8003 §5), expired unrefreshed, or
   * `closed` because the association that carried them ended (closed, timed out, or replaced by
   * a new base exchange): a registration only exists inside its association (RFC 8003 §6).
   */
  | { readonly type: 'registration-ended'; readonly assoc: AssocId; readonly peerHit: Hit; readonly as: 'requester' | 'registrar'; readonly regTypes: readonly number[]; readonly by: 'cancelled' | 'expired' | 'closed' }
  /**
   * A Control Relay Server told us, in the REG_FROM of an authenticated R2 or UPDATE, the
   * transport address our packets come from as it sees them: our server-reflexive candidate
   * (RFC 9028 §4.1, §4.2). `previous` is the one it replaces (NAT rebinding or movement).
   */
  | {
      readonly type: 'server-reflexive';
      readonly assoc: AssocId;
      readonly peerHit: Hit;
      readonly address: Locator;
      readonly port: number;
      readonly previous?: { readonly address: Locator; readonly port: number };
    }
  /**
   * A NOTIFY arrived (RFC 7401 §6.13: informational only, never a state change). `authenticated`
   * says whether its signature was verified against the peer's known Host Identity.
   */
  | { readonly type: 'notify'; readonly assoc?: AssocId; readonly messageType: number; readonly data: Uint8Array; readonly src: Locator; readonly authenticated: boolean }
  | {
      readonly type: 'dropped';
      readonly reason: DropReason;
      readonly packetKind?: PacketKind;
      readonly src?: Locator;
      readonly assoc?: AssocId;
      /** A short human detail for traces (e.g. the decode error path). Never key material. */
      readonly detail?: string;
    };

/** One output of `HipEngine.poll`: apply them in order (the driving contract). */
export type Output =
  /**
   * A HIP packet to send. With `udp`, send it UDP-encapsulated from `udp.srcPort` to
   * `udp.dstPort` (RFC 9028 §5.1): `bytes` then has a zero HIP checksum, and the caller puts the
   * 32-bit zero marker before it (`encapsulateHip`). Without `udp`, send it as IP protocol 139.
   */
  | { readonly kind: 'transmit'; readonly src: Locator; readonly dst: Locator; readonly bytes: Uint8Array; readonly packet: HipPacket; readonly udp?: UdpPorts }
  /**
   * ESP SA to install, re-point or remove. On `update` (new locators or credit limit, RFC 8046)
   * and `delete` the keys are empty: SPI and direction identify the SA.
   */
  | { readonly kind: 'sa'; readonly op: 'add' | 'update' | 'delete'; readonly sa: SaSpec }
  | { readonly kind: 'locator'; readonly op: 'upsert' | 'remove'; readonly peer: Hit; readonly entry: PeerLocator }
  | { readonly kind: 'event'; readonly event: HipEvent };

/** FIFO with O(1) push and shift (the drain loop is hot in simulations). */
export class OutputQueue {
  private items: Output[] = [];
  private head = 0;

  push(out: Output): void {
    this.items.push(out);
  }
  shift(): Output | undefined {
    if (this.head >= this.items.length) return undefined;
    const out = this.items[this.head]!;
    this.items[this.head] = undefined as unknown as Output;
    this.head++;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    }
    return out;
  }
  get length(): number {
    return this.items.length - this.head;
  }
}
