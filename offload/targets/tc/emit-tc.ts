// TC flower emitter: pipeline entries -> flower rules in one shared block, one chain per (stage, context)
// (tc-context.ts), implementing datapath/BEHAVIOUR.md as far as TC can. Stages the planner keeps in software
// for the profile, and traffic the profile cannot handle, are trapped (TC_ACT_TRAP) to the WASM pipeline,
// which then decides the frame from its start (the software datapath re-runs a trapped frame, as an OVS upcall
// does). Capabilities come from the profile, never its name (CONVENTIONS.md 4).
//
// What TC does not do here (each is a trap, so the WASM pipeline answers): the ARP responder and neighbour
// advertisements (set(arp), ND rewrites are not offloadable, HARDWARE-FACTS.md §1.2), DHCP (a new frame), ICMP
// echo to a router address (set(icmp)), TTL expiry and route misses (ICMP errors are new frames), unresolved next
// hops; new connections and TCP state changes of ports with stateful security groups (tc-acl-rules.ts: the
// target holds established connections only). Malformed-frame validation (BEHAVIOUR.md §1) is not a TC function: see known-gaps.ts.
import type { Entry } from '../../../datapath/host/entries.js'
import {
  STAGE_ARP_ND_RSP,
  STAGE_CLASSIFY,
  STAGE_DHCP,
  STAGE_EGRESS,
  STAGE_L2_LOOKUP,
  STAGE_L3_ROUTE,
  STAGE_NEXTHOP,
  STAGE_PORT_SEC,
  STAGES,
  STAGE_IN_CT,
  STAGE_IN_ACL,
  STAGE_OUT_CT,
  STAGE_OUT_ACL,
  STAGE_DNAT,
  STAGE_SNAT,
} from '../../../datapath/spec/stages.js'
import { planOffload } from '../../planner.js'
import type { MatchField, Profile } from '../../profile.js'
import type { FlowerRule, TcProgram } from './flower-rule.js'
import { ChainTable, EntryIndex, type PathContext, type RuleSink } from './tc-context.js'
import { classifyRules, portSecRules } from './tc-ingress-rules.js'
import { arpNdRules, dhcpRules } from './tc-trap-rules.js'
import { nexthopRules, routeRules } from './tc-route-rules.js'
import { egressRules, l2Rules } from './tc-l2-rules.js'
import { inAclRules, inCtRules, outAclRules, outCtRules } from './tc-acl-rules.js'
import { dnatRules, snatRules } from './tc-nat-rules.js'

export interface TcEmitOptions {
  /** encapsulation between chassis; default vxlan (as the planner) */
  tunnel?: 'vxlan' | 'geneve'
  /** the tunnel netdev's OpenFlow port (frames given with tunnel_key arrive there) */
  tunnelOfport?: number
}

/** What a stage's rule maker gets: entries, chains, the profile's capabilities, what stays in software. */
export interface StageEnv {
  idx: EntryIndex
  chains: ChainTable
  profile: Profile
  software: Set<number>
  tunnel: 'vxlan' | 'geneve'
}

type StageRules = (env: StageEnv, ctx: PathContext, sink: RuleSink) => void

const MAKERS = new Map<number, StageRules>([
  [STAGE_PORT_SEC, portSecRules],
  [STAGE_ARP_ND_RSP, arpNdRules],
  [STAGE_DHCP, dhcpRules],
  [STAGE_IN_CT, inCtRules],
  [STAGE_IN_ACL, inAclRules],
  [STAGE_DNAT, dnatRules],
  [STAGE_SNAT, snatRules],
  [STAGE_L3_ROUTE, routeRules],
  [STAGE_NEXTHOP, nexthopRules],
  [STAGE_L2_LOOKUP, l2Rules],
  [STAGE_OUT_CT, outCtRules],
  [STAGE_OUT_ACL, outAclRules],
  [STAGE_EGRESS, egressRules],
])

export function emitTc(entries: Entry[], profile: Profile, opts: TcEmitOptions = {}): TcProgram {
  const tunnel = opts.tunnel ?? 'vxlan'
  const plan = planOffload(entries, profile, { tunnel })
  const env: StageEnv = {
    idx: new EntryIndex(entries),
    chains: new ChainTable(),
    profile,
    tunnel,
    software: new Set(plan.stages.filter(s => s.placement === 'software').map(s => s.id)),
  }
  const rules: FlowerRule[] = []
  const sinkFor =
    (chain: number, stage: number): RuleSink =>
    r =>
      rules.push({ ...r, chain, stage: STAGES[stage]?.name ?? String(stage) })
  classifyRules(env, sinkFor(0, STAGE_CLASSIFY))
  for (let next = env.chains.take(); next !== undefined; next = env.chains.take()) {
    const maker = MAKERS.get(next.stage)
    if (maker === undefined) throw new Error(`no TC rule maker for stage ${STAGES[next.stage]?.name}`)
    maker(env, next.ctx, sinkFor(next.chain, next.stage))
  }
  rules.sort((a, b) => a.chain - b.chain || a.prio - b.prio)
  return { rules, chains: env.chains.names, tunnel, ...(opts.tunnelOfport !== undefined ? { tunnelOfport: opts.tunnelOfport } : {}) }
}

/** Whether the planner keeps `stage` in software for this profile. */
export const inSoftware = (env: StageEnv, stage: number): boolean => env.software.has(stage)

/** Whether the profile can match every one of these fields (to select the traffic a rule traps). */
export const canMatch = (env: StageEnv, fields: MatchField[]): boolean => fields.every(f => env.profile.match.fields.includes(f))
