// DatapathApi over either backend: entries encoded and refused with EntryError, verdicts decoded to names.
import { ENTRY_OK, ENTRY_RESULT_NAMES, ENTRY_ERR_NOT_FOUND } from '../spec/entry-kinds.js'
import type {
  ConntrackApi,
  Counters,
  Datapath,
  EncodedBatch,
  PacketInResult,
  PacketInput,
  ProcessOptions,
  TraceResult,
  Verdict,
} from './api.js'
import type { DatapathAbi } from './datapath-abi.js'
import type { Entry, Topology } from './entries.js'
import { encodeEntry } from './entry-codec.js'
import { EntryError, type EntryErrorCode } from './entry-error.js'
import { formatStep } from './trace-format.js'
import { decodeBatch, decodeCounters, decodePacketIn, encodeBatch, encodePacketIn } from './wire-format.js'

export class WasmDatapath implements Datapath {
  readonly conntrack: ConntrackApi

  constructor(
    private readonly abi: DatapathAbi,
    readonly backend: 'core' | 'component',
  ) {
    this.conntrack = {
      count: () => abi.conntrackCount(),
      flush: zone => abi.conntrackFlush(zone === undefined ? undefined : zone & 0xffff),
      setLimit: max => abi.conntrackSetLimit(max >>> 0),
    }
  }

  add(entry: Entry): void {
    this.check(this.abi.addEntry(encodeEntry(entry)), entry)
  }

  /** Removing an entry that is not there is not an error: the agent's diffs may remove twice. */
  remove(entry: Entry): void {
    const result = this.abi.removeEntry(encodeEntry(entry))
    if (result !== ENTRY_ERR_NOT_FOUND) this.check(result, entry)
  }

  /** Adds every entry of the topology (on top of what is loaded; clear() first to start over). */
  load(topology: Topology): void {
    for (const entry of topology.entries) this.add(entry)
  }

  clear(): void {
    this.abi.clear()
  }

  process(packets: PacketInput[], opts: ProcessOptions = {}): Verdict[] {
    if (packets.length === 0) return []
    return decodeBatch(this.abi.processBatch(encodeBatch(packets), opts.nowMs ?? 0))
  }

  encodeBatch(packets: PacketInput[]): EncodedBatch {
    return { bytes: encodeBatch(packets), count: packets.length }
  }

  processEncoded(batch: EncodedBatch, opts: ProcessOptions = {}): number {
    const result = this.abi.processBatch(batch.bytes, opts.nowMs ?? 0)
    return new DataView(result.buffer, result.byteOffset, result.byteLength).getUint32(0, true)
  }

  packetIn(packet: PacketInput, nowMs: number = Date.now()): PacketInResult {
    const { verdict, replies } = decodePacketIn(this.abi.packetIn(encodePacketIn(packet), nowMs, false))
    return { verdict, replies }
  }

  trace(packet: PacketInput, nowMs: number = Date.now()): TraceResult {
    const { verdict, replies, steps } = decodePacketIn(this.abi.packetIn(encodePacketIn(packet), nowMs, true))
    return { steps: steps.map(formatStep), verdict, replies }
  }

  counters(): Counters {
    return decodeCounters(this.abi.counters())
  }

  heapTop(): number {
    return this.abi.heapTop()
  }

  private check(result: number, entry: Entry): void {
    if (result === ENTRY_OK) return
    const code = (ENTRY_RESULT_NAMES[result] ?? 'truncated') as EntryErrorCode
    throw new EntryError(code, `the datapath refused a ${entry.stage} entry`)
  }
}
