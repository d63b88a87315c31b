// A SIP message's bytes written without building the message first. The code that lays a message
// out runs twice over a ByteWriter: once measuring, once copying into one Buffer of the exact size,
// so no intermediate string or Buffer is made (a 200 to a MESSAGE built as a message object, then
// serialized part by part, was ~3 KB of garbage per transaction).
//
// The Buffers come from slabs of our own that hold only the messages written here: a completed UDP
// transaction keeps its response for 64*T1 (32 s), and a slice of Node's shared 8 KB pool would keep
// that pool alive with everything else cut from it.

const SLAB_BYTES = 64 * 1024;
/** Larger messages get a Buffer of their own rather than most of a slab. */
const OWN_BUFFER_BYTES = 8 * 1024;

let slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
let slabUsed = 0;

function allocate(n: number): Buffer {
  if (n > OWN_BUFFER_BYTES) return Buffer.allocUnsafeSlow(n);
  if (slabUsed + n > SLAB_BYTES) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + n);
  slabUsed = (slabUsed + n + 7) & ~7; // 8-byte aligned, as Node's own pool does
  return out;
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
  const out = allocate(measuring.length);
  writing.reset(out);
  layout(writing, a, b, c);
  return out;
}
