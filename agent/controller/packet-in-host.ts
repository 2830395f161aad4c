// The slow path on a switch: OFPT_PACKET_IN -> the WASM datapath (same entries as the flows) -> OFPT_PACKET_OUT
// of the frames it produced (DHCP replies, ICMP errors and echo replies from router addresses) and of the
// punted frame itself when the pipeline forwarded it. Per-port rate limits live in the datapath (DhcpEntry.rate
// and its ICMP budgets): a flood of packet-ins costs one WASM call each, not a reply each.
// A packet-in that cannot be handled is counted per cause and logged once; the host goes on.
// Every verdict of the slow path is counted as `action/reason` (the first of each kind is logged once, so an
// operator, and the end-to-end tests, can see what the slow path decided about a punt).
import { OFPP_IN_PORT, matchGet, oxm, packetOut, type Action, type OfConnection, type PacketIn, type PacketOut } from '../openflow/index.js'
import type { DatapathApi, PacketInResult } from '../../datapath/host/index.js'
import type { Logger } from '../../log/logger.js'

export interface PacketInStats {
  received: number
  answered: number
  /** frames sent back with PACKET_OUT */
  framesOut: number
  bad: Map<string, number>
  /** `action/reason` of the WASM verdict -> count (e.g. output/none, punt/punt_nexthop_miss, drop/port_sec_mac) */
  verdicts: Map<string, number>
  /** handling time (PACKET_IN decoded -> PACKET_OUTs written) of the last packet-ins, ms, at most 1024 kept */
  recentMs: number[]
}

export interface PacketInHostOptions {
  datapath: DatapathApi
  /** the ofports of a network's local ports, for a 'flood' verdict */
  floodPorts: (network: number) => number[]
  /** the uplink of a provider network, for a 'flood' verdict: it gets the frame once, tagged (undefined: none) */
  floodUplink?: (network: number) => { ofport: number; vlan?: number } | undefined
  /** the remote chassis (tunnel endpoints) with ports on a network, for the floods the slow path makes (neighbours.ts) */
  floodRemotes?: (network: number) => string[]
  /** ofport of the flow-based tunnel port, for a 'tunnel' verdict (undefined: the node has none) */
  tunnelOfport?: () => number | undefined
  /** refused packet-ins (warn, once per cause) and the first verdict of each kind (info) */
  log: Logger
  /** called after each packet-in is handled (benchmarks, tests) */
  onHandled?: (ms: number) => void
  /** called with the slow path's result once its PACKET_OUTs are written */
  onResult?: (conn: OfConnection, m: PacketIn, inPort: number, result: PacketInResult) => void
  /**
   * Called before the frame is forwarded: true when a flow now on the switch takes this punt (a reactive route
   * just cached). The frame then goes back into the switch at the table that punted it, with its registers,
   * so the switch's own conntrack and ACL stages decide it instead of the slow path's verdict (the switch's
   * connection table, not the slow path's, knows the connection the frame belongs to).
   */
  reinject?: (conn: OfConnection, m: PacketIn, inPort: number, result: PacketInResult) => boolean
}

/** Pipeline metadata the switch reported with a packet-in, as set-field actions that restore it. */
const RESTORED = /^(NXM_NX_REG\d+|OXM_OF_METADATA|OXM_OF_TUNNEL_ID|NXM_NX_TUN_IPV4_(SRC|DST))$/
function restoreMetadata(m: PacketIn): Action[] {
  // A set-field carries no mask: drop the key rather than leave it present and undefined.
  return m.match
    .filter(f => RESTORED.test(f.name))
    .map(({ mask: _mask, ...f }) => ({ type: 'OFPAT_SET_FIELD' as const, field: { ...f, hasMask: false } }))
}

export class PacketInHost {
  readonly stats: PacketInStats = { received: 0, answered: 0, framesOut: 0, bad: new Map(), verdicts: new Map(), recentMs: [] }

