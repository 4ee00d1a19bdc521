// Locator benchmark (`npm run bench -- locators`): what an authenticated peer can make the engine
// keep and send by flooding it with LOCATOR_SETs naming addresses that never answer (RFC 8046
// §5.4, §6.2.1, §6.2.2; RFC 4225 redirection). Engine to engine, virtual time, default
// configuration (maxPeerLocators 32, maxChecksPerAddress 3, maxOutstandingChecks 8).
//
//  1. Flood: one association; the peer announces its own address plus 31 fresh ones, once a
//     second, for FLOOD_ROUNDS seconds; the engine's check packets go nowhere (no answer), its
//     ACKs go back. Figures: largest peer locator table, check packets per unverified address
//     (most and mean), bytes sent to the flooded addresses per byte of the peer's UPDATEs, per
//     UPDATE and toward any one address.
//  2. Memory: heap per established association with an empty and with a full peer table, and
//     after the checks of the full one have failed and its DEPRECATED entries aged out.
import { formatLocator, parseLocator } from '../src/addr/locator.js';
import type { HipConfig } from '../src/engine/config.js';
import { HipEngine } from '../src/engine/hip-engine.js';
import { establishDirect, fastCrypto, fastIdentity, seededRandom } from '../src/testing/index.js';
import { nthLocator } from '../src/testing/ip.js';
import type { Locator } from '../src/types.js';
import { heapBytes, table } from './measure.js';

const LOC_I = parseLocator('2001:db8::1');
const LOC_R = parseLocator('2001:db8::2');
const FLOOD_BASE = parseLocator('2001:db8:f000::');
const CONFIG: Partial<HipConfig> = { puzzleK: 1, dhGroups: [7], r1PerSecond: 1e9, r1Burst: 1 << 24, r1PerSourcePerSecond: 1e9, r1PerSourceBurst: 1 << 20 };
const FLOOD_ROUNDS = Number(process.env['LOCATOR_FLOOD_ROUNDS'] ?? 120);
const MEMORY_N = Number(process.env['LOCATOR_MEMORY_N'] ?? 2000);
const PER_SET = 31;

type Sent = { readonly dst: Locator; readonly bytes: Uint8Array };

function drain(e: HipEngine): Sent[] {
  const out: Sent[] = [];
  for (let o = e.poll(); o; o = e.poll()) if (o.kind === 'transmit') out.push({ dst: o.dst, bytes: o.bytes });
  return out;
}

function flood(): void {
  const crypto = fastCrypto();
  const random = seededRandom('bench-locators');
  const responder = new HipEngine({ identities: [fastIdentity(random)], locators: [LOC_R], crypto, random, config: CONFIG }, 0);
  const { initiator, responderAssoc } = establishDirect(responder, { identity: fastIdentity(random), locator: LOC_I, responderLocator: LOC_R, crypto, random, config: CONFIG }, 0);
  const updateBytes: number[] = [];
  const toFlooded = new Map<string, number>();
  const checksPer = new Map<string, number>();
  let largest = 0;
  let next = 0;
  const deliver = (now: number): void => {
    for (const s of drain(responder)) {
      if (s.dst.every((b, i) => b === LOC_I[i])) initiator.handle({ kind: 'datagram', bytes: s.bytes, src: LOC_R, dst: LOC_I }, now);
      else {
        const k = formatLocator(s.dst);
        toFlooded.set(k, (toFlooded.get(k) ?? 0) + s.bytes.length);
        checksPer.set(k, (checksPer.get(k) ?? 0) + 1);
      }
    }
    drain(initiator);
  };
  let now = 1000;
  for (let r = 0; r < FLOOD_ROUNDS; r++) {
    const fresh = Array.from({ length: PER_SET }, () => nthLocator(FLOOD_BASE, next++));
    initiator.setLocalLocators([LOC_I, ...fresh], now);
    for (const s of drain(initiator)) {
      updateBytes.push(s.bytes.length);
      responder.handle({ kind: 'datagram', bytes: s.bytes, src: LOC_I, dst: LOC_R }, now);
    }
    deliver(now);
    for (let t = 0; t < 1000; t += 100) {
      now += 100;
      responder.handleTimeout(now);
      initiator.handleTimeout(now);
      deliver(now);
      largest = Math.max(largest, responder.peerLocators(responderAssoc).length);
    }
  }
  // Let every queued check run to its end.
  for (let t = 0; t < 600_000; t += 100) {
    now += 100;
    responder.handleTimeout(now);
    deliver(now);
    largest = Math.max(largest, responder.peerLocators(responderAssoc).length);
  }
  const named = FLOOD_ROUNDS * PER_SET;
  const counts = [...checksPer.values()];
  const sentTotal = [...toFlooded.values()].reduce((a, b) => a + b, 0);
  const inTotal = updateBytes.reduce((a, b) => a + b, 0);
  const perUpdate = sentTotal / inTotal;
  const worstOne = Math.max(...toFlooded.values()) / Math.min(...updateBytes);
  console.log(`${FLOOD_ROUNDS} UPDATEs, one a second, each naming ${PER_SET} new addresses (${named} in all, none answering); fastCrypto, default config.\n`);
  table(
    ['figure', 'value'],
    [
      ['largest peer locator table (cap maxPeerLocators)', `${largest} (32)`],
      ['addresses checked / named', `${checksPer.size} / ${named}`],
      ['check packets per unverified address, most', `${Math.max(...counts)}`],
      ['check packets per unverified address, mean', `${(counts.reduce((a, b) => a + b, 0) / counts.length).toFixed(2)}`],
      ['bytes to flooded addresses per byte of UPDATE (all addresses)', `${perUpdate.toFixed(2)}`],
      ['bytes to one flooded address per byte of one UPDATE (worst)', `${worstOne.toFixed(3)}`],
      ['mean UPDATE size', `${Math.round(inTotal / updateBytes.length)} B`],
      ['association still established', `${responder.association(responderAssoc)?.state === 'ESTABLISHED'}`],
    ],
  );
}

