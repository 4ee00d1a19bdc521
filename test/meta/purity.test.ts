// DESIGN C1 rule 1 and C3.11: the core (engine, wire, crypto, and the shared addr/util) never
// reads the world, and layers import only downward (C3.2 dependency direction).
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

// The documented exception (DESIGN C3.11): the noble provider's default RNG hook.
const RNG_HOOK_EXCEPTION = /crypto[\\/]noble\.ts$/;

const CORE_LAYERS = ['engine', 'wire', 'crypto', 'addr', 'util'];

describe('purity of the core (DESIGN C1 rule 1)', () => {
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

describe('layers import only downward (DESIGN C3.2)', () => {
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
