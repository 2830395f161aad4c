// Reactive L3 on the switch (Dragonflow's L3 reactive app; the planner's 'reactive-cache' placement of l3_route):
//
//   packet to a router MAC, no cached flow --punt (cookie reactiveMiss, frame unmodified)--> PacketInHost
//     --> WASM pipeline routes it, PACKET_OUT of the result (the host) --> here: install the exact-match flow
//         emitReactiveRoute() builds (same register writes and next table as the LPM flow would have), with an
//         idle timeout, so the next packets of that destination stay on the switch.
//
// Safety: a cached flow must never outlive a change that could make it wrong. Any entry delta of routes, router
// ports or next hops deletes every reactive flow with one OFPFC_DELETE by cookie mask (layout.ts
// reactiveSelector); a resync deletes them too (FlowSync). The number of live flows is capped (the plan's cache
// size, else DEFAULT_CAP) and installs are rate limited per in_port (a token bucket): a refused install still
// forwards the packet (the PACKET_OUT already left), it only is not cached. The live count is read back from the
// switch (flow stats under the same cookie mask) while any flow lives, since OVS removes idle flows on its own.
import { OF_TABLE_BASE, STAGE_L3_ROUTE } from '../../datapath/spec/stages.js'
import type { PacketInResult } from '../../datapath/host/index.js'
import { emitReactiveRoute, type L3Mode } from '../../offload/openflow/emitter.js'
import type { Plan } from '../../offload/planner.js'
import type { Context } from '../../offload/openflow/stages/context.js'
import { parseCookie, reactiveSelector } from '../../offload/openflow/layout.js'
import { dissect } from '../../offload/targets/frame-dissector.js'
import { OFPFC_ADD, OFPG_ANY, OFPP_ANY, flowDeleteByCookie, flowMod, type OfConnection, type PacketIn } from '../openflow/index.js'
import { encodeInstructions, encodeMatch } from '../flows/flow-encoder.js'
import { matchKey } from '../flows/flow-key.js'
import type { Logger } from '../../log/logger.js'

/** Live reactive flows when the plan names no cache size: far below any OVS table, far above one edge node's peers. */
export const DEFAULT_CAP = 10_000
/** Per in_port installs: a sustained rate and a burst (a port scanning addresses costs one packet-in each, not a flow each). */
export const DEFAULT_INSTALL_RATE = 100
export const DEFAULT_INSTALL_BURST = 200

export interface ReactiveStats {
  enabled: boolean
  idleTimeout: number
  cap: number
  /** packet-ins from the reactive-miss punt */
  misses: number
  installs: number
  /** ADDs again of a flow believed live (it expired since the last read-back, or packets raced its install) */
  reinstalls: number
  /** forwarded by the slow path but not cached: the cap was reached */
  refusedFull: number
  /** not cached: the in_port's install budget was spent */
  refusedRate: number
  /** not cached: the slow path did not forward it, or no known route covers it (no route, ICMP error, drop) */
  notRouted: number
  /** deletes of every reactive flow after a routing change */
  flushes: number
  /** gone on their own (idle timeout), as seen by the last read-back */
  expired: number
  live: number
}

export interface ReactiveL3Options {
  idleTimeout: number
  log: Logger
  installRate?: number
  installBurst?: number
}

interface Bucket {
  tokens: number
  at: number
}

/** Slow-path drops that the switch's own conntrack and ACL stages decide once the frame is re-injected. */
const SWITCH_DECIDES = new Set(['acl_deny', 'ct_invalid', 'ct_blocked', 'ct_full'])

/**
 * Routing mode for a plan: reactive when the operator asks for it, or when the plan places l3_route as a
 * reactive cache on this profile (then the cache holds what the plan says the table holds).
 */
export function decideL3(plan: Plan | undefined, asked: L3Mode | undefined): { mode: L3Mode; cap: number; why: string } {
  const l3 = plan?.stages.find(s => s.id === STAGE_L3_ROUTE)
  if (l3?.placement === 'reactive-cache') {
    const cap = Math.max(1, l3.rulesOnTarget)
    return {
      mode: 'reactive',
      cap,
      why:
        asked === 'reactive'
          ? 'as asked; the plan caches it too'
          : `the plan places l3_route as a reactive cache on ${plan?.profile ?? '?'}`,
    }
  }
  if (asked === 'reactive') return { mode: 'reactive', cap: DEFAULT_CAP, why: 'as asked' }
  return { mode: 'proactive', cap: DEFAULT_CAP, why: asked === 'proactive' ? 'as asked' : 'default' }
}

