// How many target rules a stage's entries become, and how many distinct lookup keys they have (what an
// exact-match cache would have to hold). Counted the way a one-table-per-stage target lays them out; the
// OpenFlow emitter (offload/openflow/) produces the exact flows for OVS.
import type { Entry } from '../datapath/host/entries.js'
import { STAGE_DNAT, STAGE_IN_ACL, STAGE_OUT_ACL, STAGE_SNAT, type StageDecl } from '../datapath/spec/stages.js'

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
  if (tables.includes('acl_port')) return countSecurityStage(stage, mine)
  if (stage.id === STAGE_DNAT || stage.id === STAGE_SNAT) return countNatStage(stage, mine)
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

/**
 * NAT stages: per floating IP one rewrite rule (DNAT: per router port MAC of its router and one for the floating
 * IP's own MAC; SNAT: one per source) and one that sends its ICMP errors to software; SNAT adds per gateway one
 * rule for sources without a floating IP (no_snat drop or pass).
 */
function countNatStage(stage: StageDecl, mine: Entry[]): RuleCount {
  const nats = mine.filter(e => e.stage === 'nat')
  const gateways = mine.filter(e => e.stage === 'router_gateway').length
  const fixed = stage.id === STAGE_SNAT ? gateways : 0
  return { entries: nats.length, rules: 2 * nats.length + fixed, keys: nats.length, fixed }
}

/**
 * ct stages: one ct(zone) flow per port with stateful groups, plus the always-allowed classes; acl stages: the
 * conjunctive flows of their direction (countAcl). No keys: an ACL is not served by an exact-match cache (on
 * established-offload targets the connection table is that cache).
 */
function countSecurityStage(stage: StageDecl, mine: Entry[]): RuleCount {
  const ports = mine.filter(e => e.stage === 'acl_port')
  if (ports.length === 0) return { entries: mine.length, rules: 0, keys: 0, fixed: 0 }
  if (!stage.tables.includes('acl_rule')) {
    const stateful = ports.filter(e => e.stage === 'acl_port' && e.stateful).length
    return { entries: mine.length, rules: stateful + CT_FIXED_FLOWS, keys: 0, fixed: CT_FIXED_FLOWS }
  }
  const direction = stage.id === STAGE_IN_ACL ? 'egress' : 'ingress' // ls_in_acl: the source port's egress rules
  const flows = countAcl(mine)
    .groups.filter(g => g.direction === direction)
    .reduce((n, g) => n + g.flows, 0)
  return { entries: mine.length, rules: flows + aclFixedFlows(stage.id), keys: 0, fixed: aclFixedFlows(stage.id) }
}

// ---- security groups -------------------------------------------------------------------------------------
// Flows of the ACL stages as a conjunctive-match target lays them out (OpenFlow conjunction, as Neutron's OVS
// firewall and OVN do): a rule's conditions are independent dimensions, each a list of flows, and a packet
// matches the rule when it hits one flow of every dimension. So a rule with a remote group of M members on the
// N local ports of its group costs about M + N (+ the masked terms of its port range), not M x N.
//
// Counted per group G and direction (egress rules for ls_in_acl, ingress rules for ls_out_acl):
//   ports(G)      one flow per local enforced port of G, shared by every rule of G (its conj actions)
//   per rule r    remote terms (members of its remote group, 1 for a prefix, 0 for any)
//                 + l4 terms (the (value, mask) pairs covering [port_min, port_max]; 1 for an ICMP type/code)
//                 + 1 (the conj_id flow that allows)
//   a rule with neither remote nor l4 terms is one flow per port of G instead (a one-dimension rule)
// Nothing is shared between groups or between rules of a group beyond the port flows (an upper bound: identical
// member flows of two rules could carry both conj actions). Fixed flows per stage: ct states and the always-
// allowed classes (aclFixedFlows). Per port: the flows a packet of the port can meet = the sum over its groups.

/**
 * Fixed flows of an acl stage as offload/openflow/stages/acl-flows.ts emits them once any port is enforced
 * (counted from its output): the always-allowed classes of BEHAVIOUR.md (ls_out_acl also passes router
 * advertisements), the ct states (invalid, reply, blocked reply, related, blocked related), the misses.
 */
export const aclFixedFlows = (stageId: number): number => (stageId === STAGE_IN_ACL ? 19 : 20)
/** A ct stage: its table miss (non-IP and ports without stateful groups go on). */
const CT_FIXED_FLOWS = 1

