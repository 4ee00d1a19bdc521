// Simulation traces (docs/architecture.md, Simulator): plain records and a stable,
// golden-file friendly text form, one line per record:
//
//     1234.500 A      -> I1           src=192.0.2.1 dst=2001:db8::b len=132
//
// time (ms, 3 decimals, right-aligned), host, a two-character arrow for the direction, the kind,
// then key=value fields in the order given. Addresses can be redacted to L1, L2, ... (and HITs to
// H1, H2, ...) in order of first appearance (str0m pii.rs), so traces do not depend on the
// addresses a scenario happens to use.
//
// Keys are never traced, by construction: a field value is a string, number, boolean, bigint,
// null, a locator `{ loc }`, a HIT `{ hit }`, or a list of those. There is no byte-string value;
// a raw Uint8Array that slips in anyway is printed as its length only.
import { formatHit } from '../addr/hit.js';
import { formatLocator, locatorKey } from '../addr/locator.js';
import type { Hit, Locator, Millis } from '../types.js';

/**
 * What a trace record shows: a packet sent, received or dropped, an SA or locator change, an engine
 * event, or a note.
 */
export type TraceDir = 'send' | 'recv' | 'drop' | 'sa' | 'locator' | 'event' | 'note';

/**
 * A locator in a trace field; the text form prints it as an address (or L1, L2, ... when redacted).
 */
export type TraceLocator = { readonly loc: Locator };
/** A HIT in a trace field; the text form prints it as an address (or H1, H2, ... when redacted). */
export type TraceHit = { readonly hit: Hit };
/** A trace field value. There is no byte-string value, so keys can never end up in a trace. */
export type TraceValue = string | number | boolean | bigint | null | undefined | TraceLocator | TraceHit | readonly TraceValue[];

/** One line of a simulation trace. */
export type TraceRecord = {
  /** Virtual time of the record. */
  readonly t: Millis;
  /** Host name (or link name for link drops). */
  readonly host: string;
  readonly dir: TraceDir;
  /** Packet kind (I1, R1, UPDATE, ESP...), SA operation, event name... */
  readonly kind: string;
  /** Printed in insertion order; `undefined` values are skipped. */
  readonly fields?: Readonly<Record<string, TraceValue>>;
};

/** A locator field value. */
export function traceLoc(loc: Locator): TraceLocator {
  return { loc };
}

/** A HIT field value. */
export function traceHit(hit: Hit): TraceHit {
  return { hit };
}

/** The arrow printed for each direction (two characters). */
export const TRACE_ARROWS: Readonly<Record<TraceDir, string>> = {
  send: '->',
  recv: '<-',
  drop: 'x-',
  sa: 'SA',
  locator: 'LC',
  event: '**',
  note: '..',
};

/** Options of {@link formatTrace}: redaction of addresses and HITs, and column widths. */
export type TraceFormatOptions = {
  /** Replace locators with L1, L2, ... in order of first appearance (default false). */
  readonly redactLocators?: boolean;
  /** Replace HITs with H1, H2, ... in order of first appearance (default false). */
  readonly redactHits?: boolean;
  /** Width of the time column (default 10). */
  readonly timeWidth?: number;
  /** Width of the host column (default 6). */
  readonly hostWidth?: number;
  /** Width of the kind column (default 12). */
  readonly kindWidth?: number;
};

