// The "target+WASM" path: a frame goes through a target MODEL; a trap hands the original frame to the WASM
// pipeline, which decides it from the start (the software datapath re-runs a trapped frame as an OVS upcall
// does; the target changed nothing but the frame copy it dropped). A model that tracks connections is then told
// what the software decided (its table learns the software's commits, ct/conn-feed.ts).
//
// When the target itself forwards a packet of a connection it holds, the software's connection state must still
// follow (timeouts, TCP windows): the kernel refreshes an offloaded conntrack entry from the NIC's counters and
// relaxes its window tracking when the flow returns to software. The WASM pipeline has no such interface, so
// the MODEL stands in for it by letting the WASM pipeline account that packet; its verdict is not used.
import type { Datapath, PacketInput, Verdict } from '../../datapath/host/api.js'
import type { TargetModel } from './target-outcome.js'

export interface CombinedVerdict {
  verdict: Verdict
  /** 'target' when the model decided, else 'wasm' with the trap reason */
  decidedBy: 'target' | 'wasm'
  trap?: string
  stage: string
}

export interface CombinedOptions {
  /** the clock of this packet (connection tracking); the WASM pipeline gets the same */
  nowMs?: number
}

export function runCombined(model: TargetModel, wasm: Datapath, input: PacketInput, opts: CombinedOptions = {}): CombinedVerdict {
  const nowMs = opts.nowMs ?? 0
  const out = model.run(input, nowMs)
  if (out.verdict !== undefined) {
    if (out.sync === true) processAt(wasm, input, opts.nowMs)
    return { verdict: out.verdict, decidedBy: 'target', stage: out.stage }
  }
  const v = processAt(wasm, input, opts.nowMs)
  model.softwareDecided?.(input, v, nowMs)
  return { verdict: v, decidedBy: 'wasm', trap: out.trap, stage: out.stage }
}

/** One frame through the WASM batch path at `nowMs` (process(frames, { nowMs }), test/conformance/vector-format.ts). */
export function processAt(wasm: Datapath, input: PacketInput, nowMs: number | undefined): Verdict {
  const [v] = nowMs !== undefined ? wasm.process([input], { nowMs }) : wasm.process([input])
  if (v === undefined) throw new Error('the WASM pipeline returned no verdict')
  return v
}
