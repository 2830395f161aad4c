// Bounds-checked big-endian reader and a growable writer: every OpenFlow structure is read and written
// through these two, so a short message becomes OfError('OF_TRUNCATED'), never a RangeError.
import { OfError } from './errors.js'

export class Reader {
  constructor(
    readonly buf: Buffer,
    public off = 0,
    readonly end = buf.length,
  ) {}

  get remaining(): number {
    return this.end - this.off
  }

  private need(n: number, what: string): number {
    if (this.off + n > this.end) {
      throw new OfError('OF_TRUNCATED', `${what}: need ${n} bytes at offset ${this.off}, have ${this.end - this.off}`)
    }
    const at = this.off
    this.off += n
    return at
  }

  u8(what = 'u8'): number {
    return this.buf.readUInt8(this.need(1, what))
  }
  u16(what = 'u16'): number {
    return this.buf.readUInt16BE(this.need(2, what))
  }
  u32(what = 'u32'): number {
    return this.buf.readUInt32BE(this.need(4, what))
  }
  u64(what = 'u64'): bigint {
    return this.buf.readBigUInt64BE(this.need(8, what))
  }
  bytes(n: number, what = 'bytes'): Buffer {
    const at = this.need(n, what)
    return this.buf.subarray(at, at + n)
  }
  skip(n: number, what = 'pad'): void {
    this.need(n, what)
  }
  /** A reader over the next n bytes; this reader moves past them. */
  sub(n: number, what: string): Reader {
    const at = this.need(n, what)
    return new Reader(this.buf, at, at + n)
  }
  rest(): Buffer {
    return this.bytes(this.remaining)
  }
  /** Peek a u16 at the current offset plus delta without consuming. */
  peek16(delta = 0, what = 'u16'): number {
    if (this.off + delta + 2 > this.end) throw new OfError('OF_TRUNCATED', `${what} at offset ${this.off + delta}`)
    return this.buf.readUInt16BE(this.off + delta)
  }
}

export class Writer {
  private buf = Buffer.alloc(256)
  length = 0

  private grow(n: number): number {
    if (this.length + n > this.buf.length) {
      const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n))
      this.buf.copy(next, 0, 0, this.length)
      this.buf = next
    }
    const at = this.length
    this.length += n
    return at
  }

  // grow() may replace this.buf: take the offset before touching the buffer
  u8(v: number): this {
    const at = this.grow(1)
    this.buf.writeUInt8(v, at)
    return this
  }
  u16(v: number): this {
    const at = this.grow(2)
    this.buf.writeUInt16BE(v, at)
    return this
  }
  u32(v: number): this {
    const at = this.grow(4)
    this.buf.writeUInt32BE(v >>> 0, at)
    return this
  }
  u64(v: bigint): this {
    const at = this.grow(8)
    this.buf.writeBigUInt64BE(BigInt.asUintN(64, v), at)
    return this
  }
  bytes(b: Uint8Array): this {
    const at = this.grow(b.length)
    this.buf.set(b, at)
    return this
  }
  zeros(n: number): this {
    this.grow(n)
    return this
  } // Buffer.alloc zero-fills
  /** Pad with zeros to a multiple of `align` counted from `from`. */
  align(align: number, from = 0): this {
    const r = (this.length - from) % align
    return r === 0 ? this : this.zeros(align - r)
  }
  setU16(at: number, v: number): void {
    this.buf.writeUInt16BE(v, at)
  }
  setU32(at: number, v: number): void {
    this.buf.writeUInt32BE(v >>> 0, at)
  }
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length))
  }
}
