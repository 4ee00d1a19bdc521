// Every optional field of EspDataPlaneOptions documents its default (@defaultValue) and the RFC
// section behind it, as HipConfig's fields do (test/engine/config-docs.test.ts): the API
// reference and the .d.ts a user reads say what the data plane does when a field is left out.
// The numeric defaults that the data plane exports as constants must agree with them.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_REPLAY_WINDOW, DEFAULT_SEQ_SOFT_LIMIT } from '../../src/esp/dataplane.js';

const source = readFileSync(new URL('../../src/esp/types.ts', import.meta.url), 'utf8');
const start = source.indexOf('export type EspDataPlaneOptions = {');
const block = source.slice(start, source.indexOf('\n};', start));
const fields = [...block.matchAll(/\/\*\*([\s\S]*?)\*\/\s*readonly (\w+)(\??):/g)].map((m) => ({ name: m[2]!, optional: m[3] === '?', doc: m[1]!.replace(/^\s*\* ?/gm, '').trim() }));

describe('EspDataPlaneOptions documentation', () => {
  it('finds every field, each with a doc comment', () => {
    expect(fields.map((f) => f.name)).toEqual(['random', 'allowAuthOnly', 'replayWindow', 'seqSoftLimit', 'policy', 'seenFeedback', 'maxQueuedFeedback', 'maxPacketBytes', 'creditAging', 'insecureFastEsp']);
  });

  it.each(fields.filter((f) => f.optional).map((f) => [f.name, f] as const))('%s states its @defaultValue and an RFC section', (_name, f) => {
    expect(f.doc, f.name).toMatch(/^@defaultValue \S/m);
    expect(f.doc, f.name).toMatch(/RFC \d{4}\s+§\d/);
  });

  it('the documented numeric defaults equal the exported constants', () => {
    const value = (name: string): number => Number(/^@defaultValue (\d+)$/m.exec(fields.find((f) => f.name === name)!.doc)![1]);
    expect(value('replayWindow')).toBe(DEFAULT_REPLAY_WINDOW);
    expect(value('seqSoftLimit')).toBe(DEFAULT_SEQ_SOFT_LIMIT);
  });
});
