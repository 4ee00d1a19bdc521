// A custom crypto provider. The engine does all cryptography through a small synchronous
// interface (CryptoProvider), so a provider can wrap, restrict or replace the default. This one
// wraps nobleCrypto(): it offers only the ECDH P-256 Diffie-Hellman group (RFC 7401 §5.2.7,
// group 7) and counts signatures made and checked, then runs a base exchange in the simulator.
import { nobleCrypto, type CryptoProvider, type HostIdAlgorithm } from 'hip-engine/crypto';
import { Sim } from 'hip-engine/testing';

const counts = { sign: 0, verify: 0, dhGroupsAsked: new Set<number>() };

function countingProvider(inner: CryptoProvider): CryptoProvider {
  return {
    ...inner,
    name: 'counting-noble',
    dhGroup: (id) => {
      counts.dhGroupsAsked.add(id);
      return id === 7 ? inner.dhGroup(id) : undefined;
    },
    hostIdAlgorithm: (id) => {
      const alg = inner.hostIdAlgorithm(id);
      if (!alg) return undefined;
      const wrapped: HostIdAlgorithm = {
        id: alg.id,
        keyType: (hi) => alg.keyType(hi),
        sign: (key, data, random) => (counts.sign++, alg.sign(key, data, random)),
        verify: (hi, data, sig) => (counts.verify++, alg.verify(hi, data, sig)),
      };
      return wrapped;
    },
  };
}

const sim = new Sim({ seed: 7, crypto: countingProvider(nobleCrypto()) });
const a = sim.host('A', { locators: ['2001:db8::a'] });
const b = sim.host('B', { locators: ['2001:db8::b'] });
sim.link('2001:db8::a', '2001:db8::b', { latencyMs: 10 });
sim.at(0, () => a.connect(b));
sim.runUntil(() => a.established(b));
console.log(`A established at ${sim.now} ms (virtual time)`);
// B leaves R2-SENT on the first ESP packet from A (RFC 7401 §4.4.3, Table 5).
a.send(b, new TextEncoder().encode('first data'));
sim.runUntil(() => b.established(a));
console.log(`B established at ${sim.now} ms, on A's first ESP packet`);
console.log(`signatures made: ${counts.sign}, checked: ${counts.verify}`);
console.log(`DH groups the engine asked about: ${[...counts.dhGroupsAsked].sort((x, y) => x - y).join(', ')}`);
