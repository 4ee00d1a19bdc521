// Crypto bench: the "crypto floor" of one HIP base exchange and of one UPDATE per suite, with the
// pure-JS default provider (nobleCrypto) and the optional node:crypto provider side by side.
// Run with `npm run bench -- crypto`.
//
// Crypto floor of a base exchange (both hosts, everything a BEX must compute, no codec, no
// engine; puzzle K = 0, i.e. one hash to solve and one to verify):
//   signatures: 3 signs (R1 HIP_SIGNATURE_2, I2 HIP_SIGNATURE, R2 HIP_SIGNATURE)
//               3 verifies (R1 by I, I2 by R, R2 by I)
//   DH:         2 key pairs (R's, I's) + 2 shared secrets (I, R)
//   KEYMAT:     2 HKDF derivations (I, R) with the key draws of HIP and ESP keys
//   HMAC:       4 (I2 HIP_MAC make/check, R2 HIP_MAC_2 make/check)
//   ENCRYPTED:  1 AES-128-CBC encrypt + 1 decrypt of the Initiator's HOST_ID
//   hashes:     2 HIT derivations (each host checks the peer's HIT), 2 puzzle hashes
// Crypto floor of one UPDATE (one signed UPDATE packet, sender + receiver):
//   1 sign + 1 verify + 2 HMAC (HIP_MAC make/check). A rekey exchange is three such UPDATEs
//   (plus, with DIFFIE_HELLMAN, 2 key pairs, 2 shared secrets and 2 HKDF).
// Covered bytes are fixed-size buffers of typical packet sizes (R1 ~ 600 B, I2 ~ 700 B,
// R2 ~ 200 B, UPDATE ~ 250 B), so only the cryptography is timed.
import * as nc from 'node:crypto';
import { Bench } from 'tinybench';
import {
  decryptHostId,
  deriveBexKeys,
  encryptHostId,
  hitFromHostIdentity,
  importHostIdentity,
  nobleCrypto,
  solvePuzzle,
  verifyPuzzle,
  type CryptoProvider,
  type HostIdentity,
  type RandomSource,
} from '../src/crypto/index.js';
import { nodeCrypto } from '../src/crypto/node/index.js';

type Suite = { name: string; key: () => nc.KeyObject; group: number };

const SUITES: Suite[] = [
  { name: 'ECDSA P-256 + ECDH P-256 (group 7)', key: () => nc.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey, group: 7 },
  { name: 'ECDSA P-384 + ECDH P-384 (group 8)', key: () => nc.generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey, group: 8 },
  { name: 'Ed25519 + ECDH P-256 (group 7)', key: () => nc.generateKeyPairSync('ed25519').privateKey, group: 7 },
  { name: 'RSA-2048 + MODP-1536 (group 3)', key: () => nc.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, group: 3 },
];

const random: RandomSource = (n) => new Uint8Array(nc.randomBytes(n));
const identity = (k: nc.KeyObject): HostIdentity => importHostIdentity(new Uint8Array(k.export({ type: 'pkcs8', format: 'der' })));

const R1_BYTES = random(600);
const I2_BYTES = random(700);
const R2_BYTES = random(200);
const UPDATE_BYTES = random(250);

