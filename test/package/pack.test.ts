// The package as a user gets it: `npm pack` (its prepack builds dist/), the tarball unpacked
// into a fresh project's node_modules, and the examples/ programs and the README's program
// type-checked against the package's .d.ts files under `nodenext` and `bundler` resolution,
// then compiled and run with node as a user would. Nothing here imports from src/.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../cli/build.js';

// Inside the repository (git-ignored) so that the package's own dependencies (@noble/*,
// ipaddr.js, micro-rsa-dsa-dh) and @types/node resolve from the repository's node_modules, as
// they would from the user's after `npm install hip-engine`.
const PROJECT = join(ROOT, '.pack-test');
const PKG = join(PROJECT, 'node_modules', 'hip-engine');
const TSC = join(ROOT, 'node_modules', '.bin', 'tsc');
const EXAMPLES = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.ts')).sort();

let files: string[] = [];

function run(cmd: string, args: readonly string[], cwd: string, timeout = 120_000): { status: number | null; out: string; stdout: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, npm_config_loglevel: 'error' } });
  return { status: r.status, stdout: r.stdout ?? '', out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** Every subpath of the package's exports map (but ./package.json), as a user imports it. */
const SUBPATHS = Object.keys((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> }).exports)
  .filter((k) => k !== './package.json')
  .map((k) => (k === '.' ? 'hip-engine' : `hip-engine/${k.slice(2)}`));

/** A program that imports every subpath and prints how many values each exports. */
function subpathProgram(): string {
  const imports = SUBPATHS.map((s, i) => `import * as m${i} from '${s}';`).join('\n');
  const rows = SUBPATHS.map((s, i) => `  ['${s}', Object.keys(m${i}).length],`).join('\n');
  return `${imports}\nconst rows: [string, number][] = [\n${rows}\n];\nfor (const [name, n] of rows) console.log(\`\${name} \${n}\`);\n`;
}

/** The README's program: the first ```ts block under "## Using the engine". */
export function readmeProgram(readme: string): string {
  const section = readme.slice(readme.indexOf('## Using the engine'));
  const m = /```ts\n([\s\S]*?)```/.exec(section);
  if (!m) throw new Error('README has no ```ts block under "## Using the engine"');
  return m[1]!;
}

beforeAll(() => {
  rmSync(PROJECT, { recursive: true, force: true });
  mkdirSync(join(PKG), { recursive: true });
  const packed = run('npm', ['pack', '--json', '--pack-destination', PROJECT], ROOT, 240_000);
  if (packed.status !== 0) throw new Error(`npm pack failed:\n${packed.out}`);
  // The prepack build prints to stdout too; the JSON report is the last thing npm prints.
  const info = JSON.parse(packed.stdout.slice(packed.stdout.lastIndexOf('[\n  {'))) as { filename: string; files: { path: string }[] }[];
  files = info[0]!.files.map((f) => f.path);
  const untar = run('tar', ['-xzf', join(PROJECT, info[0]!.filename), '-C', PKG, '--strip-components=1'], ROOT);
  if (untar.status !== 0) throw new Error(`tar failed:\n${untar.out}`);
  mkdirSync(join(PROJECT, 'src'), { recursive: true });
  for (const f of EXAMPLES) cpSync(join(ROOT, 'examples', f), join(PROJECT, 'src', f));
  writeFileSync(join(PROJECT, 'src', 'readme.ts'), readmeProgram(readFileSync(join(ROOT, 'README.md'), 'utf8')));
  writeFileSync(join(PROJECT, 'src', 'subpaths.ts'), subpathProgram());
  writeFileSync(join(PROJECT, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2));
  const common = { target: 'ES2022', lib: ['ES2022'], types: ['node'], strict: true, exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true, skipLibCheck: false, rootDir: 'src' };
  writeFileSync(join(PROJECT, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...common, module: 'NodeNext', moduleResolution: 'NodeNext', outDir: 'out' }, include: ['src'] }, null, 2));
  writeFileSync(join(PROJECT, 'tsconfig.bundler.json'), JSON.stringify({ compilerOptions: { ...common, module: 'ESNext', moduleResolution: 'Bundler', noEmit: true }, include: ['src'] }, null, 2));
}, 300_000);

