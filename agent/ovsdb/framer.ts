// RFC 7047 sends JSON texts back to back with no delimiter. This splitter counts braces and brackets outside
// strings (tracking escapes) and cuts each top-level text. It works on bytes: '{', '}', '"' and '\' are ASCII and
// never appear inside a multi-byte UTF-8 sequence, so a chunk boundary inside a character is harmless.
import { OvsdbError } from './errors.js'

const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const QUOTE = 0x22
const BACKSLASH = 0x5c

export class JsonFramer {
  private pending: Buffer = Buffer.alloc(0)
  /** scan state carried across chunks */
  private depth = 0
  private inString = false
  private escaped = false
  private scanned = 0
  private start = -1

  /** Limit on one text (a guard against a peer that never closes a brace). */
  constructor(private readonly maxText = 64 << 20) {}

  /** Add bytes; returns the complete JSON texts (as strings) they finish. */
  push(chunk: Buffer): string[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk])
    const out: string[] = []
    const b = this.pending
    for (let i = this.scanned; i < b.length; i++) {
      const c = b[i]
      if (this.inString) {
        if (this.escaped) this.escaped = false
        else if (c === BACKSLASH) this.escaped = true
        else if (c === QUOTE) this.inString = false
        continue
      }
      if (c === QUOTE) {
        this.inString = true
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        if (this.depth === 0) this.start = i
        this.depth++
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (this.depth === 0) throw new OvsdbError('OVSDB_BAD_JSON', `unbalanced '${String.fromCharCode(c)}' in the stream`)
        this.depth--
        if (this.depth === 0) out.push(b.subarray(this.start, i + 1).toString('utf8'))
      }
    }
    // keep only the unfinished text
    const keepFrom = this.depth > 0 ? this.start : b.length
    this.pending = b.subarray(keepFrom)
    this.scanned = this.pending.length
    if (this.depth > 0) this.start = 0
    if (this.pending.length > this.maxText) throw new OvsdbError('OVSDB_BAD_JSON', `a JSON text longer than ${this.maxText} bytes`)
    return out
  }
}
