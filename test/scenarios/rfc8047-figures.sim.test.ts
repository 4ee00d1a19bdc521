// Golden traces of the message sequences of RFC 8047 Figures 1-5 and RFC 8046 Figures 3, 4 and
// 7 (test/__traces__/rfc80xx-figure-N.txt), each with a Mermaid sequence diagram generated from
// the same simulator trace (docs/mobility/rfc80xx-figure-N.md, `mermaidFromTrace`); and of RFC
// 8004 Figure 2 with the registration of §3.2 and of the RFC 8046 §3.2.3 double jump through the
// rendezvous server (docs/rendezvous/). The test keeps
// both in step with the engine, like test/meta/state-diagram.test.ts does for the state machine;
// a deliberate change is accepted with `npx vitest run -u`.
import { describe, expect, it } from 'vitest';
import { formatLocator } from '../../src/addr/locator.js';
import { connectVia, on, registerRendezvous, rvsHost, type Sim } from '../../src/testing/index.js';
import { RVS_ADDR as RVS, contactThroughRvs, twoClients } from './rvs-helpers.js';
import { establish } from './sim-helpers.js';
import { A1, A2, B1, B2, figure, figurePage, hipMsgs, host, mermaidFromTrace, mesh, mhSim } from './mobility-helpers.js';

/**
 * One HIP packet the engine sends: its figure line (`figure`), its outer addresses `src>dst`
 * (with ` lost` when it never arrived), and the message of the RFC figure it corresponds to
 * (or why it is not in the figure).
 */
type Row = readonly [sent: string, path: string, rfc: string];

type Case = {
  readonly file: string;
  readonly title: string;
  readonly rfc: string;
  readonly notes: readonly string[];
  readonly expected: readonly Row[];
  readonly run: () => { sim: Sim; from: number };
  /** The folder of docs/ the page goes to (default mobility). */
  readonly docs?: string;
  /** The hosts of the diagram, left to right (default A, B). */
  readonly participants?: readonly string[];
};

const p = (src: string, dst: string, lost = false): string => `${src}>${dst}${lost ? ' lost' : ''}`;