describe('npm pack: the tarball a user installs', () => {
  it('contains the built code, declarations, their maps, the sources they point to, docs and vectors', () => {
    for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/index.js.map', 'dist/index.d.ts.map', 'dist/cli/node/main.js', 'dist/driver/node/udp.js', 'src/index.ts', 'docs/architecture.md', 'vectors/README.md', 'BENCHMARKS.md', 'README.md', 'LICENSE']) {
      expect(files, f).toContain(f);
    }
    expect(files.some((f) => f.startsWith('test/'))).toBe(false);
  });

  it('every source map (JS and declaration) points at files that are in the tarball', () => {
    const maps = files.filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(100);
    const missing: string[] = [];
    for (const m of maps) {
      const map = JSON.parse(readFileSync(join(PKG, m), 'utf8')) as { sources: string[]; sourceRoot?: string };
      for (const s of map.sources) {
        const target = resolve(dirname(join(PKG, m)), map.sourceRoot ?? '', s);
        if (!existsSync(target)) missing.push(`${m} → ${s}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('the examples, the README program and an import of every subpath type-check against the package under nodenext', () => {
    const r = run(TSC, ['-p', 'tsconfig.json', '--noEmit'], PROJECT);
    expect(r.out).toBe('');
    expect(r.status).toBe(0);
  });

  it('the same under bundler resolution', () => {
    const r = run(TSC, ['-p', 'tsconfig.bundler.json'], PROJECT);
    expect(r.out).toBe('');
    expect(r.status).toBe(0);
  });

  describe('compiled and run with node', () => {
    beforeAll(() => {
      const r = run(TSC, ['-p', 'tsconfig.json'], PROJECT);
      if (r.status !== 0) throw new Error(`tsc failed:\n${r.out}`);
    }, 120_000);

    const node = (file: string): { status: number | null; out: string } => run(process.execPath, [join('out', file.replace(/\.ts$/, '.js'))], PROJECT, 120_000);

    it('two-engines: a base exchange, ESP both ways and a close, in one process', () => {
      const r = node('two-engines.ts');
      expect(r.status, r.out).toBe(0);
      expect(r.out).toContain('A: established');
      expect(r.out).toContain('B: established');
      expect(r.out).toContain('B got "hello from A"');
      expect(r.out).toContain('A got "hello from B"');
      expect(r.out).toMatch(/A: closed/);
    });

    it('udp-driver: two hosts over loopback UDP establish, echo a message and close', () => {
      const r = node('udp-driver.ts');
      expect(r.status, r.out).toBe(0);
      expect(r.out).toContain('A established');
      expect(r.out).toContain('A got the echo "hello over UDP"');
      expect(r.out).toContain('A closed');
    });

    it('simulator-sweep: prints one table row per loss rate; with no loss every seed establishes', () => {
      const r = node('simulator-sweep.ts');
      expect(r.status, r.out).toBe(0);
      const rows = r.out.trim().split('\n');
      expect(rows[0]).toMatch(/^loss\s+established\s+median ms$/);
      expect(rows.slice(1).map((l) => l.trim().split(/\s+/)[0])).toEqual(['0%', '10%', '20%', '30%', '50%']);
      // No loss: every seed establishes after one round trip of I1/R1 and one of I2/R2 (4 x 20 ms).
      expect(rows[1]).toMatch(/^\s*0%\s+9\/9\s+80$/);
      // Loss only delays: the median never falls as loss grows.
      const medians = rows.slice(1).map((l) => Number(l.trim().split(/\s+/)[2]));
      for (let i = 1; i < medians.length; i++) if (Number.isFinite(medians[i])) expect(medians[i]).toBeGreaterThanOrEqual(medians[i - 1]!);
    });

    it('policy-hook: the hooks choose K and the announced locators', () => {
      const r = node('policy-hook.ts');
      expect(r.status, r.out).toBe(0);
      expect(r.out).toContain('K with no load: 1');
      expect(r.out).toContain('K at half load: 5');
      // RFC 7401 §8 flood protection of the default policy stays in force: configured K + 9.
      expect(r.out).toContain('K under an I2 flood: 10');
      expect(r.out).toContain('announced to 2001:db8::b: 2001:db8::a\n');
    });

    it('crypto-provider: a wrapping provider restricted to DH group 7 still establishes, and counts signatures', () => {
      const r = node('crypto-provider.ts');
      expect(r.status, r.out).toBe(0);
      expect(r.out).toMatch(/A established at \d+ ms/);
      expect(r.out).toMatch(/B established at \d+ ms, on A's first ESP packet/);
      // R1 (signed once, verified by A), I2 (A signs, B verifies), R2 (B signs, A verifies).
      const m = /signatures made: (\d+), checked: (\d+)/.exec(r.out);
      expect(Number(m?.[1])).toBeGreaterThanOrEqual(3);
      expect(Number(m?.[2])).toBeGreaterThanOrEqual(3);
    });

    it('every subpath of the exports map imports and has values', () => {
      expect(SUBPATHS).toContain('hip-engine/driver/node');
      const r = node('subpaths.ts');
      expect(r.status, r.out).toBe(0);
      const rows = r.out.trim().split('\n').map((l) => l.split(' '));
      expect(rows.map((x) => x[0])).toEqual(SUBPATHS);
      for (const [name, n] of rows) expect(Number(n), name).toBeGreaterThan(0);
    });

    it("the README's program runs", () => {
      const r = node('readme.ts');
      expect(r.status, r.out).toBe(0);
      expect(r.out).toContain('established');
    });
  });

  it('covers every example in examples/', () => {
    expect(EXAMPLES).toEqual(['crypto-provider.ts', 'policy-hook.ts', 'simulator-sweep.ts', 'two-engines.ts', 'udp-driver.ts']);
  });
});