  private readonly log: Logger

  constructor(private readonly opts: PacketInHostOptions) {
    this.log = opts.log.child({ component: 'packet-in' })
  }

  /** Serve packet-ins from this switch until it disconnects. */
  attach(conn: OfConnection): void {
    conn.on('packet-in', (m: PacketIn) => {
      // a listener that throws would take the channel down with it: one bad frame must not
      try {
        this.handle(conn, m)
      } catch (err) {
        this.bad('host_error', err instanceof Error ? err.message : String(err))
      }
    })
  }

  private bad(cause: string, detail: string): void {
    const n = (this.stats.bad.get(cause) ?? 0) + 1
    this.stats.bad.set(cause, n)
    if (n === 1) this.log.warn(`${cause} (${detail}); further ones are counted only`)
  }

  /**
   * The PACKET_OUTs that flood `packet` on `network`: its local ports, its uplink once (tagged), and, when
   * `floodRemotes` is given and the frame did not come from the tunnel, each remote chassis once. Never back
   * out of `inPort` (OFPP_CONTROLLER for a frame the slow path made).
   */
  flood(network: number, packet: Uint8Array, inPort: number): PacketOut[] {
    const out: PacketOut[] = []
    for (const p of this.opts.floodPorts(network))
      if (p !== inPort) out.push(packetOut(Buffer.from(packet), [{ type: 'OFPAT_OUTPUT', port: p }], inPort))
    out.push(...this.toUplink(network, packet, inPort))
    const tun = this.opts.tunnelOfport?.()
    if (tun !== undefined && tun !== inPort) {
      for (const remote of this.opts.floodRemotes?.(network) ?? []) {
        out.push(
          packetOut(
            Buffer.from(packet),
            [
              { type: 'OFPAT_SET_FIELD', field: oxm('OXM_OF_TUNNEL_ID', BigInt(network)) },
              { type: 'OFPAT_SET_FIELD', field: oxm('NXM_NX_TUN_IPV4_DST', remote) },
              { type: 'OFPAT_OUTPUT', port: tun },
            ],
            inPort,
          ),
        )
      }
    }
    return out
  }

  /** The PACKET_OUT of `packet` out of `network`'s uplink (tagged with its VLAN), if it has one here and
   * the frame did not come in through it. */
  toUplink(network: number, packet: Uint8Array, inPort: number): PacketOut[] {
    // the verdict's frame is untagged: a VLAN uplink's tag is pushed here; never back out of the uplink it came in
    const up = this.opts.floodUplink?.(network)
    if (up === undefined || up.ofport === inPort) return []
    const tag: Action[] =
      up.vlan !== undefined && up.vlan > 0
        ? [
            { type: 'OFPAT_PUSH_VLAN', ethertype: 0x8100 },
            { type: 'OFPAT_SET_FIELD', field: oxm('OXM_OF_VLAN_VID', 0x1000 | up.vlan) },
          ]
        : []
    return [packetOut(Buffer.from(packet), [...tag, { type: 'OFPAT_OUTPUT', port: up.ofport }], inPort)]
  }

  /**
   * A frame the switch punted, back into the switch at the table that punted it with the registers it
   * reported: the switch's flows (and its connection table) decide it now, as for `reinject`.
   */
  resubmit(conn: OfConnection, inPort: number, frame: Uint8Array, at: { tableId: number; match: PacketIn['match'] }): void {
    const m = { match: at.match } as PacketIn
    try {
      conn.send(packetOut(Buffer.from(frame), [...restoreMetadata(m), { type: 'NXAST_RESUBMIT_TABLE', table: at.tableId }], inPort))
      this.stats.framesOut++
    } catch (err) {
      this.bad('send_failed', err instanceof Error ? err.message : String(err))
    }
  }

