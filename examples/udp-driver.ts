// Two hosts over real UDP sockets on loopback with the Node UDP driver (RFC 9028 framing: HIP
// control packets and ESP both travel over UDP, no raw sockets or kernel IPsec). The driver owns
// the clock, the timers and the drain loop; we only connect, send and listen for events.
import { generateHostIdentity, type HipEvent } from 'hip-engine';
import { UdpDriver } from 'hip-engine/driver/node';

const random = (n: number): Uint8Array => globalThis.crypto.getRandomValues(new Uint8Array(n));

function waitFor(events: HipEvent[], type: HipEvent['type'], ms = 10_000): Promise<void> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (events.some((e) => e.type === type)) resolve();
      else if (Date.now() - t0 > ms) reject(new Error(`no ${type} event within ${ms} ms: is the peer listening on that address and port?`));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

const aEvents: HipEvent[] = [];
const bEvents: HipEvent[] = [];
// Port 0: the operating system picks a free port; a real deployment uses 10500 (HIP_UDP_PORT).
const b = await UdpDriver.open({
  identity: generateHostIdentity('ecdsa-p256', random),
  locators: ['127.0.0.1'],
  port: 0,
  onEvent: (e) => bEvents.push(e),
  onData: (d) => {
    console.log(`B got "${new TextDecoder().decode(d.payload)}"; echoing it`);
    b.send(d.peerHit, d.payload);
  },
});
const a = await UdpDriver.open({
  identity: generateHostIdentity('ecdsa-p256', random),
  locators: ['127.0.0.1'],
  port: 0,
  onEvent: (e) => aEvents.push(e),
  onData: (d) => console.log(`A got the echo "${new TextDecoder().decode(d.payload)}"`),
});
try {
  a.connect(b.hit, [{ address: '127.0.0.1', port: b.endpoints[0]!.port }]);
  await waitFor(aEvents, 'established');
  console.log('A established');
  const sent = a.send(b.hit, new TextEncoder().encode('hello over UDP'));
  if (!sent.ok) throw new Error(`send failed: ${sent.reason}`);
  await new Promise((r) => setTimeout(r, 200));
  a.closeAssociation(b.hit);
  await waitFor(aEvents, 'closed');
  console.log('A closed');
} finally {
  await a.close();
  await b.close();
}
