// Compares what a target did with what a vector expects, and says the difference in words: the verdict,
// the reason and why it was expected, the first differing byte of a frame and the decoded fields that differ.
import type { PacketInResult, Verdict } from '../../datapath/host/api.js'
import { hexOf } from '../../datapath/host/addresses.js'
import { decodeFrame, type DecodedFrame } from '../../datapath/host/packet-decoder.js'
import type { Expectation, FrameExpectation } from './vector-format.js'

/** Problems found, one sentence each; empty when the target agrees with the vector. */
export function compareOutcome(expect: Expectation, got: Verdict, replies?: PacketInResult['replies']): string[] {
  const problems: string[] = []
  const want = describeExpected(expect)
  const have = describeVerdict(got)
  if (want !== have) problems.push(`expected ${want} because ${expect.because}; got ${have}`)
  if (expect.packet) {
    const diff = compareFrame(expect.packet, got.packet)
    if (diff) problems.push(`the verdict's packet ${diff}`)
  }
  if (expect.replies && replies) {
    if (replies.length !== expect.replies.length) {
      problems.push(
        `expected ${expect.replies.length} repl${expect.replies.length === 1 ? 'y' : 'ies'}, got ${replies.length}` +
          (replies.length > 0 ? ` (${replies.map(r => summary(decodeFrame(r.packet))).join('; ')})` : ''),
      )
    }
    expect.replies.forEach((r, i) => {
      const reply = replies[i]
      if (!reply) return
      if (reply.ofport !== r.ofport) problems.push(`reply ${i + 1}: expected out of ofport ${r.ofport}, got ofport ${reply.ofport}`)
      const diff = compareFrame(r.frame, reply.packet)
      if (diff) problems.push(`reply ${i + 1} ${diff}`)
    })
  }
  return problems
}

export function describeExpected(e: Expectation): string {
  return describe({ action: e.action, reason: e.reason, ofport: e.ofport, network: e.network, port: e.port, remote: e.remote })
}

export function describeVerdict(v: Verdict): string {
  const relevant =
    v.action === 'output' || v.action === 'in_port'
      ? { ofport: v.ofport }
      : v.action === 'flood'
        ? { network: v.network }
        : v.action === 'tunnel'
          ? { remote: v.remote, network: v.network, port: v.port }
          : {}
  return describe({ action: v.action, reason: v.reason, ...relevant })
}

function describe(v: {
  action: string
  reason: string
  ofport?: number | undefined
  network?: number | undefined
  port?: number | undefined
  remote?: string | undefined
}): string {
  const args = [
    v.ofport !== undefined ? `ofport ${v.ofport}` : '',
    v.remote !== undefined ? `remote ${v.remote}` : '',
    v.network !== undefined ? `network ${v.network}` : '',
    v.port !== undefined ? `port ${v.port}` : '',
  ].filter(Boolean)
  return `${v.action}/${v.reason}${args.length ? ` (${args.join(', ')})` : ''}`
}

/** undefined when equal; otherwise "differs: ..." in words. */
export function compareFrame(expect: FrameExpectation, got: Uint8Array): string | undefined {
  if ('hex' in expect) {
    const want = expect.hex
    const have = hexOf(got)
    if (want === have) return undefined
    let offset = 0
    while (
      offset * 2 < want.length &&
      offset * 2 < have.length &&
      want.slice(offset * 2, offset * 2 + 2) === have.slice(offset * 2, offset * 2 + 2)
    )
      offset++
    const byte = (h: string): string => (offset * 2 < h.length ? `0x${h.slice(offset * 2, offset * 2 + 2)}` : 'end of frame')
    const fieldDiffs = diffFields(decodeFrame(hexBytes(want)), decodeFrame(got))
    return (
      `differs from the expected bytes at offset ${offset} (expected ${byte(want)}, got ${byte(have)}; ` +
      `lengths ${want.length / 2} vs ${have.length / 2})${fieldDiffs ? `: ${fieldDiffs}` : ''}`
    )
  }
  const decoded = decodeFrame(got)
  const wrong: string[] = []
  for (const [name, value] of Object.entries(expect.fields)) {
    const actual = decoded[name]
    if (value === null) {
      if (actual !== undefined) wrong.push(`${name} should be absent, got ${String(actual)}`)
    } else if (actual !== value) {
      wrong.push(`${name} expected ${String(value)}, got ${actual === undefined ? 'nothing' : String(actual)}`)
    }
  }
  return wrong.length === 0 ? undefined : `has wrong fields: ${wrong.join('; ')} [${summary(decoded)}]`
}

function diffFields(want: DecodedFrame, have: DecodedFrame): string {
  const names = new Set([...Object.keys(want), ...Object.keys(have)])
  const diffs: string[] = []
  for (const n of names) {
    if (want[n] !== have[n]) diffs.push(`${n} expected ${String(want[n] ?? 'nothing')}, got ${String(have[n] ?? 'nothing')}`)
  }
  return diffs.slice(0, 6).join('; ') + (diffs.length > 6 ? `; and ${diffs.length - 6} more` : '')
}

/** One line: layers and addresses, for messages. */
export function summary(d: DecodedFrame): string {
  const pick = ['layers', 'eth_src', 'eth_dst', 'ip_src', 'ip_dst', 'arp_op', 'icmp_type', 'dhcp_type']
  return pick
    .filter(k => d[k] !== undefined)
    .map(k => `${k}=${String(d[k])}`)
    .join(' ')
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}
