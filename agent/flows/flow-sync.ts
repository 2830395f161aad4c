// Desired-vs-installed flows on one switch (desired-flows.ts keeps both). Each apply is one ONF bundle with the
// atomic flag: the switch takes all of it or none, so a packet never sees half an update; its FLOW_MODs are
// only the changes since the last commit (DELETE_STRICT for what nobody wants, OFPFC_ADD for what is new or
// different: an ADD with an identical match and priority replaces in place, OpenFlow 1.3.5 §6.4; MODIFY would
// keep the old cookie on 1.3).
//
// On (re)connect or restart, resync() dumps the switch's flows (OFPMP_FLOW) and diffs against them: every flow
// whose table, priority, match, cookie and instructions equal a desired one stays untouched (proactive cookies
// carry no run generation, layout.ts), what differs is replaced, and only flows nobody wants are deleted.
// Nothing is flushed, so traffic through existing flows never stops, and a restart with nothing changed sends
// no FLOW_MOD at all.
//
// Reactive flows (layout.ts cookie X bit: installed by the slow path with an idle timeout, agent/controller/
// reactive-l3.ts) are not desired flows: the diff never sees them. resync() keeps those of the current run when
// the caller vouches for them (`keepReactive`: same process, no routing change missed while disconnected);
// otherwise, and always for older runs' (an agent restart), it deletes them in its bundle, and the next
// packet-ins cache them again.
import {
  OFPG_ANY,
  OFPP_ANY,
  OFPTT_ALL,
  flowDeleteByCookie,
  type FlowStats,
  type Instruction,
  type OfConnection,
  type OfMessage,
  type Oxm,
} from '../openflow/index.js'
import { generationMask, isReactiveCookie, makeCookie, parseCookie, reactiveSelector } from '../../offload/openflow/layout.js'
import { type DesiredFlows, decodeBody } from './desired-flows.js'

export interface InstalledFlow {
  table: number
  priority: number
  cookie: bigint
  match: Oxm[]
  instructions: Instruction[]
}

export interface ApplyStats {
  added: number
  deleted: number
  unchanged: number
  ms: number
}

/** A FLOW_MOD body in the switch's terms. */
export function installedOf(body: Buffer): InstalledFlow {
  const m = decodeBody(body)
  return { table: m.tableId, priority: m.priority, cookie: m.cookie, match: m.match, instructions: m.instructions }
}

export class FlowSync {
  private queue: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly conn: OfConnection,
    readonly desired: DesiredFlows,
  ) {}

  /** Every flow on the switch, all tables (multipart replies joined by the connection). */
  async dump(): Promise<FlowStats[]> {
    const reply = await this.conn.request(
      {
        type: 'OFPT_MULTIPART_REQUEST',
        flags: 0,
        body: { mpType: 'OFPMP_FLOW', tableId: OFPTT_ALL, outPort: OFPP_ANY, outGroup: OFPG_ANY, cookie: 0n, cookieMask: 0n, match: [] },
      },
      60_000,
    )
    if (reply.type !== 'OFPT_MULTIPART_REPLY' || reply.body.mpType !== 'OFPMP_FLOW') throw new Error(`flow dump: unexpected ${reply.type}`)
    return reply.body.flows
  }

  /** Read the switch's flows, then bring them to the desired flows (see the header). */
  async resync(generation: number, opts: { keepReactive?: boolean } = {}): Promise<ApplyStats> {
    return await this.serial(async () => {
      const t0 = performance.now()
      const flows = await this.dump()
      const oldRuns = new Set<number>()
      let reactive = false
      const proactive: FlowStats[] = []
      for (const s of flows) {
        if (!isReactiveCookie(s.cookie)) {
          proactive.push(s)
          continue
        }
        reactive = true
        const g = parseCookie(s.cookie).generation
        if (g !== generation) oldRuns.add(g)
      }
      const { stale, kept } = this.desired.adoptInstalled(proactive)
      const pre: OfMessage[] = [...stale]
      if (reactive && opts.keepReactive !== true) {
        const sel = reactiveSelector()
        pre.push(flowDeleteByCookie(sel.cookie, sel.mask))
      } else {
        // an older run's cache: that run's generation under the generation mask, reactive flows only
        const sel = reactiveSelector()
        for (const g of oldRuns) {
          pre.push(flowDeleteByCookie(makeCookie({ generation: g, stage: 0, subject: { reactive: 0 } }), generationMask() | sel.mask))
        }
      }
      const s = await this.send(pre)
      return { ...s, deleted: s.deleted + stale.length, unchanged: kept, ms: performance.now() - t0 }
    })
  }

  /** Send what changed since the last commit, in one atomic bundle. */
  async apply(): Promise<ApplyStats> {
    return await this.serial(async () => {
      const t0 = performance.now()
      const s = await this.send([])
      return { ...s, ms: performance.now() - t0 }
    })
  }

  private async send(pre: OfMessage[]): Promise<Omit<ApplyStats, 'ms'>> {
    const changes = this.desired.takeChanges()
    const msgs = [...pre, ...changes.messages]
    try {
      if (msgs.length > 0) await this.conn.bundle(msgs)
    } catch (err) {
      changes.done(false)
      throw err
    }
    changes.done(true)
    return { added: changes.added, deleted: changes.deleted, unchanged: this.desired.size - changes.added }
  }

  private async serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn)
    this.queue = run.catch(() => undefined)
    return await run
  }
}
