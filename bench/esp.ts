// ESP data plane throughput: packets/second per suite for 1400-byte payloads, protect and
// unprotect, next to the bare cipher + MAC cost of the same suite on the same sizes (noble
// called directly, fixed IV, no packet assembly) as the ceiling. Ratio = our time per packet /
// bare time per packet (1.00 = no overhead). Target: within 1.3x.
import { randomFillSync } from 'node:crypto';
import { cpus } from 'node:os';
import { cbc, gcm } from '@noble/ciphers/aes.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { Bench } from 'tinybench';
import { EspDataPlane } from '../src/esp/index.js';
import { ESP_SUITE_INFO } from '../src/esp/index.js';
import type { EspSuiteId, RandomSource, SaSpec } from '../src/types.js';

const PAYLOAD = 1400;
const TIME_MS = Number(process.env['ESP_BENCH_MS'] ?? 500);

/** A pooled CSPRNG source, as a production caller would inject (one syscall per 64 KiB). */
function pooledRandom(): RandomSource {
  const pool = new Uint8Array(65536);
  let pos = pool.length;
  return (n) => {
    if (pos + n > pool.length) {
      randomFillSync(pool);
      pos = 0;
    }
    const out = pool.subarray(pos, pos + n);
    pos += n;
    return out;
  };
}

function filled(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 37 + seed) & 0xff);
}

const HIT_A = filled(16, 1);
const HIT_B = filled(16, 2);
const LOC_A = filled(16, 3);
const LOC_B = filled(16, 4);

type Row = { suite: number; name: string; op: string; ours: number; bare: number };

/** Bare cipher + MAC work of one packet, as noble does it without ESP around it. */
function bareOps(suite: EspSuiteId, encKey: Uint8Array, authKey: Uint8Array): { seal: () => void; open: () => void } {
  const info = ESP_SUITE_INFO[suite];
  const ptLen = Math.ceil((PAYLOAD + 2) / info.align) * info.align;
  const pt = filled(ptLen, 9);
  const iv16 = filled(16, 5);
  const headerLen = 8 + info.ivLen;
  const body = filled(headerLen + ptLen, 7); // what the ICV covers
  const hash = info.mac === 'sha1' ? sha1 : sha256;
  if (info.cipher === 'gcm') {
    const key = encKey.subarray(0, encKey.length - 4);
    const nonce = filled(12, 6);
    const aad = filled(8, 8);
    const sealed = gcm(key, nonce, aad).encrypt(pt);
    return {
      seal: () => void gcm(key, nonce, aad).encrypt(pt),
      open: () => void gcm(key, nonce, aad).decrypt(sealed),
    };
  }
  if (info.cipher === 'null') {
    return { seal: () => void hmac(hash, authKey, body), open: () => void hmac(hash, authKey, body) };
  }
  const ct = cbc(encKey, iv16, { disablePadding: true }).encrypt(pt);
  return {
    seal: () => {
      cbc(encKey, iv16, { disablePadding: true }).encrypt(pt);
      hmac(hash, authKey, body);
    },
    open: () => {
      hmac(hash, authKey, body);
      cbc(encKey, iv16, { disablePadding: true }).decrypt(ct);
    },
  };
}

async function benchSuite(suite: EspSuiteId): Promise<Row[]> {
  const info = ESP_SUITE_INFO[suite];
  const encKey = filled(info.encKeyLens[0]!, 11);
  const authKey = filled(info.authKeyLen, 12);
  const spec = (direction: 'in' | 'out'): SaSpec => ({
    spi: 0x1234,
    direction,
    localHit: direction === 'out' ? HIT_A : HIT_B,
    peerHit: direction === 'out' ? HIT_B : HIT_A,
    src: LOC_A,
    dst: LOC_B,
    suite,
    encKey,
    authKey,
  });
  const tx = new EspDataPlane({ random: pooledRandom(), allowAuthOnly: true });
  tx.addSa(spec('out'));
  // Anti-replay off on the receiver so that one packet can be unprotected again and again;
  // the window check it skips costs nanoseconds.
  const rx = new EspDataPlane({ random: pooledRandom(), allowAuthOnly: true, replayWindow: 0 });
  rx.addSa(spec('in'));
  const payload = filled(PAYLOAD, 13);
  const first = tx.protect(HIT_B, payload, { nextHeader: 17 });
  if (!first.ok) throw new Error(`protect failed: ${first.reason}`);
  const pkt = first.packet.bytes;
  const check = rx.unprotect(pkt, LOC_A, LOC_B);
  if (!check.ok || check.payload.length !== PAYLOAD) throw new Error('unprotect failed');
  rx.pollFeedback();
  const bare = bareOps(suite, encKey, authKey);

  const bench = new Bench({ time: TIME_MS, warmup: true });
  bench
    .add('protect', () => {
      const r = tx.protect(HIT_B, payload, { nextHeader: 17 });
      if (!r.ok) throw new Error(r.reason);
    })
    .add('bare seal', bare.seal)
    .add('unprotect', () => {
      const r = rx.unprotect(pkt, LOC_A, LOC_B);
      if (!r.ok) throw new Error(r.reason);
      rx.pollFeedback();
    })
    .add('bare open', bare.open);
  await bench.run();
  const period = (name: string): number => {
    const t = bench.tasks.find((x) => x.name === name)!;
    const r = t.result;
    if (!('period' in r)) throw new Error(`bench task ${name} did not complete (${r.state})`);
    return r.period;
  };
  return [
    { suite, name: info.name, op: 'protect', ours: period('protect'), bare: period('bare seal') },
    { suite, name: info.name, op: 'unprotect', ours: period('unprotect'), bare: period('bare open') },
  ];
}

export async function run(): Promise<void> {
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${new Date().toISOString().slice(0, 10)}`);
  console.log(`payload ${PAYLOAD} bytes, ${TIME_MS} ms per task; ratio = ours / bare cipher+MAC time per packet\n`);
  const rows: Row[] = [];
  for (const suite of [8, 9, 7, 12, 13, 1] as const) rows.push(...(await benchSuite(suite)));
  const fmt = (ms: number) => Math.round(1000 / ms).toLocaleString('en-US');
  console.log('| suite | transform | op | ESP pkt/s | bare pkt/s | ratio |');
  console.log('|---|---|---|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.suite} | ${r.name} | ${r.op} | ${fmt(r.ours)} | ${fmt(r.bare)} | ${(r.ours / r.bare).toFixed(2)}x |`);
  }
  const worst = Math.max(...rows.map((r) => r.ours / r.bare));
  console.log(`\nworst ratio ${worst.toFixed(2)}x (target ≤ 1.30x)`);
}
