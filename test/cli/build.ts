// Compiles the Node parts of src/ (the CLI and the UDP driver, with what they import) for tests
// that spawn `hip-engine` as a real process. Works on a fresh clone after `npm ci`: no prior
// `npm run build` is needed. Output goes under node_modules/.cache (git-ignored), next to the
// dependencies the compiled files import.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');

/** Compiles into a fresh directory named `name` and returns the path of cli/node/main.js. */
export function buildCli(name: string): string {
  const out = join(ROOT, 'node_modules', '.cache', name);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const tsc = join(ROOT, 'node_modules', '.bin', process.platform === 'win32' ? 'tsc.cmd' : 'tsc');
  const r = spawnSync(tsc, ['-p', 'tsconfig.build.node.json', '--outDir', out, '--declaration', 'false', '--declarationMap', 'false', '--sourceMap', 'false'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    shell: process.platform === 'win32',
  });
  // The files are ES modules; node_modules/.cache has no package.json of its own to say so.
  writeFileSync(join(out, 'package.json'), '{ "type": "module" }\n');
  const main = join(out, 'cli', 'node', 'main.js');
  if (!existsSync(main)) throw new Error(`tsc did not produce ${main} (status ${String(r.status)}):\n${r.stdout}\n${r.stderr}\n${String(r.error ?? '')}`);
  return main;
}
