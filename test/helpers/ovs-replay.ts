// Replays frames one at a time through a private OVS (test/helpers/ovs.ts) *through its datapath*, so that
// ct() really runs the netdev datapath's userspace conntrack and recirculates, and reports what happened to each
// frame: the OpenFlow flows it hit and the ports it left by. Needs root.
//
// Why this mechanism (checked on OVS 3.1, ofproto/ofproto-dpif.c and ofproto-dpif-upcall.c):
//   - Injection: an OFPT_PACKET_OUT with in_port=N and actions=output:TABLE (what `ovs-ofctl packet-out <br>
//     "in_port=N packet=<hex> actions=table"` sends), then a barrier. A packet-out is translated once and
//     executed by dpif_execute() in the datapath, ct and recirc actions included; the recirculated pass comes
//     back as a datapath miss upcall and is translated like a received packet, all before the barrier reply.
//     The in_port must be a port with a datapath port (internal, tunnel): from a patch port the recirculated
//     upcall finds no port and the packet is dropped (datapath_drop_upcall_error). netdev-dummy's
//     `netdev-dummy/receive` would be the other way in, but needs `ovs-vswitchd --enable-dummy`.
//   - Flows hit: OpenFlow n_packets (OFPMP_FLOW) diffed around each frame. The packet-out pass credits its rules
//     at once (packet_execute_prepare pushes the xlate cache); a recirculated pass credits them in the upcall
//     (resubmit_stats of a miss). A recirculation of a packet-out is never installed as a datapath flow (the
//     packet-out released its recirc reference: "no reference for recirc flow"), but on a bridge whose flows
//     recirculate `revalidator/purge` runs after each frame anyway, so that a datapath flow that did get
//     installed pushes its stats and cannot absorb the next frame unseen. Without ct() nothing recirculates and
//     a packet-out installs nothing: the purge is left out.
//   - Where it went: the ports' tx counters (OFPMP_PORT_STATS) diffed. Internal ports stay down, so the kernel
//     sends nothing through them (no IPv6 autoconf noise) and an output to one counts as tx_dropped; tx +
//     tx_dropped is "the datapath sent it there". The flow-based tunnel port counts its tx before its route
//     lookup (which fails here: there is no underlay), so a tunnel output is counted too. Outer tun_dst comes
//     from the set_field of the hit flow that output to the tunnel; the tunnel key (network) is not observed.
//   - A punt is a hit flow whose actions send to CONTROLLER (the replay's channel is a service connection, which
//     gets no packet-ins; the packet-in is lost).
// Speed: every frame costs a packet-out, a barrier, two stats requests and (with ct) a purge: all of them go
// over one OpenFlow channel to the bridge's management socket (`<rundir>/<bridge>.mgmt`, what ovs-ofctl uses)
// and one unixctl JSON-RPC session (`ovs-vswitchd.ctl`, what ovs-appctl uses), not a process each (a process
// per command made the conformance replay ~4 times slower). Flows are read as ovs-ofctl prints them (matches
// and actions in OVS's own words, as ofproto/trace prints them) once per replaceFlows(), paired with the binary
// flow stats by position (both dumps list the flows in OVS's classifier order) and checked flow by flow; each
// frame then only diffs the binary counters, keyed by (table, priority, match bytes).
// Frames go one by one: conntrack state and counters are global to the datapath, so frames are not sent in
// parallel, even on different bridges. There is no time travel unless the OVS runs with --enable-dummy
// (startOvs({ dummy: true })): then warp() moves its clock, conntrack's included.
import { writeFileSync } from 'node:fs'
import { type Socket, createConnection } from 'node:net'
import { join } from 'node:path'
import { OfConnection } from '../../agent/openflow/connection.js'
import { OFP_NO_BUFFER, OFPMP_PORT_STATS, OFPP_ANY, OFPP_MAX, OFPP_TABLE } from '../../agent/openflow/constants.js'
import type { FlowStats, MultipartReply } from '../../agent/openflow/messages.js'
import { type Oxm, oxm } from '../../agent/openflow/oxm.js'
import type { Ovs } from './ovs.js'
import { silentLogger } from '../../log/logger.js'

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

interface TextFlow {
  hit: Omit<FlowHit, 'count'>
  packets: number
}

