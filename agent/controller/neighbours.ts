// Next hops no entry names (BEHAVIOUR.md "Ways in and out", last paragraph): the slow path resolves them.
//
//   punt_nexthop_miss --> trace the frame (the datapath says which out router port and next hop it missed)
//     --> ARP request / neighbour solicitation from that router port, flooded on the out network (at most one
//         per second per next hop), the frame kept as the one waiting for it (the latest)
//   punt_neighbour (ARP reply / NA to a router port MAC) --> learn (network, ip) -> mac if it was asked for or is
//     already learned --> a `nexthop` entry through the controller's entry path --> the waiting frame replayed
//
// A learned entry is asked again every REFRESH_MS (as a host re-confirms a neighbour's reachability): an answer
// refreshes it, or moves it to the MAC that answers now (a VIP whose VRRP master changed). It ages out AGE_MS
// after the last answer; the next miss after that resolves again. A compiled nexthop entry always wins: none is learned over one, and a
// learned one the compiler later names is forgotten (the datapath's and the switch's key is (network, ip), so
// removing the learned one then would remove the compiled one).
//
// A miss the switch punted (the lr_in_arp_resolve punt flow's cookie) is resolved from the packet-in's registers
// (layout.ts: reg0 out network, reg3 router, reg4 / xxreg2 next hop), not from a trace: the WASM's connection
// table never saw the connections the switch tracks, so its verdict for a reply whose request the switch
// forwarded is ct_invalid, not the miss. Its waiting frame keeps those registers and goes back into the switch
// at that table once the learned entry is committed there (Waiting.punt).
//
// Off the gateway chassis of a router (its router_gateway entry not local), the only traffic routed out of the
// gateway port is floating IP traffic, and the gateway port's MAC must never be seen there on the physical
// network (a learning switch would pull the gateway's traffic to this chassis): the request goes from the
// floating IP (MAC and address) of the waiting frame's source, and without one nothing is asked (counted).
import type { DatapathApi, NexthopEntry, PacketInResult, RouterPortEntry } from '../../datapath/host/index.js'
import { BROADCAST_MAC, Cidr, Ipv4Address, Ipv6Address, MacAddress, parseIp, type IpAddress } from '../../datapath/host/addresses.js'
import { ARP_REQUEST, arp, buildFrame, ethernet, ip6, ndNa, ndNs, ETH_TYPE } from '../../datapath/host/packet-builder.js'
import { dissect } from '../../offload/targets/frame-dissector.js'
import type { Context } from '../../offload/openflow/stages/context.js'
import { parseCookie } from '../../offload/openflow/layout.js'
import { STAGE_ARP_ND_RSP, STAGE_NEXTHOP } from '../../datapath/spec/stages.js'
import { REASON_PUNT_NEIGHBOUR, REASON_PUNT_NEXTHOP_MISS } from '../../datapath/spec/verdicts.js'
import type { NatEntry, RouterGatewayEntry } from '../../datapath/host/entries.js'
import type { EntryDelta } from '../compiler/types.js'
import { matchGet, type Oxm, type OfConnection, type PacketIn, type PacketOut } from '../openflow/index.js'
import type { Logger } from '../../log/logger.js'

export const AGE_MS = 300_000
/** A learned entry older than this (since its last answer) is asked again at the next sweep. */
export const REFRESH_MS = 15_000
/** At most one request per next hop in this interval. */
export const REQUEST_INTERVAL_MS = 1000
export const MAX_PENDING = 1024
/** A next hop that has not answered in this long is given up (its waiting frame dropped, counted). */
export const PENDING_MS = 10_000

