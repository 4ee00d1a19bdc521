// Golden traces of the message sequences of RFC 8047 Figures 1-5 and RFC 8046 Figures 3, 4 and
// 7 (test/__traces__/rfc80xx-figure-N.txt), each with a Mermaid sequence diagram generated from
// the same simulator trace (docs/mobility/rfc80xx-figure-N.md, `mermaidFromTrace`). The test keeps
// both in step with the engine, like test/meta/state-diagram.test.ts does for the state machine;
// a deliberate change is accepted with `npx vitest run -u`.
import { describe, expect, it } from 'vitest';
import { on, type Sim } from '../../src/testing/index.js';
import { establish } from './sim-helpers.js';
import { A1, A2, B1, B2, figure, figurePage, host, mermaidFromTrace, mesh, mhSim } from './mobility-helpers.js';

type Case = {
  readonly file: string;
  readonly title: string;
  readonly rfc: string;
  readonly notes: readonly string[];
  readonly expected: readonly string[];
  readonly run: () => { sim: Sim; from: number };
};

function data(sim: Sim, from: string, to: string, n = 2): void {
  const a = sim.hostByName(from)!;
  const b = sim.hostByName(to)!;
  for (let i = 0; i < n; i++) a.send(b, new TextEncoder().encode(`${from}->${to} #${i}`));
}

