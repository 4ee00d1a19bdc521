// `npm run docs`: the API reference (TypeDoc) of every subpath export into reference/ (git-ignored).
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildReference } from 'hip-engine-typedoc';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'reference');
rmSync(out, { recursive: true, force: true });
const { ok, problems, modules } = await buildReference({ root, out });
for (const p of problems) console.error(p);
if (!ok) {
  console.error(`hip-engine docs: ${problems.length} problem(s); no reference written`);
  process.exit(1);
}
console.log(`hip-engine docs: ${modules.join(', ')} → ${out}/index.html`);
