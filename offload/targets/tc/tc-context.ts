// State the TC emitter threads between chains. Flower cannot match registers or metadata (HARDWARE-FACTS.md
// §1.2), so what the WASM pipeline keeps in registers (network, source port, routed) is encoded in the chain a
// rule jumps to: one chain per (stage, context), as OVS encodes recirculation state in the chain id (§1.1).
import type { Entry } from '../../../datapath/host/entries.js'
import { STAGES } from '../../../datapath/spec/stages.js'
import type { FlowerRule } from './flower-rule.js'

export interface PathContext {
  network: number
  /** source port key; 0 for decapsulated and routed frames (no port security, no hairpin) */
  srcPort: number
  routed: boolean
  fromTunnel: boolean
  /** egress chains: the destination port key */
  dstPort?: number
  /** classified from the network's uplink (no source port; never flooded back to the uplink) */
  fromUplink?: boolean
  /** routed out of this router's gateway port: lr_out_snat applies after the next hop */
  snatRouter?: number | undefined
}

export const ctxName = (c: PathContext): string =>
  `net ${c.network}${c.srcPort > 0 ? ` port ${c.srcPort}` : ''}${c.routed ? ' routed' : ''}${c.fromTunnel ? ' tunnel' : ''}${c.fromUplink === true ? ' uplink' : ''}${c.snatRouter !== undefined ? ` snat router ${c.snatRouter}` : ''}${c.dstPort !== undefined ? ` to port ${c.dstPort}` : ''}`

/** Allocates chain ids; chain 0 is the entry chain (classify). */
export class ChainTable {
  readonly names = new Map<number, string>([[0, STAGES[0]?.name ?? 'classify']])
  private readonly ids = new Map<string, number>()
  private readonly pending: { chain: number; stage: number; ctx: PathContext }[] = []

  /** The chain of `stage` for `ctx`; the emitter fills it once (see take()). */
  chain(stage: number, ctx: PathContext): number {
    const name = `${STAGES[stage]?.name ?? stage} ${ctxName(ctx)}`
    let id = this.ids.get(name)
    if (id === undefined) {
      id = this.names.size
      this.ids.set(name, id)
      this.names.set(id, name)
      this.pending.push({ chain: id, stage, ctx })
    }
    return id
  }

  /** The next chain to fill, in allocation order. */
  take(): { chain: number; stage: number; ctx: PathContext } | undefined {
    return this.pending.shift()
  }
}

/** Entries grouped by table. */
export class EntryIndex {
  private readonly by = new Map<string, Entry[]>()
  constructor(entries: Entry[]) {
    for (const e of entries) this.by.set(e.stage, [...(this.by.get(e.stage) ?? []), e])
  }
  of<S extends Entry['stage']>(stage: S): Extract<Entry, { stage: S }>[] {
    return (this.by.get(stage) ?? []) as Extract<Entry, { stage: S }>[] // grouped by this very tag above
  }
}

export type RuleSink = (rule: Omit<FlowerRule, 'stage' | 'chain'>) => void
