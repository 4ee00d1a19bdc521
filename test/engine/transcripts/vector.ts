// The bex-*.json vector format and its builder. The builder takes what the engines put out
// (run.ts) and adds every derived value (DH private values, Kij, KEYMAT, HIP keys, covered bytes,
// puzzle search, the use of each random draw) computed with node:crypto via node-hip.ts: nothing
// derived here comes from hip-engine's crypto code.
import * as nc from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fixturePkcs8, type FixtureKeyName } from '../../fixtures/keys.js';
import { nodeCovered, nodeHmac, nodeSolve } from '../../crypto/independent.js';
import {
  DH_GROUP_INFO,
  PARAM,
  buf,
  dhFields,
  dhPrivateFromDraw,
  espInfoFields,
  header,
  hostIdFields,
  hx,
  nodeDhPublic,
  nodeDhShared,
  pssSalt,
  puzzleFields,
  r1CounterFields,
  signatureFields,
  solutionFields,
  tlv,
} from './node-hip.js';
import type { HipConfig } from '../../../src/engine/config.js';
import type { Role, TranscriptInputs, TranscriptRun } from './run.js';

export type SuiteDef = {
  readonly id: string;
  readonly file: string;
  readonly title: string;
  readonly initiator: FixtureKeyName;
  readonly responder: FixtureKeyName;
  readonly dhGroup: 3 | 7 | 8;
};

export const SUITES: readonly SuiteDef[] = [
  { id: 'ecdsa-p256', file: 'bex-ecdsa-p256.json', title: 'ECDSA P-256 host identities, ECDH P-256 (DH group 7)', initiator: 'p256A', responder: 'p256B', dhGroup: 7 },
  { id: 'ecdsa-p384', file: 'bex-ecdsa-p384.json', title: 'ECDSA P-384 host identities, ECDH P-384 (DH group 8)', initiator: 'p384A', responder: 'p384B', dhGroup: 8 },
  { id: 'ed25519', file: 'bex-ed25519.json', title: 'Ed25519 host identities, ECDH P-256 (DH group 7)', initiator: 'ed25519A', responder: 'ed25519B', dhGroup: 7 },
  { id: 'rsa2048', file: 'bex-rsa2048.json', title: 'RSA-2048 host identities, MODP-1536 (DH group 3)', initiator: 'rsaA', responder: 'rsaB', dhGroup: 3 },
];

export const LOCATORS = { initiator: { text: '2001:db8::a', hex: '20010db800000000000000000000000a' }, responder: { text: '2001:db8::b', hex: '20010db800000000000000000000000b' } } as const;

export function suiteInputs(s: SuiteDef): TranscriptInputs {
  const host = (role: Role, key: FixtureKeyName): TranscriptInputs['initiator'] => ({
    fixtureKey: `test/fixtures/keys.ts ${key}`,
    pkcs8: hx(fixturePkcs8(key)),
    randomLabel: `hip-engine bex vector ${s.id} ${role}`,
    locator: LOCATORS[role].text,
  });
  return {
    initiator: host('initiator', s.initiator),
    responder: host('responder', s.responder),
    config: { dhGroups: [s.dhGroup], espSuites: [8], hipCiphers: [2], puzzleK: 4 },
    schedule: { createdAt: 0, connectAt: 0, stepMs: 10 },
  };
}

export type DrawUse = 'r1-secret' | 'dh-private' | 'spi' | 'puzzle-j-start' | 'rsa-pss-salt R1' | 'rsa-pss-salt I2' | 'rsa-pss-salt R2';

