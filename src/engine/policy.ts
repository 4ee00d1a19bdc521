// Policy hooks: where the RFCs leave a choice to local policy, the engine asks a typed hook with
// a sensible default (DEVELOPERS' rules; DESIGN Part B closing paragraph).
export type PuzzleLoad = {
  /** Associations not yet ESTABLISHED. */
  readonly halfOpen: number;
  readonly maxHalfOpen: number;
};

export type EnginePolicy = {
  /**
   * Puzzle difficulty K for the next R1 (RFC 7401 §4.1.1: the Responder raises K under load).
   * Default: the configured K, plus one bit per eighth of the half-open budget in use, capped at
   * configured + 8.
   */
  readonly puzzleDifficulty: (load: PuzzleLoad, configuredK: number) => number;
};

export const DEFAULT_POLICY: EnginePolicy = {
  puzzleDifficulty: (load, k) => k + Math.min(8, Math.floor((8 * load.halfOpen) / Math.max(1, load.maxHalfOpen))),
};
