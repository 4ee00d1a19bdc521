// The Node UDP driver in one process: two hosts on 127.0.0.1 and 127.0.0.2 (ephemeral ports)
// run a base exchange, exchange ESP payloads both ways, rekey and close over real sockets with
// RFC 9028 framing.
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { importHostIdentity } from '../../src/crypto/host-id.js';
import { UdpDriver, nodeScheduler, type UdpDelivery, type UdpLogEntry } from '../../src/driver/node/udp.js';
import type { HipEvent } from '../../src/engine/io.js';
import { fixturePkcs8 } from '../fixtures/keys.js';

const open: UdpDriver[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((d) => d.close()));
});

type Host = { d: UdpDriver; events: HipEvent[]; data: UdpDelivery[]; log: UdpLogEntry[] };

async function host(name: 'p256A' | 'p256B', address: string): Promise<Host> {
  const h: Host = { d: undefined as unknown as UdpDriver, events: [], data: [], log: [] };
  h.d = await UdpDriver.open({
    identity: importHostIdentity(fixturePkcs8(name)),
    locators: [address],
    port: 0,
    onEvent: (e) => h.events.push(e),
    onData: (d) => h.data.push(d),
    onLog: (e) => h.log.push(e),
  });
  open.push(h.d);
  return h;
}

function until(pred: () => boolean, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = (): void => {
      if (pred()) return resolve();
      if (Date.now() - t0 > timeoutMs) return reject(new Error('timed out'));
      setTimeout(tick, 5);
    };
    tick();
  });
}

const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('UdpDriver (node:dgram, RFC 9028 framing)', () => {
  it('runs a base exchange, ESP both ways, a rekey and a close over loopback', async () => {
    const a = await host('p256A', '127.0.0.2');
    const b = await host('p256B', '127.0.0.1');
    const bPort = b.d.endpoints[0]!.port;
    expect(b.d.endpoints[0]!.address).toBe('127.0.0.1');

    a.d.connect(b.d.hit, [{ address: '127.0.0.1', port: bPort }]);
    await until(() => a.events.some((e) => e.type === 'established'));
    expect(a.log.filter((e) => e.type === 'hip-send').map((e) => (e as { kind: string }).kind)).toEqual(['I1', 'I2']);
    expect(b.log.filter((e) => e.type === 'hip-recv').map((e) => (e as { kind: string }).kind)).toEqual(['I1', 'I2']);
    // B answered to the port A's I1 came from (learned, not configured).
    const aPort = a.d.endpoints[0]!.port;
    expect(b.log.filter((e) => e.type === 'hip-send').every((e) => (e as { port: number }).port === aPort)).toBe(true);

    expect(a.d.send(b.d.hit, bytes('ping')).ok).toBe(true);
    await until(() => b.data.length === 1);
    expect(text(b.data[0]!.payload)).toBe('ping');
    expect(b.events.map((e) => e.type)).toContain('established');
    expect(b.d.send(a.d.hit, bytes('pong')).ok).toBe(true);
    await until(() => a.data.length === 1);
    expect(text(a.data[0]!.payload)).toBe('pong');
    expect(a.data[0]!.srcPort).toBe(bPort);

    a.d.rekey(b.d.hit);
    await until(() => a.events.some((e) => e.type === 'update-completed') && b.events.some((e) => e.type === 'update-completed'));
    const oldSpi = b.data[0]!.spi;
    expect(a.d.send(b.d.hit, bytes('after rekey')).ok).toBe(true);
    await until(() => b.data.length === 2);
    expect(b.data[1]!.spi).not.toBe(oldSpi);

    a.d.closeAssociation(b.d.hit);
    await until(() => a.events.some((e) => e.type === 'closed') && b.events.some((e) => e.type === 'closed'));
    expect(a.log.filter((e) => e.type === 'sa' && e.op === 'add').length).toBeGreaterThanOrEqual(4);
    expect(a.d.association(b.d.hit)?.state).not.toBe('ESTABLISHED');
  });

  it('frames HIP with the zero marker and a zero checksum, ESP with its SPI', async () => {
    const a = await host('p256A', '127.0.0.2');
    // A plain UDP socket plays the peer and captures what A sends.
    const raw = createSocket('udp4');
    const got: Uint8Array[] = [];
    raw.on('message', (m) => got.push(Uint8Array.from(m)));
    await new Promise<void>((r) => raw.bind({ address: '127.0.0.1', port: 0 }, () => r()));
    try {
      const port = raw.address().port;
      const b = importHostIdentity(fixturePkcs8('p256B'));
      a.d.connect(b.hit, [{ address: '127.0.0.1', port }]);
      await until(() => got.length >= 1);
      const i1 = got[0]!;
      expect([...i1.subarray(0, 4)]).toEqual([0, 0, 0, 0]); // RFC 9028 §5.1 zero marker
      expect(i1[4 + 2]! & 0x7f).toBe(1); // packet type I1
      expect([i1[4 + 4], i1[4 + 5]]).toEqual([0, 0]); // HIP checksum zero over UDP
      // Garbage and a keepalive are ignored without throwing.
      raw.send(Uint8Array.of(1, 2), a.d.endpoints[0]!.port, '127.0.0.2');
      raw.send(Uint8Array.of(0xff), a.d.endpoints[0]!.port, '127.0.0.2');
      await until(() => a.log.some((e) => e.type === 'invalid'));
    } finally {
      await new Promise<void>((r) => raw.close(() => r()));
    }
  });

  it('rejects when the address cannot be bound', async () => {
    const a = await host('p256A', '127.0.0.2');
    const port = a.d.endpoints[0]!.port;
    await expect(UdpDriver.open({ identity: importHostIdentity(fixturePkcs8('p256B')), locators: ['127.0.0.2'], port })).rejects.toThrow(/cannot bind/);
    await expect(UdpDriver.open({ identity: importHostIdentity(fixturePkcs8('p256B')), locators: [], port })).rejects.toThrow(TypeError);
  });

  it('nodeScheduler keeps one timer: re-arming replaces it, undefined cancels it', async () => {
    const s = nodeScheduler();
    const fired: string[] = [];
    s.wakeAt(s.now() + 5, () => fired.push('first'));
    s.wakeAt(s.now() + 10, () => fired.push('second'));
    await new Promise((r) => setTimeout(r, 40));
    expect(fired).toEqual(['second']);
    s.wakeAt(s.now() + 5, () => fired.push('third'));
    s.wakeAt(undefined, () => fired.push('never'));
    await new Promise((r) => setTimeout(r, 30));
    expect(fired).toEqual(['second']);
    s.cancel();
  });
});
