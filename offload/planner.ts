// The offload planner: for a node's pipeline entries and a hardware profile, decide per stage whether it runs on
// the target or stays in the WASM pipeline, how many of its entries fit, what a miss costs, and why.
//
// It only asks what the profile declares (match fields, actions, tunnels, table kinds and capacities, lookup
// budget, punt path); it never branches on a profile's or vendor's name (CONVENTIONS.md 4). Stages come from
// STAGES (datapath/spec/stages.ts); their needs from offload/stage-needs.ts.
//
// A stage that does not fit whole gets an exact-match cache on the target filled reactively from the WASM slow
// path (DESIGN.md "Hardware profiles": Dragonflow's hybrid proactive/reactive idea applied to NIC table limits).
import type { Entry, Topology } from '../datapath/host/entries.js'
import { STAGES, type StageDecl } from '../datapath/spec/stages.js'
import { cacheMissShare, type TrafficModel } from './miss-share.js'
import { type CtToSoftware, type Profile, type TableClass, type TableKind, type TunnelType, describeQuantity } from './profile.js'
import { type AclCount, countAcl, countRules, type RuleCount } from './rule-count.js'
import { type Capabilities, matchKindOf, stageNeeds, type StageNeeds } from './stage-needs.js'
import { type NatReport, natReport } from './nat-report.js'

export type Placement = 'target' | 'software' | 'reactive-cache'

export interface StagePlan {
  id: number
  stage: string
  placement: Placement
  /** pipeline entries of the stage */
  entries: number
  /** target rules the whole stage needs */
  rules: number
  /** rules actually placed on the target (the cache size for a reactive cache) */
  rulesOnTarget: number
  /** table class used on the target */
  table?: string
  /** capacity of the table (or of what is left of a shared pool) when the stage was placed */
  capacity?: number | 'unbounded' | 'to be measured'
  /** false when a capacity the decision relied on is still to be measured */
  verified: boolean
  onMiss: string
  /** Share of the packets that reach this stage which the WASM slow path handles, in steady state. */
  slowPathShare: number
  /** Traffic classes of a stage on the target that still go to software (the target lacks what they need). */
  softwareTraffic: string[]
  why: string[]
}

export interface Plan {
  profile: string
  summary: string
  forwarding: string
  insertRate: string
  stages: StagePlan[]
  rulesOnTarget: number
  /** seconds to install the proactive rules, when the profile's insertion rate is a known figure */
  installSeconds?: number
  /** Share of all forwarded packets that leave the target, from the stages every packet goes through. */
  everyPacketSlowPathShare: number
  /** Security-group flows per port, per group and in total (absent without acl_port entries). */
  acl?: AclReport
  /** Which NAT this profile can hold (absent without nat / router_gateway entries). */
  nat?: NatReport
  assumptions: string[]
}

export interface AclReport extends AclCount {
  /** the profile's limits, in words ('none' when it sets none) */
  limits: { maxFlows: string; maxFlowsPerPort: string }
}

/** A rule set past a limit the profile sets (acl.maxFlows, acl.maxFlowsPerPort): the plan is refused. */
export class AclLimitError extends Error {
  constructor(
    readonly profile: string,
    readonly limit: 'maxFlows' | 'maxFlowsPerPort',
    message: string,
  ) {
    super(`security groups do not fit ${profile}: ${message}`)
    this.name = 'AclLimitError'
  }
}

export interface PlanOptions {
  /** encapsulation between chassis; default vxlan */
  tunnel?: TunnelType
  /** key popularity for reactive caches; default uniform */
  traffic?: TrafficModel
}

/** Table kinds that can serve a stage's match kind (a ternary table with priorities also does LPM). */
const SERVES: Record<TableKind, TableKind[]> = {
  exact: ['exact', 'ternary'],
  ternary: ['ternary'],
  lpm: ['lpm', 'ternary'],
}

interface ClassUse {
  tables: number
  pool: number
}

