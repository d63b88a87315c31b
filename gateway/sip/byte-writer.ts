// A SIP message's bytes written without building the message first. The code that lays a message
// out runs twice over a ByteWriter: once measuring, once copying into one Buffer of the exact size,
// so no intermediate string or Buffer is made (a 200 to a MESSAGE built as a message object, then
// serialized part by part, was ~3 KB of garbage per transaction).
//
// The Buffers are cut from slabs of our own, as Node's pool does (8 KB, messages over 4 KB get their
// own), and a message kept long is copied into slabs that hold only such messages (keep()): a slice
// of a shared slab keeps the whole slab alive, so a completed UDP transaction's response, held for
// 64*T1 (32 s), must not sit beside transient messages (a NOTIFY fan-out writes megabytes a second).

class Slabs {
  static readonly BYTES = 8 * 1024;
  #slab = Buffer.allocUnsafeSlow(Slabs.BYTES);
  #used = 0;
  /** where the last place() reserved its bytes: #slab, or a Buffer of their own */
  #placed = this.#slab;

  /** The Buffer holding the bytes the last place() reserved. */
  get placed(): Buffer { return this.#placed; }

  /** Reserves n bytes; returns their offset in `placed`. */
  place(n: number): number {
    if (n > Slabs.BYTES / 2) {
      this.#placed = Buffer.allocUnsafeSlow(n);
      return 0;
    }
    if (this.#used + n > Slabs.BYTES) {
      this.#slab = Buffer.allocUnsafeSlow(Slabs.BYTES);
      this.#used = 0;
    }
    const at = this.#used;
    this.#used = (this.#used + n + 7) & ~7; // 8-byte aligned, as Node's own pool does
    this.#placed = this.#slab;
    return at;
  }

  take(n: number): Buffer {
    const at = this.place(n);
    const placed = this.#placed;
    return placed.length === n ? placed : placed.subarray(at, at + n);
  }
}

const written = new Slabs();
const kept = new Slabs();

/**
 * Copies `bytes` of a message kept long (a completed UDP transaction's response, until Timer J)
 * into slabs holding only such messages (they all expire about as long after they were kept), and
 * returns their offset in keptSlab(). A record keeps that slab and the offset, not a Buffer view of
 * its own: about 80 bytes less per record, on objects every young-generation GC copies.
 */
export function keep(bytes: Buffer): number {
  const at = kept.place(bytes.length);
  bytes.copy(kept.placed, at);
  return at;
}

/** The Buffer the last keep() copied into (shared with other kept messages). */
export function keptSlab(): Buffer {
  return kept.placed;
}

/** Bytes of s in UTF-8; ASCII (every string we make ourselves, nearly) without a native call. */
function utf8Length(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return Buffer.byteLength(s, 'utf8');
  return s.length;
}

export class ByteWriter {
  /** undefined while measuring */
  #out: Buffer | undefined;
  #pos = 0;

  /** Bytes measured or written so far. */
  get length(): number { return this.#pos; }

  reset(out: Buffer | undefined): void {
    this.#out = out;
    this.#pos = 0;
  }

  /** s in UTF-8. */
  text(s: string): this {
    if (this.#out === undefined) this.#pos += utf8Length(s);
    else this.#pos += this.#out.write(s, this.#pos, 'utf8');
    return this;
  }

  /** src[start, end) as they are. */
  bytes(src: Buffer, start: number, end: number): this {
    if (this.#out !== undefined) src.copy(this.#out, this.#pos, start, end);
    this.#pos += end - start;
    return this;
  }

  /** A non-negative integer in decimal. */
  int(n: number): this {
    let digits = 1;
    for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
    const out = this.#out;
    if (out !== undefined) {
      let x = n;
      for (let i = this.#pos + digits - 1; i >= this.#pos; i--) {
        out[i] = 0x30 + (x % 10);
        x = Math.floor(x / 10);
      }
    }
    this.#pos += digits;
    return this;
  }
}

const measuring = new ByteWriter();
const writing = new ByteWriter();

/**
 * The bytes `layout` writes, in one Buffer of their exact size. `layout` must write the same
 * thing both times it is called (it is called twice) and must not call writeMessage itself.
 */
export function writeMessage<A, B, C>(layout: (w: ByteWriter, a: A, b: B, c: C) => void, a: A, b: B, c: C): Buffer {
  measuring.reset(undefined);
  layout(measuring, a, b, c);
  const out = written.take(measuring.length);
  writing.reset(out);
  layout(writing, a, b, c);
  return out;
}