export interface NeighbourStats {
  /** ARP requests and neighbour solicitations sent */
  requests: number
  /** misses that sent nothing: a request for that next hop went out less than a second ago */
  rateLimited: number
  /** replies that learned (or refreshed) an entry */
  repliesLearned: number
  /** replies for nothing asked or learned (never learned: gratuitous or unsolicited) */
  unsolicited: number
  /** replies for a next hop a compiled entry already names */
  compiledWins: number
  /** waiting frames replaced by a later one for the same next hop */
  superseded: number
  /** next hops pending now, learned now */
  pending: number
  learned: number
  /** learned entries aged out */
  expired: number
  /** pending next hops dropped: the oldest when MAX_PENDING was reached, or unanswered for PENDING_MS */
  dropped: number
  /** misses the resolver could not turn into a request (no out router port address of the family) */
  unresolvable: number
  /** refresh requests that could not be sent (the switch connection they were learned on is gone) */
  sendFailed: number
  /** misses out of a gateway port on a chassis that is not the router's gateway chassis, from a source with
   * no floating IP here: not asked (the gateway MAC must not be used here) */
  notGatewayChassis: number
}

/** The next hop a routed frame missed and the router port that asks for it. */
export interface NextHop {
  network: number
  ip: string
  /** the out router port's MAC and its address on the next hop's subnet */
  mac: string
  source: string
}

/** Where the switch punted a frame: the table and the pipeline registers its packet-in reported. */
export interface PuntedAt {
  tableId: number
  match: Oxm[]
}

/** A frame waiting for its next hop; `punt`: the switch punted it (it goes back there, not through the WASM). */
export interface Waiting {
  conn: OfConnection
  inPort: number
  frame: Uint8Array
  punt?: PuntedAt
}

interface Pending {
  hop: NextHop
  since: number
  askedAt: number
  waiting?: Waiting
}
interface Learned {
  entry: NexthopEntry
  routerMac: string
  at: number
  hop?: NextHop
  conn?: OfConnection
  askedAt?: number
}

const keyOf = (network: number, ip: string): string => `${network}|${ip}`
/** one text per address (an IPv6 address has many spellings) */
const canonicalIp = (ip: string): string => parseIp(ip).toString()

export interface NeighbourTableOptions {
  maxPending?: number
  intervalMs?: number
  ageMs?: number
  pendingMs?: number
  refreshMs?: number
}

/** The resolver's state machine, clock given by the caller (tested alone). */
export class NeighbourTable {
  private readonly pending = new Map<string, Pending>()
  private readonly learned = new Map<string, Learned>()
  readonly counts = {
    requests: 0,
    rateLimited: 0,
    repliesLearned: 0,
    unsolicited: 0,
    compiledWins: 0,
    superseded: 0,
    expired: 0,
    dropped: 0,
    unresolvable: 0,
    sendFailed: 0,
    notGatewayChassis: 0,
  }

  constructor(private readonly opts: NeighbourTableOptions = {}) {}

  /** A frame missed `hop`: keep it as the waiting one; true when a request is due now. */
  miss(hop: NextHop, waiting: Waiting | undefined, now: number): boolean {
    const ip = canonicalIp(hop.ip)
    const k = keyOf(hop.network, ip)
    let p = this.pending.get(k)
    if (p === undefined) {
      if (this.pending.size >= (this.opts.maxPending ?? MAX_PENDING)) {
        const oldest = this.pending.keys().next().value
        if (oldest !== undefined) {
          this.pending.delete(oldest)
          this.counts.dropped++
        }
      }
      p = { hop: { ...hop, ip }, since: now, askedAt: -Infinity }
      this.pending.set(k, p)
    }
    if (waiting !== undefined) {
      if (p.waiting !== undefined) this.counts.superseded++
      p.waiting = waiting
    }
    if (now - p.askedAt < (this.opts.intervalMs ?? REQUEST_INTERVAL_MS)) {
      this.counts.rateLimited++
      return false
    }
    p.askedAt = now
    this.counts.requests++
    return true
  }