export function planOffload(input: Topology | Entry[], profile: Profile, opts: PlanOptions = {}): Plan {
  const entries = Array.isArray(input) ? input : input.entries
  const tunnel = opts.tunnel ?? 'vxlan'
  const traffic = opts.traffic ?? { distribution: 'uniform' }
  const use = new Map<string, ClassUse>()
  const placed = new Map<number, Placement>()
  let lookups = 0
  const present: ReadonlySet<string> = new Set(entries.map(e => e.stage))
  let leftAt: string | undefined
  const stages: StagePlan[] = []

  for (const stage of STAGES) {
    const needs = stageNeeds(stage.id, entries, { tunnel })
    const count = countRules(stage, entries)
    const plan: StagePlan = {
      id: stage.id,
      stage: stage.name,
      placement: 'software',
      entries: count.entries,
      rules: count.rules,
      rulesOnTarget: 0,
      verified: true,
      onMiss: '',
      slowPathShare: 1,
      softwareTraffic: [],
      why: [],
    }
    const stays = staysInSoftware(stage, needs, count.entries, { profile, leftAt, placed, lookups, present })
    if (stays !== undefined) {
      plan.why.push(stays)
    } else if (isPassThrough(needs, count.entries)) {
      // nothing to match and nothing to do (security-group stages without security groups): no table, no lookup
      plan.placement = 'target'
      plan.slowPathShare = 0
      plan.why.push(needs.passThrough ?? 'no entries: the stage passes every packet on, without a table')
    } else {
      for (const part of needs.partial) {
        const lacks = missingCapabilities(part, profile)
        if (lacks.length === 0) continue
        plan.softwareTraffic.push(part.traffic)
        plan.why.push(`software for ${part.traffic}: the target lacks ${lacks.join(', ')}`)
      }
      for (const traffic of needs.alwaysSoftware ?? []) {
        plan.softwareTraffic.push(traffic)
        plan.why.push(`software for ${traffic}: no target can do it`)
      }
      if (needs.conntrack !== undefined) conntrackTraffic(plan, needs.conntrack, profile)
      placeOnTable(plan, stage, count, profile, use, traffic)
      if (plan.placement !== 'software') lookups += lookupsOf(stage, present)
      const lb = profile.tables.lookupBudget
      if (plan.placement !== 'software' && lb.measure !== undefined) {
        plan.verified = false
        plan.why.push(`the lookup budget is to be measured (${lb.measure}): ${lookups} ${lb.unit} assumed available`)
      }
    }
    placed.set(stage.id, plan.placement)
    if (plan.placement === 'software' && needs.everyPacket && leftAt === undefined && profile.punt.via !== 'none') {
      leftAt = stage.name
    }
    plan.onMiss = describeMiss(stage, plan.placement, profile)
    stages.push(plan)
  }

  const rulesOnTarget = stages.reduce((n, s) => n + s.rulesOnTarget, 0)
  const keep = stages.filter(s => stageNeeds(s.id, entries, { tunnel }).everyPacket).reduce((p, s) => p * (1 - s.slowPathShare), 1)
  const plan: Plan = {
    profile: profile.id,
    summary: profile.summary,
    forwarding: `${describeQuantity(profile.forwarding.mpps64B)} at 64 B`,
    insertRate: describeQuantity(profile.insertRate),
    stages,
    rulesOnTarget,
    everyPacketSlowPathShare: 1 - keep,
    assumptions: [
      `tunnel encapsulation between chassis: ${tunnel}`,
      traffic.distribution === 'uniform'
        ? 'reactive caches: keys equally popular, so a cache of C entries for N keys misses 1 - C/N of lookups'
        : `reactive caches: Zipf(s=${traffic.s}) key popularity, hit ratio of the C most popular keys (upper bound)`,
      'rule counts are per stage as a one-table-per-stage target lays them out; megaflow targets hold traffic-driven entries instead (HARDWARE-FACTS.md §1.1)',
      'slowPathShare of a stage is the share of the packets reaching that stage that the WASM slow path handles',
    ],
  }
  const rate = profile.insertRate.value
  if (rate !== undefined && rate > 0) plan.installSeconds = rulesOnTarget / rate
  if (entries.some(e => e.stage === 'acl_port')) {
    plan.acl = aclReport(countAcl(entries), profile)
    plan.assumptions.push(`security-group flows counted as a conjunctive-match target lays them out: ${plan.acl.counted}`)
  }
  if (entries.some(e => e.stage === 'nat' || e.stage === 'router_gateway')) plan.nat = natReport(entries, stages, profile)
  return plan
}

