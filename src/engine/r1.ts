// R1 management (RFC 7401 §6.7.1): stateless answers to I1 from pre-signed R1 templates.
//
// The generation counter advances every `r1RotateMs` of engine time, computed from `now`, so no
// timer is needed: a template is rebuilt lazily when the first I1 of a new generation arrives.
// HIP_SIGNATURE_2 leaves the Receiver's HIT, the puzzle's #I and Opaque out of the signature
// (§5.2.15), so one signed template serves every Initiator: per I1 only #I and the checksum
// change. #I = HMAC-RHASH(generation secret, HIT-I | HIT-R | K), so the Responder can check an
// I2's puzzle without keeping per-Initiator state and never keys on the Initiator's IP address
// (RFC 8047 §4.2.8: the I2 may come from another address).
import { signPacket } from '../crypto/auth.js';
import type { HostIdentity } from '../crypto/host-id.js';
import { encodeHitSuiteList, rhashLength, rhashOf } from '../crypto/hit.js';
import { supportedDhGroups, supportedEspTransforms, supportedHipCiphers } from '../crypto/negotiate.js';
import type { DhGroupId, DhKeyPair, HitSuiteId } from '../crypto/provider.js';
import type { Hit, Millis } from '../types.js';
import { concatBytes, toHex } from '../util/bytes.js';
import { TRANSPORT_FORMAT } from '../wire/constants.js';
import { encodePacket } from '../wire/packet.js';
import type { ParamInit } from '../wire/types.js';
import type { EngineCore } from './context.js';
import { ordered } from './packets.js';
import { regInfoParam } from './registration.js';
import { r1NatParams } from './nat-negotiation.js';

type Template = {
  /** Parameters before HIP_SIGNATURE_2 except PUZZLE, which is made per I1. */
  readonly before: readonly ParamInit[];
  readonly after: readonly ParamInit[];
  readonly signature: { readonly algorithm: number; readonly signature: Uint8Array };
};

type Generation = {
  readonly generation: bigint;
  readonly secret: Uint8Array;
  readonly dh: Map<DhGroupId, DhKeyPair>;
  readonly templates: Map<string, Template>;
};

const ZERO_HIT = new Uint8Array(16);

export class R1Cache {
  private readonly origin: Millis;
  private readonly gens = new Map<bigint, Generation>();

  constructor(origin: Millis) {
    this.origin = origin;
  }

  /** The R1 generation counter at `now` (starts at 1; RFC 7401 §5.2.3). */
  generationAt(core: EngineCore, now: Millis): bigint {
    return 1n + BigInt(Math.floor(Math.max(0, now - this.origin) / core.config.r1RotateMs));
  }

  /** True when an I2 may still answer an R1 of `generation` (§6.9 step 7). */
  accepts(core: EngineCore, generation: bigint): boolean {
    const current = this.generationAt(core, core.now);
    return generation <= current && generation >= current - BigInt(core.config.r1AcceptGenerations) && this.gens.has(generation);
  }

  /** Our DH key pair for `group` in `generation`, if that generation is still kept. */
  dhKey(generation: bigint, group: DhGroupId): DhKeyPair | undefined {
    return this.gens.get(generation)?.dh.get(group);
  }

  /** The #I we issue to (hitI, hitR) with difficulty K in `generation`. */
  puzzleI(core: EngineCore, generation: bigint, identity: HostIdentity, hitI: Hit, k: number): Uint8Array | undefined {
    const g = this.gens.get(generation);
    if (!g) return undefined;
    return core.crypto.hmac(rhashOf(identity.suite), g.secret, concatBytes(hitI, identity.hit, Uint8Array.of(k)));
  }

  /**
   * The parameters of an R1 from `identity` to `hitI` offering `group`, signed; with our
   * LOCATOR_SET (type 0 only, RFC 8047 §5.1) when one is given. `relayed`: the R1 answers an I1
   * relayed by one of our Control Relay Servers, whose NAT_TRAVERSAL_MODE must offer ICE-HIP-UDP
   * (RFC 9028 §4.5 step 3): a template of its own, signed once per generation like the others,
   * so a relayed I1 costs no signature either.
   */
  r1Params(core: EngineCore, identity: HostIdentity, hitI: Hit, group: DhGroupId, k: number, locatorSet?: ParamInit, relayed = false): { params: ParamInit[]; generation: bigint } {
    const gen = this.current(core);
    const lsKey = locatorSet ? JSON.stringify(locatorSet, (_, v) => (v instanceof Uint8Array ? toHex(v) : v)) : '';
    const key = `${toHex(identity.hit)}/${group}/${k}/${relayed ? 'relayed' : 'direct'}/${lsKey}`;
    let t = gen.templates.get(key);
    if (!t) {
      t = this.buildTemplate(core, gen, identity, group, k, locatorSet, relayed);
      gen.templates.set(key, t);
    }
    const randomI = this.puzzleI(core, gen.generation, identity, hitI, k)!;
    const puzzle: ParamInit = {
      kind: 'PUZZLE',
      k,
      lifetime: core.config.puzzleLifetimeExp,
      opaque: Number(gen.generation & 0xffffn),
      randomI,
    };
    return {
      params: ordered([...t.before, puzzle, ...t.after, { kind: 'HIP_SIGNATURE_2', ...t.signature }]),
      generation: gen.generation,
    };
  }

