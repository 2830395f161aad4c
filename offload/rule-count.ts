// How many target rules a stage's entries become, and how many distinct lookup keys they have (what an
// exact-match cache would have to hold). Counted the way a one-table-per-stage target lays them out; the
// OpenFlow emitter (offload/openflow/) produces the exact flows for OVS.
import type { Entry } from '../datapath/host/entries.js'
import type { StageDecl } from '../datapath/spec/stages.js'

export interface RuleCount {
  /** pipeline entries of the stage */
  entries: number
  /** target rules they need when the stage is placed whole */
  rules: number
  /** distinct exact lookup keys (the working set a reactive exact-match cache serves) */
  keys: number
  /** rules that do not belong to a key (per-network flood rules): a cache needs them too */
  fixed: number
}

export function countRules(stage: StageDecl, entries: Entry[]): RuleCount {
  const tables = stage.tables.split(',')
  const mine = entries.filter(e => tables.includes(e.stage))
  let rules = 0
  const networks = new Set<number>()
  for (const e of mine) {
    switch (e.stage) {
      case 'port_sec':
        // one MAC rule, then per allowed prefix one IP rule and one ARP rule (BEHAVIOUR.md §4)
        rules += e.disabled === true ? 1 : 1 + 2 * (e.ips?.length ?? 0)
        break
      case 'l2':
        networks.add(e.network)
        rules += 1
        break
      default:
        rules += 1
    }
  }
  // one flood rule per network (broadcast, multicast, unknown unicast)
  return { entries: mine.length, rules: rules + networks.size, keys: mine.length, fixed: networks.size }
}
