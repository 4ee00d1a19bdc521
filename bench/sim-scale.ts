// The simulator section of the scale benchmark (`npm run bench -- scale`, section `sim`):
// 1,000 hosts, each starting base exchanges with 3 others (3,000 associations), then ESP every
// 20 ms both ways on every association. Reports simulated packets (HIP + ESP delivered by the
// links) per wall-clock second in three set-ups: fast crypto + insecure fast ESP + invariants
// off + no trace (the target: >= 100,000/s), the same with invariants on, and with real ESP.
//
// Environment: SIM_HOSTS (default 1000), SIM_MS (virtual ms of traffic timed, default 2000).
import { buildMesh } from '../src/testing/mesh.js';
import { table } from './measure.js';

type Setup = { readonly name: string; readonly invariants: boolean; readonly fastEsp: boolean; readonly ms: number };

function runSetup(hosts: number, s: Setup): string[] {
  const t0 = performance.now();
  const mesh = buildMesh({
    seed: 'bench-sim',
    hosts,
    degree: 3,
    crypto: 'fast',
    link: { latencyMs: 10 },
    sim: { invariants: s.invariants, insecureFastEsp: s.fastEsp, traceWindow: 0, receivedWindow: 0, eventsWindow: 0 },
  });
  const { sim } = mesh;
  sim.run(hosts * 0.5 + 2000);
  // The Responders leave R2-SENT on the first ESP packet (RFC 7401 §4.4.2): a short warm-up.
  const traffic = mesh.startTraffic(20, 64);
  sim.run(200);
  const established = mesh.established();
  if (established !== mesh.pairs.length) throw new Error(`only ${established} of ${mesh.pairs.length} associations established`);
  const build = performance.now() - t0;
  const before = sim.counters;
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  sim.run(s.ms);
  const wall = (performance.now() - w0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const after = sim.counters;
  traffic.stop();
  const delivered = after.delivered.hip + after.delivered.esp - before.delivered.hip - before.delivered.esp;
  const sent = after.sent.hip + after.sent.esp - before.sent.hip - before.sent.esp;
  const cpuS = (cpu.user + cpu.system) / 1e6;
  return [
    s.name,
    `${mesh.pairs.length.toLocaleString('en')}`,
    `${(build / 1000).toFixed(1)} s`,
    `${s.ms} ms`,
    delivered.toLocaleString('en'),
    `${wall.toFixed(2)} s`,
    Math.round(delivered / wall).toLocaleString('en'),
    Math.round(delivered / cpuS).toLocaleString('en'),
    `${sent - delivered}`,
  ];
}

export function simScale(): void {
  const hosts = Number(process.env.SIM_HOSTS ?? 1000);
  const ms = Number(process.env.SIM_MS ?? 2000);
  const only = process.env.SIM_SETUPS?.split(',');
  const setups: Setup[] = [
    { name: 'fast crypto, insecureFastEsp, invariants off', invariants: false, fastEsp: true, ms },
    { name: 'fast crypto, insecureFastEsp, invariants on', invariants: true, fastEsp: true, ms: Math.max(100, ms / 4) },
    { name: 'fast crypto, real ESP (AES-CBC + HMAC), invariants off', invariants: false, fastEsp: false, ms: Math.max(100, ms / 4) },
  ].filter((_, i) => only === undefined || only.includes(String(i)));
  console.log(`${hosts.toLocaleString('en')} hosts, each connecting to 3 others on a ring; links 10 ms; ESP of 64-byte payloads every 20 ms both ways on every association; no trace, delivery or event records kept.`);
  console.log('Rates are packets delivered by the links (HIP + ESP) per second of wall time and of process CPU time, while traffic runs.\n');
  const rows = setups.map((s) => runSetup(hosts, s));
  table(['set-up', 'associations', 'build + BEX', 'virtual time', 'packets', 'wall', 'packets/s (wall)', 'packets/s (CPU)', 'sent − delivered (in flight at the ends)'], rows);
}
