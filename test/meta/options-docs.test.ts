// The options a user passes to `new HipEngine` and `UdpDriver.open` document every optional
// field's default (@defaultValue, what the API reference and the .d.ts show), and the fields
// that carry protocol behaviour cite the RFC section it comes from. Every EnginePolicy hook
// states its default and the RFC text that leaves the choice to local policy. HipConfig and
// EspDataPlaneOptions have their own checks (test/engine/config-docs.test.ts,
// test/esp/dataplane-options-docs.test.ts).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../src/engine/policy.js';

type Field = { readonly name: string; readonly optional: boolean; readonly doc: string };

/** The fields of `export type <name> = { ... };` in a source file, with their doc comments. */
function fields(file: string, name: string): Field[] {
  const source = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
  const start = source.indexOf(`export type ${name} = {`);
  expect(start, `${name} in ${file}`).toBeGreaterThan(-1);
  const block = source.slice(start, source.indexOf('\n};', start));
  const out: Field[] = [];
  // A field at the block's top level: two spaces of indent, `readonly name` or `readonly name?`.
  for (const m of block.matchAll(/(?:\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*)?\n {2}readonly (\w+)(\??):/g)) {
    out.push({ name: m[2]!, optional: m[3] === '?', doc: (m[1] ?? '').replace(/^\s*\* ?/gm, '').trim() });
  }
  return out;
}

const CASES = [
  // [file, type, fields whose default is protocol behaviour and must cite an RFC section]
  ['src/engine/engine.ts', 'EngineOptions', ['identities', 'random', 'crypto', 'config', 'policy']],
  ['src/driver/node/udp.ts', 'UdpDriverOptions', ['port', 'peerPort', 'config', 'policy', 'crypto', 'random', 'esp', 'scheduler']],
] as const;

describe.each(CASES)('%s: %s', (file, type, protocol) => {
  const list = fields(file, type);

  it('every field has a doc comment', () => {
    expect(list.length).toBeGreaterThan(3);
    expect(list.filter((f) => f.doc === '').map((f) => f.name)).toEqual([]);
  });

  it('every optional field states its default with @defaultValue', () => {
    const optional = list.filter((f) => f.optional);
    expect(optional.length).toBeGreaterThan(3);
    expect(optional.filter((f) => !/^@defaultValue \S/m.test(f.doc)).map((f) => f.name)).toEqual([]);
  });

  it('the fields that carry protocol behaviour cite an RFC section', () => {
    for (const name of protocol) {
      const f = list.find((x) => x.name === name);
      expect(f, `${type}.${name}`).toBeDefined();
      expect(f!.doc, `${type}.${name}`).toMatch(/RFC \d{4}\s+§\d/);
    }
  });
});

describe('EnginePolicy: every hook states its default and the RFC section that leaves the choice open', () => {
  const hooks = fields('src/engine/policy.ts', 'EnginePolicy');

  it('the documented hooks are exactly the hooks DEFAULT_POLICY implements', () => {
    expect(hooks.map((h) => h.name).sort()).toEqual(Object.keys(DEFAULT_POLICY).sort());
  });

  it.each(Object.keys(DEFAULT_POLICY))('%s: "Default:" and an RFC section', (name) => {
    const doc = hooks.find((h) => h.name === name)?.doc ?? '';
    expect(doc).toMatch(/Default: \S/);
    expect(doc).toMatch(/RFC \d{4}\s+§\d/);
  });
});