function aclReport(count: AclCount, profile: Profile): AclReport {
  const maxFlows = profile.acl?.maxFlows
  const perPort = profile.acl?.maxFlowsPerPort
  const report: AclReport = {
    ...count,
    limits: {
      maxFlows: maxFlows !== undefined ? describeQuantity(maxFlows) : 'none',
      maxFlowsPerPort: perPort !== undefined ? describeQuantity(perPort) : 'none',
    },
  }
  const groupWords = (g: AclCount['groups'][number]): string =>
    `group ${g.group} (${g.direction}: ${g.flows} flows for ${g.rules} rule(s) on ${g.ports} port(s))`
  const byFlows = [...count.groups].sort((a, b) => b.flows - a.flows)
  const portLimit = perPort?.value
  if (portLimit !== undefined) {
    const perPortTotal = new Map<number, number>()
    for (const p of count.ports) perPortTotal.set(p.port, (perPortTotal.get(p.port) ?? 0) + p.flows)
    const over = [...perPortTotal].filter(([, n]) => n > portLimit).sort((a, b) => b[1] - a[1])
    const worst = over[0]
    if (worst !== undefined) {
      const [port, flows] = worst
      const groups = byFlows.filter(g =>
        count.ports.some(p => p.port === port && p.direction === g.direction && p.groups.includes(g.group)),
      )
      throw new AclLimitError(
        profile.id,
        'maxFlowsPerPort',
        `port ${port} needs ${flows} security-group flows, more than acl.maxFlowsPerPort (${portLimit})` +
          `${over.length > 1 ? ` (and ${over.length - 1} other port(s) too)` : ''}; largest: ${groups.slice(0, 3).map(groupWords).join(', ')}`,
      )
    }
  }
  const limit = maxFlows?.value
  if (limit !== undefined && count.total > limit) {
    throw new AclLimitError(
      profile.id,
      'maxFlows',
      `${count.total} security-group flows in total, more than acl.maxFlows (${limit}); largest: ${byFlows.slice(0, 3).map(groupWords).join(', ')}`,
    )
  }
  return report
}

/**
 * What of a security-group stage stays in software because of how the profile tracks connections: with
 * established-offload the software path decides and commits new connections (and whatever else the profile
 * lists), the target forwards the established ones.
 */
function conntrackTraffic(plan: StagePlan, need: 'lookup' | 'commit', profile: Profile): void {
  const ct = profile.conntrack
  if (ct.mode !== 'established-offload') return
  const words: Record<CtToSoftware, string> = {
    new:
      need === 'commit'
        ? 'new connections (the rules decide and the software path commits)'
        : "new connections (not in the target's table)",
    tcp_syn: 'TCP SYN',
    tcp_fin: 'TCP FIN',
    tcp_rst: 'TCP RST',
    invalid: 'invalid packets',
    related: 'related packets (ICMP errors)',
    other_protocols: `connections other than ${(ct.protocols ?? []).join(' / ')}`,
    udp_one_way: 'UDP before its first reply',
  }
  const classes = (ct.toSoftware ?? []).filter(x => need === 'lookup' || x === 'new')
  for (const c of classes) plan.softwareTraffic.push(words[c])
  if (classes.length > 0)
    plan.why.push(
      `connection tracking on the target holds established ${(ct.protocols ?? []).join(' / ')} connections only; software for ${classes.map(c => words[c]).join(', ')}`,
    )
}

/** One lookup per entry table the stage reads (l3 route reads router ports, then routes). */
const isPassThrough = (needs: StageNeeds, entries: number): boolean =>
  needs.passThrough !== undefined ||
  (entries === 0 && needs.match.length === 0 && needs.actions.length === 0 && needs.softwareOnly === undefined)

