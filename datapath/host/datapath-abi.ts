// The datapath module's exports as the host sees them, whichever way it runs: the core module
// (core-backend.ts) or the jco-transpiled component (component-backend.ts). One method per export of
// datapath/wit/datapath.wit; byte layouts are in datapath/assembly/pipeline/*.ts and datapath/spec/*.ts.

export interface DatapathAbi {
  /** An ENTRY_* result code (datapath/spec/entry-kinds.ts); 0 = done. */
  addEntry(entry: Uint8Array): number
  removeEntry(entry: Uint8Array): number
  clear(): void
  /** The result may be a view of the module's memory: read it before the next call. */
  processBatch(batch: Uint8Array, nowMs: number): Uint8Array
  packetIn(packet: Uint8Array, nowMs: number, trace: boolean): Uint8Array
  counters(): Uint8Array
  heapTop(): number
  conntrackCount(): number
  /** undefined = every zone */
  conntrackFlush(zone: number | undefined): number
  conntrackSetLimit(max: number): number
}