const BARE = /^[^\s="\\[\],]+$/;

/**
 * Formats records to lines. One formatter keeps its redaction labels across calls, so a whole
 * trace formatted with one instance labels every address consistently.
 */
export class TraceFormatter {
  readonly #opts: TraceFormatOptions;
  readonly #locLabels = new Map<string, string>();
  readonly #hitLabels = new Map<string, string>();

  constructor(opts: TraceFormatOptions = {}) {
    this.#opts = opts;
  }

  /** The label of a locator under redaction (assigning the next one on first sight). */
  locatorLabel(loc: Locator): string {
    return label(this.#locLabels, 'L', loc);
  }

  /** The label of a HIT under redaction. */
  hitLabel(hit: Hit): string {
    return label(this.#hitLabels, 'H', hit);
  }

  /** One line, without a trailing newline or trailing spaces. */
  format(rec: TraceRecord): string {
    const o = this.#opts;
    const time = formatTime(rec.t).padStart(o.timeWidth ?? 10);
    const arrow = TRACE_ARROWS[rec.dir] ?? '??';
    let line = `${time} ${String(rec.host).padEnd(o.hostWidth ?? 6)} ${arrow} ${String(rec.kind).padEnd(o.kindWidth ?? 12)}`;
    if (rec.fields !== undefined) {
      for (const [k, v] of Object.entries(rec.fields)) {
        if (v === undefined) continue;
        line += ` ${k}=${this.value(v)}`;
      }
    }
    return line.trimEnd();
  }

  /** The text of one field value. */
  value(v: TraceValue | Uint8Array): string {
    if (v === null) return '-';
    switch (typeof v) {
      case 'string':
        return BARE.test(v) ? v : JSON.stringify(v);
      case 'number':
        return Number.isInteger(v) || !Number.isFinite(v) ? String(v) : String(Math.round(v * 1000) / 1000);
      case 'bigint':
      case 'boolean':
        return String(v);
      case 'undefined':
        return '-';
      default:
        break;
    }
    if (v instanceof Uint8Array) return `<${v.length} bytes>`;
    if (Array.isArray(v)) return `[${(v as readonly TraceValue[]).map((x) => this.value(x)).join(',')}]`;
    if (typeof v === 'object' && 'loc' in v && v.loc instanceof Uint8Array) {
      if (v.loc.length !== 16) return `<bad-locator:${v.loc.length}>`;
      return this.#opts.redactLocators === true ? this.locatorLabel(v.loc) : formatLocator(v.loc);
    }
    if (typeof v === 'object' && 'hit' in v && v.hit instanceof Uint8Array) {
      if (v.hit.length !== 16) return `<bad-hit:${v.hit.length}>`;
      return this.#opts.redactHits === true ? this.hitLabel(v.hit) : formatHit(v.hit);
    }
    return '<?>';
  }
}

function label(map: Map<string, string>, prefix: string, bytes: Uint8Array): string {
  const key = locatorKey(bytes);
  let l = map.get(key);
  if (l === undefined) {
    l = `${prefix}${map.size + 1}`;
    map.set(key, l);
  }
  return l;
}

function formatTime(t: Millis): string {
  return typeof t === 'number' && Number.isFinite(t) ? t.toFixed(3) : String(t);
}

/** The whole trace as text: one line per record, each ending in a newline. */
export function formatTrace(records: readonly TraceRecord[], opts: TraceFormatOptions = {}): string {
  const f = new TraceFormatter(opts);
  let out = '';
  for (const r of records) out += `${f.format(r)}\n`;
  return out;
}

/** Options of {@link TraceLog}: how many records it keeps, and a sink that sees every one. */
export type TraceLogOptions = {
  /**
   * How many of the most recent records to keep (a sliding window; 0 keeps none).
   * @defaultValue Infinity
   */
  readonly window?: number;
  /** Called with every record as it is pushed, whatever the window keeps. Default: none. */
  readonly sink?: (rec: TraceRecord) => void;
};

/**
 * A list of trace records: every record by default, or the most recent `window` ones, with an
 * optional sink that streams each record out as it comes (to a file, a counter, a filter).
 */
export class TraceLog {
  readonly #records: TraceRecord[] = [];
  readonly #window: number;
  readonly #sink: ((rec: TraceRecord) => void) | undefined;
  #total = 0;

  constructor(opts: TraceLogOptions = {}) {
    const w = opts.window ?? Infinity;
    if (typeof w !== 'number' || !(w >= 0) || (!Number.isInteger(w) && w !== Infinity)) throw new RangeError(`"opts.window" expected an integer >= 0 or Infinity, got ${String(w)}`);
    if (opts.sink !== undefined && typeof opts.sink !== 'function') throw new TypeError('"opts.sink" expected a function');
    this.#window = w;
    this.#sink = opts.sink;
  }

  /** Appends a record (the callback shape the engine's `trace` option takes). */
  readonly push = (rec: TraceRecord): void => {
    this.#total++;
    this.#sink?.(rec);
    if (this.#window === 0) return;
    this.#records.push(rec);
    if (this.#records.length > this.#window) this.#records.shift();
  };

  /** The records kept, oldest first (the log's own array: do not mutate). */
  get records(): readonly TraceRecord[] {
    return this.#records;
  }

  /** Number of records kept. */
  get length(): number {
    return this.#records.length;
  }

  /** Number of records pushed so far, kept or not. */
  get total(): number {
    return this.#total;
  }

  /** True when records are kept or streamed (window above 0, or a sink). */
  get enabled(): boolean {
    return this.#window > 0 || this.#sink !== undefined;
  }

  /** The whole trace as text (see `formatTrace`). */
  text(opts: TraceFormatOptions = {}): string {
    return formatTrace(this.#records, opts);
  }

  /** The last `n` lines, labelled as in the full text (for failure reports). */
  tail(n: number, opts: TraceFormatOptions = {}): string[] {
    const f = new TraceFormatter(opts);
    const lines = this.#records.map((r) => f.format(r));
    return n <= 0 ? [] : lines.slice(-n);
  }

  /** Forgets every record. */
  clear(): void {
    this.#records.length = 0;
  }
}