  /**
   * Drops the signed R1 templates (keeping each generation's secret and DH keys, so puzzles and
   * I2s of R1s already sent stay valid): the next R1 is built again, with a changed REG_INFO for
   * instance (RFC 8003 §3.1).
   */
  forgetTemplates(): void {
    for (const g of this.gens.values()) g.templates.clear();
  }

  private current(core: EngineCore): Generation {
    const generation = this.generationAt(core, core.now);
    let g = this.gens.get(generation);
    if (!g) {
      g = { generation, secret: core.random(32), dh: new Map(), templates: new Map() };
      this.gens.set(generation, g);
      // Delta S (§6.7.1): keep the generations whose puzzles are still accepted, drop the rest.
      const oldest = generation - BigInt(core.config.r1AcceptGenerations);
      for (const old of this.gens.keys()) if (old < oldest) this.gens.delete(old);
    }
    return g;
  }

  private buildTemplate(core: EngineCore, gen: Generation, identity: HostIdentity, group: DhGroupId, k: number, locatorSet: ParamInit | undefined, relayed: boolean): Template {
    let dh = gen.dh.get(group);
    if (!dh) {
      dh = core.crypto.dhGroup(group)!.generate(core.random);
      gen.dh.set(group, dh);
    }
    const c = core.config;
    const suites = c.hitSuites.filter((s): s is HitSuiteId => s === 1 || s === 2 || s === 3 || s === 5);
    const ciphers = supportedHipCiphers(core.crypto, c.hipCiphers).filter((id) => id !== 1 || c.allowNullHipCipher);
    const esp = supportedEspTransforms(core.crypto, c.espSuites).filter((id) => id !== 7 || c.allowAuthOnlyEsp);
    // §5.3.2 parameter list, in type order: R1_COUNTER, (PUZZLE), DH_GROUP_LIST, DIFFIE_HELLMAN,
    // HIP_CIPHER, HOST_ID, HIT_SUITE_LIST, TRANSPORT_FORMAT_LIST, ESP_TRANSFORM (RFC 7402 §5.1.2).
    const before: ParamInit[] = [
      { kind: 'R1_COUNTER', generation: gen.generation },
      ...(locatorSet ? [locatorSet] : []),
      { kind: 'DH_GROUP_LIST', groups: supportedDhGroups(core.crypto, c.dhGroups) },
      { kind: 'DIFFIE_HELLMAN', groupId: group, publicValue: dh.publicValue },
      { kind: 'HIP_CIPHER', ciphers },
      {
        kind: 'HOST_ID',
        diType: identity.diType,
        algorithm: identity.algorithm,
        hostIdentity: identity.hostIdentity,
        domainIdentifier: identity.domainIdentifier,
      },
      { kind: 'HIT_SUITE_LIST', suites: encodeHitSuiteList(suites) },
    ];
    const after: ParamInit[] = [
      { kind: 'TRANSPORT_FORMAT_LIST', formats: [TRANSPORT_FORMAT.ESP] },
      { kind: 'ESP_TRANSFORM', suites: esp },
      // RFC 8003 §3.1: a registrar announces its services in every R1 (signed, §4.2).
      ...optionalParam(regInfoParam(core)),
      // RFC 9028 §4.3 step 2, §4.4: the modes we support and our minimum Ta (signed); ICE-HIP-UDP
      // when the I1 came through a Control Relay Server (§4.5 step 3).
      ...r1NatParams(core, relayed),
    ];
    // Signed with the Receiver's HIT, #I and Opaque zeroed (§5.2.15); K stays covered.
    const zeroPuzzle: ParamInit = { kind: 'PUZZLE', k, lifetime: c.puzzleLifetimeExp, opaque: 0, randomI: new Uint8Array(rhashLength(identity.suite)) };
    const unsigned = encodePacket({
      kind: 'R1',
      senderHit: identity.hit,
      receiverHit: ZERO_HIT,
      params: ordered([...before, zeroPuzzle, ...after]),
    });
    const signature = signPacket(core.crypto, identity, unsigned, core.random, 'HIP_SIGNATURE_2');
    return { before, after, signature };
  }
}

function optionalParam(p: ParamInit | undefined): ParamInit[] {
  return p ? [p] : [];
}
