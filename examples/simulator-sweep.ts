// A simulator study: how long does a base exchange take as link loss grows? (The Initiator's
// view: it is ESTABLISHED when R2 arrives; the Responder follows on the first ESP packet.) Each cell runs a
// deterministic simulation (same seed, same result) of two hosts over one lossy link and
// reports the median time to ESTABLISHED over a few seeds. No sockets, no real time.
import { Sim, SimError } from 'hip-engine/testing';

const lossRates = [0, 0.1, 0.2, 0.3, 0.5];
const seeds = [1, 2, 3, 4, 5, 6, 7, 8, 9];

function timeToEstablish(loss: number, seed: number): number | undefined {
  // 'fast' crypto is an insecure stand-in that makes big studies quick; use 'noble' for real keys.
  const sim = new Sim({ seed, crypto: 'fast' });
  const a = sim.host('A', { locators: ['2001:db8::a'] });
  const b = sim.host('B', { locators: ['2001:db8::b'] });
  sim.link('2001:db8::a', '2001:db8::b', { latencyMs: 20, loss });
  sim.at(0, () => a.connect(b));
  try {
    sim.runUntil(() => a.established(b), { maxTimeMs: 120_000 });
    return sim.now;
  } catch (e) {
    if (e instanceof SimError) return undefined; // a bound was hit: this run did not establish
    throw e;
  }
}

const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

console.log('loss   established   median ms');
for (const loss of lossRates) {
  const times = seeds.map((s) => timeToEstablish(loss, s)).filter((t): t is number => t !== undefined);
  console.log(`${(loss * 100).toFixed(0).padStart(3)}%   ${String(times.length).padStart(5)}/${seeds.length}   ${times.length ? String(median(times)).padStart(9) : '        -'}`);
}
