// RFC 8003 §4: REG_INFO, REG_REQUEST, REG_RESPONSE, REG_FAILED.
import { describe, it } from 'vitest';
import { decodeParamBlock } from '../../src/wire/index.js';
import { RFC8003_VECTORS } from './param-vectors.js';
import { checkVector } from './vector-check.js';
import { expectError, h, pad } from './helpers.js';

describe('RFC 8003 registration parameters', () => {
  for (const v of RFC8003_VECTORS) it(`${v.name} (${v.rfc})`, () => checkVector(v));

  it('malformed: REG_INFO without both lifetimes, REG_REQUEST/RESPONSE/FAILED empty, bad padding', () => {
    expectError(decodeParamBlock(h(`03a2 0001 60 ${pad(3)}`)), 'BAD_PARAM_LENGTH', 'REG_INFO.length', 2);
    expectError(decodeParamBlock(h(`03a4 0000 ${pad(4)}`)), 'BAD_PARAM_LENGTH', 'REG_REQUEST.length', 2);
    expectError(decodeParamBlock(h(`03a6 0000 ${pad(4)}`)), 'BAD_PARAM_LENGTH', 'REG_RESPONSE.length', 2);
    expectError(decodeParamBlock(h(`03a8 0000 ${pad(4)}`)), 'BAD_PARAM_LENGTH', 'REG_FAILED.length', 2);
    expectError(decodeParamBlock(h(`03a4 0002 80 01 00 02`)), 'BAD_PADDING', 'REG_REQUEST', 7);
  });

  it('REG_REQUEST, REG_RESPONSE and REG_FAILED may repeat; REG_INFO may not', () => {
    const ok = decodeParamBlock(h(`03a4 0002 80 01 0000 | 03a4 0002 80 02 0000 | 03a8 0002 00 01 0000 | 03a8 0002 01 02 0000`));
    if (!ok.ok) throw new Error(ok.error.message);
    expectError(decodeParamBlock(h(`03a2 0002 60 a0 0000 | 03a2 0002 60 a0 0000`)), 'DUPLICATE_PARAM', 'REG_INFO', 8);
  });
});
