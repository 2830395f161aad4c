// A reader of the subunit v2 stream that stestr stores for every run (its `.stestr/N` files and
// `stestr last --subunit`). Packet layout, as python-subunit's v2.py writes it:
//
//   0xB3 | flags (u16 BE) | length (varint, the whole packet) | [timestamp u32 + varint ns] | [test id]
//        | [tags: varint count + strings] | [mime type] | [file: name, varint length, bytes] | [route code]
//        | CRC32 (u32 BE)
//
//   flags: 15..12 version (2) | 0x0800 test id | 0x0400 route code | 0x0200 timestamp | 0x0100 runnable
//          | 0x0080 tags | 0x0040 file content | 0x0020 mime type | 0x0010 eof | 2..0 test status
//
// A varint's first byte carries in its top two bits how many bytes follow (0..3); the rest is big-endian.
// Strings are a varint length then UTF-8. We keep only what a summary needs: each test's last status, its
// timestamps, and the text attachments (traceback, reason).

const SIGNATURE = 0xb3
const FLAG_TEST_ID = 0x0800
const FLAG_ROUTE_CODE = 0x0400
const FLAG_TIMESTAMP = 0x0200
const FLAG_TAGS = 0x0080
const FLAG_FILE_CONTENT = 0x0040
const FLAG_MIME_TYPE = 0x0020
const STATUS_MASK = 0x0007

/** subunit v2 test statuses, by their 3-bit code */
const STATUS_NAMES = ['', 'exists', 'inprogress', 'success', 'uxsuccess', 'skip', 'fail', 'xfail'] as const
export type SubunitStatus = (typeof STATUS_NAMES)[number]

export interface TestRecord {
  id: string
  /** the last status the stream gave the test ('' if it only had attachments) */
  status: SubunitStatus
  startedAt?: Date
  stoppedAt?: Date
  /** attachments by file name (traceback, reason, pythonlogging:'', ...), decoded as UTF-8 and concatenated */
  files: Record<string, string>
}

export class SubunitParseError extends Error {
  override name = 'SubunitParseError'
}

class Reader {
  pos: number
  constructor(
    private readonly buf: Buffer,
    start: number,
  ) {
    this.pos = start
  }

  varint(): number {
    const first = this.byte()
    const extra = first >> 6
    let value = first & 0x3f
    for (let i = 0; i < extra; i++) value = value * 256 + this.byte()
    return value
  }

  byte(): number {
    const b = this.buf[this.pos++]
    if (b === undefined) throw new SubunitParseError('packet ends early')
    return b
  }

  bytes(n: number): Buffer {
    if (this.pos + n > this.buf.length) throw new SubunitParseError('field extends past the packet')
    const out = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }

  utf8(): string {
    return this.bytes(this.varint()).toString('utf8')
  }
}

/** Every test of a subunit v2 stream, in the order they first appear. */
export function parseSubunit(stream: Buffer): TestRecord[] {
  const tests = new Map<string, TestRecord>()
  let at = 0
  while (at < stream.length) {
    if (stream[at] !== SIGNATURE) throw new SubunitParseError(`no packet signature at byte ${at}`)
    const head = new Reader(stream, at + 1)
    const flags = (head.byte() << 8) | head.byte()
    if (flags >> 12 !== 2) throw new SubunitParseError(`subunit version ${flags >> 12} at byte ${at} (only v2 is read)`)
    const length = head.varint()
    if (length < 8 || at + length > stream.length) throw new SubunitParseError(`bad packet length ${length} at byte ${at}`)
    const r = new Reader(stream.subarray(0, at + length - 4), head.pos)
    let timestamp: Date | undefined
    if (flags & FLAG_TIMESTAMP) {
      const seconds = r.bytes(4).readUInt32BE(0)
      const nanoseconds = r.varint()
      timestamp = new Date(seconds * 1000 + Math.floor(nanoseconds / 1e6))
    }
    const id = flags & FLAG_TEST_ID ? r.utf8() : undefined
    if (flags & FLAG_TAGS) for (let n = r.varint(); n > 0; n--) r.utf8()
    if (flags & FLAG_MIME_TYPE) r.utf8()
    let file: { name: string; text: string } | undefined
    if (flags & FLAG_FILE_CONTENT) {
      const name = r.utf8()
      file = { name, text: r.bytes(r.varint()).toString('utf8') }
    }
    if (flags & FLAG_ROUTE_CODE) r.utf8()
    at += length
    if (id === undefined) continue // stream-level attachments (stdout of the runner) carry no test
    let rec = tests.get(id)
    if (!rec) tests.set(id, (rec = { id, status: '', files: {} }))
    const status = STATUS_NAMES[flags & STATUS_MASK] ?? ''
    if (status === 'inprogress' && timestamp) rec.startedAt = timestamp
    else if (status !== '' && status !== 'exists' && timestamp) rec.stoppedAt = timestamp
    if (status !== '') rec.status = status
    if (file) rec.files[file.name] = (rec.files[file.name] ?? '') + file.text
  }
  return [...tests.values()]
}
