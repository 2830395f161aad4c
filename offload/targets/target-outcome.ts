// What a target MODEL returns for a frame: a verdict of its own (api.ts Verdict shape), or a trap that hands
// the frame to the WASM pipeline (the "target+WASM" path). `stage` names the STAGES row that decided.
import type { PacketInput, Verdict } from '../../datapath/host/api.js'

export type TargetOutcome =
  /** `sync`: the target forwarded a packet of a connection it holds (the software's connection state follows) */
  { verdict: Verdict; stage: string; trap?: undefined; sync?: boolean } | { trap: string; stage: string; verdict?: undefined }

/** What the target+WASM path runs: a MODEL, told the time and (when it tracks connections) the software's decisions. */
export interface TargetModel {
  run(input: PacketInput, nowMs?: number): TargetOutcome
  /** the software path decided a frame this model trapped */
  softwareDecided?(input: PacketInput, v: Verdict, nowMs: number): void
}
