// The "target+WASM" path: a frame goes through a target MODEL; a trap hands the original frame to the WASM
// pipeline, which decides it from the start (the software datapath re-runs a trapped frame as an OVS upcall
// does; the target changed nothing but the frame copy it dropped).
import type { Datapath, PacketInput, Verdict } from '../../datapath/host/api.js'
import type { TargetOutcome } from './target-outcome.js'

export interface CombinedVerdict {
  verdict: Verdict
  /** 'target' when the model decided, else 'wasm' with the trap reason */
  decidedBy: 'target' | 'wasm'
  trap?: string
  stage: string
}

export function runCombined(model: { run(p: PacketInput): TargetOutcome }, wasm: Datapath, input: PacketInput): CombinedVerdict {
  const out = model.run(input)
  if (out.verdict !== undefined) return { verdict: out.verdict, decidedBy: 'target', stage: out.stage }
  const [v] = wasm.process([input])
  if (v === undefined) throw new Error('the WASM pipeline returned no verdict')
  return { verdict: v, decidedBy: 'wasm', trap: out.trap, stage: out.stage }
}
