// Shared by the per-stage flow makers: entries grouped by table, the builder for a stage, small helpers.
import type { Entry } from '../../../datapath/host/entries.js'
import { FlowBuilder } from '../builder.js'
import type { Flow } from '../flow.js'
import { Key, OfPort } from '../values.js'

export const isV6 = (text: string): boolean => text.includes(':')

/** Entries grouped by their table, and a builder for a stage's flows. */

export class Context {
  readonly byStage = new Map<string, Entry[]>()
  constructor(entries: Entry[], readonly generation: number, readonly tunnelOfport: number | undefined) {
    for (const e of entries) {
      const list = this.byStage.get(e.stage) ?? []
      list.push(e)
      this.byStage.set(e.stage, list)
    }
  }
  of<T extends Entry>(stage: T['stage']): T[] {
    return (this.byStage.get(stage) ?? []) as T[] // entries are grouped by their `stage` tag just above
  }
  flow(stage: number): FlowBuilder {
    return FlowBuilder.forStage(stage, { generation: this.generation })
  }
  tunnelPort(why: string): OfPort {
    if (this.tunnelOfport === undefined) throw new Error(`${why} needs EmitOptions.tunnelOfport (a flow-based tunnel port)`)
    return OfPort.of(this.tunnelOfport)
  }
}

export const key = (n: number): Key => Key.of(n)

/** Several entries can yield the same catch-all flow (one bad_vlan flow per in_port): keep the first. */

export function dedupe(flows: Flow[]): Flow[] {
  const seen = new Set<string>()
  return flows.filter(f => {
    const k = `${f.table}/${f.priority}/${f.match.map(m => `${m.field}=${m.value}/${m.mask ?? ''}`).join(',')}`
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}
