// The demo wraps entries longer than 100 columns onto indented continuation lines; tests that
// match whole entries read the output with those lines joined back.

/** Joins a wrapped entry's continuation lines (indented; the first word did not fit) to it. */
export function unwrap(raw: string): string {
  const lines: string[] = [];
  let physical = ''; // the previous printed line (not the joined entry)
  for (const l of raw.split('\n')) {
    // Exactly the demo's wrapping condition: the next word did not fit in 100 columns.
    const word = /^ {2,}(\S+)/.exec(l)?.[1];
    const entry = /^ *\d+\.\d{3}  /.test(l); // a timeline entry of its own
    if (lines.length > 0 && !entry && word !== undefined && physical.length + 1 + word.length > 100) lines[lines.length - 1] = `${lines.at(-1)!} ${l.trim()}`;
    else lines.push(l);
    physical = l;
  }
  return lines.join('\n');
}