const PRIORITY_DEFAULT = 32768 // OFP_DEFAULT_PRIORITY, which ovs-ofctl leaves out of a dump
/** The fields of a flow-stats line that are not the match (ovs-ofctl separates them with ", "). */
const STATS_KEYS =
  /^(cookie|duration|table|n_packets|n_bytes|idle_timeout|hard_timeout|idle_age|hard_age|importance)=|^(send_flow_rem|check_overlap|reset_counts|no_packet_counts|no_byte_counts)$/

/** Parses `ovs-ofctl dump-flows` into flows keyed by table/priority/match (unique in OpenFlow). */
export function parseFlowStats(text: string): Map<string, TextFlow> {
  const flows = new Map<string, TextFlow>()
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
      match: pm ? (pm[2] ?? '') : rest,
      cookie: BigInt(get('cookie') ?? '0'),
      actions: line.slice(at + ' actions='.length).trim(),
    }
    flows.set(hitKey(hit), { hit, packets: Number(get('n_packets') ?? 0) })
  }
  return flows
}

export const hitKey = (h: { table: number; priority: number; match: string }): string => `${h.table}/${h.priority}/${h.match}`

/**
 * A unixctl JSON-RPC session with ovs-vswitchd (what ovs-appctl speaks, lib/unixctl.c): one request at a time,
 * JSON texts back to back on the stream. Much cheaper than an ovs-appctl process per command.
 */
export class Unixctl {
  private buf = ''
  private id = 0
  private waiting: { resolve: (v: string) => void; reject: (e: Error) => void } | undefined
  private queue: Promise<unknown> = Promise.resolve()

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8')
    socket.on('data', (d: string) => {
      this.buf += d
      this.drain()
    })
    socket.on('error', err => {
      this.fail(err)
    })
    socket.on('close', () => {
      this.fail(new Error('unixctl connection closed'))
    })
  }

  static async open(ovs: Ovs): Promise<Unixctl> {
    const socket = createConnection(join(ovs.rundir, 'ovs-vswitchd.ctl'))
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    return new Unixctl(socket)
  }

  /** Runs one command (`ovs-appctl <method> <params...>`) and returns its output; an error reply rejects. */
  async call(method: string, ...params: string[]): Promise<string> {
    const run = this.queue.then(
      async () =>
        await new Promise<string>((resolve, reject) => {
          this.waiting = { resolve, reject }
          this.socket.write(JSON.stringify({ method, params, id: this.id++ }))
        }),
    )
    this.queue = run.catch(() => undefined)
    return await run
  }

  close(): void {
    this.socket.destroy()
  }

  private fail(err: Error): void {
    const w = this.waiting
    this.waiting = undefined
    w?.reject(err)
  }

  /** Takes one complete JSON text off the buffer (a brace and string aware scan). */
  private drain(): void {
    let depth = 0
    let inString = false
    for (let i = 0; i < this.buf.length; i++) {
      const ch = this.buf[i]
      if (inString) {
        if (ch === '\\') i++
        else if (ch === '"') inString = false
      } else if (ch === '"') inString = true
      else if (ch === '{') depth++
      else if (ch === '}' && --depth === 0) {
        const text = this.buf.slice(0, i + 1)
        this.buf = this.buf.slice(i + 1)
        const reply = JSON.parse(text) as { result?: string | null; error?: string | null }
        const w = this.waiting
        this.waiting = undefined
        if (reply.error !== null && reply.error !== undefined) w?.reject(new Error(`ovs-appctl: ${reply.error}`))
        else w?.resolve(reply.result ?? '')
        i = -1
      }
    }
  }
}

/** ofp_port_stats (OpenFlow 1.3.5 A.3.5.7): 112 bytes; port_no @0, tx_packets @16, tx_dropped @48. */
const OFP_PORT_STATS_LEN = 112
/** OVS reports a counter it does not keep as all ones (ovs-ofctl prints '?'). */
const UNKNOWN_COUNT = 0xffffffffffffffffn

