// Splits a byte stream into OpenFlow messages by the header's length field (A.1), whatever the read sizes.
// A length below the header size cannot be skipped past, so it is fatal for the stream (OF_BAD_LENGTH).
import { OfError } from './errors.js'
import { OFP_HEADER_LEN } from './constants.js'

export class OfFramer {
  private chunks: Buffer[] = []
  private buffered = 0

  /** Add bytes; returns the complete messages they finish, in order. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk)
    this.buffered += chunk.length
    const out: Buffer[] = []
    for (;;) {
      if (this.buffered < OFP_HEADER_LEN) break
      const head = this.peek(4)
      const length = head.readUInt16BE(2)
      if (length < OFP_HEADER_LEN) throw new OfError('OF_BAD_LENGTH', `message length ${length} in the stream`)
      if (this.buffered < length) break
      out.push(this.take(length))
    }
    return out
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0]
    if (first !== undefined && first.length >= n) return first
    this.chunks = [Buffer.concat(this.chunks)]
    return this.chunks[0] ?? Buffer.alloc(0)
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? (this.chunks[0] ?? Buffer.alloc(0)) : Buffer.concat(this.chunks)
    const msg = all.subarray(0, n)
    const rest = all.subarray(n)
    this.chunks = rest.length > 0 ? [rest] : []
    this.buffered = rest.length
    return msg
  }
}
