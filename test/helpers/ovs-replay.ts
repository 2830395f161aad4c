// Replays frames one at a time through a private OVS (test/helpers/ovs.ts) *through its datapath*, so that
// ct() really runs the netdev datapath's userspace conntrack and recirculates, and reports what happened to each
// frame: the OpenFlow flows it hit and the ports it left by. Needs root.
//
// Why this mechanism (checked on OVS 3.1, ofproto/ofproto-dpif.c and ofproto-dpif-upcall.c):
//   - Injection: `ovs-ofctl packet-out <br> "in_port=N packet=<hex> actions=table"`. A packet-out is translated
//     once and executed by dpif_execute() in the datapath, ct and recirc actions included; the recirculated pass
//     comes back as a datapath miss upcall and is translated like a received packet. The in_port must be a port
//     with a datapath port (internal, tunnel): from a patch port the recirculated upcall finds no port and the
//     packet is dropped (datapath_drop_upcall_error). netdev-dummy's `netdev-dummy/receive` would be the other
//     way in, but needs `ovs-vswitchd --enable-dummy`, which startOvs() does not pass.
//   - Flows hit: OpenFlow n_packets diffed around each frame. The packet-out pass credits its rules at once
//     (packet_execute_prepare pushes the xlate cache); a recirculated pass credits them in the upcall
//     (resubmit_stats of a miss). A recirculation of a packet-out is never installed as a datapath flow (the
//     packet-out released its recirc reference: "no reference for recirc flow"), but on a bridge whose flows
//     recirculate `revalidator/purge` runs after each frame anyway, so that a datapath flow that did get
//     installed pushes its stats and cannot absorb the next frame unseen. Without ct() nothing recirculates and
//     a packet-out installs nothing: the purge (one more command per frame) is left out.
//   - Where it went: the ports' tx counters diffed (`dump-ports`). Internal ports stay down, so the kernel sends
//     nothing through them (no IPv6 autoconf noise) and an output to one counts as tx_dropped; tx + tx_dropped
//     is "the datapath sent it there". The flow-based tunnel port counts its tx before its route lookup (which
//     fails here: there is no underlay), so a tunnel output is counted too. Outer tun_dst comes from the
//     set_field of the hit flow that output to the tunnel; the tunnel key (network) is not observed.
//   - A punt is a hit flow whose actions send to CONTROLLER (no controller is connected; the packet-in is lost).
// Frames go one by one: conntrack state and counters are global to the datapath, so frames are not sent in
// parallel, even on different bridges. There is no time travel: `time/warp` also needs --enable-dummy.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Ovs } from './ovs.js'

/** One OpenFlow flow a frame hit, with how many times (a flow resubmitted to twice counts twice). */
export interface FlowHit {
  table: number
  priority: number
  /** the match as ovs-ofctl prints it, without the priority */
  match: string
  cookie: bigint
  actions: string
  count: number
}

export interface Observation {
  hits: FlowHit[]
  /** ofport -> frames the datapath sent there (tx + tx_dropped) */
  tx: Map<number, number>
}

export interface ReplayInput {
  in_port: number
  hex: string
  /** the frame was already decapsulated: OVS tun_id (with a tunnel source and destination, see tunnelMeta) */
  tunnel_key?: number
}

export interface ReplayOptions {
  /** outer addresses given to a pre-decapsulated frame (OVS only counts tunnel metadata with tun_dst set) */
  tunnelSrc?: string
  tunnelDst?: string
}

interface FlowStats { hit: Omit<FlowHit, 'count'>; packets: number }

const PRIORITY_DEFAULT = 32768 // OFP_DEFAULT_PRIORITY, which ovs-ofctl leaves out of a dump
/** The fields of a flow-stats line that are not the match (ovs-ofctl separates them with ", "). */
const STATS_KEYS = /^(cookie|duration|table|n_packets|n_bytes|idle_timeout|hard_timeout|idle_age|hard_age|importance)=|^(send_flow_rem|check_overlap|reset_counts|no_packet_counts|no_byte_counts)$/

/** Parses `ovs-ofctl dump-flows` into flows keyed by table/priority/match (unique in OpenFlow). */
export function parseFlowStats(text: string): Map<string, FlowStats> {
  const flows = new Map<string, FlowStats>()
  for (const line of text.split('\n')) {
    const at = line.indexOf(' actions=')
    if (!line.startsWith(' cookie=') || at < 0) continue
    const parts = line.slice(1, at).split(', ')
    const get = (k: string): string | undefined => parts.find(p => p.startsWith(`${k}=`))?.slice(k.length + 1)
    const rest = parts.filter(p => !STATS_KEYS.test(p)).join(', ')
    const pm = /^priority=(\d+),?(.*)$/.exec(rest)
    const hit = {
      table: Number(get('table') ?? 0),
      priority: pm ? Number(pm[1]) : PRIORITY_DEFAULT,
      match: pm ? pm[2] ?? '' : rest,
      cookie: BigInt(get('cookie') ?? '0'),
      actions: line.slice(at + ' actions='.length).trim(),
    }
    flows.set(hitKey(hit), { hit, packets: Number(get('n_packets') ?? 0) })
  }
  return flows
}

export const hitKey = (h: { table: number; priority: number; match: string }): string => `${h.table}/${h.priority}/${h.match}`