  /**
   * A reply from `ip` (`mac`) to the router port MAC `to`: the entry to install and the frame that waited, or
   * undefined when nothing asked for it and nothing learned it. `compiled` tells whether a compiled entry
   * names (network, ip).
   */
  reply(
    to: string,
    ip: string,
    mac: string,
    now: number,
    compiled: (network: number, ip: string) => boolean,
  ): { entry: NexthopEntry; waiting?: Waiting } | undefined {
    const addr = canonicalIp(ip)
    const routerMac = to.toLowerCase()
    const p = [...this.pendingFor(addr)].find(x => x.hop.mac.toLowerCase() === routerMac)
    const l = p === undefined ? [...this.learned.values()].find(x => x.entry.ip === addr && x.routerMac === routerMac) : undefined
    const network = p?.hop.network ?? l?.entry.network
    if (network === undefined) {
      this.counts.unsolicited++
      return undefined
    }
    const k = keyOf(network, addr)
    this.pending.delete(k)
    if (compiled(network, addr)) {
      this.counts.compiledWins++
      return undefined
    }
    const entry: NexthopEntry = { stage: 'nexthop', network, ip: addr, mac: mac.toLowerCase() }
    const hop = p?.hop ?? l?.hop
    const conn = p?.waiting?.conn ?? l?.conn
    this.learned.set(k, { entry, routerMac, at: now, ...(hop !== undefined ? { hop } : {}), ...(conn !== undefined ? { conn } : {}) })
    this.counts.repliesLearned++
    return p?.waiting !== undefined ? { entry, waiting: p.waiting } : { entry }
  }

  private *pendingFor(ip: string): Iterable<Pending> {
    for (const p of this.pending.values()) if (p.hop.ip === ip) yield p
  }

  /** The learned entry (if any) of (network, ip) before `replacing` it with another: what to remove. */
  learnedOf(network: number, ip: string): NexthopEntry | undefined {
    return this.learned.get(keyOf(network, canonicalIp(ip)))?.entry
  }

  /** The compiler named (network, ip): forget the learned entry (not removed: the compiled one replaces it). */
  forget(network: number, ip: string): NexthopEntry | undefined {
    const k = keyOf(network, canonicalIp(ip))
    const l = this.learned.get(k)
    this.learned.delete(k)
    return l?.entry
  }

  /** Learned entries older than the age limit (to remove) and pending next hops given up. */
  expire(now: number): NexthopEntry[] {
    const gone: NexthopEntry[] = []
    for (const [k, l] of this.learned) {
      if (now - l.at < (this.opts.ageMs ?? AGE_MS)) continue
      this.learned.delete(k)
      this.counts.expired++
      gone.push(l.entry)
    }
    for (const [k, p] of this.pending) {
      if (now - p.since < (this.opts.pendingMs ?? PENDING_MS)) continue
      this.pending.delete(k)
      this.counts.dropped++
    }
    return gone
  }

  /** Learned entries due to be asked again (not answered for REFRESH_MS, not asked in the last interval). */
  refreshDue(now: number): { hop: NextHop; conn: OfConnection }[] {
    const out: { hop: NextHop; conn: OfConnection }[] = []
    for (const l of this.learned.values()) {
      if (l.hop === undefined || l.conn === undefined) continue
      if (now - l.at < (this.opts.refreshMs ?? REFRESH_MS)) continue
      if (l.askedAt !== undefined && now - l.askedAt < (this.opts.refreshMs ?? REFRESH_MS)) continue
      l.askedAt = now
      this.counts.requests++
      out.push({ hop: l.hop, conn: l.conn })
    }
    return out
  }

  entries(): NexthopEntry[] {
    return [...this.learned.values()].map(l => l.entry)
  }

  stats(): NeighbourStats {
    return { ...this.counts, pending: this.pending.size, learned: this.learned.size }
  }
}

