// The repository explains itself: code, comments, tests and docs cite RFC sections or documents
// inside the repository, never notes a user of the package does not have (a private design file,
// a folder beside the checkout). And a citation of docs/architecture.md names a section that
// exists, so following it always lands somewhere.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../cli/build.js';

const SCANNED = ['src', 'test', 'bench', 'examples', 'scripts', 'docs', 'vectors', 'README.md', 'CHANGELOG.md', 'BENCHMARKS.md'];
const TEXT = /\.(ts|mts|js|mjs|md|json|txt)$/;
const SELF = relative(ROOT, new URL(import.meta.url).pathname);

function files(path: string): string[] {
  const full = join(ROOT, path);
  if (!statSync(full, { throwIfNoEntry: false })) return [];
  if (statSync(full).isFile()) return TEXT.test(path) ? [path] : [];
  return readdirSync(full, { withFileTypes: true })
    .filter((e) => e.name !== 'node_modules' && !e.isSymbolicLink())
    .flatMap((e) => files(join(path, e.name)));
}

const all = SCANNED.flatMap(files).filter((f) => f !== SELF);

/** Citations of things outside the repository: the private design notes and sibling folders. */
const OUTSIDE = [
  /\bDESIGN\b/,
  /\.\.\/shared\b/,
  /\/work\//,
  /\bPart [ABC]\b/,
  /\bC[0-9]\.[0-9]+\b/,
  /\bC1 rule\b/,
];

/** Comment markers and line breaks inside a citation that wraps over lines. */
const unwrap = (s: string) => s.replace(/\s*\n\s*(\/\/|\*|#)?\s*/g, ' ');

const sections = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8')
  .split('\n')
  .filter((l) => /^#{2,4} /.test(l))
  .map((l) => l.replace(/^#+ /, '').trim());

describe('the repository cites only itself and the RFCs', () => {
  it('scans the source, tests, benchmarks, examples, scripts and docs', () => {
    expect(all.length).toBeGreaterThan(200);
    expect(all).toContain('src/engine/engine.ts');
    expect(all).toContain('README.md');
  });

  it('no file cites a document outside the repository', () => {
    const hits: string[] = [];
    for (const f of all) {
      readFileSync(join(ROOT, f), 'utf8')
        .split('\n')
        .forEach((line, i) => {
          for (const re of OUTSIDE) if (re.test(line)) hits.push(`${f}:${i + 1}: ${line.trim().slice(0, 120)}`);
        });
    }
    expect(hits).toEqual([]);
  });

  it('every "docs/architecture.md, <section>" citation names a section of that page', () => {
    expect(sections).toContain('The driving contract');
    const bad: string[] = [];
    let cited = 0;
    for (const f of all) {
      const text = unwrap(readFileSync(join(ROOT, f), 'utf8'));
      for (const m of text.matchAll(/docs\/architecture\.md, ([^)\n]{1,80})/g)) {
        cited++;
        if (!sections.some((s) => m[1]!.startsWith(s))) bad.push(`${f}: ${m[0]}`);
      }
    }
    expect(cited).toBeGreaterThan(50);
    expect(bad).toEqual([]);
  });
});