// An ACL stage's dimensions (port, remote address, l4 term) are independent lookups made side by side, then the
// conjunction decides: two dependent lookups however many tables it reads.
/** Lookups a stage costs: one per entry table it reads that this node has entries in (at least one; the ACL
 * stages two). A table with no entries here (no uplink on a node without provider networks) costs nothing. */
function lookupsOf(stage: StageDecl, present: ReadonlySet<string>): number {
  if (stage.tables.includes('acl_rule')) return 2
  return Math.max(1, stage.tables.split(',').filter(t => present.has(t)).length)
}

interface PlanState {
  profile: Profile
  leftAt: string | undefined
  placed: Map<number, Placement>
  lookups: number
  present: ReadonlySet<string>
}

/** Why a stage stays whole in software, or undefined when it may go to the target. */
function staysInSoftware(stage: StageDecl, needs: StageNeeds, entries: number, s: PlanState): string | undefined {
  const feeder = needs.fedBy !== undefined ? STAGES[needs.fedBy] : undefined
  const missing = missingCapabilities(needs, s.profile)
  const budget = s.profile.tables.lookupBudget.value
  if (s.profile.punt.via === 'none') return 'the profile has no slower path to punt to: the WASM pipeline is the datapath'
  if (needs.softwareOnly !== undefined && entries > 0) return needs.softwareOnly
  if (s.leftAt !== undefined) return `every packet already left the target at ${s.leftAt}`
  if (feeder !== undefined && s.placed.get(feeder.id) === 'software')
    return `its packets come only from ${feeder.name}, which stays in software`
  if (missing.length > 0) return `the target lacks ${missing.join(', ')}`
  if (budget !== undefined && s.lookups + lookupsOf(stage, s.present) > budget) {
    return (
      `${lookupsOf(stage, s.present)} more lookup(s) would exceed the target's budget of ${budget} ` +
      `${s.profile.tables.lookupBudget.unit} (${s.lookups} used)`
    )
  }
  return undefined
}

/** Capabilities a stage needs that the profile does not declare, in words. */
function missingCapabilities(needs: Capabilities, profile: Profile): string[] {
  const out: string[] = []
  const fields = needs.match.filter(f => !profile.match.fields.includes(f))
  if (fields.length > 0) out.push(`match on ${fields.join(', ')}`)
  for (const a of needs.actions) {
    const anyOf = Array.isArray(a) ? a : [a]
    if (!anyOf.some(x => profile.actions.supported.includes(x))) out.push(`action ${anyOf.join(' or ')}`)
  }
  if (needs.conntrack !== undefined && profile.conntrack.mode === 'none') out.push('connection tracking')
  if (needs.encap !== undefined && !profile.tunnels.encap.includes(needs.encap)) out.push(`${needs.encap} encapsulation`)
  if (needs.decap !== undefined && !profile.tunnels.decap.includes(needs.decap)) out.push(`${needs.decap} decapsulation`)
  const max = profile.actions.maxActionsPerEntry.value
  if (needs.actionCount !== undefined && max !== undefined && needs.actionCount > max) {
    out.push(`${needs.actionCount} actions in one entry (at most ${max})`)
  }
  return out
}