/** The solicited-node multicast address of an IPv6 address (RFC 4291 2.7.1) and its Ethernet group (RFC 2464 7). */
export function solicitedNode(ip: Ipv6Address): { ip: Ipv6Address; mac: MacAddress } {
  const b = ip.bytes
  const group = Ipv6Address.fromBytes(
    Uint8Array.of(0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, b[13] as number, b[14] as number, b[15] as number),
  )
  return { ip: group, mac: MacAddress.fromBytes(Uint8Array.of(0x33, 0x33, 0xff, b[13] as number, b[14] as number, b[15] as number)) }
}

/** The ARP request (IPv4) or neighbour solicitation (IPv6) the router port sends for the next hop. */
export function requestFrame(hop: NextHop): Uint8Array {
  const src = MacAddress.parse(hop.mac)
  const target = parseIp(hop.ip)
  if (target instanceof Ipv4Address) {
    return buildFrame([
      ethernet({ dst: BROADCAST_MAC, src, type: ETH_TYPE.ARP }),
      arp({ op: ARP_REQUEST, sha: src, spa: Ipv4Address.parse(hop.source), tpa: target }),
    ])
  }
  const group = solicitedNode(target)
  return buildFrame([
    ethernet({ dst: group.mac, src, type: ETH_TYPE.IPV6 }),
    ip6({ src: Ipv6Address.parse(hop.source), dst: group.ip, hopLimit: 255 }),
    ndNs({ target: target, sll: src }),
  ])
}

/** IPv6 all-nodes group (RFC 4291 2.7.1) and its Ethernet group (RFC 2464 7). */
const ALL_NODES = Ipv6Address.parse('ff02::1')
const ALL_NODES_MAC = MacAddress.parse('33:33:00:00:00:01')

/**
 * The announcement that `ip` is at `mac` now (a takeover, a floating IP that moved here): a gratuitous ARP
 * request (sender = target = ip, RFC 5227 3, which hosts and learning switches both take), or an unsolicited
 * neighbour advertisement to all nodes with the override flag and the target link-layer address (RFC 4861 7.2.6).
 */
export function gratuitousFrame(mac: string, ip: string): Uint8Array {
  const src = MacAddress.parse(mac)
  const addr = parseIp(ip)
  if (addr instanceof Ipv4Address) {
    return buildFrame([ethernet({ dst: BROADCAST_MAC, src, type: ETH_TYPE.ARP }), arp({ op: ARP_REQUEST, sha: src, spa: addr, tpa: addr })])
  }
  return buildFrame([
    ethernet({ dst: ALL_NODES_MAC, src, type: ETH_TYPE.IPV6 }),
    ip6({ src: addr, dst: ALL_NODES, hopLimit: 255 }),
    ndNa({ target: addr, override: true, tll: src }),
  ])
}

/** The sender of an ARP reply or neighbour advertisement: who it is to, the address and its MAC. */
export function parseNeighbourReply(frame: Uint8Array): { to: string; ip: string; mac: string } | undefined {
  const k = dissect(frame)
  if (k === undefined) return undefined
  if (k.arp_op === 2 && k.arp_spa !== undefined && k.arp_sha !== undefined && k.arp_tpa !== undefined) {
    // a gratuitous reply announces its own address to nobody: not an answer
    if (k.arp_spa.toString() === k.arp_tpa.toString()) return undefined
    return { to: k.eth_dst.toString(), ip: k.arp_spa.toString(), mac: k.arp_sha.toString() }
  }
  if (k.ip_proto !== 58 || k.icmp_type !== 136) return undefined
  const at = k.l3 + 40
  if (frame.length < at + 24) return undefined
  const target = Ipv6Address.fromBytes(frame.subarray(at + 8, at + 24))
  // target link-layer address option (type 2, RFC 4861 4.6.1); without one, the frame's source
  let mac = k.eth_src
  for (let o = at + 24; o + 8 <= frame.length;) {
    const len = (frame[o + 1] as number) * 8
    if (len === 0) return undefined // RFC 4861 4.6: a zero-length option is invalid
    if (frame[o] === 2) {
      mac = MacAddress.fromBytes(frame.subarray(o + 2, o + 8))
      break
    }
    o += len
  }
  return { to: k.eth_dst.toString(), ip: target.toString(), mac: mac.toString() }
}