/** The packet-by-packet correspondence with the RFC figure, as a Markdown table for the page. */
function correspondence(rows: readonly Row[]): string[] {
  return [
    'Packet by packet, what the engine sends and the message of the RFC figure it corresponds to:',
    '',
    '| # | sent | outer addresses | in the RFC figure |',
    '|---|---|---|---|',
    ...rows.map(([sent, path, rfc], i) => `| ${i + 1} | \`${sent}\` | ${path.replace('>', ' to ')} | ${rfc} |`),
  ];
}

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
      'The two messages of the figure, then the address check the figure leaves out. The UPDATE also',
      'carries the gratuitous ESP_INFO that RFC 8046 §5.2 asks for; it is sent from the old address,',
      'so the peer answers UPDATE(ACK) there, and checks the new address with an UPDATE of its own',
      '(RFC 8047 §4.2.3: "It may also undergo address verification procedures"; RFC 8046 §5.4),',
      'answered from the address checked. Then the link of the preferred address is cut, the peer',
      'signals `pathFailed`, re-checks that address (the check is lost on the cut link), and the data',
      'moves to the second, verified address without a new base exchange.',
    ],
    expected: [
      ['A>B UPDATE(ESP_INFO,LOCATOR_SET,SEQ)', p(A1, B1), 'UPDATE(LOCATOR_SET, SEQ), with the gratuitous ESP_INFO (OLD SPI = NEW SPI, RFC 8046 §5.2)'],
      ['B>A UPDATE(ACK)', p(B1, A1), 'UPDATE(ACK), back to the source of the UPDATE, from the address it arrived on'],
      ['B>A UPDATE(ESP_INFO,SEQ,ECHO_REQUEST)', p(B1, A2), 'not in the figure: the check of the new address (§4.2.3 "address verification", RFC 8046 §5.4)'],
      ['A>B UPDATE(ACK,ECHO_RESPONSE)', p(A2, B1), 'not in the figure: the answer to the check, from the address checked'],
      ['B>A UPDATE(ESP_INFO,SEQ,ECHO_REQUEST)', p(B1, A1, true), 'not in the figure: after `pathFailed` the peer re-checks the failed address (ACTIVE to UNVERIFIED, RFC 8046 §5.4); lost on the cut link'],
    ],
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
    notes: [
      'The same three messages (no DIFFIE_HELLMAN: the new pair draws its keys from the KEYMAT). ESP_INFO has OLD SPI 0; the LOCATOR_SET lists both addresses as type 1 with their SPIs.',
      'The UPDATE leaves from the new address, so the ACK and the check of that address travel together. Afterwards the',
      'default data plane keeps sending on the preferred pair (the one on the P-bit locators, flagged `preferred`);',
      'how load is split over the pairs is out of the RFC\'s scope (a policy such as `spreadFlows` uses both).',
    ],
    expected: [
      ['A>B UPDATE(ESP_INFO,LOCATOR_SET,SEQ)', p(A2, B1), 'UPDATE(ESP_INFO, LOCATOR_SET, SEQ): ESP_INFO OLD SPI 0 (a new SA), no DIFFIE_HELLMAN'],
      ['B>A UPDATE(ESP_INFO,SEQ,ACK,ECHO_REQUEST)', p(B1, A2), 'UPDATE(ESP_INFO, SEQ, ACK, ECHO_REQUEST), no DIFFIE_HELLMAN: the new address is the source of the UPDATE, so ACK and check in one'],
      ['A>B UPDATE(ACK,ECHO_RESPONSE)', p(A2, B1), 'UPDATE(ACK, ECHO_RESPONSE), from the address checked'],
    ],
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
      'Each exchange runs on the address pair of its new SA pair: every answer goes back to the source of the UPDATE, from the address it arrived on (RFC 8047 §4.2.4).',
    ],
    expected: [
      ['A>B UPDATE(ESP_INFO,LOCATOR_SET,SEQ)', p(A2, B1), 'second SA pair (addr1b, addr2a), Figure 2: UPDATE(ESP_INFO, LOCATOR_SET, SEQ)'],
      ['B>A UPDATE(ESP_INFO,SEQ,ACK,ECHO_REQUEST)', p(B1, A2), 'Figure 2: UPDATE(ESP_INFO, SEQ, ACK, ECHO_REQUEST), checking addr1b'],
      ['A>B UPDATE(ACK,ECHO_RESPONSE)', p(A2, B1), 'Figure 2: UPDATE(ACK, ECHO_RESPONSE)'],
      ['B>A UPDATE(ESP_INFO,LOCATOR_SET,SEQ)', p(B2, A1), 'third SA pair (addr1a, addr2b), Figure 2: UPDATE(ESP_INFO, LOCATOR_SET, SEQ)'],
      ['A>B UPDATE(ESP_INFO,SEQ,ACK,ECHO_REQUEST)', p(A1, B2), 'Figure 2: UPDATE(ESP_INFO, SEQ, ACK, ECHO_REQUEST), checking addr2b'],
      ['B>A UPDATE(ACK,ECHO_RESPONSE)', p(B2, A1), 'Figure 2: UPDATE(ACK, ECHO_RESPONSE)'],
      ['B>A UPDATE(ESP_INFO,LOCATOR_SET,SEQ)', p(B2, A2), 'fourth SA pair (addr1b, addr2b), Figure 2: UPDATE(ESP_INFO, LOCATOR_SET, SEQ)'],
      ['A>B UPDATE(ESP_INFO,SEQ,ACK)', p(A2, B2), 'Figure 2: UPDATE(ESP_INFO, SEQ, ACK) without ECHO_REQUEST: addr2b is ACTIVE already'],
      ['B>A UPDATE(ACK)', p(B2, A2), 'the ACK of that UPDATE (RFC 7401 §6.12; no ECHO_RESPONSE to give)'],
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
    expected: [
      ['A>B I1', p(A1, B1), 'not in the figure: the I1 to the address the Initiator knows'],
      ['B>A R1(LOCATOR_SET)', p(B1, A1), 'R1 with LOCATOR_SET (2001:db8:2::b preferred)'],
      ['A>B I2', p(A1, B2), 'I2 sent to newly indicated preferred address'],
      ['B>A R2(LOCATOR_SET)', p(B2, A1), 'R2 (with the LOCATOR_SET again, §4.2.8 allows it)'],
      ['A>B UPDATE(ESP_INFO,SEQ,ECHO_REQUEST)', p(A1, B1), '"later verification of non-preferred locators": the check of the I1 destination'],
      ['B>A UPDATE(ACK,ECHO_RESPONSE)', p(B1, A1), 'its answer, from the address checked'],
    ],
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
    expected: [
      ['A>B I1', p(A1, B1), 'not in the figure: the base exchange so far'],
      ['B>A R1', p(B1, A1), 'not in the figure: the base exchange so far'],
      ['A>B I2(LOCATOR_SET)', p(A1, B1), 'I2 with LOCATOR_SET'],
      ['B>A R2', p(B1, A1), 'R2 sent to source address of I2'],
      ['B>A UPDATE(ESP_INFO,SEQ,ECHO_REQUEST)', p(B1, A2), 'not in the figure: "all new locators must undergo address verification" (§4.2.8)'],
      ['A>B UPDATE(ACK,ECHO_RESPONSE)', p(A2, B1), 'not in the figure: the answer, from the address checked'],
    ],
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
    expected: [
      ['A>B UPDATE(ESP_INFO,LOCATOR_SET,SEQ)', p(A2, B1), 'UPDATE(ESP_INFO, LOCATOR_SET, SEQ), ESP_INFO OLD SPI = NEW SPI'],
      ['B>A UPDATE(ESP_INFO,SEQ,ACK,ECHO_REQUEST)', p(B1, A2), 'UPDATE(ESP_INFO, SEQ, ACK, ECHO_REQUEST), "to the mobile host at its new address"'],
      ['A>B UPDATE(ACK,ECHO_RESPONSE)', p(A2, B1), 'UPDATE(ACK, ECHO_RESPONSE)'],
    ],
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
    notes: [
      'No DIFFIE_HELLMAN (the rekey draws from the KEYMAT). ESP_INFO carries OLD SPI and a new NEW SPI; the type 1 locator names the NEW SPI.',
      'Between the UPDATE and the ECHO_RESPONSE the peer\'s old outbound SA (its address DEPRECATED) sends to the new, UNVERIFIED address within credit (RFC 8046 §3.2.1 step 2, §5.6).',
    ],
    expected: [
      ['A>B UPDATE(ESP_INFO,LOCATOR_SET,SEQ)', p(A2, B1), 'UPDATE(ESP_INFO, LOCATOR_SET, SEQ), no DIFFIE_HELLMAN; ESP_INFO OLD SPI, a new NEW SPI'],
      ['B>A UPDATE(ESP_INFO,SEQ,ACK,ECHO_REQUEST)', p(B1, A2), 'UPDATE(ESP_INFO, SEQ, ACK, ECHO_REQUEST), no DIFFIE_HELLMAN; the peer\'s new inbound SPI'],
      ['A>B UPDATE(ACK,ECHO_RESPONSE)', p(A2, B1), 'UPDATE(ACK, ECHO_RESPONSE)'],
    ],
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
    expected: [
      ['A>B UPDATE(ESP_INFO,LOCATOR_SET,SEQ)', p(A2, B1), 'UPDATE(ESP_INFO, LOCATOR_SET, ...)'],
      ['B>A UPDATE(ESP_INFO,SEQ,ACK,ECHO_REQUEST)', p(B1, A2), 'UPDATE(ESP_INFO, ...) with new SPI (the "..." being SEQ, ACK, ECHO_REQUEST, as in Figure 4)'],
      ['A>B UPDATE(ACK,ECHO_RESPONSE)', p(A2, B1), 'UPDATE(ACK, ECHO_RESPONSE) later arrives (after the data on the new SA)'],
    ],
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
  {
    file: 'rfc8004-figure-2',
    docs: 'rendezvous',
    participants: ['I', 'RVS', 'R'],
    title: 'RFC 8004 Figure 2: base exchange through a rendezvous server, after the registration of §3.2',
    rfc: `
   Registration (RFC 8004 §3.2):       Base exchange (Figure 2 and §3.3):
     R ---I1----------------> RVS                      +-----+
     R <--R1(REG_INFO)------- RVS             +--I1--->| RVS |---I1--+
     R ---I2(REG_REQ)-------> RVS             |        +-----+       |
     R <--R2(REG_RES)-------- RVS             |                      v
                                           +-----+                +-----+
                                           |     |<------R1-------|     |
                                           |  I  |-------I2------>|  R  |
                                           |     |<------R2-------|     |
                                           +-----+                +-----+`,
    notes: [
      'R registers for RENDEZVOUS (registration type 1) in its base exchange with the RVS. I knows only',
      "R's HIT and the RVS address: its I1 goes to the RVS, which relays it to R from its own address,",
      'adding FROM (I\'s address) and an RVS_HMAC keyed from the R-RVS association; R answers I directly',
      'with VIA_RVS, and the rest of the exchange runs without the RVS.',
    ],
    expected: [
      ['R>RVS I1', p(B1, RVS), 'registration: I1'],
      ['RVS>R R1', p(RVS, B1), 'registration: R1(REG_INFO)'],
      ['R>RVS I2', p(B1, RVS), 'registration: I2(REG_REQ)'],
      ['RVS>R R2', p(RVS, B1), 'registration: R2(REG_RES)'],
      ['I>RVS I1', p(A1, RVS), 'I1(I, RVS, HIT-I, HIT-R)'],
      ['RVS>R I1', p(RVS, B1), 'I1(RVS, R, HIT-I, HIT-R, FROM:I, RVS_HMAC)'],
      ['R>I R1', p(B1, A1), 'R1(R, I, HIT-R, HIT-I, VIA:RVS)'],
      ['I>R I2', p(A1, B1), 'I2(I, R, HIT-I, HIT-R)'],
      ['R>I R2', p(B1, A1), 'R2(R, I, HIT-R, HIT-I)'],
    ],
    run: () => {
      const sim = mhSim(8401);
      const i = host(sim, 'I', { locators: [A1] });
      const r = host(sim, 'R', { locators: [B1] });
      const rvs = rvsHost(sim, 'RVS', { locators: [RVS], clients: [r] });
      mesh(sim, [A1], [B1, RVS]);
      mesh(sim, [B1], [RVS]);
      registerRendezvous(sim, r, rvs);
      sim.runUntil(() => r.eventsOf('registered').length > 0);
      sim.run(100);
      connectVia(sim, i, r, RVS);
      sim.runUntil(() => i.established(r));
      data(sim, 'I', 'R', 1);
      sim.run(100);
      return { sim, from: 0 };
    },
  },
  {
    file: 'rfc8046-double-jump',
    docs: 'rendezvous',
    participants: ['A', 'RVS', 'B'],
    title: 'RFC 8046 §3.2.3: double jump, recovered through the rendezvous server',
    rfc: `
   RFC 8046 §3.2.3 (no figure):
   1. The mobile host sending an UPDATE to the peer, and not receiving an ACK, MAY resend
      the UPDATE to an RVS of the peer ...
   2. An RVS ... MUST rewrite the IP header source and destination addresses, recompute the
      IP header checksum, and include the FROM and RVS_HMAC parameters.
   3. A host receiving an UPDATE packet MUST be prepared to process the FROM and RVS_HMAC
      parameters and MUST include a VIA_RVS parameter in the UPDATE reply that contains the
      ACK of the UPDATE SEQ.
   4. An Initiator receiving a VIA_RVS in the UPDATE reply should initiate address
      reachability tests ... towards the end host's address`,
    notes: [
      'A and B are both registered with the RVS; A reached B through it, and B knows the RVS serves A',
      '(setPeerRvs). At t=0 of this excerpt A moves from 2001:db8:1::a to 2001:db8:2::a and B from',
      '2001:db8:1::b to 2001:db8:2::b: each first UPDATE goes to the stale address of the other, while the',
      'RVS learns both new addresses. The first retransmission also goes to the RVS (policy updateViaRvs),',
      'which relays it; the replies go directly, with VIA_RVS, and check the new addresses.',
    ],
    expected: [
      ['A>RVS UPDATE(ESP_INFO,LOCATOR_SET,SEQ)', p(A2, RVS), 'not in §3.2.3: A updates its own RVS, as any peer'],
      ['A>B UPDATE(ESP_INFO,LOCATOR_SET,SEQ)', p(A2, B1), 'to the stale address of B: lost'],
      ['B>RVS UPDATE(ESP_INFO,LOCATOR_SET,SEQ)', p(B2, RVS), 'not in §3.2.3: B updates its own RVS'],
      ['B>? UPDATE(ESP_INFO,LOCATOR_SET,SEQ)', p(B2, A1), 'to the stale address of A: lost'],
      ['RVS>A UPDATE(ESP_INFO,SEQ,ACK,ECHO_REQUEST)', p(RVS, A2), 'the RVS checks A\'s new address'],
      ['RVS>B UPDATE(ESP_INFO,SEQ,ACK,ECHO_REQUEST)', p(RVS, B2), 'the RVS checks B\'s new address'],
      ['A>RVS UPDATE(ACK,ECHO_RESPONSE)', p(A2, RVS), 'A\'s new address verified at the RVS'],
      ['B>RVS UPDATE(ACK,ECHO_RESPONSE)', p(B2, RVS), 'B\'s new address verified at the RVS'],
      ['A>? UPDATE(ESP_INFO,LOCATOR_SET,SEQ)', p(A2, B1), 'step 1: the retransmission to the last working address (lost)...'],
      ['A>RVS UPDATE(ESP_INFO,LOCATOR_SET,SEQ)', p(A2, RVS), 'step 1: ...and, in parallel, to the peer\'s RVS'],
      ['B>? UPDATE(ESP_INFO,LOCATOR_SET,SEQ)', p(B2, A1), 'step 1, for B'],
      ['B>RVS UPDATE(ESP_INFO,LOCATOR_SET,SEQ)', p(B2, RVS), 'step 1, for B: to the peer\'s RVS'],
      ['RVS>B UPDATE(ESP_INFO,LOCATOR_SET,SEQ,FROM,RVS_HMAC)', p(RVS, B2), 'step 2: relayed to B\'s new address with FROM and RVS_HMAC'],
      ['RVS>A UPDATE(ESP_INFO,LOCATOR_SET,SEQ,FROM,RVS_HMAC)', p(RVS, A2), 'step 2: relayed to A\'s new address'],
      ['B>A UPDATE(ESP_INFO,SEQ,ACK,ECHO_REQUEST,VIA_RVS)', p(B2, A2), 'steps 3 and 4: the reply with the ACK carries VIA_RVS and checks A\'s address directly'],
      ['A>B UPDATE(ESP_INFO,SEQ,ACK,ECHO_REQUEST,VIA_RVS)', p(A2, B2), 'steps 3 and 4, for A'],
      ['A>B UPDATE(ACK,ECHO_RESPONSE)', p(A2, B2), 'A\'s new address verified by B'],
      ['B>A UPDATE(ACK,ECHO_RESPONSE)', p(B2, A2), 'B\'s new address verified by A: no new base exchange'],
    ],
    run: () => {
      const sim = mhSim(8402);
      const w = twoClients(sim);
      const { a, b } = w;
      contactThroughRvs(sim, w, true);
      sim.run(100);
      const from = sim.trace.length;
      a.moveLocator(A1, A2);
      b.moveLocator(B1, B2);
      sim.run(3000);
      data(sim, 'A', 'B', 1);
      data(sim, 'B', 'A', 1);
      sim.run(50);
      return { sim, from };
    },
  },
];