export type BexVector = {
  description: string;
  suite: { id: string; title: string; hiAlgorithm: number; hitSuite: number; rhash: string; dhGroup: number; dhGroupName: string; hipCipher: number; espSuite: number; puzzleK: number };
  provenance: {
    generator: string;
    hipEngineCommit: string;
    hipEngineSrcSha256: string;
    node: string;
    cryptoProvider: string;
    randomSource: string;
    inputs: TranscriptInputs;
    resolvedConfig: HipConfig;
    derivedWith: string;
    omitted: string[];
  };
  hosts: Record<Role, { fixtureKey: string; pkcs8: string; hiAlgorithm: number; hostIdentity: string; hostIdParam: string; hitSuite: number; hit: string; locator: string; locatorHex: string }>;
  packets: { index: number; kind: string; direction: string; from: Role; to: Role; src: string; dst: string; srcHex: string; dstHex: string; sentAt: number; handledAt: number; length: number; hex: string }[];
  randomDraws: Record<Role, { index: number; length: number; hex: string; use: DrawUse }[]>;
  puzzle: { k: number; lifetime: number; opaque: number; r1Generation: string; randomI: string; randomJ: string; jSearchStart: string; attempts: number; r1Secret: string; randomIRule: string };
  dh: { group: number; groupName: string; initiator: { privateValue: string; publicValue: string }; responder: { privateValue: string; publicValue: string }; kij: string };
  keymat: { hash: string; salt: string; info: string; length: number; hex: string };
  hipKeys: { greaterHit: Role; encLength: number; intLength: number; glEnc: string; glInt: string; lgEnc: string; lgInt: string };
  espKeys: { keymatIndex: number; suite: number; glEnc: string; glAuth: string; lgEnc: string; lgAuth: string };
  auth: {
    packet: string;
    param: string;
    algorithm?: number;
    signer: Role;
    coveredHex: string;
    value: string;
    rsaPssSalt?: string;
  }[];
  sas: Record<Role, { at: number; op: string; spi: number; spiHex: string; direction: string; suite: number; src: string; dst: string; localHit: string; peerHit: string; encKey: string; authKey: string }[]>;
  /** Peer-locator table outputs (RFC 8046 §5.1) each engine emitted, in order. */
  locatorOutputs: Record<Role, TranscriptRun['locators'][Role]>;
  final: { states: Record<Role, string | undefined>; events: Record<Role, string[]> };
};

export const RANDOM_SOURCE_TEXT =
  'testRandom(label) of test/fixtures/keys.ts: the concatenation of SHA-256(UTF-8(label) ‖ uint32be(counter)) for counter = 0, 1, 2, …; ' +
  'each random(n) call takes the next n bytes of that stream. randomDraws lists every call in order.';

/** HEAD commit of the checkout, read from .git without running git. */
export function readGitHead(root: string): string {
  try {
    const head = readFileSync(join(root, '.git', 'HEAD'), 'utf8').trim();
    if (!head.startsWith('ref: ')) return head;
    const ref = head.slice(5);
    try {
      return readFileSync(join(root, '.git', ref), 'utf8').trim();
    } catch {
      const line = readFileSync(join(root, '.git', 'packed-refs'), 'utf8').split('\n').find((l) => l.endsWith(' ' + ref));
      return line?.split(' ')[0] ?? 'unknown';
    }
  } catch {
    return 'unknown';
  }
}

/** SHA-256 over every file under src/ (sorted paths; path, NUL, content, NUL). */
export function srcDigest(root: string): string {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(join(root, dir)).sort()) {
      const rel = `${dir}/${name}`;
      if (statSync(join(root, rel)).isDirectory()) walk(rel);
      else files.push(rel);
    }
  };
  walk('src');
  const h = nc.createHash('sha256');
  for (const f of files) h.update(f).update('\0').update(readFileSync(join(root, f))).update('\0');
  return h.digest('hex');
}

const RHASH: Record<number, string> = { 1: 'sha256', 2: 'sha384', 5: 'sha256' };
const ROLE_OF_PACKET: Record<string, Role> = { I1: 'initiator', R1: 'responder', I2: 'initiator', R2: 'responder' };

