// The contract between the WASM datapath and its users (agent, trace, conformance runner, benches).
// Both backends implement it: the core module (build/datapath.wasm) and the jco-transpiled component.
import type { Entry, Topology } from './entries.js'

export type VerdictName = 'drop' | 'output' | 'in_port' | 'tunnel' | 'flood' | 'punt'

export interface PacketInput {
  /** OpenFlow port the frame came in on (for tunnel frames, the tunnel's ofport). */
  in_port: number
  /**
   * Tunnel key when the target already decapsulated the frame (OVS sets tun_id); 0/absent otherwise.
   * A frame that still carries an outer VXLAN/Geneve header is decapsulated by the datapath itself.
   */
  tunnel_key?: number | undefined
  data: Uint8Array
}

export interface Verdict {
  action: VerdictName
  /** A name from REASON_NAMES ('none' when forwarded). */
  reason: string
  /** output / in_port: the OpenFlow port */
  ofport?: number
  /** flood / tunnel: the network key */
  network?: number
  /** tunnel: destination port key */
  port?: number
  /** tunnel: remote chassis endpoint */
  remote?: string
  /** The frame as it leaves the pipeline (after rewrites: MACs, TTL, ARP reply, decap). */
  packet: Uint8Array
}

export interface PacketInResult {
  verdict: Verdict
  /** Frames the slow path generated (DHCP reply, ICMP error, ...), each with the port to send it out of. */
  replies: { ofport: number; packet: Uint8Array }[]
}

export interface TraceStep {
  stage: string
  /** e.g. 'hit', 'miss', 'skip', 'reply', 'drop' */
  outcome: string
  /** Human-readable: what matched and what was decided. */
  detail: string
}

export interface TraceResult {
  steps: TraceStep[]
  verdict: Verdict
  replies: { ofport: number; packet: Uint8Array }[]
}

export interface Counters {
  /** reason name -> count (drops and punts) */
  reasons: Record<string, number>
  /** ofport -> reason name -> count; ports without room for a row of their own count under 4294967295 */
  perPort: Record<number, Record<string, number>>
  packets: number
  /** The connection table: connections now, the limit, commits and expiries since clear() (ct_full is a reason). */
  conntrack: { connections: number; limit: number; commits: number; expired: number }
}

/** Options of batch mode. */
export interface ProcessOptions {
  /** The host's clock in ms (connection expiry); default 0, so runs without a clock are deterministic. */
  nowMs?: number
}

/** The connection table (BEHAVIOUR.md "Security groups"), for the agent, operators and benchmarks. */
export interface ConntrackApi {
  /** Connections held, all zones. */
  count(): number
  /** Removes every connection, or those of one zone (network key & 0xffff); returns how many went. */
  flush(zone?: number): number
  /** The most connections admitted (0 = the capacity, 262144), as ovs-appctl dpctl/ct-set-maxconns; returns it. */
  setLimit(max: number): number
}

export interface DatapathApi {
  /** Add or replace an entry (same key = replace). Throws EntryError with a code on a bad entry. */
  add(entry: Entry): void
  remove(entry: Entry): void
  load(topology: Topology): void
  /** Batch mode: many frames, one verdict each. Punts are not resolved here. */
  process(packets: PacketInput[], opts?: ProcessOptions): Verdict[]
  /** Packet-in mode: one frame; punts are resolved (DHCP reply, ICMP errors, ...). `nowMs` drives rate limits. */
  packetIn(packet: PacketInput, nowMs?: number): PacketInResult
  /** Like packetIn, recording each stage's decision. */
  trace(packet: PacketInput, nowMs?: number): TraceResult
  counters(): Counters
  readonly conntrack: ConntrackApi
}

/** A batch encoded once (datapath/assembly/pipeline/batch.ts layout), to run many times without re-encoding. */
export interface EncodedBatch {
  readonly bytes: Uint8Array
  readonly count: number
}

/** What createDatapath returns: the contract above plus tools for benches, tests and resets. */
export interface Datapath extends DatapathApi {
  readonly backend: 'core' | 'component'
  /** Forget every entry, counter and rate-limit state. */
  clear(): void
  encodeBatch(packets: PacketInput[]): EncodedBatch
  /** Runs an encoded batch and returns how many packets went through; verdicts are left undecoded. */
  processEncoded(batch: EncodedBatch, opts?: ProcessOptions): number
  /** The WASM allocator's top: unchanged across calls that allocate nothing (the zero-allocation test). */
  heapTop(): number
}
