// Every HipConfig field documents its default (@defaultValue, which must equal DEFAULT_CONFIG)
// and the RFC section it comes from, so that the API reference and the .d.ts a user reads are
// true to the code.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/engine/config.js';

const source = readFileSync(new URL('../../src/engine/config.ts', import.meta.url), 'utf8');
const block = source.slice(source.indexOf('export type HipConfig = {'), source.indexOf('\n};', source.indexOf('export type HipConfig = {')));
const docs = new Map([...block.matchAll(/\/\*\*([\s\S]*?)\*\/\s*readonly (\w+)\??:/g)].map((m) => [m[2]!, m[1]!.replace(/^\s*\* ?/gm, '').trim()]));

describe('HipConfig documentation', () => {
  it('every field has a doc comment, and every documented field is a config field', () => {
    expect([...docs.keys()].sort()).toEqual(Object.keys(DEFAULT_CONFIG).sort());
  });

  it.each(Object.keys(DEFAULT_CONFIG))('%s: @defaultValue equals DEFAULT_CONFIG and the comment cites an RFC section', (field) => {
    const doc = docs.get(field) ?? '';
    const m = /@defaultValue (.+)$/m.exec(doc);
    expect(m, `${field} has no @defaultValue`).not.toBeNull();
    expect(JSON.parse(m![1]!.trim())).toEqual(DEFAULT_CONFIG[field as keyof typeof DEFAULT_CONFIG]);
    expect(doc).toMatch(/RFC \d{4}\s+§\d/);
  });
});
