// A mesh study on the simulator: n hosts, each starting base exchanges with the next `degree`
// hosts on a ring (so each host holds 2 × degree associations), one duplex link per association,
// then ESP both ways on every association at a fixed period. The scale benchmark's simulator
// section and the `hip-engine sweep` mesh scenario run it; it is deterministic from its seed.
import { hitKey } from '../addr/hit.js';
import type { HipConfig } from '../engine/config.js';
import type { Millis } from '../types.js';
import { fastIdentity } from './fast-crypto.js';
import type { LinkOptions } from './netem.js';
import { deriveSeed, seededRandom, type Seed } from './rng.js';
import { Sim, type SimCryptoChoice, type SimHost, type SimOptions } from './sim.js';

/** Options of {@link buildMesh}. */
export type MeshOptions = {
  /** Master seed of the simulation. */
  readonly seed: Seed;
  /** Number of hosts (at least degree + 1). */
  readonly hosts: number;
  /**
   * Base exchanges each host starts, with the next hosts on the ring.
   * @defaultValue 3
   */
  readonly degree?: number;
  /**
   * Crypto of every host. 'fast' (with fast identities, no key generation) is insecure and for
   * large runs only.
   * @defaultValue 'fast'
   */
  readonly crypto?: SimCryptoChoice;
  /** Options of every link (both directions). @defaultValue `{ latencyMs: 10 }` */
  readonly link?: LinkOptions;
  /**
   * Time between two connects, host after host, so the base exchanges do not all start at once.
   * @defaultValue 0.5
   */
  readonly connectSpacingMs?: Millis;
  /** Engine configuration of every host. @defaultValue `{ puzzleK: 1 }` */
  readonly config?: Partial<HipConfig>;
  /**
   * Further simulator options (invariants, trace and delivery windows, insecureFastEsp...).
   * Seed and crypto come from the fields above.
   */
  readonly sim?: Omit<SimOptions, 'seed' | 'crypto'>;
};

/** One association of the mesh: the host that connected and its peer. */
export type MeshPair = {
  /** The host that connected (the Initiator, RFC 7401 §4.1). */
  readonly initiator: SimHost;
  /** The host it connected to (the Responder). */
  readonly responder: SimHost;
};

/** The traffic {@link Mesh.startTraffic} started: a stop switch and its counts. */
export type MeshTraffic = {
  /** Stops sending (packets in flight are still delivered). */
  stop(): void;
  /** Payloads the data planes protected and sent so far. */
  readonly sent: number;
  /** Payloads a data plane refused so far (no SA yet, no credit...). */
  readonly refused: number;
};

/** What {@link buildMesh} returns: the simulation, its hosts and associations, and helpers. */
export type Mesh = {
  /** The simulation (its options as given in MeshOptions.sim). */
  readonly sim: Sim;
  /** The hosts H0, H1, ... in ring order. */
  readonly hosts: readonly SimHost[];
  /** Every association, in the order the connects are made. */
  readonly pairs: readonly MeshPair[];
  /** Number of pairs both of whose ends are ESTABLISHED (O(pairs)). */
  established(): number;
  /**
   * Starts ESP on every association, both ways, one packet of `payloadBytes` each way every
   * `periodMs`, spread over the period in 1 ms phases; runs until `stop()`.
   */
  startTraffic(periodMs: Millis, payloadBytes: number): MeshTraffic;
};

/**
 * Builds a mesh (see the file comment) and schedules its connects from now; run the simulation
 * to establish it (`sim.run(ms)`).
 */
export function buildMesh(opts: MeshOptions): Mesh {
  const n = opts.hosts;
  const degree = opts.degree ?? 3;
  if (!Number.isInteger(degree) || degree < 1) throw new RangeError('"opts.degree" expected an integer >= 1');
  // Above 2 × degree hosts, no two hosts connect to each other twice.
  if (!Number.isInteger(n) || n <= 2 * degree) throw new RangeError(`"opts.hosts" expected an integer > 2 × degree (${2 * degree})`);
  const crypto = opts.crypto ?? 'fast';
  const sim = new Sim({ ...(opts.sim ?? {}), seed: opts.seed, crypto });
  const idRandom = seededRandom(deriveSeed(opts.seed, 'mesh-identities'));
  const config = opts.config ?? { puzzleK: 1 };
  const hosts: SimHost[] = [];
  for (let i = 0; i < n; i++) {
    hosts.push(
      sim.host(`H${i}`, {
        locators: [meshLocator(i)],
        config,
        ...(crypto === 'fast' ? { identity: fastIdentity(idRandom) } : {}),
      }),
    );
  }
  const link = opts.link ?? { latencyMs: 10 };
  const pairs: MeshPair[] = [];
  const spacing = opts.connectSpacingMs ?? 0.5;
  for (let i = 0; i < n; i++) {
    const a = hosts[i]!;
    const peers: SimHost[] = [];
    for (let k = 1; k <= degree; k++) {
      const b = hosts[(i + k) % n]!;
      sim.link(a.locators[0]!, b.locators[0]!, link);
      pairs.push({ initiator: a, responder: b });
      peers.push(b);
    }
    sim.at(sim.now + i * spacing, () => {
      for (const b of peers) a.connect(b);
    });
  }
  return {
    sim,
    hosts,
    pairs,
    established: () => pairs.filter((p) => p.initiator.established(p.responder) && p.responder.established(p.initiator)).length,
    startTraffic: (periodMs, payloadBytes) => startTraffic(sim, pairs, periodMs, payloadBytes),
  };
}

function startTraffic(sim: Sim, pairs: readonly MeshPair[], periodMs: Millis, payloadBytes: number): MeshTraffic {
  if (!Number.isInteger(periodMs) || periodMs < 1) throw new RangeError('"periodMs" expected an integer >= 1');
  if (!Number.isInteger(payloadBytes) || payloadBytes < 0) throw new RangeError('"payloadBytes" expected an integer >= 0');
  // Each association gets a phase of the period from its HITs, so the load is spread evenly
  // and the same seed gives the same schedule.
  const phases: [SimHost, SimHost][][] = Array.from({ length: periodMs }, () => []);
  for (const p of pairs) {
    const key = hitKey(p.initiator.hit) + hitKey(p.responder.hit);
    let h = 0;
    for (let i = 0; i < key.length; i++) h = (Math.imul(h, 31) + key.charCodeAt(i)) >>> 0;
    const phase = phases[h % periodMs]!;
    phase.push([p.initiator, p.responder], [p.responder, p.initiator]);
  }
  const payload = new Uint8Array(payloadBytes);
  const state = { stopped: false, sent: 0, refused: 0 };
  let phase = 0;
  const tick = (): void => {
    if (state.stopped) return;
    for (const [from, to] of phases[phase]!) {
      if (from.send(to, payload).ok) state.sent++;
      else state.refused++;
    }
    phase = (phase + 1) % periodMs;
    sim.after(1, tick);
  };
  sim.after(0, tick);
  return {
    stop: () => {
      state.stopped = true;
    },
    get sent() {
      return state.sent;
    },
    get refused() {
      return state.refused;
    },
  };
}

/** The locator of mesh host `i` (0 to 2^32 - 1): 2001:db8:0:hi::lo:1, from the index's halves. */
export function meshLocator(i: number): string {
  return `2001:db8:0:${(i >>> 16).toString(16)}::${(i & 0xffff).toString(16)}:1`;
}
