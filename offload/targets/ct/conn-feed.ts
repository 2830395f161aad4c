// The software path's commits, as the target's connection table learns them. The WASM pipeline's own table is
// not visible through datapath/host/api.ts, so the MODEL infers what it did from the trapped frame and the
// verdict the software gave it: a forwarded frame was allowed (and committed, or was a reply of a connection
// already committed) in the zone of each enforced stateful port on its path - the source port's network (unless
// it came from a tunnel) and, for a local delivery, the destination port's network; a dropped frame may have
// blocked its connection. Ports and networks come from the entries the target was programmed with.
import type { PacketInput, Verdict } from '../../../datapath/host/api.js'
import type { Entry } from '../../../datapath/host/entries.js'
import { type FrameKey, dissect } from '../frame-dissector.js'
import { ingress } from '../frame-ops.js'
import { type ConnTable, zoneOf } from './conn-table.js'

export class ConnFeed {
  /** in_port/vlan -> source port; ofport -> port; port -> network; ports with stateful groups */
  private readonly srcPort = new Map<string, number>()
  private readonly byOfport = new Map<number, number>()
  private readonly network = new Map<number, number>()
  private readonly stateful = new Set<number>()

  constructor(
    entries: Entry[],
    private readonly table: ConnTable,
  ) {
    for (const e of entries) {
      if (e.stage === 'classify' && 'in_port' in e) {
        this.srcPort.set(`${e.in_port}/${e.vlan ?? 0}`, e.port)
        this.network.set(e.port, e.network)
      } else if (e.stage === 'l2') this.network.set(e.port, e.network)
      else if (e.stage === 'egress' && e.local !== undefined) this.byOfport.set(e.local, e.port)
      else if (e.stage === 'acl_port' && e.stateful) this.stateful.add(e.port)
    }
  }

  /** The zones of the stateful ports this frame passed (source) or reached (local destination). */
  zonesOf(input: PacketInput, key: FrameKey, v: Verdict | undefined): number[] {
    const zones = new Set<number>()
    const fromTunnel = (input.tunnel_key ?? 0) > 0 || key.tunnel !== undefined
    const src = fromTunnel ? undefined : this.srcPort.get(`${input.in_port}/${key.vlan ?? 0}`)
    const add = (port: number | undefined): void => {
      const net = port !== undefined && this.stateful.has(port) ? this.network.get(port) : undefined
      if (net !== undefined) zones.add(zoneOf(net))
    }
    add(src)
    if (v?.action === 'output' && v.ofport !== undefined) add(this.byOfport.get(v.ofport))
    return [...zones]
  }

  /** The software decided a trapped frame: teach the table what it committed or dropped. */
  softwareDecided(input: PacketInput, v: Verdict, nowMs: number): void {
    const entered = ingress(input)
    const key = entered !== undefined ? dissect(entered.frame) : undefined
    if (key === undefined || key.ip_src === undefined) return
    const forwarded = v.action === 'output' || v.action === 'tunnel' || v.action === 'flood'
    // a drop names no destination: forget the connection in the source's zone and in every zone it may be held
    const zones = forwarded ? this.zonesOf(input, key, v) : [...new Set([...this.zonesOf(input, key, undefined), ...this.allZones()])]
    for (const z of zones) this.table.learn(z, key, forwarded, nowMs)
  }

  private allZones(): number[] {
    return [
      ...new Set(
        [...this.stateful].flatMap(p => {
          const n = this.network.get(p)
          return n !== undefined ? [zoneOf(n)] : []
        }),
      ),
    ]
  }
}
