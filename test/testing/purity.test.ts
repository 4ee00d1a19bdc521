// src/testing/ runs in browsers too and is deterministic from seeds: no clock, timer, ambient
// randomness, console, process, Buffer, Node module or vitest import.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const DIR = resolve(import.meta.dirname, '../../src/testing');

const codeOnly = (text: string): string =>
  text
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/.*$/gm, ' ')
    .replace(/'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\.|[^`\\])*`/g, "''");

const FORBIDDEN: readonly [string, RegExp][] = [
  ['Date', /\bDate\b/],
  ['performance', /\bperformance\./],
  ['Math.random', /\bMath\.random\b/],
  ['setTimeout', /\bsetTimeout\b/],
  ['setInterval', /\bsetInterval\b/],
  ['setImmediate', /\bsetImmediate\b/],
  ['queueMicrotask', /\bqueueMicrotask\b/],
  ['getRandomValues', /\bgetRandomValues\b/],
  ['console', /\bconsole\./],
  ['process', /\bprocess\./],
  ['Buffer', /\bBuffer\b/],
  ['enum', /\benum\s+\w+/],
  ['namespace', /\bnamespace\s+\w+/],
];

describe('src/testing purity', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.ts'));
  it('finds the sources', () => expect(files.length).toBeGreaterThanOrEqual(7));
  for (const f of files) {
    it(`${f} is browser-safe and deterministic`, () => {
      const raw = readFileSync(join(DIR, f), 'utf8');
      const code = codeOnly(raw);
      const hits = FORBIDDEN.filter(([, re]) => re.test(code)).map(([n]) => n);
      if (/from\s+['"](node:|vitest|fast-check)/.test(raw) || /\brequire\(/.test(code)) hits.push('forbidden import');
      for (const m of raw.matchAll(/from\s+['"](\.[^'"]+)['"]/g)) if (!m[1]!.endsWith('.js')) hits.push(`import without .js: ${m[1]}`);
      expect(hits).toEqual([]);
    });
  }
});
