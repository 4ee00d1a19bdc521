// The RFC 7401 §4.4.3 state tables (Tables 2-9) and the ONLY place an association's state is
// written (docs/architecture.md, States and timers; the h11 rule). Handlers compute the next state; `transition` checks that the
// table allows it for the trigger and applies it. `docs/state-machine.md` is generated from
// TRANSITIONS by `npm run docs:states`, and a test keeps it in step.
import { HipInternalError } from '../util/assert.js';
import type { AssocState, StateName } from './states.js';

/** What may move an association between states: a row of the RFC 7401 §4.4.3 tables. */
export type Trigger =
  | 'connect'
  | 'recv-I1'
  | 'recv-R1'
  | 'recv-I2'
  | 'recv-R2'
  | 'recv-UPDATE'
  | 'recv-data'
  | 'recv-CLOSE'
  | 'recv-CLOSE_ACK'
  | 'timeout-retransmit'
  | 'retries-exhausted'
  | 'exchange-complete-timeout'
  | 'ual-expired'
  | 'close'
  | 'rekey'
  | 'closing-expired'
  | 'closed-expired'
  | 'failed-linger-expired'
  | 'abort';

type Row = Partial<Record<Trigger, readonly StateName[]>>;

/**
 * For each state, each trigger that may change it, and the states it may lead to. A trigger that
 * is absent for a state is "Receive ANYOTHER: drop and stay". Comments cite the RFC table.
 */
export const TRANSITIONS: Readonly<Record<StateName, Row>> = {
  // Table 2.
  UNASSOCIATED: {
    connect: ['I1_SENT'],
    'recv-I2': ['R2_SENT'],
  },
  // Table 3. An R1 whose HIT suite or DH group we must renegotiate keeps I1-SENT (new I1).
  I1_SENT: {
    'recv-R1': ['I2_SENT', 'I1_SENT'],
    'recv-I2': ['R2_SENT'],
    'timeout-retransmit': ['I1_SENT'],
    'retries-exhausted': ['E_FAILED'],
    abort: ['E_FAILED'],
    close: ['UNASSOCIATED'],
  },
  // Table 4. A newer-generation R1 restarts the exchange from I1-SENT (§6.8 step 8): we answer it
  // at once, so the state seen from outside stays I2-SENT.
  I2_SENT: {
    'recv-R1': ['I2_SENT'],
    'recv-I2': ['R2_SENT'],
    'recv-R2': ['ESTABLISHED'],
    'recv-CLOSE': ['CLOSED'],
    'timeout-retransmit': ['I2_SENT'],
    'retries-exhausted': ['E_FAILED'],
    abort: ['E_FAILED'],
    close: ['UNASSOCIATED'],
  },
  // Table 5. An ICE-HIP-UDP Responder sends and retransmits its connectivity checks (UPDATEs)
  // on its timers in R2-SENT (RFC 9028 §4.6); the Initiator's answer is an UPDATE (recv-UPDATE).
  R2_SENT: {
    'recv-I2': ['R2_SENT'],
    'timeout-retransmit': ['R2_SENT'],
    'recv-data': ['ESTABLISHED'],
    'recv-UPDATE': ['ESTABLISHED'],
    'exchange-complete-timeout': ['ESTABLISHED'],
    'recv-CLOSE': ['CLOSED'],
    close: ['CLOSING'],
    'ual-expired': ['CLOSING'],
  },
  // Table 6. An I2 from the same peer replaces the association (§6.9 step 20).
  ESTABLISHED: {
    'recv-I2': ['R2_SENT'],
    'recv-UPDATE': ['ESTABLISHED'],
    'recv-data': ['ESTABLISHED'],
    rekey: ['ESTABLISHED'],
    'timeout-retransmit': ['ESTABLISHED'],
    'recv-CLOSE': ['CLOSED'],
    'ual-expired': ['CLOSING'],
    close: ['CLOSING'],
    // UPDATE retransmissions exhausted (RFC 7401 §6.11): the peer is gone.
    'retries-exhausted': ['E_FAILED'],
  },
  // Table 7.
  CLOSING: {
    connect: ['I1_SENT'],
    'recv-I2': ['R2_SENT'],
    'recv-R1': ['I2_SENT'],
    'recv-CLOSE': ['CLOSED'],
    'recv-CLOSE_ACK': ['UNASSOCIATED'],
    'timeout-retransmit': ['CLOSING'],
    'closing-expired': ['UNASSOCIATED'],
  },
  // Table 8.
  CLOSED: {
    connect: ['I1_SENT'],
    'recv-I2': ['R2_SENT'],
    'recv-R1': ['I2_SENT'],
    'recv-CLOSE': ['CLOSED'],
    'recv-CLOSE_ACK': ['UNASSOCIATED'],
    'closed-expired': ['UNASSOCIATED'],
  },
  // Table 9.
  E_FAILED: {
    connect: ['I1_SENT'],
    close: ['UNASSOCIATED'],
    'failed-linger-expired': ['UNASSOCIATED'],
  },
};

