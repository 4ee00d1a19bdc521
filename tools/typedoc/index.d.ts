/** Entry points from the package's exports map: subpath → the source file behind its .d.ts. */
export function entryPoints(root: string): Array<{ subpath: string; name: string; source: string }>;
/** Converts, validates (warnings are errors) and, with `out`, writes the HTML reference. */
export function buildReference(options: { root: string; out?: string }): Promise<{ ok: boolean; problems: string[]; modules: string[] }>;
