// docs/state-machine.md is generated from the RFC 7401 §4.4.3 table in transitions.ts
// (`npm run docs:states` rewrites it); this test keeps the two in step.
import { describe, expect, it } from 'vitest';
import { TRANSITIONS, allowed, stateDiagramMermaid } from '../../src/engine/transitions.js';

describe('RFC 7401 §4.4.3 transition table', () => {
  it('docs/state-machine.md matches the table', async () => {
    const doc = [
      '# HIP association state machine',
      '',
      'Generated from `src/engine/transitions.ts` (RFC 7401 §4.4.3, Tables 2-9) by',
      '`npm run docs:states`; do not edit by hand. A trigger missing for a state means',
      '"Receive ANYOTHER: drop and stay".',
      '',
      '```mermaid',
      stateDiagramMermaid().trimEnd(),
      '```',
      '',
    ].join('\n');
    await expect(doc).toMatchFileSnapshot('../../docs/state-machine.md');
  });

  it('has the RFC transitions the figure shows', () => {
    expect(allowed('UNASSOCIATED', 'recv-I2', 'R2_SENT')).toBe(true);
    expect(allowed('I1_SENT', 'recv-R1', 'I2_SENT')).toBe(true);
    expect(allowed('I2_SENT', 'recv-R2', 'ESTABLISHED')).toBe(true);
    expect(allowed('R2_SENT', 'recv-data', 'ESTABLISHED')).toBe(true);
    expect(allowed('ESTABLISHED', 'recv-I2', 'R2_SENT')).toBe(true);
    expect(allowed('ESTABLISHED', 'ual-expired', 'CLOSING')).toBe(true);
    expect(allowed('CLOSING', 'recv-CLOSE_ACK', 'UNASSOCIATED')).toBe(true);
    expect(allowed('CLOSED', 'closed-expired', 'UNASSOCIATED')).toBe(true);
    expect(allowed('E_FAILED', 'failed-linger-expired', 'UNASSOCIATED')).toBe(true);
    // ...and not the ones it lacks.
    expect(allowed('UNASSOCIATED', 'recv-R2', 'ESTABLISHED')).toBe(false);
    expect(allowed('I1_SENT', 'recv-R2', 'ESTABLISHED')).toBe(false);
    expect(allowed('ESTABLISHED', 'recv-R1', 'I2_SENT')).toBe(false);
    expect(Object.keys(TRANSITIONS)).toHaveLength(8);
  });
});
