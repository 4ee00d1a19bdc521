// The API reference (TypeDoc, `npm run docs`) builds cleanly from the doc comments of every
// subpath export: an exported declaration (or a public method or accessor of an exported class)
// without a doc comment, or a {@link} that resolves nowhere, fails this test. The same
// conversion and validation as `npm run docs`, without writing the HTML.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReference, entryPoints } from 'hip-engine-typedoc';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../cli/build.js';

const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** A one-file package with the given source as its only entry point. */
function fixturePackage(source: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'hip-engine-docs-'));
  scratch.push(dir);
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'fixture', type: 'module', exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } } }));
  writeFileSync(join(dir, 'tsconfig.docs.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, types: [], noEmit: true }, include: ['src/**/*.ts'] }));
  writeFileSync(join(dir, 'src', 'index.ts'), source);
  return dir;
}

describe('API reference (TypeDoc) of every entry point', () => {
  it('covers every subpath of the exports map, named as a user imports it', () => {
    expect(entryPoints(ROOT).map((e) => e.name)).toEqual([
      'hip-engine',
      'hip-engine/wire',
      'hip-engine/crypto',
      'hip-engine/crypto/node',
      'hip-engine/esp',
      'hip-engine/driver',
      'hip-engine/driver/node',
      'hip-engine/testing',
      'hip-engine/testing/plot',
    ]);
  });

  it('builds with no undocumented export and no broken link', async () => {
    const { ok, problems, modules } = await buildReference({ root: ROOT });
    expect(problems, problems.join('\n')).toEqual([]);
    expect(ok).toBe(true);
    expect(modules).toEqual(entryPoints(ROOT).map((e) => e.name));
  }, 120_000);

  it('fails on an exported function without a doc comment', async () => {
    const root = fixturePackage('/** Documented. */\nexport const a = 1;\nexport function undocumented(): number {\n  return 2;\n}\n');
    const { ok, problems } = await buildReference({ root });
    expect(ok).toBe(false);
    expect(problems.join('\n')).toMatch(/undocumented .*does not have any documentation/);
  }, 60_000);

  it('fails on a {@link} that resolves nowhere', async () => {
    const root = fixturePackage('/** Works with {@link NoSuchThing}. */\nexport const a = 1;\n');
    const { ok, problems } = await buildReference({ root });
    expect(ok).toBe(false);
    expect(problems.join('\n')).toMatch(/Failed to resolve link to "NoSuchThing"/);
  }, 60_000);
});
