// One record per line: "<crc32 of the JSON, 8 hex digits> <JSON>\n".
//
//   3f1a09c2 {"seq":17,"changes":[...]}\n
//   ^^^^^^^^ ^^^^^^^^^^^^^^^^^^^^^^^^^^^ ^^
//   checksum payload (UTF-8 JSON)         terminator: a record without it was never completely written
//
// Text rather than binary framing so `tail` and `grep` work on a live store; JSON.stringify never emits a raw
// newline, so the line is the frame.
import { crc32 } from 'node:zlib'

export function encodeRecord(value: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(value), 'utf8')
  const head = Buffer.from(`${crc32(json).toString(16).padStart(8, '0')} `, 'latin1')
  return Buffer.concat([head, json, NEWLINE])
}

const NEWLINE = Buffer.from('\n', 'latin1')

export type Scanned = { ok: true; offset: number; end: number; value: unknown } | { ok: false; offset: number; end: number; reason: string }

/** Splits a file's bytes into records; a bad one is returned with its reason rather than thrown. */
export function* scanRecords(buf: Buffer): Generator<Scanned> {
  let offset = 0
  while (offset < buf.length) {
    const nl = buf.indexOf(0x0a, offset)
    if (nl < 0) {
      yield { ok: false, offset, end: buf.length, reason: 'incomplete record (no terminating newline)' }
      return
    }
    yield decodeLine(buf, offset, nl + 1)
    offset = nl + 1
  }
}

function decodeLine(buf: Buffer, offset: number, end: number): Scanned {
  const line = buf.subarray(offset, end - 1)
  if (line.length < 10 || line[8] !== 0x20) return { ok: false, offset, end, reason: 'malformed record header' }
  const want = Number.parseInt(line.subarray(0, 8).toString('latin1'), 16)
  const json = line.subarray(9)
  if (!Number.isFinite(want) || crc32(json) !== want) return { ok: false, offset, end, reason: 'checksum mismatch' }
  try {
    return { ok: true, offset, end, value: JSON.parse(json.toString('utf8')) as unknown }
  } catch {
    return { ok: false, offset, end, reason: 'checksum matches but JSON does not parse' }
  }
}