  /** A frame that waited (for a next hop) through the slow path again, as if the switch had just punted it. */
  replay(conn: OfConnection, inPort: number, frame: Uint8Array): void {
    this.handle(conn, {
      type: 'OFPT_PACKET_IN',
      xid: 0,
      bufferId: 0xffffffff,
      totalLen: frame.length,
      reason: 1,
      tableId: 0,
      cookie: 0n,
      match: [oxm('OXM_OF_IN_PORT', inPort)],
      data: Buffer.from(frame),
    })
  }

  handle(conn: OfConnection, m: PacketIn): void {
    const t0 = performance.now()
    this.stats.received++
    const inPort = matchGet(m.match, 'OXM_OF_IN_PORT')
    if (typeof inPort !== 'number') {
      this.bad('no_in_port', 'the match carries no OXM_OF_IN_PORT')
      return
    }
    let result: PacketInResult
    try {
      result = this.opts.datapath.packetIn({ in_port: inPort, data: m.data }, Date.now())
    } catch (err) {
      this.bad('datapath_error', err instanceof Error ? err.message : String(err))
      return
    }
    const kind = `${result.verdict.action}/${result.verdict.reason}`
    const seen = (this.stats.verdicts.get(kind) ?? 0) + 1
    this.stats.verdicts.set(kind, seen)
    if (seen === 1) this.log.info(`slow path: first verdict ${kind} (in_port ${inPort}, table ${m.tableId}); further ones are counted only`)
    const out: PacketOut[] = []
    const send = (data: Uint8Array, port: number): void => {
      // OpenFlow drops output to the ingress port unless it is named OFPP_IN_PORT (§7.2.1)
      out.push(packetOut(Buffer.from(data), [{ type: 'OFPAT_OUTPUT', port: port === inPort ? OFPP_IN_PORT : port }], inPort))
    }
    for (const r of result.replies) send(r.packet, r.ofport)
    const v = result.verdict
    if (this.opts.reinject?.(conn, m, inPort, result) === true) {
      out.push(packetOut(Buffer.from(m.data), [...restoreMetadata(m), { type: 'NXAST_RESUBMIT_TABLE', table: m.tableId }], inPort))
    } else if ((v.action === 'output' || v.action === 'in_port') && v.ofport !== undefined)
      send(v.packet, v.action === 'in_port' ? inPort : v.ofport)
    else if (v.action === 'in_port') send(v.packet, inPort)
    else if (v.action === 'flood' && v.network !== undefined) out.push(...this.flood(v.network, v.packet, inPort))
    else if (v.action === 'tunnel') {
      // as ls_out_dispatch sends it: VNI = the network key, outer destination = the chassis hosting the port
      const tun = this.opts.tunnelOfport?.()
      if (tun === undefined || v.network === undefined || v.remote === undefined) {
        this.bad('no_tunnel_port', 'a punted frame bound for another chassis, but this node has no tunnel port')
      } else {
        out.push(
          packetOut(
            Buffer.from(v.packet),
            [
              { type: 'OFPAT_SET_FIELD', field: oxm('OXM_OF_TUNNEL_ID', BigInt(v.network)) },
              { type: 'OFPAT_SET_FIELD', field: oxm('NXM_NX_TUN_IPV4_DST', v.remote) },
              { type: 'OFPAT_OUTPUT', port: tun },
            ],
            inPort,
          ),
        )
      }
    }
    try {
      for (const p of out) conn.send(p)
    } catch (err) {
      this.bad('send_failed', err instanceof Error ? err.message : String(err))
      return
    }
    if (out.length > 0) this.stats.answered++
    this.stats.framesOut += out.length
    try {
      this.opts.onResult?.(conn, m, inPort, result)
    } catch (err) {
      this.bad('result_hook_error', err instanceof Error ? err.message : String(err))
    }
    const ms = performance.now() - t0
    if (this.stats.recentMs.push(ms) > 1024) this.stats.recentMs.shift()
    this.opts.onHandled?.(ms)
  }
}