/** What a miss turns into: a next hop to ask for, or why not. */
export type MissHop = NextHop | 'no_address' | 'not_gateway'

/** The router port on the out network that routes to `nexthop`, from the datapath's trace of the frame. */
export function nextHopOf(datapath: DatapathApi, context: Context, inPort: number, frame: Uint8Array, now: number): MissHop | undefined {
  const t = datapath.trace({ in_port: inPort, data: frame }, now)
  if (t.verdict.reason !== 'punt_nexthop_miss') return undefined
  let outPort: number | undefined
  let hop: { network: number; ip: string } | undefined
  for (const s of t.steps) {
    const route = /out port (\d+)/.exec(s.detail)
    if (s.stage === 'lr_in_ip_route' && route !== null) outPort = Number(route[1])
    const nh = /^network (\d+), next hop ([0-9A-Fa-f.:]+)/.exec(s.detail)
    if (s.stage === 'lr_in_arp_resolve' && nh !== null) hop = { network: Number(nh[1]), ip: nh[2] as string }
  }
  if (hop === undefined) return undefined
  const ports = context.routerPortsOn(hop.network)
  const rp: RouterPortEntry | undefined = ports.find(p => p.port === outPort) ?? (outPort === undefined ? ports[0] : undefined)
  if (rp === undefined) return undefined
  return askFrom(context, rp, parseIp(hop.ip), dissect(frame)?.ip_src)
}

/** True when the switch's flow with this cookie is the punt of `reason` in `stage` (layout.ts cookie R=1). */
export function isPuntOf(m: PacketIn, stage: number, reason: number): boolean {
  const c = parseCookie(m.cookie)
  return c.stage === stage && 'reason' in c.subject && c.subject.reason === reason
}

/**
 * The next hop of a frame the switch punted from lr_in_arp_resolve, from the registers its packet-in reported
 * (zero registers are not reported: OVS sends only the non-zero pipeline fields). Undefined for any other punt.
 */
export function nextHopFromPunt(context: Context, m: PacketIn): MissHop | undefined {
  if (!isPuntOf(m, STAGE_NEXTHOP, REASON_PUNT_NEXTHOP_MISS)) return undefined
  const reg = (i: number): number => {
    const v = matchGet(m.match, `NXM_NX_REG${i}`)
    return typeof v === 'number' ? v >>> 0 : 0
  }
  const k = dissect(m.data)
  if (k === undefined) return undefined
  let ip: IpAddress
  if (k.eth_type === ETH_TYPE.IPV6) {
    // xxreg2 is reg8 (most significant word) .. reg11
    const b = new Uint8Array(16)
    const v = new DataView(b.buffer)
    for (let i = 0; i < 4; i++) v.setUint32(i * 4, reg(8 + i))
    ip = Ipv6Address.fromBytes(b)
  } else {
    const b = new Uint8Array(4)
    new DataView(b.buffer).setUint32(0, reg(4))
    ip = Ipv4Address.fromBytes(b)
  }
  const rp = context.routerPortsOn(reg(0)).find(p => p.router === reg(3))
  if (rp === undefined) return undefined
  return askFrom(context, rp, ip, k.ip_src)
}

/**
 * Who asks for `ip` out of router port `rp`: the port itself, or, out of a gateway port on a chassis that is
 * not the router's gateway chassis, the floating IP of the frame's source `from` (see the file's head).
 */
