// The WASM datapath's exports, in canonical-ABI shape so the component (datapath/wit/datapath.wit) is this
// same module with its exports renamed to kebab-case (scripts/build-component.js):
//   list<u8> argument  -> (ptr, len), the memory handed out by cabi_realloc
//   list<u8> result    -> a pointer to a (ptr u32, len u32) pair
// Stages live in stages/, header codecs in codec/, tables in tables/, buffers and modes in pipeline/.
import { applyEntry, clearEntries } from './pipeline/entry-loader'
import { processBatch as runBatch } from './pipeline/batch'
import { heapTop as probeHeapTop, releaseStaging, returnList, outputArea, stagingAlloc } from './pipeline/io'
import { packetIn as runPacketIn } from './pipeline/packet-in'
import { clearCounters, countersBytes, writeCounters } from './tables/counters'
import { ctCount, ctFlush, ctSetLimit } from './tables/conntrack'

/** Canonical ABI allocator for arguments (the component's lowering calls it; so does the core host). */
export function cabi_realloc(old: usize, oldSize: usize, align: usize, newSize: usize): usize {
  const p = stagingAlloc(align, newSize)
  if (old != 0) memory.copy(p, old, min(oldSize, newSize))
  return p
}

/** add-entry: func(entry: list<u8>) -> u32 (an ENTRY_* code, 0 = done) */
export function addEntry(ptr: usize, len: usize): u32 {
  const result = applyEntry(ptr, <i32>len, true)
  releaseStaging()
  return <u32>result
}

/** remove-entry: func(entry: list<u8>) -> u32 */
export function removeEntry(ptr: usize, len: usize): u32 {
  const result = applyEntry(ptr, <i32>len, false)
  releaseStaging()
  return <u32>result
}

/** clear: func() -- every table and counter emptied */
export function clear(): void {
  clearEntries()
  clearCounters()
}

/** process-batch: func(batch: list<u8>, now-ms: f64) -> list<u8> (layouts in pipeline/batch.ts) */
export function processBatch(ptr: usize, len: usize, nowMs: f64): usize {
  const result = runBatch(ptr, len, nowMs)
  releaseStaging()
  return result
}

/** packet-in: func(packet: list<u8>, now-ms: f64, trace: bool) -> list<u8> (layouts in pipeline/packet-in.ts) */
export function packetIn(ptr: usize, len: usize, nowMs: f64, trace: bool): usize {
  const result = runPacketIn(ptr, len, nowMs, trace)
  releaseStaging()
  return result
}

/** counters: func() -> list<u8> (layout in tables/counters.ts) */
export function counters(): usize {
  const size = <usize>countersBytes()
  const out = outputArea(size)
  writeCounters(out)
  return returnList(out, size)
}

/** heap-top: func() -> u32 -- the allocator's top, for the zero-allocation test */
export function heapTop(): u32 {
  return <u32>probeHeapTop()
}

/** conntrack-count: func() -> u32 -- connections in the table, all zones */
export function conntrackCount(): u32 {
  return ctCount()
}

/**
 * conntrack-flush: func(zone: option<u16>) -> u32 -- removes every connection, or those of one zone; returns
 * how many. The canonical ABI passes the option as (discriminant, value).
 */
export function conntrackFlush(some: u32, zone: u32): u32 {
  return ctFlush(some != 0 ? <i32>(zone & 0xffff) : -1)
}

/** conntrack-set-limit: func(max: u32) -> u32 -- the most connections admitted (0 = the capacity); the limit set */
export function conntrackSetLimit(max: u32): u32 {
  return ctSetLimit(max)
}