/** Chooses a table class for the stage and decides whole / reactive cache / software from its capacity. */
function placeOnTable(
  plan: StagePlan,
  stage: StageDecl,
  count: RuleCount,
  profile: Profile,
  use: Map<string, ClassUse>,
  traffic: TrafficModel,
): void {
  const kind = matchKindOf(stage)
  const free = profile.tables.classes.filter(c => c.kinds.some(k => SERVES[kind].includes(k)) && hasFreeTable(c, use))
  if (free.length === 0) {
    plan.why.push(
      `no free table that can do ${kind} matching (classes: ${profile.tables.classes.map(c => `${c.name} [${c.kinds.join('/')}]`).join(', ')})`,
    )
    return
  }
  const chosen = free.find(c => room(c, use) >= plan.rules) ?? free[0]
  if (chosen === undefined) return // not reached: free is not empty (checked above)
  const u = use.get(chosen.name) ?? { tables: 0, pool: 0 }
  use.set(chosen.name, u)
  plan.table = chosen.name
  const capacity = chosen.capacity
  const kindWhy = `${kind} match (keys ${stage.keys}) in table class ${chosen.name} [${chosen.kinds.join('/')}]`

  if (capacity.value === undefined) {
    u.tables++
    plan.placement = 'target'
    plan.rulesOnTarget = plan.rules
    plan.slowPathShare = 0
    if (capacity.unbounded !== undefined) {
      plan.capacity = 'unbounded'
      plan.why.push(`${kindWhy}, capacity unbounded (${capacity.unbounded})`)
    } else {
      plan.capacity = 'to be measured'
      plan.verified = false
      plan.why.push(`${kindWhy}; capacity is to be measured (${capacity.measure}): assumed to fit, unverified`)
    }
    return
  }
  const avail = room(chosen, use)
  plan.capacity = avail
  if (plan.rules <= avail) {
    u.tables++
    u.pool += plan.rules
    plan.placement = 'target'
    plan.rulesOnTarget = plan.rules
    plan.slowPathShare = 0
    plan.why.push(`${kindWhy}: ${plan.rules} rule(s) fit in ${avail}`)
    return
  }
  // A cache keeps the fixed rules (flood) and as many keys as the rest of the table holds, each key with the
  // rules it needs (port_sec keys need several).
  const perKey = count.keys > 0 ? (count.rules - count.fixed) / count.keys : 1
  const cachedKeys = Math.floor((avail - count.fixed) / perKey)
  if (cachedKeys > 0 && count.keys > 0) {
    u.tables++
    u.pool += avail
    plan.placement = 'reactive-cache'
    plan.rulesOnTarget = avail
    plan.slowPathShare = cacheMissShare(cachedKeys, count.keys, traffic)
    plan.why.push(
      `${kindWhy}: ${plan.rules} rule(s) do not fit in ${avail}, so the target holds an exact-match ` +
        `cache of ${cachedKeys} of ${count.keys} key(s)${count.fixed > 0 ? ` plus ${count.fixed} fixed rule(s)` : ''}, ` +
        `filled from the slow path; expected miss share ${(plan.slowPathShare * 100).toFixed(1)}%`,
    )
    return
  }
  plan.why.push(`${kindWhy}: no capacity left (${chosen.shared ? 'shared pool used up by earlier stages' : 'table size 0'})`)
}

function hasFreeTable(c: TableClass, use: Map<string, ClassUse>): boolean {
  const taken = use.get(c.name)?.tables ?? 0
  if (c.shared) return room(c, use) > 0
  return c.count.value === undefined || taken < c.count.value
}

/** Entries still available to one more stage in this class. */
function room(c: TableClass, use: Map<string, ClassUse>): number {
  const cap = c.capacity.value
  if (cap === undefined) return Number.POSITIVE_INFINITY
  return c.shared ? Math.max(0, cap - (use.get(c.name)?.pool ?? 0)) : cap
}

/** What a lookup miss does for this stage once placed (stages.ts `miss`, and where it happens). */
function describeMiss(stage: StageDecl, placement: Placement, profile: Profile): string {
  const [what, reason] = stage.miss.split(' ')
  if (placement === 'software') return `in WASM: ${stage.miss}`
  if (placement === 'reactive-cache') {
    return (
      'punt to the WASM slow path, which answers the packet and installs an exact-match entry for its key ' +
      '(evicting the least recently used when the cache is full)'
    )
  }
  if (what === 'punt') {
    return profile.punt.via === 'action'
      ? `punt ${reason} to the WASM slow path (target punt action)`
      : `not installed on the target: falls through to software (${reason})`
  }
  if (what === 'drop') return `drop ${reason} on the target`
  if (what === 'continue') return 'continue to the next stage on the target'
  return `${stage.miss} on the target`
}
