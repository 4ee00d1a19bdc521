// `demo --plot` needs Apache ECharts, an optional peer dependency: the compiled CLI run as a
// user who installed hip-engine without it (its dependencies, but not echarts, next to it)
// exits 1 with one line saying what to install, before running the scenario; the demo without
// --plot runs. The drawing itself is tested in test/testing/plot-svg.test.ts.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLOT_NEEDS_ECHARTS, loadPlotModule } from '../../src/cli/node/plot-module.js';
import { ROOT, buildCli } from './build.js';

let tmp = '';
let main = '';
beforeAll(() => {
  // Outside the repository, so that nothing resolves from its node_modules but what is linked.
  tmp = mkdtempSync(join(tmpdir(), 'hip-plot-optional-'));
  const built = dirname(dirname(dirname(buildCli('hip-engine-cli-plot-optional-test'))));
  cpSync(built, join(tmp, 'dist'), { recursive: true });
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; peerDependencies: Record<string, string> };
  for (const dep of Object.keys(pkg.dependencies)) {
    mkdirSync(dirname(join(tmp, 'node_modules', dep)), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', dep), join(tmp, 'node_modules', dep), 'dir');
  }
  expect(Object.keys(pkg.peerDependencies)).toEqual(['echarts']);
  main = join(tmp, 'dist', 'cli', 'node', 'main.js');
}, 120_000);
afterAll(() => {
  if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
});

const cli = (args: readonly string[]): { status: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [main, ...args], { cwd: tmp, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('demo --plot without the optional charting library', () => {
  it('exits 1 with one line naming the package to install, and writes nothing', () => {
    const svg = join(tmp, 'out.svg');
    const r = cli(['demo', '-q', '--plot', svg]);
    expect(r.stderr).toBe(`${PLOT_NEEDS_ECHARTS}\n`);
    expect(PLOT_NEEDS_ECHARTS).toBe('hip-engine demo: --plot needs the optional package echarts: npm install echarts');
    expect(r.status).toBe(1);
    // Said before the run: no summary, no file.
    expect(r.stdout).toBe('');
    expect(existsSync(svg)).toBe(false);
  });

  it('the demo without --plot runs', () => {
    const r = cli(['demo', '-q', '--scenario', 'basic']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('RESULT: OK');
  }, 60_000);

  it('any other failure to load the plot module is not mistaken for a missing package', async () => {
    const other = Object.assign(new Error("Cannot find package 'not-echarts' imported from x.js"), { code: 'ERR_MODULE_NOT_FOUND' });
    await expect(loadPlotModule(() => Promise.reject(other))).rejects.toBe(other);
  });
});
