// The datapath as a WebAssembly component (datapath/wit/datapath.wit), run through the JavaScript that jco
// transpiled it to (build/component/, made by scripts/build-component.js). Each call crosses the canonical
// ABI (about 3 us), which is why the API batches.
import type { DatapathAbi } from './datapath-abi.js'
import { findBuildFile, readBuildFile } from './wasm-files.js'

/** The exports of the transpiled component (build/component/datapath.d.ts): the WIT's functions, one per ABI method. */
type ComponentExports = DatapathAbi

interface TranspiledModule {
  instantiate(getCoreModule: (path: string) => Promise<WebAssembly.Module>, imports: Record<string, never>): Promise<ComponentExports>
}

export async function loadComponentBackend(): Promise<DatapathAbi> {
  const { pathToFileURL } = await import('node:url')
  const entry = await findBuildFile('component/datapath.js')
  const mod = (await import(pathToFileURL(entry).href)) as TranspiledModule
  const exports = await mod.instantiate(async path => WebAssembly.compile(await readBuildFile(`component/${path}`)), {})
  return {
    addEntry: entry => exports.addEntry(entry),
    removeEntry: entry => exports.removeEntry(entry),
    clear: () => exports.clear(),
    processBatch: (batch, nowMs) => exports.processBatch(batch, nowMs),
    packetIn: (packet, nowMs, trace) => exports.packetIn(packet, nowMs, trace),
    counters: () => exports.counters(),
    heapTop: () => exports.heapTop() >>> 0,
    conntrackCount: () => exports.conntrackCount() >>> 0,
    conntrackFlush: zone => exports.conntrackFlush(zone) >>> 0,
    conntrackSetLimit: max => exports.conntrackSetLimit(max) >>> 0,
  }
}
