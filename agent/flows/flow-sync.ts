// Desired-vs-installed flows on one switch. Flows are keyed by (table, priority, match) (flow-key.ts); a flow
// whose cookie or instructions differ is re-sent as OFPFC_ADD, which replaces it in place (OpenFlow 1.3.5 §6.4:
// an ADD with an identical match and priority overwrites; OFPFC_MODIFY would keep the old cookie on 1.3). Each
// apply is one ONF bundle with the atomic flag: the switch takes all of it or none, so a packet never sees half
// an update.
//
// On (re)connect or restart, resync() dumps the switch's flows (OFPMP_FLOW) and diffs against them: what is
// already right stays untouched, what differs is replaced, and only flows nobody wants any more are deleted
// (DELETE_STRICT, then a delete by cookie of each older generation as a safety net). Nothing is flushed, so
// traffic that flows through existing entries never stops.
//
// Reactive flows (layout.ts cookie X bit: installed by the slow path with an idle timeout, agent/controller/
// reactive-l3.ts) are not desired flows: apply() never sees them (they are not in `installed`), so the diff
// leaves them alone while they live. resync() keeps those of the current generation when the caller vouches for
// them (`keepReactive`: same process, no routing change missed while disconnected); otherwise, and always for
// older generations (an agent restart), it deletes them in its bundle, and the next packet-ins cache them again.
import {
  OFPFC_ADD, OFPFC_DELETE_STRICT, OFPG_ANY, OFPP_ANY, OFPTT_ALL, flowDeleteByCookie, flowMod,
  type FlowMod, type FlowStats, type Instruction, type OfConnection, type OfMessage, type Oxm,
} from '../openflow/index.js'
import type { Flow } from '../../offload/openflow/flow.js'
import { generationMask, isReactiveCookie, makeCookie, parseCookie, reactiveSelector } from '../../offload/openflow/layout.js'
import { encodeInstructions, encodeMatch } from './flow-encoder.js'
import { instructionsKey, matchKey } from './flow-key.js'

export interface InstalledFlow {
  table: number
  priority: number
  cookie: bigint
  match: Oxm[]
  instructions: Instruction[]
  /** instructionsKey(instructions) */
  does: string
}

export interface ApplyStats {
  added: number
  deleted: number
  unchanged: number
  ms: number
}

/** A desired flow in the switch's terms. */
export function toInstalled (f: Flow): InstalledFlow {
  const instructions = encodeInstructions(f)
  return { table: f.table, priority: f.priority, cookie: f.cookie, match: encodeMatch(f.match), instructions, does: instructionsKey(instructions) }
}

function fromStats (s: FlowStats): InstalledFlow {
  return { table: s.tableId, priority: s.priority, cookie: s.cookie, match: s.match, instructions: s.instructions, does: instructionsKey(s.instructions) }
}

const keyOf = (f: InstalledFlow): string => matchKey(f.table, f.priority, f.match)

export class FlowSync {
  /** What the switch holds, as far as we know (exact after resync, then kept up to date by apply). */
  readonly installed = new Map<string, InstalledFlow>()
  private queue: Promise<unknown> = Promise.resolve()

  constructor (private readonly conn: OfConnection) {}

  /** Every flow on the switch, all tables (multipart replies joined by the connection). */
  async dump (): Promise<FlowStats[]> {
    const reply = await this.conn.request({
      type: 'OFPT_MULTIPART_REQUEST', flags: 0,
      body: { mpType: 'OFPMP_FLOW', tableId: OFPTT_ALL, outPort: OFPP_ANY, outGroup: OFPG_ANY, cookie: 0n, cookieMask: 0n, match: [] },
    }, 60_000)
    if (reply.type !== 'OFPT_MULTIPART_REPLY' || reply.body.mpType !== 'OFPMP_FLOW') throw new Error(`flow dump: unexpected ${reply.type}`)
    return reply.body.flows
  }

  /** Read the switch's flows, then bring them to `desired` (see the header). */
  async resync (desired: readonly Flow[], generation: number, opts: { keepReactive?: boolean } = {}): Promise<ApplyStats> {
    return await this.serial(async () => {
      const flows = await this.dump()
      this.installed.clear()
      const oldGenerations = new Set<number>()
      let reactive = false
      for (const s of flows) {
        const g = parseCookie(s.cookie).generation
        if (g !== generation) oldGenerations.add(g) // reactive ones too: the generation delete takes them
        if (isReactiveCookie(s.cookie)) { reactive = true; continue }
        const f = fromStats(s)
        this.installed.set(keyOf(f), f)
      }
      return await this.applyNow(desired, [...oldGenerations], reactive && opts.keepReactive !== true)
    })
  }

  /** Bring the switch from what is installed to `desired` in one atomic bundle. */
  async apply (desired: readonly Flow[]): Promise<ApplyStats> {
    return await this.serial(async () => await this.applyNow(desired, []))
  }

  private async serial<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn)
    this.queue = run.catch(() => undefined)
    return await run
  }

  private async applyNow (desired: readonly Flow[], staleGenerations: number[], flushReactive = false): Promise<ApplyStats> {
    const t0 = performance.now()
    const want = new Map<string, InstalledFlow>()
    for (const f of desired) {
      const i = toInstalled(f)
      want.set(keyOf(i), i)
    }
    const msgs: OfMessage[] = []
    const adds: [string, InstalledFlow][] = []
    const dels: string[] = []
    let unchanged = 0
    // deletes first: should two keys ever name one switch flow, the add still wins (the bundle is atomic anyway)
    for (const [k, f] of this.installed) {
      if (want.has(k)) continue
      msgs.push(flowMod(OFPFC_DELETE_STRICT, { tableId: f.table, priority: f.priority, match: f.match }))
      dels.push(k)
    }
    for (const [k, f] of want) {
      const have = this.installed.get(k)
      if (have !== undefined && have.cookie === f.cookie && have.does === f.does) { unchanged++; continue }
      msgs.push(flowMod(OFPFC_ADD, { tableId: f.table, priority: f.priority, cookie: f.cookie, match: f.match, instructions: f.instructions }))
      adds.push([k, f])
    }
    for (const g of staleGenerations) {
      // the generation alone under its mask (layout.ts owns the bit positions)
      const m: FlowMod = flowDeleteByCookie(makeCookie({ generation: g, stage: 0, subject: { key: 0 } }), generationMask())
      msgs.push(m)
    }
    if (flushReactive) {
      const sel = reactiveSelector()
      msgs.push(flowDeleteByCookie(sel.cookie, sel.mask))
    }
    if (msgs.length > 0) await this.conn.bundle(msgs)
    for (const [k, f] of adds) this.installed.set(k, f)
    for (const k of dels) this.installed.delete(k)
    return { added: adds.length, deleted: dels.length, unchanged, ms: performance.now() - t0 }
  }
}