/** Parses `ovs-ofctl dump-ports`: ofport -> tx + tx_dropped ('?' counts as 0). LOCAL is left out. */
export function parsePortTx(text: string): Map<number, number> {
  const tx = new Map<number, number>()
  const re = /port\s+(\d+): rx[^\n]*\n\s+tx pkts=(\d+|\?), bytes=[^,]*, drop=(\d+|\?)/g
  for (const m of text.matchAll(re)) {
    const n = (s: string | undefined): number => (s === undefined || s === '?' ? 0 : Number(s))
    tx.set(Number(m[1]), n(m[2]) + n(m[3]))
  }
  return tx
}

/** A bridge a Replay sends frames through. Keep one per bridge; frames of all replays must not overlap in time. */
export class Replay {
  private flows = new Map<string, FlowStats>()
  private ports = new Map<number, number>()
  private files = 0
  /** the bridge's flows use ct() (recirculation, conntrack state) */
  private conntrack = false

  private constructor (readonly ovs: Ovs, readonly bridge: string, private readonly opts: ReplayOptions) {}

  /** The bridge must exist with its ports; its current counters become the baseline. */
  static async on (ovs: Ovs, bridge: string, opts: ReplayOptions = {}): Promise<Replay> {
    const r = new Replay(ovs, bridge, opts)
    await r.snapshot()
    return r
  }

  /** Replaces the bridge's flows with `flowsText` (add-flows syntax) the way the agent would: only differing
   * flows change (`replace-flows`), conntrack is kept. */
  async replaceFlows (flowsText: string): Promise<void> {
    const file = join(this.ovs.dir, `${this.bridge}-${++this.files}.flows`)
    writeFileSync(file, flowsText)
    await this.ovs.ofctl('replace-flows', this.bridge, file)
    this.conntrack = /\bct\(/.test(flowsText)
    await this.snapshot()
  }

  /** Forgets every connection of the datapath (all zones, all bridges) when this bridge's flows use conntrack. */
  async flushConntrack (): Promise<void> {
    if (this.conntrack) await this.ovs.appctl('dpctl/flush-conntrack')
  }

  /** The flow text that injects `input` at table 0 as if it arrived on in_port (tunnel metadata set first). */
  packetOut (input: ReplayInput): string {
    const tun = input.tunnel_key === undefined ? ''
      : `set_field:${input.tunnel_key}->tun_id,set_field:${this.opts.tunnelSrc ?? '192.168.100.2'}->tun_src,` +
        `set_field:${this.opts.tunnelDst ?? '192.168.100.1'}->tun_dst,`
    return `in_port=${input.in_port} packet=${input.hex} actions=${tun}table`
  }

  /** Sends one frame through the datapath and reports what it hit and where it went. */
  async send (input: ReplayInput): Promise<Observation> {
    await this.ovs.ofctl('packet-out', this.bridge, this.packetOut(input))
    if (this.conntrack) await this.ovs.appctl('revalidator/purge')
    const before = { flows: this.flows, ports: this.ports }
    await this.snapshot()
    const hits: FlowHit[] = []
    for (const [k, now] of this.flows) {
      const count = now.packets - (before.flows.get(k)?.packets ?? 0)
      if (count > 0) hits.push({ ...now.hit, count })
    }
    hits.sort((a, b) => a.table - b.table || b.priority - a.priority)
    const tx = new Map<number, number>()
    for (const [port, n] of this.ports) {
      const d = n - (before.ports.get(port) ?? 0)
      if (d > 0) tx.set(port, d)
    }
    return { hits, tx }
  }

  private async snapshot (): Promise<void> {
    const [flows, ports] = await Promise.all([this.ovs.ofctl('dump-flows', this.bridge), this.ovs.ofctl('dump-ports', this.bridge)])
    this.flows = parseFlowStats(flows)
    this.ports = parsePortTx(ports)
  }
}

/**
 * What `ofproto/trace` says the same frame does, in the same terms: the flows of `bridge` it hit (nested
 * resubmits and recirculations included) and the ports it output to. For checking the replay against the
 * trace; it knows nothing about conntrack (the trace assumes +trk+new on each recirculation).
 */
export function traceObservation(text: string, bridge: string, inPort: number): Observation {
  const hits = new Map<string, FlowHit>()
  const tx = new Map<number, number>()
  let inBridge = false
  const outputs: number[] = []
  for (const line of text.split('\n')) {
    const br = /^\s*bridge\("([^"]+)"\)$/.exec(line)
    if (br) { inBridge = br[1] === bridge; continue }
    if (!inBridge) continue
    const hit = /^\s*(\d+)\. (?:(.*), )?priority (\d+)(?:, cookie (0x[0-9a-f]+))?$/.exec(line)
    if (hit) {
      const h = { table: Number(hit[1]), priority: Number(hit[3]), match: hit[2] ?? '', cookie: BigInt(hit[4] ?? '0'), actions: '' }
      const k = hitKey(h)
      const seen = hits.get(k)
      if (seen) seen.count++
      else hits.set(k, { ...h, count: 1 })
      continue
    }
    const a = line.trim()
    if (/^output:\d+$/.test(a)) outputs.push(Number(a.slice(7)))
    else if (a === 'IN_PORT') outputs.push(inPort)
    else if (a.includes('skipping output to input port')) outputs.pop()
  }
  for (const p of outputs) tx.set(p, (tx.get(p) ?? 0) + 1)
  return { hits: [...hits.values()].sort((a, b) => a.table - b.table || b.priority - a.priority), tx }
}
