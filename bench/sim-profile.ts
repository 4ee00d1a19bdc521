// The traffic phase of the simulator scale study alone (bench/sim-scale.ts, first set-up: fast
// crypto, insecureFastEsp, invariants off, no records), for profiling and for before/after CPU
// comparisons on a shared machine. Not one of the `npm run bench` suites; run it after
// `tsc -p tsconfig.bench.json`:
//
//   node --expose-gc .bench-out/bench/sim-profile.js            CPU figures of SIM_ROUNDS rounds
//   SIM_PROFILE=out.cpuprofile node .bench-out/bench/sim-profile.js   also a --cpu-prof profile
//                                                                     of the traffic phase only
//
// Environment: SIM_HOSTS (default 1000), SIM_MS (virtual ms per round, default 1000),
// SIM_ROUNDS (default 3). The mesh is built once; each round runs SIM_MS more of traffic.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { buildMesh } from '../src/testing/mesh.js';

function post(session: Session, method: string, params?: object): Promise<unknown> {
  return new Promise((resolve, reject) => {
    session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

async function main(): Promise<void> {
  const hosts = Number(process.env.SIM_HOSTS ?? 1000);
  const ms = Number(process.env.SIM_MS ?? 1000);
  const rounds = Number(process.env.SIM_ROUNDS ?? 3);
  const profile = process.env.SIM_PROFILE;
  const mesh = buildMesh({
    seed: 'bench-sim',
    hosts,
    degree: 3,
    crypto: 'fast',
    link: { latencyMs: 10 },
    sim: { invariants: false, insecureFastEsp: true, traceWindow: 0, receivedWindow: 0, eventsWindow: 0 },
  });
  const { sim } = mesh;
  sim.run(hosts * 0.5 + 2000);
  mesh.startTraffic(20, 64);
  sim.run(200);
  const established = mesh.established();
  if (established !== mesh.pairs.length) throw new Error(`only ${established} of ${mesh.pairs.length} associations established`);

  let session: Session | undefined;
  if (profile !== undefined) {
    session = new Session();
    session.connect();
    await post(session, 'Profiler.enable');
    await post(session, 'Profiler.start');
  }
  for (let r = 0; r < rounds; r++) {
    const before = sim.counters;
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    sim.run(ms);
    const wall = (performance.now() - w0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const after = sim.counters;
    const delivered = after.delivered.hip + after.delivered.esp - before.delivered.hip - before.delivered.esp;
    const cpuS = (cpu.user + cpu.system) / 1e6;
    console.log(
      `round ${r + 1}: ${delivered} packets, ${wall.toFixed(2)} s wall, ${cpuS.toFixed(2)} s CPU, ` +
        `${Math.round(delivered / wall)} packets/s wall, ${Math.round(delivered / cpuS)} packets/s CPU`,
    );
  }
  if (session !== undefined && profile !== undefined) {
    const res = (await post(session, 'Profiler.stop')) as { profile: unknown };
    writeFileSync(profile, JSON.stringify(res.profile));
    session.disconnect();
  }
}

await main();