const CASES: readonly Case[] = [
  {
    file: 'rfc8047-figure-1',
    title: 'RFC 8047 Figure 1: basic multihoming scenario (fault tolerance)',
    rfc: `
     Multihomed Host                     Peer Host
              UPDATE(LOCATOR_SET, SEQ)
        ----------------------------------->
              UPDATE(ACK)
        <-----------------------------------`,
    notes: [
      'Differences, both allowed by the RFCs: the UPDATE also carries the gratuitous ESP_INFO that',
      'RFC 8046 §5.2 asks for, and the peer puts its ACK on the address check of the new address',
      '(UPDATE(ESP_INFO, SEQ, ACK, ECHO_REQUEST), RFC 8046 Figure 3), answered by',
      'UPDATE(ACK, ECHO_RESPONSE). Then the link of the preferred address is cut, the peer signals',
      '`pathFailed`, and the data moves to the second, verified address without a new base exchange.',
    ],
    expected: ['A>B UPDATE(ESP_INFO,LOCATOR_SET,SEQ)', 'B>A UPDATE(ESP_INFO,SEQ,ACK,ECHO_REQUEST)', 'A>B UPDATE(ACK,ECHO_RESPONSE)', 'B>A UPDATE(ESP_INFO,SEQ,ECHO_REQUEST)'],
    run: () => {
      const sim = mhSim(8101);
      const a = host(sim, 'A', { locators: [A1] });
      const b = host(sim, 'B', { locators: [B1] });
      mesh(sim, [A1, A2], [B1]);
      establish(sim, a, b);
      const from = sim.trace.length;
      a.setLocators([A1, A2]);
      sim.run(100);
      data(sim, 'B', 'A');
      sim.run(50);
      sim.note('net', 'link-down', { path: `${A1}<->${B1}` });
      sim.linkBetween(A1, B1)!.setUp(false);
      sim.linkBetween(B1, A1)!.setUp(false);
      sim.run(20);
      b.pathFailed(a, A1);
      data(sim, 'B', 'A');
      sim.run(50);
      return { sim, from };
    },
  },
  {
    file: 'rfc8047-figure-2',
    title: 'RFC 8047 Figure 2: host multihoming for load balancing',
    rfc: `
     Multihomed Host                     Peer Host
              UPDATE(ESP_INFO, LOCATOR_SET, SEQ, [DIFFIE_HELLMAN])
        ----------------------------------->
              UPDATE(ESP_INFO, SEQ, ACK, [DIFFIE_HELLMAN,] ECHO_REQUEST)
        <-----------------------------------
              UPDATE(ACK, ECHO_RESPONSE)
        ----------------------------------->`,
    notes: ['The same three messages (no DIFFIE_HELLMAN: the new pair draws its keys from the KEYMAT). ESP_INFO has OLD SPI 0; the LOCATOR_SET lists both addresses as type 1 with their SPIs.'],
    expected: ['A>B UPDATE(ESP_INFO,LOCATOR_SET,SEQ)', 'B>A UPDATE(ESP_INFO,SEQ,ACK,ECHO_REQUEST)', 'A>B UPDATE(ACK,ECHO_RESPONSE)'],
    run: () => {
      const sim = mhSim(8102);
      const a = host(sim, 'A', { locators: [A1] });
      const b = host(sim, 'B', { locators: [B1] });
      mesh(sim, [A1, A2], [B1]);
      establish(sim, a, b);
      const from = sim.trace.length;
      a.setLocators([A1, A2], { announce: false });
      a.addSaPair(b, { local: A2 });
      sim.run(100);
      data(sim, 'A', 'B');
      data(sim, 'B', 'A');
      sim.run(50);
      return { sim, from };
    },
  },
  {
    file: 'rfc8047-figure-3',
    title: 'RFC 8047 Figure 3: dual-host multihoming, a full mesh of SA pairs',
    rfc: `
              -<- SPI1a --                         -- SPI2a ->-
      host1 <              > addr1a <---> addr2a <              > host2
              ->- SPI2a --                         -- SPI1a -<-
                             addr1b <---> addr2a  (second SA pair)
                             addr1a <---> addr2b  (third SA pair)
                             addr1b <---> addr2b  (fourth SA pair)`,
    notes: [
      'host1 = A (addr1a, addr1b = 2001:db8:1::a, 2001:db8:2::a), host2 = B (addr2a, addr2b = 2001:db8:1::b, 2001:db8:2::b).',
      'Three Figure 2 exchanges: A adds addr1b towards addr2a, then B adds addr2b towards addr1a and towards addr1b.',
      'The third needs no address check (both addresses are already ACTIVE): plain ACK.',
    ],
    expected: [
      'A>B UPDATE(ESP_INFO,LOCATOR_SET,SEQ)',
      'B>A UPDATE(ESP_INFO,SEQ,ACK,ECHO_REQUEST)',
      'A>B UPDATE(ACK,ECHO_RESPONSE)',
      'B>A UPDATE(ESP_INFO,LOCATOR_SET,SEQ)',
      'A>B UPDATE(ESP_INFO,SEQ,ACK,ECHO_REQUEST)',
      'B>A UPDATE(ACK,ECHO_RESPONSE)',
      'B>A UPDATE(ESP_INFO,LOCATOR_SET,SEQ)',
      'A>B UPDATE(ESP_INFO,SEQ,ACK)',
      'B>A UPDATE(ACK)',
    ],
    run: () => {
      const sim = mhSim(8103);
      const a = host(sim, 'A', { locators: [A1] });
      const b = host(sim, 'B', { locators: [B1] });
      mesh(sim, [A1, A2], [B1, B2]);
      establish(sim, a, b);
      const from = sim.trace.length;
      a.setLocators([A1, A2], { announce: false });
      a.addSaPair(b, { local: A2, peer: B1 });
      sim.run(100);
      b.setLocators([B1, B2], { announce: false });
      b.addSaPair(a, { local: B2, peer: A1 });
      sim.run(100);
      b.addSaPair(a, { local: B2, peer: A2 });
      sim.run(100);
      return { sim, from };
    },
  },
  {
    file: 'rfc8047-figure-4',
    title: 'RFC 8047 Figure 4: LOCATOR_SET inclusion in R1',
    rfc: `
            Initiator                                Responder
                              R1 with LOCATOR_SET
                  <-----------------------------------
   record additional addresses
   change Responder address
                     I2 sent to newly indicated preferred address
                  ----------------------------------->
                                                     (process normally)
                                  R2
                  <-----------------------------------
   (process normally, later verification of non-preferred locators)`,
    notes: ['The R2 carries the Responder\'s LOCATOR_SET too (RFC 8047 §4.2.8 allows it). The non-preferred address (the I1 destination) is verified after the exchange.'],
    expected: ['A>B I1', 'B>A R1(LOCATOR_SET)', 'A>B I2', 'B>A R2(LOCATOR_SET)', 'A>B UPDATE(ESP_INFO,SEQ,ECHO_REQUEST)', 'B>A UPDATE(ACK,ECHO_RESPONSE)'],
    run: () => {
      const sim = mhSim(8104);
      const a = host(sim, 'A', { locators: [A1] });
      const b = host(sim, 'B', { locators: [B1, { address: B2, preferred: true }] });
      mesh(sim, [A1], [B1, B2]);
      sim.at(0, () => a.connect({ hit: b.hit, locators: [B1] }));
      sim.runUntil(() => a.established(b));
      data(sim, 'A', 'B', 1);
      sim.run(100);
      return { sim, from: 0 };
    },
  },
  {
    file: 'rfc8047-figure-5',
    title: 'RFC 8047 Figure 5: LOCATOR_SET inclusion in I2',
    rfc: `
            Initiator                                Responder
                             I2 with LOCATOR_SET
                  ----------------------------------->
                                                     (process normally)
                                             record additional addresses
                       R2 sent to source address of I2
                  <-----------------------------------
   (process normally)`,
    notes: ['The new address is verified by the Responder once ESTABLISHED (reached on the first ESP packet).'],
    expected: ['A>B I1', 'B>A R1', 'A>B I2(LOCATOR_SET)', 'B>A R2', 'B>A UPDATE(ESP_INFO,SEQ,ECHO_REQUEST)', 'A>B UPDATE(ACK,ECHO_RESPONSE)'],
    run: () => {
      const sim = mhSim(8105);
      const a = host(sim, 'A', { locators: [A1, A2] });
      const b = host(sim, 'B', { locators: [B1] });
      mesh(sim, [A1, A2], [B1]);
      sim.at(0, () => a.connect(b));
      sim.runUntil(() => a.established(b));
      data(sim, 'A', 'B', 1);
      sim.run(100);
      return { sim, from: 0 };
    },
  },
  {
    file: 'rfc8046-figure-3',
    title: 'RFC 8046 Figure 3: readdress without rekeying, with address check',
    rfc: `
     Mobile Host                         Peer Host
             UPDATE(ESP_INFO, LOCATOR_SET, SEQ)
        ----------------------------------->
             UPDATE(ESP_INFO, SEQ, ACK, ECHO_REQUEST)
        <-----------------------------------
             UPDATE(ACK, ECHO_RESPONSE)
        ----------------------------------->`,
    notes: ['Break-before-make: the mobile host loses 2001:db8:1::a and gets 2001:db8:2::a. Until the check completes the peer sends within credit.'],
    expected: ['A>B UPDATE(ESP_INFO,LOCATOR_SET,SEQ)', 'B>A UPDATE(ESP_INFO,SEQ,ACK,ECHO_REQUEST)', 'A>B UPDATE(ACK,ECHO_RESPONSE)'],
    run: () => {
      const sim = mhSim(8106);
      const a = host(sim, 'A', { locators: [A1] });
      const b = host(sim, 'B', { locators: [B1] });
      mesh(sim, [A1, A2], [B1]);
      establish(sim, a, b);
      const from = sim.trace.length;
      a.moveLocator(A1, A2);
      sim.run(100);
      data(sim, 'A', 'B');
      data(sim, 'B', 'A');
      sim.run(50);
      return { sim, from };
    },
  },
  {
    file: 'rfc8046-figure-4',
    title: 'RFC 8046 Figure 4: readdress with mobile-initiated rekey',
    rfc: `
     Mobile Host                         Peer Host
             UPDATE(ESP_INFO, LOCATOR_SET, SEQ, [DIFFIE_HELLMAN])
        ----------------------------------->
             UPDATE(ESP_INFO, SEQ, ACK, [DIFFIE_HELLMAN,] ECHO_REQUEST)
        <-----------------------------------
             UPDATE(ACK, ECHO_RESPONSE)
        ----------------------------------->`,
    notes: ['No DIFFIE_HELLMAN (the rekey draws from the KEYMAT). ESP_INFO carries OLD SPI and a new NEW SPI; the type 1 locator names the NEW SPI.'],
    expected: ['A>B UPDATE(ESP_INFO,LOCATOR_SET,SEQ)', 'B>A UPDATE(ESP_INFO,SEQ,ACK,ECHO_REQUEST)', 'A>B UPDATE(ACK,ECHO_RESPONSE)'],
    run: () => {
      const sim = mhSim(8107);
      const a = host(sim, 'A', { locators: [A1] });
      const b = host(sim, 'B', { locators: [B1] });
      mesh(sim, [A1, A2], [B1]);
      establish(sim, a, b);
      const from = sim.trace.length;
      a.moveLocator(A1, A2, { rekey: true });
      sim.run(100);
      data(sim, 'A', 'B');
      data(sim, 'B', 'A');
      sim.run(50);
      return { sim, from };
    },
  },
  {
    file: 'rfc8046-figure-7',
    title: 'RFC 8046 Figure 7: address activation via use of a new SA',
    rfc: `
     Mobile Host                                   Peer Host
                  UPDATE(ESP_INFO, LOCATOR_SET, ...)
                ---------------------------------->
                                                   prepare incoming SA
                  UPDATE(ESP_INFO, ...) with new SPI
                <-----------------------------------
   switch to new outgoing SA
                           data on new SA
                ----------------------------------->
                                                   mark address ACTIVE
                  UPDATE(ACK, ECHO_RESPONSE) later arrives
                ----------------------------------->`,
    notes: ['The UPDATE(ACK, ECHO_RESPONSE) is held back 100 ms here, so the data on the new SA arrives first and marks the address ACTIVE.'],
    expected: ['A>B UPDATE(ESP_INFO,LOCATOR_SET,SEQ)', 'B>A UPDATE(ESP_INFO,SEQ,ACK,ECHO_REQUEST)', 'A>B UPDATE(ACK,ECHO_RESPONSE)'],
    run: () => {
      const sim = mhSim(8108);
      const a = host(sim, 'A', { locators: [A1] });
      const b = host(sim, 'B', { locators: [B1] });
      mesh(sim, [A1, A2], [B1]);
      establish(sim, a, b);
      sim.intercept(on({ kind: 'UPDATE', from: 'A', where: (_x, c) => c.packet?.params.some((p) => p.kind === 'ECHO_RESPONSE_SIGNED') === true }, { delayMs: 100 }));
      const from = sim.trace.length;
      a.moveLocator(A1, A2, { rekey: true });
      sim.run(25);
      data(sim, 'A', 'B', 1);
      sim.run(150);
      return { sim, from };
    },
  },
];