/** The (value, mask) terms that cover [lo, hi] in a 16-bit field (a port range as masked matches). */
export function portMasks(lo: number, hi: number): { value: number; mask: number }[] {
  const out: { value: number; mask: number }[] = []
  let at = lo
  while (at <= hi) {
    let size = 1
    // the largest aligned block starting at `at` that stays inside [at, hi]
    while (size < 0x10000 && at % (size * 2) === 0 && at + size * 2 - 1 <= hi) size *= 2
    out.push({ value: at, mask: (0x10000 - size) & 0xffff })
    at += size
  }
  return out
}

export const maskedTerms = (lo: number, hi: number): number => portMasks(lo, hi).length

export interface AclGroupCount {
  group: number
  direction: 'ingress' | 'egress'
  /** enforced local ports of the group */
  ports: number
  rules: number
  flows: number
}

export interface AclPortCount {
  port: number
  direction: 'ingress' | 'egress'
  /** the port's groups with rules in this direction */
  groups: number[]
  flows: number
}

export interface AclCount {
  groups: AclGroupCount[]
  ports: AclPortCount[]
  /** every ACL flow of both directions, fixed flows included */
  total: number
  counted: string
}

const L4_PROTOCOLS = new Set([6, 17, 132, 136])

/** The l4 terms of one rule: masked port-range terms, 1 for an ICMP type/code, 0 without. */
function l4Terms(r: Extract<Entry, { stage: 'acl_rule' }>): number {
  if (r.protocol !== undefined && L4_PROTOCOLS.has(r.protocol) && (r.port_min !== undefined || r.port_max !== undefined)) {
    const lo = r.port_min ?? 0
    const hi = r.port_max ?? 0xffff
    return lo === 0 && hi === 0xffff ? 0 : maskedTerms(lo, hi)
  }
  return r.icmp_type !== undefined ? 1 : 0
}

export function countAcl(entries: Entry[]): AclCount {
  const portsOf = new Map<number, number[]>()
  const rulesOf = new Map<number, Extract<Entry, { stage: 'acl_rule' }>[]>()
  const members = new Map<number, number>()
  for (const e of entries) {
    if (e.stage === 'acl_port') for (const g of e.groups) portsOf.set(g, [...(portsOf.get(g) ?? []), e.port])
    else if (e.stage === 'acl_rule') rulesOf.set(e.group, [...(rulesOf.get(e.group) ?? []), e])
    else if (e.stage === 'acl_member') members.set(e.group, (members.get(e.group) ?? 0) + 1)
  }
  const groups: AclGroupCount[] = []
  for (const [group, ports] of portsOf) {
    for (const direction of ['egress', 'ingress'] as const) {
      const rules = (rulesOf.get(group) ?? []).filter(r => r.direction === direction)
      let flows = 0
      let shared = false
      for (const r of rules) {
        const remote = r.remote_group !== undefined ? (members.get(r.remote_group) ?? 0) : r.remote_prefix !== undefined ? 1 : 0
        // a rule naming an empty remote group matches nothing (BEHAVIOUR.md): no flow
        if (r.remote_group !== undefined && remote === 0) continue
        const terms = remote + l4Terms(r)
        if (terms === 0) flows += ports.length
        else {
          flows += terms + 1
          shared = true
        }
      }
      if (shared) flows += ports.length
      if (rules.length > 0) groups.push({ group, direction, ports: ports.length, rules: rules.length, flows })
    }
  }
  const ports: AclPortCount[] = []
  for (const e of entries) {
    if (e.stage !== 'acl_port') continue
    for (const direction of ['egress', 'ingress'] as const) {
      const mine = groups.filter(g => g.direction === direction && e.groups.includes(g.group))
      ports.push({ port: e.port, direction, groups: mine.map(g => g.group), flows: mine.reduce((n, g) => n + g.flows, 0) })
    }
  }
  const enforced = entries.some(e => e.stage === 'acl_port')
  const total = groups.reduce((n, g) => n + g.flows, 0) + (enforced ? aclFixedFlows(STAGE_IN_ACL) + aclFixedFlows(STAGE_OUT_ACL) : 0)
  return {
    groups,
    ports,
    total,
    counted:
      'conjunctive layout: per group, one flow per local port (shared by its rules) + per rule its remote terms ' +
      '(members or prefix) + its masked port-range / ICMP terms + 1 conj_id flow; a rule with neither is one flow per port; ' +
      `${aclFixedFlows(STAGE_IN_ACL)} + ${aclFixedFlows(STAGE_OUT_ACL)} fixed flows in the two ACL stages (ct states, always-allowed DHCP / ND / MLD, misses)`,
  }
}
