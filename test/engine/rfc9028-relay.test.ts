// The Control Relay Server and its client (RFC 9028 §4.1, §4.5, §4.8, §5.6, §5.8): three engines
// driven by hand over UDP, the client and the Initiator each behind a NAT (test/engine/relay-net.ts).
import { describe, expect, it } from 'vitest';
import { param } from '../../src/wire/index.js';
import { serverReflexiveCandidates } from '../../src/engine/relay.js';
import { engineInternals } from '../../src/engine/hip-engine.js';
import type { EngineTraceRecord } from '../../src/engine/trace.js';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { C_NAT, HIP_PORT, I_NAT, R_PUB, RelayNet } from './relay-net.js';

const kinds = (net: RelayNet): string[] => net.wire.map((w) => `${w.from}>${w.to ?? '?'}:${w.packet.kind}`);

function registered(): RelayNet {
  const net = new RelayNet();
  net.register('c');
  expect(net.state('c', 'r')).toBe('ESTABLISHED');
  return net;
}

describe('RFC 9028 §4.1 relay registration (Figure 2)', () => {
  it('§4.1 step 2-4 · R1 offers RELAY_UDP_HIP, I2 requests it, R2 grants it with REG_FROM: the client transport address as the relay saw it', () => {
    const net = registered();
    expect(kinds(net)).toEqual(['c>r:I1', 'r>c:R1', 'c>r:I2', 'r>c:R2']);
    const r1 = net.wire[1]!.packet;
    expect(param(r1, 'REG_INFO')?.regTypes).toContain(2);
    expect(param(net.wire[2]!.packet, 'REG_REQUEST')?.regTypes).toEqual([2]);
    const r2 = net.wire[3]!.packet;
    expect(param(r2, 'REG_RESPONSE')?.regTypes).toEqual([2]);
    // "a REG_FROM parameter that contains the transport address of the Relay Client as observed
    // by the Relay Server (server-reflexive candidate)": the NAT's public address and port.
    const from = param(r2, 'REG_FROM')!;
    expect(from.address).toEqual(C_NAT);
    expect(from.port).toBe(40_001);
    expect(from.protocol).toBe(17);
    // §5.6 "only REG_FROM is covered by the signature": it sits before HIP_MAC_2 and the signature.
    const order = r2.params.map((p) => p.kind);
    expect(order.indexOf('REG_FROM')).toBeLessThan(order.indexOf('HIP_SIGNATURE'));
  });

  it('§4.2 · the client records REG_FROM as its server-reflexive candidate and reports it', () => {
    const net = registered();
    const ev = net.events.c.find((e) => e.type === 'server-reflexive');
    expect(ev).toMatchObject({ type: 'server-reflexive', address: C_NAT, port: 40_001 });
    expect(ev && 'previous' in ev ? ev.previous : undefined).toBeUndefined();
  });

  it('§4.1 "MUST include the REG_FROM parameter in all UPDATE responses": a NAT rebinding shows in the next UPDATE response and is reported', () => {
    const net = registered();
    net.nats.c.pubPort = 40_777; // the NAT forgot the binding and made a new one
    net.c.register(net.assocId('c', 'r'), [2], net.now); // a registration renewal (UPDATE)
    net.drain('c');
    net.deliver();
    const responses = net.wire.filter((w) => w.from === 'r' && w.packet.kind === 'UPDATE');
    expect(responses.length).toBeGreaterThan(0);
    for (const u of responses) expect(param(u.packet, 'REG_FROM')?.port, 'every UPDATE to the client').toBe(40_777);
    const evs = net.events.c.filter((e) => e.type === 'server-reflexive');
    expect(evs.at(-1)).toMatchObject({ port: 40_777, previous: { port: 40_001 } });
  });
});

