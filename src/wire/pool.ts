// Owned copies of received bytes, carved from shared slabs (the idea of Node's Buffer pool).
//
// Why: in V8 a fresh Uint8Array over 64 bytes gets its own off-heap ArrayBuffer (~200 ns), and a
// small on-heap one must be materialised (~200 ns) the first time a view (`subarray`) is taken
// of it. A decoded packet needs one private copy of its bytes (`raw`) plus a view per byte field,
// so copying into a slab that is already an ArrayBuffer makes the copy ~10x cheaper.
//
// Trade-offs, documented for users: `raw.buffer` is a shared slab (always use byteOffset and
// byteLength, as every view here does), and a kept packet keeps its whole slab (SLAB_SIZE bytes)
// alive. Slab memory is never reused: a full slab is dropped for a new one, so no packet's bytes
// are ever overwritten. Copy a field (`copyBytes`) to keep it apart from its packet.

const SLAB_SIZE = 16 * 1024;
/** Copies larger than this get their own buffer. */
const MAX_POOLED = 4 * 1024;

let slab: ArrayBuffer | undefined;
let slabOff = 0;

/** A private copy of `src[start..end)`; the caller's buffer is never aliased. */
export function ownedCopy(src: Uint8Array, start: number, end: number): Uint8Array {
  const n = end - start;
  if (n > MAX_POOLED) return src.slice(start, end);
  if (slab === undefined || slabOff + n > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    slabOff = 0;
  }
  const out = new Uint8Array(slab, slabOff, n);
  if (start === 0 && end === src.length) out.set(src);
  else for (let i = 0; i < n; i++) out[i] = src[start + i]!;
  slabOff = (slabOff + n + 7) & ~7;
  return out;
}

/** A zero-filled buffer of `n` bytes (slab memory is fresh and never handed out twice). */
export function ownedAlloc(n: number): Uint8Array {
  if (n > MAX_POOLED) return new Uint8Array(n);
  if (slab === undefined || slabOff + n > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    slabOff = 0;
  }
  const out = new Uint8Array(slab, slabOff, n);
  slabOff = (slabOff + n + 7) & ~7;
  return out;
}
