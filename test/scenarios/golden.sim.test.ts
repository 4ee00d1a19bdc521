// Golden traces of the main flows besides the base exchange (docs/architecture.md, Simulator): a rekey with and
// without a new Diffie-Hellman, and a close. Same seed, same bytes: a change to one of these
// files is a change to what goes on the wire, to be made deliberately.
import { describe, expect, it } from 'vitest';
import { Sim } from '../../src/testing/index.js';
import { A6, B6, establish, exchangeData, expectSasMatch } from './sim-helpers.js';

function setup(seed: number) {
  const sim = new Sim({ seed });
  const a = sim.host('A', { locators: [A6] });
  const b = sim.host('B', { locators: [B6] });
  sim.link(A6, B6, { latencyMs: 10 });
  establish(sim, a, b);
  return { sim, a, b };
}

describe('golden traces of the main flows', () => {
  it('rekey from the KEYMAT, then with a new DH (RFC 7402 §6), data before and after', async () => {
    const { sim, a, b } = setup(43);
    sim.at(sim.now + 100, () => a.rekey(b));
    sim.run(1000);
    sim.at(sim.now + 100, () => b.rekey(a, { newDh: true }));
    sim.run(1000);
    expectSasMatch(sim, a, b);
    exchangeData(sim, a, b, 1);
    await expect(sim.traceText({ redact: true })).toMatchFileSnapshot('../__traces__/rekey-seed43.txt');
  });

  it('CLOSE / CLOSE_ACK (RFC 7401 §5.3.8-9)', async () => {
    const { sim, a, b } = setup(44);
    sim.at(sim.now + 100, () => a.close(b));
    sim.run(1000);
    expect(a.association(b)).toBeUndefined();
    await expect(sim.traceText({ redact: true })).toMatchFileSnapshot('../__traces__/close-seed44.txt');
  });
});
