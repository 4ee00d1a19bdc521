// Two engines in one process: a base exchange (RFC 7401 §4.1), one ESP packet each way through
// the userspace data plane (RFC 7402), and a close. Everything travels through an in-memory
// "wire"; `now` is a virtual clock in milliseconds that we advance ourselves.
//
//   npx tsx two-engines.ts   (or compile with tsc and run with node)
import { HipEngine, formatHit, generateHostIdentity, parseLocator, type Locator, type Output } from 'hip-engine';
import { EspDataPlane } from 'hip-engine/esp';

const random = (n: number): Uint8Array => globalThis.crypto.getRandomValues(new Uint8Array(n));

type Host = { name: string; engine: HipEngine; esp: EspDataPlane; locator: Locator };
function makeHost(name: string, address: string): Host {
  const locator = parseLocator(address);
  const identity = generateHostIdentity('ecdsa-p256', random);
  return { name, engine: new HipEngine({ identities: [identity], locators: [locator], random }, 0), esp: new EspDataPlane({ random }), locator };
}

const a = makeHost('A', '2001:db8::a');
const b = makeHost('B', '2001:db8::b');
const wire: { to: Host; bytes: Uint8Array; src: Locator; dst: Locator; esp: boolean }[] = [];
let now = 0;

// Step 2 of the driving contract: drain every output, in order, and apply it.
function drain(h: Host): void {
  for (let out: Output | undefined; (out = h.engine.poll()); ) {
    if (out.kind === 'transmit') wire.push({ to: h === a ? b : a, bytes: out.bytes, src: out.src, dst: out.dst, esp: false });
    else if (out.kind === 'sa') {
      if (out.op === 'add') h.esp.addSa(out.sa);
      else if (out.op === 'update') h.esp.updateSa(out.sa);
      else h.esp.deleteSa(out.sa.spi, out.sa.direction, out.sa.peerHit);
    } else if (out.kind === 'event') console.log(`${String(now).padStart(4)} ms  ${h.name}: ${out.event.type}`);
  }
}

// Delivers everything on the wire, 5 ms per hop, feeding ESP feedback back to the engine.
function run(): void {
  for (let msg = wire.shift(); msg; msg = wire.shift()) {
    now += 5;
    const { to } = msg;
    if (!msg.esp) to.engine.handle({ kind: 'datagram', bytes: msg.bytes, src: msg.src, dst: msg.dst }, now);
    else {
      const r = to.esp.unprotect(msg.bytes, msg.src, msg.dst, now);
      if (r.ok) console.log(`${String(now).padStart(4)} ms  ${to.name} got "${new TextDecoder().decode(r.payload)}" on SPI ${r.spi}`);
      // The data plane's feedback (esp-seen) moves the Responder from R2-SENT to ESTABLISHED.
      for (let f = to.esp.pollFeedback(); f; f = to.esp.pollFeedback()) to.engine.handle(f, now);
    }
    drain(to);
  }
}

function sendData(from: Host, to: Host, text: string): void {
  const r = from.esp.protect(to.engine.localHits[0]!, new TextEncoder().encode(text), { nextHeader: 17 });
  if (!r.ok) throw new Error(`protect failed: ${r.reason}`);
  wire.push({ to, bytes: r.packet.bytes, src: r.packet.src, dst: r.packet.dst, esp: true });
  run();
}

console.log(`A is ${formatHit(a.engine.localHits[0]!)}, B is ${formatHit(b.engine.localHits[0]!)}`);
const assoc = a.engine.connect({ hit: b.engine.localHits[0]!, locators: [b.locator] }, now);
drain(a);
run();
sendData(a, b, 'hello from A');
sendData(b, a, 'hello from B');
console.log(`B's association: ${b.engine.associations()[0]?.state}`);
a.engine.close(assoc, now);
drain(a);
run();
console.log(`A's association: ${a.engine.association(assoc)?.state ?? 'gone'}`);
