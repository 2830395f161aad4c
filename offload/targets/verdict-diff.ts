// Compares a target's verdict with the WASM pipeline's, in words: the verdict with its keys, then (for frames
// that leave) the first differing byte of the packet.
import type { Verdict } from '../../datapath/host/api.js'
import { hexOf } from '../../datapath/host/addresses.js'

export function describeVerdict(v: Verdict): string {
  const keys =
    v.action === 'output' || v.action === 'in_port'
      ? [`ofport ${v.ofport}`]
      : v.action === 'flood'
        ? [`network ${v.network}`]
        : v.action === 'tunnel'
          ? [`remote ${v.remote}`, `network ${v.network}`, `port ${v.port}`]
          : []
  return `${v.action}/${v.reason}${keys.length > 0 ? ` (${keys.join(', ')})` : ''}`
}

/** undefined when both agree; the packet is compared for verdicts where a frame leaves. */
export function verdictDiff(wasm: Verdict, target: Verdict): string | undefined {
  const w = describeVerdict(wasm)
  const t = describeVerdict(target)
  if (w !== t) return `WASM ${w}, target ${t}`
  if (wasm.action === 'drop' || wasm.action === 'punt') return undefined
  const a = hexOf(wasm.packet)
  const b = hexOf(target.packet)
  if (a === b) return undefined
  let i = 0
  while (i < a.length && a[i] === b[i]) i++
  const at = Math.floor(i / 2)
  return `${w}: packets differ at offset ${at} (WASM 0x${a.slice(at * 2, at * 2 + 2) || 'end'}, target 0x${b.slice(at * 2, at * 2 + 2) || 'end'}; lengths ${a.length / 2} vs ${b.length / 2})`
}