/** Port stats bytes -> ofport -> tx + tx_dropped; reserved ports (LOCAL) are left out. */
export function portTxOf(body: Buffer): Map<number, number> {
  const tx = new Map<number, number>()
  const n = (at: number): number => {
    const v = body.readBigUInt64BE(at)
    return v === UNKNOWN_COUNT ? 0 : Number(v)
  }
  for (let at = 0; at + OFP_PORT_STATS_LEN <= body.length; at += OFP_PORT_STATS_LEN) {
    const port = body.readUInt32BE(at)
    if (port <= OFPP_MAX) tx.set(port, n(at + 16) + n(at + 48))
  }
  return tx
}

/** A flow's OpenFlow identity (table, priority, match bytes): unique per switch (OpenFlow 1.3.5 §6.4). */
function identityOf(f: FlowStats): string {
  const field = (m: Oxm): string =>
    `${m.cls}.${m.field}=${m.value.toString('hex')}/${m.mask?.toString('hex') ?? ''}${m.payload?.toString('hex') ?? ''}`
  return `${f.tableId}/${f.priority}/${f.match.map(field).join(',')}`
}

/** A bridge a Replay sends frames through. Keep one per bridge; frames of all replays must not overlap in time. */
export class Replay {
  /** identity -> the flow as ovs-ofctl prints it (paired once per replaceFlows) */
  private named = new Map<string, Omit<FlowHit, 'count'>>()
  private counts = new Map<string, bigint>()
  private ports = new Map<number, number>()
  private files = 0
  /** the bridge's flows use ct() (recirculation, conntrack state) */
  private conntrack = false

  private constructor(
    readonly ovs: Ovs,
    readonly bridge: string,
    private readonly opts: ReplayOptions,
    private readonly of: OfConnection,
    readonly appctl: Unixctl,
  ) {}

  /** The bridge must exist with its ports; its current counters become the baseline. close() when done. */
  static async on(ovs: Ovs, bridge: string, opts: ReplayOptions = {}): Promise<Replay> {
    const socket = createConnection(join(ovs.rundir, `${bridge}.mgmt`))
    const of = new OfConnection(socket, { echoIntervalMs: 60_000, log: silentLogger })
    await of.ready
    const r = new Replay(ovs, bridge, opts, of, await Unixctl.open(ovs))
    await r.pair()
    return r
  }

  close(): void {
    this.of.close()
    this.appctl.close()
  }

