// docs/architecture.md, Layers: the core (engine, wire, crypto, and the shared addr/util) never
// reads the world, and layers import only downward.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Source text with comments and string literals blanked, so that prose cannot trip the scan. */
function codeOnly(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/.*$/gm, ' ')
    .replace(/'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\.|[^`\\])*`/g, "''");
}

const FORBIDDEN: readonly [string, RegExp][] = [
  ['Date.now', /\bDate\.now\b/],
  ['new Date', /\bnew Date\b/],
  ['performance.now', /\bperformance\.now\b/],
  ['Math.random', /\bMath\.random\b/],
  ['setTimeout', /\bsetTimeout\b/],
  ['setInterval', /\bsetInterval\b/],
  ['getRandomValues', /\bgetRandomValues\b/],
  ['console', /\bconsole\./],
  ['process', /\bprocess\./],
  ['Buffer', /\bBuffer\b/],
];
const NODE_IMPORT = /from\s+['"]node:|require\(/;

// The documented exception (docs/architecture.md, Layers): the noble provider's default RNG hook.
const RNG_HOOK_EXCEPTION = /crypto[\\/]noble\.ts$/;

const CORE_LAYERS = ['engine', 'wire', 'crypto', 'addr', 'util'];

describe('purity of the core (docs/architecture.md, Layers)', () => {
  const files = CORE_LAYERS.flatMap((l) => {
    try {
      return filesUnder(join(SRC, l));
    } catch {
      return [];
    }
  }).filter((f) => !/[\\/]node[\\/]/.test(f));

  it('finds the core sources to scan', () => {
    expect(files.length).toBeGreaterThan(5);
  });

  for (const file of files) {
    it(`${relative(SRC, file)} touches no clock, timer, random, console, process, Buffer or node: module`, () => {
      const raw = readFileSync(file, 'utf8');
      const code = codeOnly(raw);
      const hits: string[] = [];
      for (const [name, re] of FORBIDDEN) {
        if (name === 'getRandomValues' && RNG_HOOK_EXCEPTION.test(file)) continue;
        if (re.test(code)) hits.push(name);
      }
      if (NODE_IMPORT.test(raw)) hits.push('node: import');
      expect(hits).toEqual([]);
    });
  }
});

// Layer order: util/addr/types at the bottom, then wire, crypto, engine, then esp/driver/testing/cli.
const RANK: Record<string, number> = {
  util: 0, 'types.ts': 0, addr: 1, wire: 2, crypto: 3, engine: 4, esp: 5, driver: 6, testing: 6, cli: 7, 'index.ts': 8,
};

function layerOf(file: string): string {
  const rel = relative(SRC, file).split(/[\\/]/);
  return rel.length === 1 ? rel[0]! : rel[0]!;
}

describe('layers import only downward (docs/architecture.md, Layers)', () => {
  const files = filesUnder(SRC);
  for (const file of files) {
    it(`${relative(SRC, file)} imports only its own or lower layers`, () => {
      const from = layerOf(file);
      const rank = RANK[from];
      expect(rank, `unknown layer ${from}`).toBeDefined();
      const text = readFileSync(file, 'utf8');
      const bad: string[] = [];
      for (const m of text.matchAll(/from\s+['"](\.[^'"]+)['"]/g)) {
        const target = resolve(dirname(file), m[1]!);
        const to = layerOf(target.endsWith('.js') ? target.replace(/\.js$/, '.ts') : target);
        if (to === from) continue;
        const toRank = RANK[to];
        if (toRank === undefined || toRank > rank! || (toRank === rank && to !== from)) bad.push(m[1]!);
      }
      expect(bad).toEqual([]);
    });
  }
});

// The charting library (echarts, an optional peer dependency) is imported by the plot module
// (src/testing/plot/, the `hip-engine/testing/plot` subpath) alone; the CLI loads that module
// with a dynamic import when `demo --plot` asks for it. So no other entry point, the CLI's
// included, reaches the library through its static imports.
describe('the optional charting library stays out of every other entry point', () => {
  const PLOT_DIR = join(SRC, 'testing', 'plot');
  const inPlot = (f: string): boolean => f.startsWith(PLOT_DIR + '/') || f.startsWith(PLOT_DIR + '\\');
  /** Specifiers of the imports that run: `import ... from`, `export ... from`, `import '...'` (not `import type`/`export type`). */
  const staticImports = (text: string): string[] =>
    [...text.matchAll(/^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
  const dynamicImports = (text: string): string[] => [...codeOnlyKeepStrings(text).matchAll(/(?<!typeof\s)\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!);
  const resolveRel = (from: string, spec: string): string => resolve(dirname(from), spec).replace(/\.js$/, '.ts');
  const isEcharts = (spec: string): boolean => spec === 'echarts' || spec.startsWith('echarts/');

  it('only src/testing/plot/ imports echarts, and only the CLI loads the plot module, dynamically', () => {
    const bad: string[] = [];
    for (const file of filesUnder(SRC)) {
      const text = readFileSync(file, 'utf8');
      for (const spec of [...staticImports(text), ...dynamicImports(text)]) {
        if (isEcharts(spec) && !inPlot(file)) bad.push(`${relative(SRC, file)} imports ${spec}`);
        if (spec.startsWith('.') && inPlot(resolveRel(file, spec)) && !inPlot(file)) {
          const dynamicFromCli = dynamicImports(text).includes(spec) && !staticImports(text).includes(spec) && relative(SRC, file).startsWith('cli');
          if (!dynamicFromCli) bad.push(`${relative(SRC, file)} imports ${spec}`);
        }
      }
    }
    expect(bad).toEqual([]);
    // The plot module does import it (the scan above sees real imports).
    expect(staticImports(readFileSync(join(PLOT_DIR, 'svg.ts'), 'utf8')).filter(isEcharts).length).toBeGreaterThan(0);
  });

  const pkg = JSON.parse(readFileSync(resolve(SRC, '..', 'package.json'), 'utf8')) as { exports: Record<string, string | { types?: string }>; bin: Record<string, string> };
  const entries = [
    ...Object.entries(pkg.exports).flatMap(([sub, t]) => (typeof t === 'object' && t.types && sub !== './testing/plot' ? [[sub, t.types] as const] : [])),
    ...Object.entries(pkg.bin).map(([name, js]) => [`bin ${name}`, js] as const),
  ].map(([name, dist]) => [name, join(SRC, dist.replace(/^\.?\/?dist\//, '').replace(/\.d\.ts$|\.js$/, '.ts'))] as const);

  it('finds every entry point but the plot subpath, and the CLI', () => {
    expect(entries.map(([n]) => n)).toEqual(['.', './wire', './crypto', './crypto/node', './esp', './driver', './driver/node', './testing', 'bin hip-engine']);
  });

  it.each(entries)('%s does not reach echarts or src/testing/plot/ through its static imports', (_name, entry) => {
    const seen = new Set<string>();
    const reached: string[] = [];
    const todo = [entry];
    while (todo.length > 0) {
      const f = todo.pop()!;
      if (seen.has(f)) continue;
      seen.add(f);
      if (inPlot(f)) reached.push(relative(SRC, f));
      for (const spec of staticImports(readFileSync(f, 'utf8'))) {
        if (isEcharts(spec)) reached.push(`${relative(SRC, f)} → ${spec}`);
        else if (spec.startsWith('.')) todo.push(resolveRel(f, spec));
      }
    }
    expect(seen.size).toBeGreaterThan(1);
    expect(reached).toEqual([]);
  });
});

/** Source text with comments blanked (string literals kept, for import specifiers). */
function codeOnlyKeepStrings(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/.*$/gm, ' ');
}
