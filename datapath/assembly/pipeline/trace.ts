// Trace mode: each stage's decision recorded as a fixed-size step (layout in datapath/spec/trace.ts).
// Off in batch mode; the check is one global read per step.
import { TRACE_MAX_STEPS, TRACE_STEP_BYTES } from '../../spec/trace'
import { copy16, copyMac } from '../codec/bytes'

export let tracing = false
let steps: usize = heap.alloc(<usize>(TRACE_MAX_STEPS * TRACE_STEP_BYTES))
let count: i32 = 0

export function startTrace(on: bool): void {
  tracing = on
  count = 0
}

export function traceSteps(): usize {
  return steps
}

export function traceCount(): i32 {
  return count
}

/** Records a step; returns its address so the caller may add an address or MAC, or 0 when not tracing. */
@inline export function step(stage: i32, outcome: i32, kind: i32, reason: i32, a: u32, b: u32, c: u32): usize {
  return tracing ? record(stage, outcome, kind, reason, a, b, c) : 0
}

function record(stage: i32, outcome: i32, kind: i32, reason: i32, a: u32, b: u32, c: u32): usize {
  if (count >= TRACE_MAX_STEPS) return 0
  const p = steps + <usize>(count * TRACE_STEP_BYTES)
  count++
  memory.fill(p, 0, <usize>TRACE_STEP_BYTES)
  store<u8>(p, <u8>stage)
  store<u8>(p, <u8>outcome, 1)
  store<u8>(p, <u8>kind, 2)
  store<u8>(p, <u8>reason, 3)
  store<u32>(p, a, 4)
  store<u32>(p, b, 8)
  store<u32>(p, c, 12)
  return p
}

/** Adds an IP address (4 or 16 bytes at `addr`) to step `p`. */
export function traceAddr(p: usize, family: u32, plen: i32, addr: usize): void {
  if (p == 0) return
  if (family == 4) store<u32>(p + 16, load<u32>(addr))
  else copy16(p + 16, addr)
  store<u8>(p, <u8>family, 32)
  store<u8>(p, <u8>plen, 33)
}

export function traceMac(p: usize, mac: usize): void {
  if (p == 0) return
  copyMac(p + 34, mac)
}