function memory(): void {
  const crypto = fastCrypto();
  const random = seededRandom('bench-locators-memory');
  const build = (withFlood: boolean): { engine: HipEngine; ids: number[] } => {
    const engine = new HipEngine({ identities: [fastIdentity(random)], locators: [LOC_R], crypto, random, config: CONFIG }, 0);
    const ids: number[] = [];
    for (let i = 0; i < MEMORY_N; i++) {
      const { initiator, responderAssoc } = establishDirect(engine, { identity: fastIdentity(random), locator: LOC_I, responderLocator: LOC_R, crypto, random, config: CONFIG }, 0);
      ids.push(responderAssoc as number);
      if (!withFlood) continue;
      const fresh = Array.from({ length: PER_SET }, (_, k) => nthLocator(FLOOD_BASE, i * PER_SET + k));
      initiator.setLocalLocators([LOC_I, ...fresh], 1);
      for (const s of drain(initiator)) engine.handle({ kind: 'datagram', bytes: s.bytes, src: LOC_I, dst: LOC_R }, 1);
      drain(engine);
    }
    return { engine, ids };
  };
  const h0 = heapBytes();
  const empty = build(false);
  const h1 = heapBytes();
  const full = build(true);
  const h2 = heapBytes();
  const tableSize = full.engine.peerLocators(full.ids[0]! as never).length;
  // Ten minutes on: every check has failed, the DEPRECATED entries aged out.
  for (let t = 1; t <= 600_000; t += 1000) {
    full.engine.handleTimeout(t);
    drain(full.engine);
  }
  const h3 = heapBytes();
  const after = full.engine.peerLocators(full.ids[0]! as never).length;
  const kib = (b: number): string => `${(b / MEMORY_N / 1024).toFixed(2)} KiB`;
  console.log(`\n${MEMORY_N.toLocaleString('en')} established associations per engine, heap + ArrayBuffers after forced GC (initiator engines dropped).\n`);
  table(
    ['peer table', 'entries', 'heap per association'],
    [
      ['base exchange only', '1', kib(h1 - h0)],
      ['after a 32-locator LOCATOR_SET (31 unverified, checks queued)', String(tableSize), kib(h2 - h1)],
      ['10 min later (checks failed, DEPRECATED aged out)', String(after), kib(h3 - h1)],
    ],
  );
  if (empty.ids.length === 0) throw new Error('unreachable');
}

export async function run(): Promise<void> {
  console.log('### locators: authenticated locator flood\n');
  flood();
  console.log('\n### locators: memory per association\n');
  memory();
  console.log('');
}
