// RSA-3072 host identities with the 3072-bit MODP group (4) make R1 and I2 larger than common
// MTUs. The engine must work with them; the simulator fragments at the IP layer and loses the
// whole packet if any fragment is lost (docs/architecture.md, Simulator: MTU and fragmentation).
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { importHostIdentity } from '../../src/crypto/host-id.js';
import { Sim } from '../../src/testing/index.js';
import { A6, B6, seed } from './sim-helpers.js';

// Made once per run with node:crypto (OpenSSL), as an operator's keys would be.
const rsa3072 = () =>
  importHostIdentity(new Uint8Array(generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey.export({ type: 'pkcs8', format: 'der' })));
const ids = [rsa3072(), rsa3072()];

function run(link: { mtu: number; loss?: number; fragmentation?: boolean }, s: number) {
  const sim = new Sim({ seed: seed(s), crypto: 'noble', strictMtu: false });
  // Generous retries: at 20% loss per fragment a 2-fragment R1 is lost 36% of the time.
  const config = { dhGroups: [4], puzzleK: 1, i1RetriesMax: 10, i2RetriesMax: 10 };
  const a = sim.host('A', { identity: ids[0]!, locators: [A6], config });
  const b = sim.host('B', { identity: ids[1]!, locators: [B6], config });
  sim.link(A6, B6, { latencyMs: 10, ...link });
  const sizes = new Map<string, number>();
  sim.intercept((bytes, ctx) => {
    sizes.set(ctx.kind, Math.max(sizes.get(ctx.kind) ?? 0, bytes.length));
    return 'pass';
  });
  sim.at(0, () => a.connect(b));
  return { sim, a, b, sizes };
}

describe('RFC 7401 with RSA-3072 and MODP-3072: packets larger than the MTU', () => {
  it('completes over a 1280-byte MTU link that fragments, although R1 and I2 exceed it', () => {
    const { sim, a, b, sizes } = run({ mtu: 1280 }, 31);
    sim.runUntil(() => a.established(b), { maxTimeMs: 60_000 });
    expect(sizes.get('R1')!).toBeGreaterThan(1280);
    expect(sizes.get('I2')!).toBeGreaterThan(1280);
    expect(sizes.get('R1')!).toBeLessThanOrEqual(2048); // the HIP header length field's limit
    expect(a.send(b, new TextEncoder().encode('big keys, small MTU')).ok).toBe(true);
    sim.run(100);
    expect(b.received.map((r) => new TextDecoder().decode(r.payload))).toContain('big keys, small MTU');
  });

  it('completes under 20% loss per fragment over ten seeds, recovering by retransmission', () => {
    let fragmented = 0;
    let lost = 0;
    for (let s = 40; s < 50; s++) {
      const { sim, a, b } = run({ mtu: 1280, loss: 0.2 }, s);
      sim.runUntil(() => a.established(b), { maxTimeMs: 120_000 });
      for (const { link } of sim.links()) {
        fragmented += link.counters.fragmented;
        lost += link.counters.lost.fragment + link.counters.lost.loss;
      }
    }
    // Large packets travelled in fragments and some were lost that way (one lost fragment loses
    // the packet); every run still established.
    expect(fragmented).toBeGreaterThan(0);
    expect(lost).toBeGreaterThan(0);
  });

  it('cannot complete when the path drops oversize packets instead of fragmenting', () => {
    const { sim, a, b } = run({ mtu: 1280, fragmentation: false }, 33);
    sim.run(300_000);
    expect(a.established(b)).toBe(false);
    expect(a.eventsOf('failed').length).toBe(1);
  });
});