describe('golden traces and diagrams of the RFC figures', () => {
  for (const c of CASES) {
    it(`${c.title}: message sequence, golden trace and Mermaid diagram`, async () => {
      const { sim, from } = c.run();
      // Every packet sent, in order, with its outer addresses, against the RFC figure's messages.
      const msgs = hipMsgs(sim, from);
      const sent = figure(sim, from, { lost: true }).map((line, i) => [line, p(msgs[i]!.src, msgs[i]!.dst, msgs[i]!.lost)]);
      expect(sent).toEqual(c.expected.map(([line, path]) => [line, path]));
      await expect(sim.traceText({ redact: { hits: true } })).toMatchFileSnapshot(`../__traces__/${c.file}.txt`);
      const page = figurePage(c.title, c.rfc, [...c.notes, '', ...correspondence(c.expected)], mermaidFromTrace(sim, { from, participants: c.participants ?? ['A', 'B'] }));
      await expect(page).toMatchFileSnapshot(`../../docs/${c.docs ?? 'mobility'}/${c.file}.md`);
    });
  }

  it('a figure scenario run twice with the same seed gives the same trace (same seed, same bytes)', () => {
    const c = CASES.find((x) => x.file === 'rfc8047-figure-3')!;
    expect(c.run().sim.traceText()).toBe(c.run().sim.traceText());
  });

  it('RFC 8047 Figure 2: with two SA pairs the data stays on the preferred one (the P-bit locators), the new pair is there for a load-balancing policy', () => {
    const { sim, from } = CASES.find((c) => c.file === 'rfc8047-figure-2')!.run();
    const a = sim.hostByName('A')!;
    const b = sim.hostByName('B')!;
    const preferred = (h: typeof a, peer: typeof b): string[] =>
      h.esp.outboundSas(peer.hit).map((s) => `${formatLocator(s.src)}>${formatLocator(s.dst)}${s.preferred ? ' preferred' : ''}`);
    expect(preferred(a, b)).toEqual([`${A1}>${B1} preferred`, `${A2}>${B1}`]);
    expect(preferred(b, a)).toEqual([`${B1}>${A1} preferred`, `${B1}>${A2}`]);
    const esp = sim.trace.records.slice(from).filter((r) => r.dir === 'send' && r.kind === 'ESP');
    expect(esp.map((r) => `${r.host} ${formatLocator((r.fields!['src'] as { loc: Uint8Array }).loc)}>${formatLocator((r.fields!['dst'] as { loc: Uint8Array }).loc)}`)).toEqual([
      `A ${A1}>${B1}`,
      `A ${A1}>${B1}`,
      `B ${B1}>${A1}`,
      `B ${B1}>${A1}`,
    ]);
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
