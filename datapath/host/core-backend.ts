// The core WebAssembly module (build/datapath.wasm) behind DatapathAbi. Arguments are copied into memory
// handed out by the module's cabi_realloc, results read through the (ptr, len) pair it returns: the same
// calling convention the component's canonical ABI uses, so both backends run identical code.
// Views of memory.buffer are re-created on every call: the module's heap may grow, detaching old buffers.
import type { DatapathAbi } from './datapath-abi.js'
import { readBuildFile } from './wasm-files.js'

interface CoreExports {
  memory: WebAssembly.Memory
  cabi_realloc(old: number, oldSize: number, align: number, newSize: number): number
  addEntry(ptr: number, len: number): number
  removeEntry(ptr: number, len: number): number
  clear(): void
  processBatch(ptr: number, len: number, nowMs: number): number
  packetIn(ptr: number, len: number, nowMs: number, trace: number): number
  counters(): number
  heapTop(): number
  conntrackCount(): number
  conntrackFlush(some: number, zone: number): number
  conntrackSetLimit(max: number): number
}

export async function loadCoreBackend(wasm?: Uint8Array): Promise<DatapathAbi> {
  const bytes = wasm ? new Uint8Array(wasm) : await readBuildFile('datapath.wasm')
  const instance = await WebAssembly.instantiate(await WebAssembly.compile(bytes), {})
  const x = instance.exports as unknown as CoreExports

  const pass = (data: Uint8Array): number => {
    const ptr = x.cabi_realloc(0, 0, 1, data.length)
    new Uint8Array(x.memory.buffer, ptr, data.length).set(data)
    return ptr
  }
  const list = (pair: number): Uint8Array => {
    const view = new DataView(x.memory.buffer)
    return new Uint8Array(x.memory.buffer, view.getUint32(pair, true), view.getUint32(pair + 4, true))
  }
  return {
    addEntry: entry => x.addEntry(pass(entry), entry.length),
    removeEntry: entry => x.removeEntry(pass(entry), entry.length),
    clear: () => x.clear(),
    processBatch: (batch, nowMs) => list(x.processBatch(pass(batch), batch.length, nowMs)),
    packetIn: (packet, nowMs, trace) => list(x.packetIn(pass(packet), packet.length, nowMs, trace ? 1 : 0)),
    counters: () => list(x.counters()),
    heapTop: () => x.heapTop() >>> 0,
    conntrackCount: () => x.conntrackCount() >>> 0,
    conntrackFlush: zone => x.conntrackFlush(zone === undefined ? 0 : 1, zone ?? 0) >>> 0,
    conntrackSetLimit: max => x.conntrackSetLimit(max) >>> 0,
  }
}
