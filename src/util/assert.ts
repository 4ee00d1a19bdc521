// Internal invariants. A failure here is a bug in hip-engine, never the fault of remote input
// (docs/architecture.md, Errors): it throws HipInternalError.

/** A broken invariant inside hip-engine: a bug, never the fault of input. Report it. */
export class HipInternalError extends Error {
  /** Always "HipInternalError". */
  override readonly name = 'HipInternalError';
}

export function invariant(cond: unknown, message: string): asserts cond {
  if (!cond) throw new HipInternalError(`invariant violated: ${message}`);
}

/** Exhaustiveness check: every switch over a union ends here. */
export function assertNever(value: never, what = 'value'): never {
  throw new HipInternalError(`unexpected ${what}: ${JSON.stringify(value)}`);
}
