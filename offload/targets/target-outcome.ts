// What a target MODEL returns for a frame: a verdict of its own (api.ts Verdict shape), or a trap that hands
// the frame to the WASM pipeline (the "target+WASM" path). `stage` names the STAGES row that decided.
import type { Verdict } from '../../datapath/host/api.js'

export type TargetOutcome =
  | { verdict: Verdict; stage: string; trap?: undefined }
  | { trap: string; stage: string; verdict?: undefined }
