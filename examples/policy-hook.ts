// A custom policy hook. Where the RFCs leave a choice to local policy, EngineOptions.policy
// takes a typed function; the engine still enforces every MUST of the RFC after the hook runs.
// Here: raise the puzzle difficulty (RFC 7401 §4.1.1: the Responder chooses K) as half-open
// associations pile up, and never announce the addresses of one private /48 (RFC 8047 §6
// leaves the choice of locators to announce to local policy).
import { DEFAULT_POLICY, HipEngine, formatLocator, generateHostIdentity, parseLocator, type EnginePolicy } from 'hip-engine';

const random = (n: number): Uint8Array => globalThis.crypto.getRandomValues(new Uint8Array(n));

const policy: Partial<EnginePolicy> = {
  // K grows by 2 for each quarter of the half-open limit in use, capped at 20, and never drops
  // below what the default policy asks for (it raises K under a flood of bad I2s, RFC 7401 §8).
  puzzleDifficulty: (load, configuredK) =>
    Math.max(DEFAULT_POLICY.puzzleDifficulty(load, configuredK), Math.min(20, configuredK + 2 * Math.floor((4 * load.halfOpen) / load.maxHalfOpen))),
  // Announce every locator the default would, except those under 2001:db8:ffff::/48.
  announce: (ctx) => DEFAULT_POLICY.announce(ctx).filter((a) => !formatLocator(a.locator).startsWith('2001:db8:ffff:')),
};

const engine = new HipEngine(
  {
    identities: [generateHostIdentity('ecdsa-p256', random)],
    locators: [parseLocator('2001:db8::a'), parseLocator('2001:db8:ffff::a')],
    random,
    policy,
  },
  0,
);
const quiet = { puzzleFailuresPerSecond: 0, dhPerSecond: 0, failuresAfterDhPerSecond: 0 };
console.log('K with no load:', policy.puzzleDifficulty!({ halfOpen: 0, maxHalfOpen: 64, ...quiet }, engine.config.puzzleK));
console.log('K at half load:', policy.puzzleDifficulty!({ halfOpen: 32, maxHalfOpen: 64, ...quiet }, engine.config.puzzleK));
console.log('K under an I2 flood:', policy.puzzleDifficulty!({ halfOpen: 0, maxHalfOpen: 64, ...quiet, puzzleFailuresPerSecond: 50 }, engine.config.puzzleK));
const announced = policy.announce!({ locators: engine.localLocatorList(), peer: parseLocator('2001:db8::b') });
console.log('announced to 2001:db8::b:', announced.map((a) => formatLocator(a.locator)).join(', '));