export function askFrom(context: Context, rp: RouterPortEntry, ip: IpAddress, from: IpAddress | undefined): MissHop {
  const gw: RouterGatewayEntry | undefined = context.gatewayOf(rp.router)
  if (gw !== undefined && gw.port === rp.port && !gw.local) {
    const src = from?.toString()
    const nat: NatEntry | undefined =
      src === undefined
        ? undefined
        : context
            .natsOf(rp.router)
            .find(n => n.network === rp.network && canonicalIp(n.internal_ip) === src && parseIp(n.external_ip).family === ip.family)
    if (nat === undefined) return 'not_gateway'
    return { network: rp.network, ip: ip.toString(), mac: nat.mac, source: parseIp(nat.external_ip).toString() }
  }
  const cidrs = rp.ips.map(c => Cidr.parse(c)).filter(c => c.family === ip.family)
  const source = cidrs.find(c => c.contains(ip)) ?? cidrs[0]
  if (source === undefined) return 'no_address'
  return { network: rp.network, ip: ip.toString(), mac: rp.mac, source: source.address.toString() }
}

export interface NeighbourResolverOptions {
  datapath: DatapathApi
  /** the entries the flows come from (router ports, compiled next hops) */
  context: () => Context
  /** the PACKET_OUTs that flood `frame` on `network` (local ports, tunnels, the uplink) */
  flood: (network: number, frame: Uint8Array) => PacketOut[]
  /** run a frame through the slow path again and send what it decides */
  replay: (w: Waiting) => void
  /** install / remove learned entries through the controller's entry path */
  apply: (delta: EntryDelta) => void
  log: Logger
  now?: () => number
  table?: NeighbourTableOptions
  /** how often aging runs, ms; default 5000 */
  sweepMs?: number
}

/** The slow path's neighbour resolution: wired to PacketInHost's onResult. */
export class NeighbourResolver {
  readonly table: NeighbourTable
  private timer: NodeJS.Timeout | undefined
  private readonly logged = new Set<string>()

  private readonly log: Logger

  constructor(private readonly opts: NeighbourResolverOptions) {
    this.log = opts.log.child({ component: 'neighbours' })
    this.table = new NeighbourTable(opts.table)
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now()
  }

  private once(what: string, line: string, level: 'info' | 'warn' = 'warn'): void {
    if (this.logged.has(what)) return
    this.logged.add(what)
    this.log[level](line)
  }

  /**
   * PacketInHost's onResult: a next-hop miss asks, a neighbour reply learns. A punt of the switch's own
   * lr_in_arp_resolve or neighbour-reply flows is taken for what the switch says, whatever the WASM's
   * verdict (see the file's head).
   */
  onPacketIn(conn: OfConnection, m: PacketIn, inPort: number, result: PacketInResult): void {
    const reason = result.verdict.reason
    const punted = nextHopFromPunt(this.opts.context(), m)
    if (punted !== undefined) this.onMiss(conn, inPort, m.data, punted, { tableId: m.tableId, match: m.match.map(f => ({ ...f })) })
    else if (isPuntOf(m, STAGE_NEXTHOP, REASON_PUNT_NEXTHOP_MISS))
      return // the punt names no router port here
    else if (reason === 'punt_nexthop_miss') this.onMiss(conn, inPort, m.data)
    else if (reason === 'punt_neighbour' || isPuntOf(m, STAGE_ARP_ND_RSP, REASON_PUNT_NEIGHBOUR)) this.onReply(m.data)
  }

  private onMiss(conn: OfConnection, inPort: number, frame: Uint8Array, known?: MissHop, punt?: PuntedAt): void {
    const now = this.now()
    const hop = known ?? nextHopOf(this.opts.datapath, this.opts.context(), inPort, frame, now)
    if (hop === undefined) return
    if (hop === 'no_address') {
      this.table.counts.unresolvable++
      this.once('no_address', 'a next hop whose out router port has no address of its family; not resolved (counted)')
      return
    }
    if (hop === 'not_gateway') {
      this.table.counts.notGatewayChassis++
      this.once(
        'not_gateway',
        'a next hop out of a gateway port of a router whose gateway chassis is another one, from a source with no floating IP here: not asked (counted)',
        'info',
      )
      return
    }
    const waiting: Waiting = { conn, inPort, frame: Uint8Array.from(frame), ...(punt !== undefined ? { punt } : {}) }
    if (!this.table.miss(hop, waiting, now)) return
    const outs = this.opts.flood(hop.network, requestFrame(hop))
    for (const p of outs) conn.send(p)
    this.once(
      'request',
      `asking for next hop ${hop.ip} on network ${hop.network} from ${hop.source} (${hop.mac}); further requests are counted only`,
      'info',
    )
    this.schedule()
  }