describe('RFC 9028 §4.1 the server-reflexive event in the engine trace', () => {
  it('§4.1 · the client trace records the server-reflexive event, valid against docs/engine-trace.schema.json', () => {
    const schema = JSON.parse(readFileSync(new URL('../../docs/engine-trace.schema.json', import.meta.url), 'utf8')) as object;
    const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);
    const records: EngineTraceRecord[] = [];
    const net = new RelayNet({ clientTrace: (r) => records.push(r) });
    net.register('c');
    const ev = records.find((r) => r.type === 'event' && r.event === 'server-reflexive');
    expect(ev).toMatchObject({ detail: 'port 40001' });
    for (const r of records) expect(validate(JSON.parse(JSON.stringify(r))), JSON.stringify(validate.errors)).toBe(true);
  });
});

describe('RFC 9028 §4.5 base exchange via the Control Relay Server (Figure 4)', () => {
  it('§4.5 steps 1-8 · I1, R1, I2 and R2 all cross the relay and the base exchange completes', () => {
    const net = registered();
    net.wire.length = 0;
    net.connectViaRelay();
    expect(kinds(net)).toEqual(['i>r:I1', 'r>c:I1', 'c>r:R1', 'r>i:R1', 'i>r:I2', 'r>c:I2', 'c>r:R2', 'r>i:R2']);
    expect(net.state('i', 'c')).toBe('ESTABLISHED');
    expect(['R2_SENT', 'ESTABLISHED']).toContain(net.state('c', 'i'));
    // Both hosts keep the default natTraversal "none", yet step 3: "The Responder MUST include
    // ICE-HIP-UDP in the NAT traversal modes", and step 5: "The I2 packet MUST also contain a NAT
    // traversal mode parameter that includes ICE-HIP-UDP mode" (else the relay drops them, ¶1).
    for (const k of ['R1', 'I2']) expect(param(net.wire.find((w) => w.to === 'r' && w.packet.kind === k)!.packet, 'NAT_TRAVERSAL_MODE')?.modes).toEqual([3]);
  });

  it('§4.5 step 2 · the relay appends RELAY_FROM (the Initiator transport address as seen) and RELAY_HMAC, and sends to the address the client registered from', () => {
    const net = registered();
    net.wire.length = 0;
    net.connectViaRelay();
    for (const w of net.wire.filter((x) => x.from === 'r' && x.to === 'c')) {
      const from = param(w.packet, 'RELAY_FROM')!;
      expect(from.address).toEqual(I_NAT);
      expect(from.port).toBe(50_001);
      expect(from.protocol).toBe(17);
      expect(param(w.packet, 'RELAY_HMAC')).toBeDefined();
      expect(w.packet.params.at(-1)!.kind).toBe('RELAY_HMAC');
      // "the reverse of the R2 used in the registration".
      expect(w.dst).toEqual(C_NAT);
      expect(w.dstPort).toBe(40_001);
      expect(w.srcPort).toBe(HIP_PORT);
    }
  });

  it('§4.5 steps 3, 7 · the client answers through the relay with RELAY_TO = RELAY_FROM and RELAY_HMAC', () => {
    const net = registered();
    net.wire.length = 0;
    net.connectViaRelay();
    const out = net.wire.filter((x) => x.from === 'c');
    expect(out.map((w) => w.packet.kind)).toEqual(['R1', 'R2']);
    for (const w of out) {
      expect(w.dst).toEqual(R_PUB);
      expect(w.dstPort).toBe(HIP_PORT);
      const to = param(w.packet, 'RELAY_TO')!;
      expect(to.address).toEqual(I_NAT);
      expect(to.port).toBe(50_001);
      expect(param(w.packet, 'RELAY_HMAC')).toBeDefined();
    }
  });

  it('§4.5 steps 4, 8 · the relay forwards R1 and R2 to RELAY_TO from its own address, without its RELAY_HMAC', () => {
    const net = registered();
    net.wire.length = 0;
    net.connectViaRelay();
    for (const w of net.wire.filter((x) => x.from === 'r' && x.to === 'i')) {
      expect(w.src).toEqual(R_PUB);
      expect(w.srcPort).toBe(HIP_PORT);
      expect(w.dst).toEqual(I_NAT);
      expect(w.dstPort).toBe(50_001);
      expect(param(w.packet, 'RELAY_HMAC')).toBeUndefined();
      expect(param(w.packet, 'RELAY_TO')?.port).toBe(50_001);
    }
  });

  it('§4.5 · one relayed packet per received packet: nothing else leaves the relay', () => {
    const net = registered();
    net.wire.length = 0;
    net.connectViaRelay();
    const into = net.wire.filter((w) => w.to === 'r').length;
    const outOf = net.wire.filter((w) => w.from === 'r').length;
    expect(outOf).toBe(into);
  });

  it('§4.2 "One server-reflexive candidate can be discovered during the registration" · serverReflexiveCandidates gives REG_FROM with its relay', () => {
    const net = registered();
    const cands = serverReflexiveCandidates(engineInternals(net.c));
    expect(cands).toHaveLength(1);
    expect(cands[0]!.address).toEqual(C_NAT);
    expect(cands[0]!.port).toBe(40_001);
    expect(cands[0]!.relay.peerHit).toEqual(net.hit('r'));
    // The relay itself registered with nobody: no candidate.
    expect(serverReflexiveCandidates(engineInternals(net.r))).toEqual([]);
  });
});