/** Assembles the vector from a run; throws if any value cannot be derived independently. */
export function buildVector(s: SuiteDef, inputs: TranscriptInputs, run: TranscriptRun, meta: { commit: string; srcSha256: string }): BexVector {
  const pk = (kind: string): Buffer => {
    const p = run.packets.filter((x) => x.kind === kind);
    if (p.length !== 1) throw new Error(`expected one ${kind}, got ${p.length}`);
    return Buffer.from(p[0]!.bytes);
  };
  const r1 = pk('R1');
  const i2 = pk('I2');
  const r2 = pk('R2');
  const hitI = header(i2).senderHit;
  const hitR = header(r1).senderHit;
  const hidR = tlv(r1, PARAM.HOST_ID);
  const hidI = tlv(i2, PARAM.HOST_ID);
  const hostIdR = hostIdFields(hidR);
  const hostIdI = hostIdFields(hidI);
  const hitSuite = hitR[3]! & 0x0f;
  const rhash = RHASH[hitSuite]!;
  const hLen = nc.createHash(rhash).digest().length;

  // Puzzle and R1 counter.
  const puzzle = puzzleFields(tlv(r1, PARAM.PUZZLE));
  const sol = solutionFields(tlv(i2, PARAM.SOLUTION));
  const gen = r1CounterFields(tlv(r1, PARAM.R1_COUNTER)).generation;

  // DH: find each side's private value among its draws, confirmed by node against the wire.
  const group = s.dhGroup;
  const info = DH_GROUP_INFO[group]!;
  const pubR = dhFields(tlv(r1, PARAM.DIFFIE_HELLMAN));
  const pubI = dhFields(tlv(i2, PARAM.DIFFIE_HELLMAN));
  if (pubR.group !== group || pubI.group !== group) throw new Error('unexpected DH group on the wire');
  const uses: Record<Role, (DrawUse | undefined)[]> = { initiator: run.draws.initiator.map(() => undefined), responder: run.draws.responder.map(() => undefined) };
  const claim = (role: Role, i: number, use: DrawUse): void => {
    if (uses[role][i] !== undefined) throw new Error(`${role} draw ${i} matches both ${uses[role][i]} and ${use}`);
    uses[role][i] = use;
  };
  const dhPriv = (role: Role, wire: Buffer): Buffer => {
    const hits = run.draws[role].flatMap((d, i) => {
      if (d.length !== info.drawLength) return [];
      const priv = dhPrivateFromDraw(group, Buffer.from(d));
      return nodeDhPublic(group, priv).equals(wire) ? [{ i, priv }] : [];
    });
    if (hits.length !== 1) throw new Error(`${role}: ${hits.length} draws give the DH public value on the wire`);
    claim(role, hits[0]!.i, 'dh-private');
    return hits[0]!.priv;
  };
  const privI = dhPriv('initiator', pubI.publicValue);
  const privR = dhPriv('responder', pubR.publicValue);
  const kij = nodeDhShared(group, privI, pubR.publicValue);
  if (!kij.equals(nodeDhShared(group, privR, pubI.publicValue))) throw new Error('the two sides compute different Kij');

  // R1 secret (#I = HMAC-RHASH(secret, HIT-I | HIT-R | K)), SPIs, the #J search start.
  const iInput = Buffer.concat([hitI, hitR, Buffer.of(puzzle.k)]);
  let r1Secret = '';
  run.draws.responder.forEach((d, i) => {
    if (d.length === 32 && nodeHmac(rhash, d, iInput) === hx(puzzle.randomI)) {
      claim('responder', i, 'r1-secret');
      r1Secret = hx(d);
    }
  });
  const spiI = espInfoFields(tlv(i2, PARAM.ESP_INFO));
  const spiR = espInfoFields(tlv(r2, PARAM.ESP_INFO));
  for (const [role, spi] of [['initiator', spiI.newSpi], ['responder', spiR.newSpi]] as const) {
    run.draws[role].forEach((d, i) => {
      if (d.length === 4 && Buffer.from(d).readUInt32BE(0) === spi) claim(role, i, 'spi');
    });
  }
  let jStart = '';
  let attempts = 0;
  run.draws.initiator.forEach((d, i) => {
    if (d.length !== hLen || uses.initiator[i] !== undefined) return;
    const diff = be(sol.randomJ) - be(d);
    if (diff < 0n || diff > 1n << 20n) return;
    const solved = nodeSolve(rhash, puzzle.randomI, hitI, hitR, d, puzzle.k);
    if (solved.J.equals(sol.randomJ)) {
      claim('initiator', i, 'puzzle-j-start');
      jStart = hx(d);
      attempts = solved.attempts;
    }
  });

  // Covered bytes, signatures and MACs.
  const auth: BexVector['auth'] = [];
  const sigOf = (name: string, raw: Buffer, type: number, signer: Role, hostId: { algorithm: number; hostIdentity: Buffer }): void => {
    const covered = nodeCovered(raw, type);
    const sig = signatureFields(tlv(raw, type));
    const entry: BexVector['auth'][number] = { packet: name, param: type === PARAM.HIP_SIGNATURE_2 ? 'HIP_SIGNATURE_2' : 'HIP_SIGNATURE', algorithm: sig.algorithm, signer, coveredHex: hx(covered), value: hx(sig.signature) };
    if (hostId.algorithm === 5) {
      const salt = pssSalt(hostId.hostIdentity, covered, sig.signature);
      if (!salt) throw new Error(`${name}: RSA-PSS signature does not decode`);
      entry.rsaPssSalt = hx(salt);
      run.draws[signer].forEach((d, i) => {
        if (salt.equals(Buffer.from(d))) claim(signer, i, `rsa-pss-salt ${name}` as DrawUse);
      });
    }
    auth.push(entry);
  };
  sigOf('R1', r1, PARAM.HIP_SIGNATURE_2, 'responder', hostIdR);
  const macI2 = tlv(i2, PARAM.HIP_MAC);
  auth.push({ packet: 'I2', param: 'HIP_MAC', signer: 'initiator', coveredHex: hx(nodeCovered(i2, PARAM.HIP_MAC)), value: hx(macI2.value) });
  sigOf('I2', i2, PARAM.HIP_SIGNATURE, 'initiator', hostIdI);
  const mac2 = tlv(r2, PARAM.HIP_MAC_2);
  auth.push({ packet: 'R2', param: 'HIP_MAC_2', signer: 'responder', coveredHex: hx(nodeCovered(r2, PARAM.HIP_MAC_2, hidR.whole)), value: hx(mac2.value) });
  sigOf('R2', r2, PARAM.HIP_SIGNATURE, 'responder', hostIdR);

  for (const role of ['initiator', 'responder'] as const) {
    const open = uses[role].findIndex((u) => u === undefined);
    if (open >= 0) throw new Error(`${role} random draw ${open} (${run.draws[role][open]!.length} bytes) has no identified use`);
  }

  // KEYMAT and key slices (RFC 7401 §6.5, RFC 7402 §7) with node hkdfSync.
  const encLen = 16; // HIP_CIPHER 2 = AES-128-CBC
  const hipTotal = 2 * (encLen + hLen);
  const espEnc = 16;
  const espAuth = 32; // ESP suite 8 = AES-128-CBC with HMAC-SHA-256
  const total = hipTotal + 2 * (espEnc + espAuth);
  const salt = Buffer.concat([puzzle.randomI, sol.randomJ]);
  const infoHits = Buffer.compare(hitI, hitR) < 0 ? Buffer.concat([hitI, hitR]) : Buffer.concat([hitR, hitI]);
  const km = Buffer.from(nc.hkdfSync(rhash, kij, salt, infoHits, total));
  let o = 0;
  const take = (n: number): string => hx(km.subarray(o, (o += n)));
  const hipKeys = { greaterHit: (Buffer.compare(hitI, hitR) > 0 ? 'initiator' : 'responder') as Role, encLength: encLen, intLength: hLen, glEnc: take(encLen), glInt: take(hLen), lgEnc: take(encLen), lgInt: take(hLen) };
  const espKeys = { keymatIndex: hipTotal, suite: 8, glEnc: take(espEnc), glAuth: take(espAuth), lgEnc: take(espEnc), lgAuth: take(espAuth) };

  const packets = run.packets.map((p, index) => ({
    index,
    kind: p.kind,
    direction: `${p.from}->${p.to}`,
    from: p.from,
    to: p.to,
    src: p.src,
    dst: p.dst,
    srcHex: LOCATORS[p.from].hex,
    dstHex: LOCATORS[p.to].hex,
    sentAt: p.sentAt,
    handledAt: p.handledAt,
    length: p.bytes.length,
    hex: hx(p.bytes),
  }));
  for (const p of packets) {
    if (p.src !== LOCATORS[p.from].text || p.dst !== LOCATORS[p.to].text || ROLE_OF_PACKET[p.kind] !== p.from) throw new Error(`packet ${p.index} has unexpected addressing`);
  }
  const sasOf = (role: Role): BexVector['sas'][Role] =>
    run.sas[role].map((x) => ({
      at: x.at,
      op: x.op,
      spi: x.spi,
      spiHex: x.spi.toString(16).padStart(8, '0'),
      direction: x.direction,
      suite: x.suite,
      src: x.src,
      dst: x.dst,
      localHit: hx(x.localHit),
      peerHit: hx(x.peerHit),
      encKey: hx(x.encKey),
      authKey: hx(x.authKey),
    }));
  const hostOf = (role: Role, hid: typeof hidR, f: typeof hostIdR, hit: Buffer): BexVector['hosts'][Role] => ({
    fixtureKey: inputs[role].fixtureKey,
    pkcs8: inputs[role].pkcs8,
    hiAlgorithm: f.algorithm,
    hostIdentity: hx(f.hostIdentity),
    hostIdParam: hx(hid.whole),
    hitSuite: hit[3]! & 0x0f,
    hit: hx(hit),
    locator: LOCATORS[role].text,
    locatorHex: LOCATORS[role].hex,
  });

  if (JSON.stringify(run.resolvedConfig.initiator) !== JSON.stringify(run.resolvedConfig.responder)) throw new Error('the two engines resolved different configs');
  return {
    description:
      `A complete HIPv2 base exchange (RFC 7401 §4.1, ESP per RFC 7402) between two hip-engine instances: ${s.title}. ` +
      'Every packet as sent (IPv6 pseudo-header checksums), every random draw with its use, the DH private values and Kij, #I and #J, ' +
      'the KEYMAT prefix covering the HIP and ESP keys, the covered bytes of every signature and MAC, and the SAs each side installed.',
    suite: {
      id: s.id,
      title: s.title,
      hiAlgorithm: hostIdR.algorithm,
      hitSuite,
      rhash,
      dhGroup: group,
      dhGroupName: info.name,
      hipCipher: 2,
      espSuite: 8,
      puzzleK: puzzle.k,
    },
    provenance: {
      generator: 'test/engine/transcripts.test.ts with GEN_VECTORS=1 (engine run: test/engine/transcripts/run.ts; derived values: test/engine/transcripts/vector.ts + node-hip.ts)',
      hipEngineCommit: meta.commit,
      hipEngineSrcSha256: meta.srcSha256,
      node: process.version,
      cryptoProvider: 'nobleCrypto() (the engine default; no crypto option given)',
      randomSource: RANDOM_SOURCE_TEXT,
      inputs,
      resolvedConfig: run.resolvedConfig.initiator,
      derivedWith:
        'Packets, SAs, random draws, events and states are the engines\' outputs. Everything else is computed with node:crypto (OpenSSL), BigInt and byte surgery, ' +
        'never with hip-engine\'s crypto: each side\'s DH private value is the random draw that, mapped by the rule in node-hip.ts dhPrivateFromDraw, gives the public value on the wire under node ECDH/DH; ' +
        'Kij = node computeSecret (both sides agree); KEYMAT = node hkdfSync(rhash, Kij, #I‖#J, sort(HIT-I, HIT-R)); covered bytes by byte surgery (RFC 7401 §6.4); ' +
        '#J search start re-solved with node hashes; RSA-PSS salts recovered from the signatures (EMSA-PSS decoding); r1Secret found by node HMAC against #I.',
      omitted: [
        'Nothing required is missing: the engine does not expose DH private values or Kij, so they were reconstructed from the recorded random draws and confirmed against the wire with node:crypto (see derivedWith).',
        'ECDSA signatures are RFC 6979 deterministic (noble); node cannot re-create those bytes (its ECDSA is randomised), so they are checked by verification only. Ed25519 is deterministic and verified; RSA-PSS salts are listed per signature.',
        'HIP encryption keys (glEnc/lgEnc) are drawn but unused: HOST_ID travels in the clear in I2 (config encryptHostId false), so there is no ENCRYPTED parameter.',
        'The responder stays in R2-SENT at the end (RFC 7401 §6.9 step 21: it moves to ESTABLISHED on data, an UPDATE or after r2SentTimeoutMs), which is outside the transcript.',
      ],
    },
    hosts: { initiator: hostOf('initiator', hidI, hostIdI, hitI), responder: hostOf('responder', hidR, hostIdR, hitR) },
    packets,
    randomDraws: {
      initiator: run.draws.initiator.map((d, index) => ({ index, length: d.length, hex: hx(d), use: uses.initiator[index]! })),
      responder: run.draws.responder.map((d, index) => ({ index, length: d.length, hex: hx(d), use: uses.responder[index]! })),
    },
    puzzle: {
      k: puzzle.k,
      lifetime: puzzle.lifetime,
      opaque: puzzle.opaque,
      r1Generation: gen.toString(),
      randomI: hx(puzzle.randomI),
      randomJ: hx(sol.randomJ),
      jSearchStart: jStart,
      attempts,
      r1Secret,
      randomIRule: '#I = HMAC-RHASH(r1Secret, HIT-I ‖ HIT-R ‖ K) (hip-engine\'s stateless R1, src/engine/r1.ts; a local choice, not protocol)',
    },
    dh: {
      group,
      groupName: info.name,
      initiator: { privateValue: hx(privI), publicValue: hx(pubI.publicValue) },
      responder: { privateValue: hx(privR), publicValue: hx(pubR.publicValue) },
      kij: hx(kij),
    },
    keymat: { hash: rhash, salt: hx(salt), info: hx(infoHits), length: total, hex: hx(km) },
    hipKeys,
    espKeys,
    auth,
    sas: { initiator: sasOf('initiator'), responder: sasOf('responder') },
    locatorOutputs: run.locators,
    final: { states: run.states, events: run.events },
  };
}

function be(b: Uint8Array): bigint {
  return BigInt('0x' + (hx(b) || '0'));
}

export { buf };
