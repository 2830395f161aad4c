// Byte comparison for codec tests: a mismatch names the first differing offset and the bytes around it.
import { execFileSync } from 'node:child_process'

export function firstDiff(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i
  return a.length === b.length ? -1 : n
}

/** '' when equal, else a sentence saying where and how they differ. */
export function describeDiff(got: Uint8Array, want: Uint8Array): string {
  const at = firstDiff(got, want)
  if (at < 0) return ''
  const around = (b: Uint8Array): string => Buffer.from(b.subarray(Math.max(0, at - 4), at + 8)).toString('hex')
  return `first differing offset ${at} (got ${got.length} bytes, want ${want.length}): got ...${around(got)}..., want ...${around(want)}...`
}

// Whether ovs-ofctl is installed is asked with needTool('ovs-ofctl') (test/helpers/requirements.ts).
/** How OVS prints a message: `ovs-ofctl ofp-print <hex>`. */
export function ofpPrint(bytes: Uint8Array): string {
  return execFileSync('ovs-ofctl', ['ofp-print', Buffer.from(bytes).toString('hex')])
    .toString()
    .trim()
}

/** How OVS prints a flow written in its own syntax, encoded by OVS for OpenFlow 1.3 with xid 1. */
export function ofctlParseFlow(flow: string): string {
  const out = execFileSync('ovs-ofctl', ['-O', 'OpenFlow13', 'parse-flow', flow]).toString().trim().split('\n')
  return out[out.length - 1] ?? ''
}