  private onReply(frame: Uint8Array): void {
    const r = parseNeighbourReply(frame)
    if (r === undefined) {
      this.table.counts.unsolicited++
      return
    }
    const ctx = this.opts.context()
    const t = this.table
    // the context holds the learned entries too: a compiled one is any other entry of (network, ip)
    const compiled = (network: number, ip: string): boolean =>
      ctx
        .of<NexthopEntry>('nexthop')
        .some(e => e.network === network && canonicalIp(e.ip) === ip && e.mac !== t.learnedOf(network, ip)?.mac)
    const previous = (network: number, ip: string): NexthopEntry | undefined => t.learnedOf(network, ip)
    const candidates = new Map<number, NexthopEntry | undefined>()
    for (const e of t.entries()) if (e.ip === canonicalIp(r.ip)) candidates.set(e.network, previous(e.network, e.ip))
    const got = t.reply(r.to, r.ip, r.mac, this.now(), compiled)
    if (got === undefined) return
    const old = candidates.get(got.entry.network)
    this.opts.apply({ added: [got.entry], removed: old !== undefined && old.mac !== got.entry.mac ? [old] : [] })
    this.once(
      'learned',
      `learned ${got.entry.ip} is ${got.entry.mac} on network ${got.entry.network}; further ones are counted only`,
      'info',
    )
    if (got.waiting !== undefined) this.opts.replay(got.waiting)
  }

  /**
   * A compiler delta is about to be applied: learned entries it now names are forgotten, and returned so the
   * caller removes them from the flows before the compiled ones go in (the datapath's add replaces them).
   */
  compiled(d: EntryDelta): NexthopEntry[] {
    const out: NexthopEntry[] = []
    for (const e of d.added) {
      if (e.stage !== 'nexthop') continue
      const l = this.table.forget(e.network, e.ip)
      if (l !== undefined && l.mac !== e.mac) out.push(l)
    }
    return out
  }

  /** Age: remove what expired (entry and flows); ask again for learned entries due a refresh. */
  sweep(): void {
    const now = this.now()
    const gone = this.table.expire(now)
    if (gone.length > 0) this.opts.apply({ added: [], removed: gone })
    for (const { hop, conn } of this.table.refreshDue(now)) {
      // the connection of the miss that first asked: after a switch reconnect it is gone, and the entry ages out
      try {
        for (const p of this.opts.flood(hop.network, requestFrame(hop))) conn.send(p)
      } catch {
        this.table.counts.sendFailed++
      }
    }
  }

  private schedule(): void {
    if (this.timer !== undefined) return
    this.timer = setInterval(() => {
      try {
        this.sweep()
      } catch (err) {
        this.once('sweep', `aging failed (${err instanceof Error ? err.message : String(err)})`)
      }
      const s = this.table.stats()
      if (s.pending + s.learned === 0 && this.timer !== undefined) {
        clearInterval(this.timer)
        this.timer = undefined
      }
    }, this.opts.sweepMs ?? 5000)
    this.timer.unref()
  }

  /** The learned entries (for the recompute oracle: they are on the switch, not in a fresh compile). */
  learned(): NexthopEntry[] {
    return this.table.entries()
  }

  stats(): NeighbourStats {
    return this.table.stats()
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
  }
}