describe('RFC 9028 §4.8 control packets after the base exchange through the relay', () => {
  function relayedPair(): RelayNet {
    const net = registered();
    net.connectViaRelay();
    expect(net.state('i', 'c')).toBe('ESTABLISHED');
    net.wire.length = 0;
    return net;
  }

  it('§4.8 "MUST add a RELAY_FROM parameter to the control packets it relays to the Control Relay Clients": the Initiator\'s UPDATE reaches the client with RELAY_FROM', () => {
    const net = relayedPair();
    net.i.rekey(net.assocId('i', 'c'), net.now);
    net.drain('i');
    net.deliver();
    const toC = net.wire.filter((w) => w.from === 'r' && w.to === 'c' && w.packet.kind === 'UPDATE');
    expect(toC.length).toBeGreaterThan(0);
    for (const w of toC) expect(param(w.packet, 'RELAY_FROM')?.address).toEqual(I_NAT);
  });

  it('§4.8 "the Control Relay Client MUST always utilize the RELAY_TO parameter": the answers to a relayed UPDATE go back through the relay, and the rekey completes', () => {
    const net = relayedPair();
    net.i.rekey(net.assocId('i', 'c'), net.now);
    net.drain('i');
    net.deliver();
    const fromC = net.wire.filter((w) => w.from === 'c' && w.packet.kind === 'UPDATE');
    expect(fromC.length).toBeGreaterThan(0);
    // The answer to the relayed UPDATE (ESP_INFO, SEQ, ACK) is sent through the relay.
    const answer = fromC[0]!;
    expect(answer.dst).toEqual(R_PUB);
    expect(param(answer.packet, 'RELAY_TO')?.port).toBe(50_001);
    expect(param(answer.packet, 'RELAY_HMAC')).toBeDefined();
    expect(net.events.i.some((e) => e.type === 'update-completed' && e.what === 'rekey')).toBe(true);
    expect(net.events.c.some((e) => e.type === 'update-completed' && e.what === 'rekey')).toBe(true);
  });

  it('§4.8 · a CLOSE sent to the relay reaches the client, whose CLOSE_ACK comes back through the relay', () => {
    const net = relayedPair();
    net.i.close(net.assocId('i', 'c'), net.now);
    net.drain('i');
    net.deliver();
    expect(kinds(net)).toEqual(['i>r:CLOSE', 'r>c:CLOSE', 'c>r:CLOSE_ACK', 'r>i:CLOSE_ACK']);
    expect(net.events.i.some((e) => e.type === 'closed')).toBe(true);
  });

  it('§4.5 · the client\'s association and SAs run to the Initiator\'s transport address from RELAY_FROM', () => {
    const net = relayedPair();
    const info = net.c.associations().find((a) => a.id === net.assocId('c', 'i'))!;
    expect(info.peerLocator).toEqual(I_NAT);
    // RFC 9028 §5.11: a UDP base exchange gives UDP-encapsulated ESP, here to that transport address.
    const out = net.sas.c.filter((sa) => sa.direction === 'out').at(-1)!;
    expect(out.dst).toEqual(I_NAT);
    expect(out.udp?.dstPort).toBe(50_001);
  });
});
