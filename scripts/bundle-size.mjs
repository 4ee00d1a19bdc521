// Bundle sizes of hip-engine for the browser, measured from the built dist/ with rolldown
// (minified ESM, tree-shaken, dependencies included) and gzip level 9.
//
//   npm run size            builds, then prints the table
//   npm run size -- --write also replaces the table in README.md (between the size markers)
//   npm run size -- --check fails (exit 1) when README.md's table is not the one measured (CI)
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'rolldown';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, '.api-out', 'size');
const dist = (p) => JSON.stringify(join(ROOT, 'dist', p));

/** What a user imports, as a module; the bundle keeps what that module reaches. */
const CASES = [
  ['`new HipEngine` with `generateHostIdentity` (an engine with its default crypto, `nobleCrypto()`)', `import { HipEngine, generateHostIdentity, parseLocator } from ${dist('index.js')};\nexport const make = (r) => new HipEngine({ identities: [generateHostIdentity('ecdsa-p256', r)], locators: [parseLocator('2001:db8::a')], random: r }, 0);`],
  ['`hip-engine` (everything at the root)', `export * from ${dist('index.js')};`],
  ['`hip-engine/wire` (the codec)', `export * from ${dist('wire/index.js')};`],
  ['`hip-engine/crypto`', `export * from ${dist('crypto/index.js')};`],
  ['`hip-engine/esp` (the ESP data plane)', `export * from ${dist('esp/index.js')};`],
  ['`hip-engine/driver`', `export * from ${dist('driver/index.js')};`],
  ['`hip-engine/testing` (the simulator)', `export * from ${dist('testing/index.js')};`],
];

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const rows = [];
for (const [i, [name, code]] of CASES.entries()) {
  const entry = join(OUT, `entry-${i}.mjs`);
  writeFileSync(entry, code);
  const res = await build({ input: entry, platform: 'browser', write: false, output: { format: 'esm', minify: true } });
  const bytes = res.output.filter((c) => c.type === 'chunk').reduce((n, c) => n + Buffer.byteLength(c.code), 0);
  const gz = res.output.filter((c) => c.type === 'chunk').reduce((n, c) => n + gzipSync(c.code, { level: 9 }).length, 0);
  rows.push(`| ${name} | ${kib(bytes)} | ${kib(gz)} |`);
}
const table = ['| import | minified | gzip |', '|---|---:|---:|', ...rows].join('\n');
console.log(table);

const readme = join(ROOT, 'README.md');
const text = readFileSync(readme, 'utf8');
const begin = '<!-- bundle-size:begin -->';
const end = '<!-- bundle-size:end -->';
const a = text.indexOf(begin);
const b = text.indexOf(end);
if (a < 0 || b < a) throw new Error(`README.md has no ${begin} ... ${end} block`);
if (process.argv.includes('--write')) {
  writeFileSync(readme, `${text.slice(0, a + begin.length)}\n${table}\n${text.slice(b)}`);
  console.log('README.md updated');
} else if (process.argv.includes('--check') && text.slice(a + begin.length, b).trim() !== table) {
  console.error('README.md: the bundle-size table is not what was measured; run `npm run size -- --write`');
  process.exit(1);
}