function bexFloor(c: CryptoProvider, I: HostIdentity, R: HostIdentity, groupId: number): void {
  const g = c.dhGroup(groupId)!;
  const sigR = c.hostIdAlgorithm(R.algorithm)!;
  const sigI = c.hostIdAlgorithm(I.algorithm)!;
  const hash = R.suite === 2 ? 'sha384' : R.suite === 3 ? 'sha1' : 'sha256';
  const n = hash === 'sha384' ? 48 : hash === 'sha1' ? 20 : 32;
  // Responder: R1
  const rDh = g.generate(random);
  const s1 = sigR.sign(R.privateKey, R1_BYTES, random);
  const randomI = random(n);
  // Initiator: R1
  hitFromHostIdentity(R.suite, R.hostIdentity, c);
  if (!sigR.verify(R.hostIdentity, R1_BYTES, s1)) throw new Error('R1 verify');
  const sol = solvePuzzle({ crypto: c, hash, k: 0, randomI, hitI: I.hit, hitR: R.hit, random, maxAttempts: 1 });
  if (!sol.ok) throw new Error('puzzle');
  const iDh = g.generate(random);
  const kI = g.shared(iDh.privateKey, rDh.publicValue);
  if (!kI.ok) throw new Error('dh');
  const common = { crypto: c, hash, randomI, randomJ: sol.randomJ, hitI: I.hit, hitR: R.hit, cipher: 2, espSuite: 8 } as const;
  const keysI = deriveBexKeys({ ...common, kij: kI.secret, localHit: I.hit, peerHit: R.hit });
  const enc = encryptHostId(c.cipher(2)!, keysI.local.encKey, random, I.hostIdParam);
  const mac = c.hmac(hash, keysI.local.authKey, I2_BYTES);
  const s2 = sigI.sign(I.privateKey, I2_BYTES, random);
  // Responder: I2
  if (!verifyPuzzle({ crypto: c, hash, k: 0, randomI, hitI: I.hit, hitR: R.hit }, sol.randomJ)) throw new Error('puzzle verify');
  const kR = g.shared(rDh.privateKey, iDh.publicValue);
  if (!kR.ok) throw new Error('dh');
  const keysR = deriveBexKeys({ ...common, kij: kR.secret, localHit: R.hit, peerHit: I.hit });
  if (c.hmac(hash, keysR.peer.authKey, I2_BYTES)[0] !== mac[0]) throw new Error('mac');
  const dec = decryptHostId(c.cipher(2)!, keysR.peer.encKey, enc);
  if (!dec.ok) throw new Error('decrypt');
  hitFromHostIdentity(I.suite, dec.hostId.hostIdentity, c);
  if (!sigI.verify(I.hostIdentity, I2_BYTES, s2)) throw new Error('I2 verify');
  // Responder: R2
  const mac2 = c.hmac(hash, keysR.local.authKey, R2_BYTES);
  const s3 = sigR.sign(R.privateKey, R2_BYTES, random);
  // Initiator: R2
  if (c.hmac(hash, keysI.peer.authKey, R2_BYTES)[0] !== mac2[0]) throw new Error('mac2');
  if (!sigR.verify(R.hostIdentity, R2_BYTES, s3)) throw new Error('R2 verify');
}

function updateFloor(c: CryptoProvider, I: HostIdentity, key: Uint8Array): void {
  const alg = c.hostIdAlgorithm(I.algorithm)!;
  const hash = I.suite === 2 ? 'sha384' : 'sha256';
  const mac = c.hmac(hash, key, UPDATE_BYTES);
  const sig = alg.sign(I.privateKey, UPDATE_BYTES, random);
  if (c.hmac(hash, key, UPDATE_BYTES)[0] !== mac[0]) throw new Error('mac');
  if (!alg.verify(I.hostIdentity, UPDATE_BYTES, sig)) throw new Error('verify');
}

export async function run(): Promise<void> {
  const providers = [nobleCrypto(), nodeCrypto()];
  type Row = { suite: string; op: string; provider: string; ms: number };
  const rows: Row[] = [];
  for (const s of SUITES) {
    const I = identity(s.key());
    const R = identity(s.key());
    const bench = new Bench({ time: 800, warmupTime: 200, iterations: 5 });
    for (const c of providers) {
      const g = c.dhGroup(s.group)!;
      const alg = c.hostIdAlgorithm(I.algorithm)!;
      const sig = alg.sign(I.privateKey, UPDATE_BYTES, random);
      const kp = g.generate(random);
      const peer = g.generate(random);
      bench
        .add(`${c.name}|BEX floor`, () => bexFloor(c, I, R, s.group))
        .add(`${c.name}|UPDATE floor`, () => updateFloor(c, I, UPDATE_BYTES.subarray(0, 48)))
        .add(`${c.name}|sign`, () => void alg.sign(I.privateKey, UPDATE_BYTES, random))
        .add(`${c.name}|verify`, () => void alg.verify(I.hostIdentity, UPDATE_BYTES, sig))
        .add(`${c.name}|DH key pair`, () => void g.generate(random))
        .add(`${c.name}|DH shared`, () => void g.shared(kp.privateKey, peer.publicValue));
    }
    await bench.run();
    for (const t of bench.tasks) {
      const r = t.result;
      if (r.state !== 'completed') throw new Error(`${t.name}: ${r.state}`);
      const [provider, op] = t.name.split('|') as [string, string];
      rows.push({ suite: s.name, op, provider, ms: r.period });
    }
  }
  const fmt = (ms: number): string => (ms >= 10 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3));
  const rate = (ms: number): string => Math.round(1000 / ms).toLocaleString('en-US');
  console.log('| suite | operation | noble ms | noble /s | node ms | node /s | noble / node |');
  console.log('|---|---|---:|---:|---:|---:|---:|');
  for (const r of rows.filter((x) => x.provider === 'noble')) {
    const n = rows.find((x) => x.provider === 'node' && x.suite === r.suite && x.op === r.op)!;
    console.log(`| ${r.suite} | ${r.op} | ${fmt(r.ms)} | ${rate(r.ms)} | ${fmt(n.ms)} | ${rate(n.ms)} | ${(r.ms / n.ms).toFixed(1)}x |`);
  }
}