  /** Replaces the bridge's flows with `flowsText` (add-flows syntax) the way the agent would: only differing
   * flows change (`replace-flows`), conntrack is kept. */
  async replaceFlows(flowsText: string): Promise<void> {
    const file = join(this.ovs.dir, `${this.bridge}-${++this.files}.flows`)
    writeFileSync(file, flowsText)
    await this.ovs.ofctl('replace-flows', this.bridge, file)
    this.conntrack = /\bct\(/.test(flowsText)
    await this.pair()
  }

  /** Moves vswitchd's clock (conntrack timeouts) `ms` forward; needs startOvs({ dummy: true }). */
  async warp(ms: number): Promise<void> {
    if (ms > 0) await this.appctl.call('time/warp', String(Math.round(ms)))
  }

  /** Forgets every connection of the datapath (all zones, all bridges) when this bridge's flows use conntrack. */
  async flushConntrack(): Promise<void> {
    if (this.conntrack) await this.appctl.call('dpctl/flush-conntrack')
  }

  /** What send() injects, as `ovs-ofctl packet-out <br> '<this>'` would (to replay one frame by hand). */
  packetOut(input: ReplayInput): string {
    const tun =
      input.tunnel_key === undefined
        ? ''
        : `set_field:${input.tunnel_key}->tun_id,set_field:${this.tunnelSrc}->tun_src,set_field:${this.tunnelDst}->tun_dst,`
    return `in_port=${input.in_port} packet=${input.hex} actions=${tun}table`
  }

  /** Sends one frame through the datapath and reports what it hit and where it went. */
  async send(input: ReplayInput): Promise<Observation> {
    const tun =
      input.tunnel_key === undefined
        ? []
        : [
            oxm('OXM_OF_TUNNEL_ID', BigInt(input.tunnel_key)),
            oxm('NXM_NX_TUN_IPV4_SRC', this.tunnelSrc),
            oxm('NXM_NX_TUN_IPV4_DST', this.tunnelDst),
          ].map(field => ({ type: 'OFPAT_SET_FIELD' as const, field }))
    const refused = await this.of.sendWithBarrier([
      {
        type: 'OFPT_PACKET_OUT',
        bufferId: OFP_NO_BUFFER,
        inPort: input.in_port,
        actions: [...tun, { type: 'OFPAT_OUTPUT', port: OFPP_TABLE }],
        data: Buffer.from(input.hex, 'hex'),
      },
    ])
    if (refused.length > 0) throw new Error(`${this.bridge}: OVS refused the packet-out: ${refused.map(e => e.message).join('; ')}`)
    if (this.conntrack) await this.appctl.call('revalidator/purge')
    const before = { counts: this.counts, ports: this.ports }
    const [flows, ports] = await Promise.all([this.flowStats(), this.portTx()])
    this.counts = new Map(flows.map(f => [identityOf(f), f.packetCount]))
    this.ports = ports
    const hits: FlowHit[] = []
    for (const [id, now] of this.counts) {
      const count = Number(now - (before.counts.get(id) ?? 0n))
      if (count <= 0) continue
      const hit = this.named.get(id)
      if (hit === undefined)
        throw new Error(`${this.bridge}: a flow no dump named was hit (${id}); did the flows change behind the replay?`)
      hits.push({ ...hit, count })
    }
    hits.sort((a, b) => a.table - b.table || b.priority - a.priority)
    const tx = new Map<number, number>()
    for (const [port, n] of this.ports) {
      const d = n - (before.ports.get(port) ?? 0)
      if (d > 0) tx.set(port, d)
    }
    return { hits, tx }
  }

  private get tunnelSrc(): string {
    return this.opts.tunnelSrc ?? '192.168.100.2'
  }
  private get tunnelDst(): string {
    return this.opts.tunnelDst ?? '192.168.100.1'
  }

  private async flowStats(): Promise<FlowStats[]> {
    const reply = (await this.of.request({
      type: 'OFPT_MULTIPART_REQUEST',
      flags: 0,
      body: { mpType: 'OFPMP_FLOW', tableId: 0xff, outPort: OFPP_ANY, outGroup: 0xffffffff, cookie: 0n, cookieMask: 0n, match: [] },
    })) as MultipartReply
    if (reply.body.mpType !== 'OFPMP_FLOW') throw new Error(`${this.bridge}: flow stats came back as ${reply.body.mpType}`)
    return reply.body.flows
  }

  private async portTx(): Promise<Map<number, number>> {
    const body = Buffer.alloc(8)
    body.writeUInt32BE(OFPP_ANY, 0)
    const reply = (await this.of.request({
      type: 'OFPT_MULTIPART_REQUEST',
      flags: 0,
      body: { mpType: 'unknown', code: OFPMP_PORT_STATS, body },
    })) as MultipartReply
    if (reply.body.mpType !== 'unknown') throw new Error(`${this.bridge}: port stats came back as ${reply.body.mpType}`)
    return portTxOf(reply.body.body)
  }

  /**
   * Names every flow the way ovs-ofctl (and ofproto/trace) print it: one text dump and one binary dump, which
   * list the flows in the same order (both walk OVS's classifier, nothing changed in between); checked flow by
   * flow on table, priority, cookie and packet count, so a different order fails here rather than misnaming.
   */
  private async pair(): Promise<void> {
    const text = [...parseFlowStats(await this.ovs.ofctl('dump-flows', this.bridge)).values()]
    const [flows, ports] = await Promise.all([this.flowStats(), this.portTx()])
    if (text.length !== flows.length)
      throw new Error(`${this.bridge}: ovs-ofctl listed ${text.length} flows, the flow stats ${flows.length}`)
    this.named = new Map()
    flows.forEach((f, i) => {
      const t = text[i] as TextFlow
      if (t.hit.table !== f.tableId || t.hit.priority !== f.priority || t.hit.cookie !== f.cookie || BigInt(t.packets) !== f.packetCount) {
        throw new Error(
          `${this.bridge}: flow ${i} is ${JSON.stringify({ ...t.hit, cookie: String(t.hit.cookie) })} in ovs-ofctl's dump but table ${f.tableId} priority ${f.priority} in the flow stats`,
        )
      }
      this.named.set(identityOf(f), t.hit)
    })
    this.counts = new Map(flows.map(f => [identityOf(f), f.packetCount]))
    this.ports = ports
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
    if (br) {
      inBridge = br[1] === bridge
      continue
    }
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