/**
 * How many associations the engine holds in each state, kept up to date by the functions below
 * as states change, so that the half-open budget (RFC 7401 §4.1.1, the Responder's defence
 * against I2 floods) and `stats().established` are read in O(1) rather than by walking every
 * association on each I1 and I2.
 */
export class StateCensus {
  private readonly counts: Record<StateName, number> = {
    UNASSOCIATED: 0,
    I1_SENT: 0,
    I2_SENT: 0,
    R2_SENT: 0,
    ESTABLISHED: 0,
    CLOSING: 0,
    CLOSED: 0,
    E_FAILED: 0,
  };

  count(name: StateName): number {
    return this.counts[name];
  }
  /** Exchanges under way: I1-SENT, I2-SENT and R2-SENT. */
  halfOpen(): number {
    return this.counts.I1_SENT + this.counts.I2_SENT + this.counts.R2_SENT;
  }
  /** An association entered the engine's table in `holder.state`. */
  admit(holder: StateHolder): void {
    this.counts[holder.state.name]++;
  }
  /** An association left the engine's table (back to UNASSOCIATED). */
  retire(holder: StateHolder): void {
    this.counts[holder.state.name]--;
  }
  move(from: StateName, to: StateName): void {
    this.counts[from]--;
    this.counts[to]++;
  }
}

/** What the transitions module may write; `census` is told of every move. */
export type StateHolder = {
  state: AssocState;
  readonly census?: StateCensus;
  /** Told of every change of state name (the engine trace); absent when nobody listens. */
  onStateChange?: ((from: StateName, trigger: Trigger, to: StateName) => void) | undefined;
};

/** True when the table allows `from --trigger--> to`. */
export function allowed(from: StateName, trigger: Trigger, to: StateName): boolean {
  return TRANSITIONS[from][trigger]?.includes(to) ?? false;
}

/**
 * Moves `holder` to `next` for `trigger`. The one writer of association state; a move the table
 * does not allow is a bug in a handler, so it throws HipInternalError.
 */
export function transition(holder: StateHolder, trigger: Trigger, next: AssocState): void {
  const from = holder.state.name;
  if (!allowed(from, trigger, next.name)) {
    throw new HipInternalError(`transition ${from} --${trigger}--> ${next.name} is not in the RFC 7401 §4.4.3 table`);
  }
  holder.state = next;
  holder.census?.move(from, next.name);
  if (from !== next.name) holder.onStateChange?.(from, trigger, next.name);
}

/**
 * The state of an association that comes into being (leaves UNASSOCIATED, which has no object
 * of its own): checked against the table like any other move.
 */
export function enter<S extends AssocState>(trigger: Trigger, state: S): S {
  if (!allowed('UNASSOCIATED', trigger, state.name)) {
    throw new HipInternalError(`transition UNASSOCIATED --${trigger}--> ${state.name} is not in the RFC 7401 §4.4.3 table`);
  }
  return state;
}

/**
 * Leaving the engine's table (to UNASSOCIATED) is a transition too; it is checked here and the
 * caller deletes the association.
 */
export function checkDiscard(holder: StateHolder, trigger: Trigger): void {
  const from = holder.state.name;
  if (!allowed(from, trigger, 'UNASSOCIATED')) {
    throw new HipInternalError(`transition ${from} --${trigger}--> UNASSOCIATED is not in the RFC 7401 §4.4.3 table`);
  }
}

/** Mermaid state diagram of TRANSITIONS (for docs/state-machine.md). */
export function stateDiagramMermaid(): string {
  const lines = ['stateDiagram-v2', '    [*] --> UNASSOCIATED'];
  for (const [from, row] of Object.entries(TRANSITIONS) as [StateName, Row][]) {
    for (const [trigger, targets] of Object.entries(row) as [Trigger, readonly StateName[]][]) {
      for (const to of targets) lines.push(`    ${from} --> ${to}: ${trigger}`);
    }
  }
  return lines.join('\n') + '\n';
}