/** eth_dst, and the IP destination of an IPv4/IPv6 frame (after one VLAN tag at most); undefined otherwise. */
export function routedFields(frame: Uint8Array): { ethDst: string; dst: string } | undefined {
  const k = dissect(frame)
  return k?.ip_dst !== undefined ? { ethDst: k.eth_dst.toString(), dst: k.ip_dst.toString() } : undefined
}

export class ReactiveL3 {
  enabled = false
  cap = DEFAULT_CAP
  private readonly counts = { misses: 0, installs: 0, reinstalls: 0, refusedFull: 0, refusedRate: 0, notRouted: 0, flushes: 0, expired: 0 }
  /** matchKey of each flow believed live */
  private readonly live = new Set<string>()
  private readonly buckets = new Map<number, Bucket>()
  private readonly logged = new Set<string>()
  /** a flush was due while no switch was connected: the cached flows on the switch cannot be vouched for */
  private flushMissed = false
  private poller: NodeJS.Timeout | undefined
  private polling = false
  private conn: OfConnection | undefined

  private readonly log: Logger

  constructor(private readonly opts: ReactiveL3Options) {
    this.log = opts.log.child({ component: 'reactive-l3' })
  }

  get idleTimeout(): number {
    return this.opts.idleTimeout
  }

  private once(what: string, line: string): void {
    if (this.logged.has(what)) return
    this.logged.add(what)
    this.log.warn(line)
  }

  /**
   * A packet-in the slow path decided (PacketInHost's reinject hook): a reactive-miss punt the slow path routed
   * gets its flow cached. True when a flow for it is on the switch now: the host then puts the frame back into
   * the switch, whose conntrack knows its connection. A frame the slow path dropped for a security-group or
   * conntrack reason is cached too: the slow path's connection table never saw the connection the switch
   * tracks (a reply whose request the switch forwarded looks unsolicited to it), and the switch's ACL stages
   * decide the frame after the route anyway.
   */
  onPacketIn(
    conn: OfConnection,
    m: PacketIn,
    inPort: number,
    result: PacketInResult,
    ctx: { context: Context; generation: number },
  ): boolean {
    const c = parseCookie(m.cookie)
    if (!('reactiveMiss' in c.subject)) return false
    this.counts.misses++
    const v = result.verdict
    const routed = v.action === 'output' || v.action === 'flood' || v.action === 'tunnel' || SWITCH_DECIDES.has(v.reason)
    if (!this.enabled || !routed) {
      this.counts.notRouted++
      return false
    }
    const fields = routedFields(m.data)
    if (fields === undefined) {
      this.counts.notRouted++
      return false
    }
    const flow = emitReactiveRoute(
      ctx.context,
      {
        router: c.subject.reactiveMiss,
        routerMac: fields.ethDst,
        dst: fields.dst,
        idleTimeout: this.opts.idleTimeout,
      },
      { generation: ctx.generation },
    )
    if (flow === undefined) {
      this.counts.notRouted++
      return false
    }
    const match = encodeMatch(flow.match)
    const key = matchKey(flow.table, flow.priority, match)
    // A miss for a key we believe live means the switch no longer has it (a live exact flow outranks the miss
    // punt): it expired since the last read-back, or a packet was punted before the flow landed. Either way an
    // ADD again is right (it replaces an identical flow); it does not count against the cap twice.
    const again = this.live.has(key)
    if (!again && this.live.size >= this.cap) {
      this.counts.refusedFull++
      this.once('full', `${this.cap} flows live (the cap); further destinations are forwarded by the slow path, not cached (counted)`)
      return false
    }
    if (!this.take(inPort)) {
      this.counts.refusedRate++
      this.once('rate', `in_port ${inPort} spent its install budget; its further misses are forwarded, not cached (counted)`)
      return false
    }
    conn.send(
      flowMod(OFPFC_ADD, {
        tableId: flow.table,
        priority: flow.priority,
        cookie: flow.cookie,
        match,
        instructions: encodeInstructions(flow),
        idleTimeout: flow.idleTimeout ?? this.opts.idleTimeout,
      }),
    )
    this.conn = conn
    this.live.add(key)
    if (again) this.counts.reinstalls++
    else this.counts.installs++
    this.schedulePoll()
    return true
  }