describe('golden traces and diagrams of the RFC figures', () => {
  for (const c of CASES) {
    it(`${c.title}: message sequence, golden trace and Mermaid diagram`, async () => {
      const { sim, from } = c.run();
      expect(figure(sim, from, { lost: true })).toEqual(c.expected);
      await expect(sim.traceText({ redact: { hits: true } })).toMatchFileSnapshot(`../__traces__/${c.file}.txt`);
      const page = figurePage(c.title, c.rfc, c.notes, mermaidFromTrace(sim, { from, participants: ['A', 'B'] }));
      await expect(page).toMatchFileSnapshot(`../../docs/mobility/${c.file}.md`);
    });
  }

  it('a figure scenario run twice with the same seed gives the same trace (DESIGN C3.10 determinism)', () => {
    const c = CASES.find((x) => x.file === 'rfc8047-figure-3')!;
    expect(c.run().sim.traceText()).toBe(c.run().sim.traceText());
  });

  it('RFC 8046 Figure 7: the data on the new SA marks the address ACTIVE before the late ECHO_RESPONSE', () => {
    const { sim, from } = CASES.find((c) => c.file === 'rfc8046-figure-7')!.run();
    const recs = sim.trace.records.slice(from);
    const active = recs.findIndex((r) => r.host === 'B' && r.dir === 'locator' && r.fields?.['state'] === 'ACTIVE');
    const echo = recs.findIndex((r) => r.host === 'B' && r.dir === 'recv' && r.kind === 'UPDATE' && recs.indexOf(r) > active);
    const firstData = recs.findIndex((r) => r.host === 'B' && r.dir === 'recv' && r.kind === 'ESP');
    expect(firstData).toBeGreaterThan(-1);
    expect(active).toBeGreaterThan(firstData);
    expect(echo).toBeGreaterThan(active);
  });
});