  private take(inPort: number): boolean {
    const rate = this.opts.installRate ?? DEFAULT_INSTALL_RATE
    const burst = this.opts.installBurst ?? DEFAULT_INSTALL_BURST
    const now = Date.now()
    const b = this.buckets.get(inPort) ?? { tokens: burst, at: now }
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * rate)
    b.at = now
    this.buckets.set(inPort, b)
    if (b.tokens < 1) return false
    b.tokens--
    return true
  }

  /** Delete every reactive flow (one FLOW_MOD): routes, router ports or next hops changed (or routing went proactive). */
  flush(conn: OfConnection | undefined, why = 'routing changed'): void {
    // said each time something was cached: rare (routing changes), and the proof that a cached route went away
    if (this.live.size > 0) this.log.info(`${why}, ${this.live.size} reactive flow(s) deleted`)
    if (conn !== undefined) {
      const sel = reactiveSelector(STAGE_L3_ROUTE)
      try {
        conn.send(flowDeleteByCookie(sel.cookie, sel.mask, OF_TABLE_BASE + STAGE_L3_ROUTE))
      } catch (err) {
        // the channel is going down: the resync on reconnect deletes them
        this.flushMissed = true
        this.once('flush', `flush not sent (${err instanceof Error ? err.message : String(err)}); the next resync deletes them`)
      }
      this.counts.flushes++
    } else {
      this.flushMissed = true
    }
    this.live.clear()
  }

  /** May a resync keep this generation's reactive flows? Only if no flush was missed and caching is on. */
  get vouches(): boolean {
    return this.enabled && !this.flushMissed
  }

  /** After a resync that kept the reactive flows: read the live set back on the new connection. */
  adopt(conn: OfConnection): void {
    this.conn = conn
    this.schedulePoll()
  }

  /** The switch's reactive flows are gone (a resync deleted them); the next install names the connection again. */
  reset(): void {
    this.live.clear()
    this.conn = undefined
    this.flushMissed = false
  }

  private schedulePoll(): void {
    if (this.poller !== undefined || this.live.size === 0) return
    // read the live set back about twice per idle timeout: OVS expires idle flows itself
    const every = Math.max(1000, this.opts.idleTimeout * 500)
    this.poller = setTimeout(() => {
      this.poller = undefined
      void this.poll().finally(() => {
        this.schedulePoll()
      })
    }, every)
  }

  private async poll(): Promise<void> {
    const conn = this.conn
    if (conn === undefined || this.polling) return
    this.polling = true
    const before = new Set(this.live)
    try {
      const sel = reactiveSelector(STAGE_L3_ROUTE)
      const reply = await conn.request(
        {
          type: 'OFPT_MULTIPART_REQUEST',
          flags: 0,
          body: {
            mpType: 'OFPMP_FLOW',
            tableId: OF_TABLE_BASE + STAGE_L3_ROUTE,
            outPort: OFPP_ANY,
            outGroup: OFPG_ANY,
            cookie: sel.cookie,
            cookieMask: sel.mask,
            match: [],
          },
        },
        10_000,
      )
      if (reply.type !== 'OFPT_MULTIPART_REPLY' || reply.body.mpType !== 'OFPMP_FLOW') return
      const present = new Set(reply.body.flows.map(f => matchKey(f.tableId, f.priority, f.match)))
      for (const k of before) {
        // a key installed or flushed while the request was out is left as it is now
        if (!present.has(k) && this.live.delete(k)) this.counts.expired++
      }
    } catch (err) {
      this.once('poll', `reading the live flows back failed (${err instanceof Error ? err.message : String(err)})`)
    } finally {
      this.polling = false
    }
  }

  stats(): ReactiveStats {
    return { enabled: this.enabled, idleTimeout: this.opts.idleTimeout, cap: this.cap, ...this.counts, live: this.live.size }
  }

  stop(): void {
    if (this.poller !== undefined) clearTimeout(this.poller)
    this.poller = undefined
    this.conn = undefined
  }
}
