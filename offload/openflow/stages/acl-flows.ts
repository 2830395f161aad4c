// ls_in_ct, ls_in_acl, ls_out_ct, ls_out_acl: security groups (BEHAVIOUR.md "Security groups").
//
// ls_*_ct: IP from (in) / to (out) a local port with stateful groups: reg7 = this stage, then
//   ct(zone=reg0[0..15], table=ls_*_acl). Everything else goes on untouched (table miss).
// ls_*_acl, from the top:
//   ACL_ALWAYS            DHCP, DHCPv6, MLD, RS (RA inbound), NS/NA -> next, whatever the rules and ct say
//   ACL_CT_STATE          reg7 = this stage: +inv -> drop ct_invalid; +rpl, or +rel, with the blocked mark -> drop
//                         ct_blocked; +est+rpl or +rel, mark clear -> next
//   ACL_CONJ_COMMIT       conj_id = rule, reg7 = this stage, +new, or +est with the blocked mark -> ct(commit,
//                         mark allowed), next
//   ACL_CONJ_PASS         conj_id = rule -> next (established, mark clear; and every packet of a stateless port)
//   ACL_CONJUNCTION       the rules as conjunctive matches, one conjunction id per rule (layout.ts, AclIndex.conjId):
//                           clause 1: reg1 / reg2 = the port: one flow per port, one conjunction() per rule of
//                                     its groups
//                           clause 2: the remote: eth_type + nw_dst/src (ipv6_*) per member prefix, per
//                                     remote_prefix, or just eth_type for a rule with no remote; one flow per
//                                     distinct prefix, shared by every rule it serves
//                           clause 3: (rules with a protocol) ip_proto + a masked port piece or ICMP type/code;
//                                     one flow per distinct match
//                         so a rule with a remote group of M members on N local ports costs about M + N flows
//                         (shared), and a member joining a group changes one flow per acl stage.
//   ACL_MISS_ESTABLISHED  reg7 = this stage, +est (original direction), or +new with the committed mark (an open
//                         connection that has seen no reply, layout.ts CMT): ct(commit, mark refused), drop acl_deny
//   ACL_MISS              reg1 / reg2 = an enforced port, IPv4 or IPv6: drop acl_deny
//   TABLE_MISS            next (ports with no acl_port entry, remote destinations, non-IP)
//
// Conjunctive matches (ovs-fields(7) conj_id): every clause flow sits at one priority; flows of equal match are
// merged into one flow with several conjunction() actions (two flows with one match at one priority would be
// one OpenFlow flow); a packet matching two rules completes either conjunction, and both action flows do the
// same thing (rules only allow), so which one OVS picks only moves counters.
//
// Gaps against the WASM pipeline (reported, not silently different):
//   - ct_full: OVS's userspace conntrack refuses the commit when its table is full, and the packet goes on
//     (no OpenFlow flow sees the failure), where the WASM pipeline drops ct_full.
//   - A port range on UDP-Lite cannot be matched (OVS parses no UDP-Lite ports): such a rule allows nothing here.
//   - Tunnel traffic skips the in_* pair because reg1 is 0 for it (no acl_port has key 0), not by a flag match.
import type { AclPortEntry, AclRuleEntry } from '../../../datapath/host/entries.js'
import { STAGE_IN_ACL, STAGE_IN_CT, STAGE_OUT_ACL, STAGE_OUT_CT } from '../../../datapath/spec/stages.js'
import { REASON_ACL_DENY, REASON_CT_BLOCKED, REASON_CT_INVALID } from '../../../datapath/spec/verdicts.js'
import { act, type FlowBuilder } from '../builder.js'
import { ETH_TYPE_IPV4, ETH_TYPE_IPV6, IP_PROTO_ICMPV6, IP_PROTO_SCTP, IP_PROTO_TCP, IP_PROTO_UDP, NW_FRAG_LATER } from '../fields.js'
import type { Action, Flow } from '../flow.js'
import {
  CT_LOOKED_IN,
  CT_LOOKED_OUT,
  CT_MARK_ALLOWED,
  CT_MARK_REFUSED,
  REG_CT,
  REG_DST_PORT,
  REG_SRC_PORT,
  ctMarkBlocked,
  ctMarkClear,
  ctMarkCommitted,
} from '../layout.js'
import { Cidr } from '../../../datapath/host/addresses.js'
import { Bits, CtState, MATCH_PREFIX } from '../values.js'
import { type L4Piece, aclStageOf, anyPrefix, l4Key, l4Pieces } from './acl-index.js'
import { type Context, key } from './context.js'

const STAGES = [STAGE_IN_ACL, STAGE_OUT_ACL]
const FAMILIES = [4, 6] as const
const ethType = (family: 4 | 6): number => (family === 4 ? ETH_TYPE_IPV4 : ETH_TYPE_IPV6)

/** Per acl stage: its ct stage, the register naming the enforced port, reg7's value, where a pass goes. */
interface Side {
  ct: number
  port: typeof REG_SRC_PORT | typeof REG_DST_PORT
  looked: number
  next: number
  always: Always
}
/** DHCP / DHCPv6 (client -> server egress, server -> client ingress) and the ICMPv6 types BEHAVIOUR.md lists. */
interface Always {
  udp4: [number, number]
  udp6: [number, number]
  icmp6: number[]
}
const IN: Side = {
  ct: STAGE_IN_CT,
  port: REG_SRC_PORT,
  looked: CT_LOOKED_IN,
  next: STAGE_IN_ACL + 1,
  always: { udp4: [68, 67], udp6: [546, 547], icmp6: [130, 131, 132, 133, 135, 136, 143] },
}
const OUT: Side = {
  ct: STAGE_OUT_CT,
  port: REG_DST_PORT,
  looked: CT_LOOKED_OUT,
  next: STAGE_OUT_ACL + 1,
  always: { udp4: [67, 68], udp6: [547, 546], icmp6: [130, 131, 132, 133, 134, 135, 136, 143] },
}
const side = (stage: number): Side => (stage === STAGE_IN_ACL ? IN : OUT)

/** The ct and acl tables' table-miss flows: go on (no acl entry = not enforced). */
export function aclFixedFlows(c: Context): Flow[] {
  return [STAGE_IN_CT, STAGE_IN_ACL, STAGE_OUT_CT, STAGE_OUT_ACL].map(stage =>
    c
      .flow(stage)
      .priority('TABLE_MISS')
      .cookie({ key: 0 })
      .goto(stage + 1)
      .build(),
  )
}

/** Every security-group flow of the node, in the order the units would give them (emitter.ts). */
export function aclFlows(c: Context): Flow[] {
  return [
    ...aclFixedFlows(c),
    ...aclSharedFlows(c),
    ...c.of<AclPortEntry>('acl_port').flatMap(e => aclPortFlows(c, e)),
    ...c.of<AclRuleEntry>('acl_rule').flatMap(e => aclRuleFlows(c, e)),
    ...c.acl.remoteUnits().flatMap(([stage, prefix]) => aclRemoteFlows(c, stage, prefix)),
    ...c.acl.l4Units().flatMap(k => aclL4Flows(c, k)),
  ]
}

/** The flows every enforced port shares; none while no port is enforced (the table misses pass all then). */
export function aclSharedFlows(c: Context): Flow[] {
  if (c.acl.portCount === 0) return []
  return STAGES.flatMap(stage => {
    const { looked, next, always: a } = side(stage)
    const f = (): FlowBuilder => c.flow(stage)
    const always = (): FlowBuilder => f().priority('ACL_ALWAYS').cookie({ key: 0 })
    const tracked = (offset: number, subject: { key: number } | { reason: number }, state: CtState): FlowBuilder =>
      f().priority('ACL_CT_STATE', offset).cookie(subject).match(REG_CT, key(looked)).match('ct_state', state)
    return [
      always()
        .match('eth_type', ETH_TYPE_IPV4)
        .match('ip_proto', IP_PROTO_UDP)
        .match('udp_src', a.udp4[0])
        .match('udp_dst', a.udp4[1])
        .goto(next)
        .build(),
      always()
        .match('eth_type', ETH_TYPE_IPV6)
        .match('ip_proto', IP_PROTO_UDP)
        .match('udp_src', a.udp6[0])
        .match('udp_dst', a.udp6[1])
        .goto(next)
        .build(),
      ...a.icmp6.map(type =>
        always().match('eth_type', ETH_TYPE_IPV6).match('ip_proto', IP_PROTO_ICMPV6).match('icmpv6_type', type).goto(next).build(),
      ),
      tracked(3, { reason: REASON_CT_INVALID }, CtState.of({ trk: true, inv: true })).build(),
      // a reply or a related error (either direction: BEHAVIOUR.md rule 2 looks at no rule for them)
      tracked(2, { reason: REASON_CT_BLOCKED }, CtState.of({ trk: true, rpl: true }))
        .match('ct_mark', ctMarkBlocked())
        .build(),
      tracked(2, { reason: REASON_CT_BLOCKED }, CtState.of({ trk: true, rel: true, rpl: false }))
        .match('ct_mark', ctMarkBlocked())
        .build(),
      tracked(1, { key: 0 }, CtState.of({ trk: true, est: true, rpl: true }))
        .match('ct_mark', ctMarkClear())
        .goto(next)
        .build(),
      tracked(1, { key: 0 }, CtState.of({ trk: true, rel: true }))
        .match('ct_mark', ctMarkClear())
        .goto(next)
        .build(),
      // no rule allows a packet of an open connection in its original direction: block it (its replies drop
      // too). Open = +est, or +new on a connection an acl stage committed (layout.ts CMT: UDP before its reply,
      // or the destination's lookup of a connection the source's egress rules just committed)
      ...FAMILIES.flatMap(fam => {
        const miss = (): FlowBuilder =>
          f()
            .priority('ACL_MISS_ESTABLISHED')
            .cookie({ reason: REASON_ACL_DENY })
            .match('eth_type', ethType(fam))
            .match(REG_CT, key(looked))
        return [
          miss()
            .match('ct_state', CtState.of({ trk: true, est: true }))
            .apply(act.ctCommit(CT_MARK_REFUSED))
            .build(),
          miss()
            .match('ct_state', CtState.of({ trk: true, new: true }))
            .match('ct_mark', ctMarkCommitted())
            .apply(act.ctCommit(CT_MARK_REFUSED))
            .build(),
        ]
      }),
    ]
  })
}

/** Clauses of a rule: 2 (port, remote) or 3 (with the protocol); undefined when OpenFlow cannot match it. */
function clausesOf(r: AclRuleEntry): number | undefined {
  const pieces = l4Pieces(r)
  if (pieces === undefined) return 2
  return pieces.length === 0 ? undefined : 3
}

/** One clause's conjunction() actions for `rules`, one per rule, in id order (the flow must not depend on entry order). */
function conjunctions(c: Context, rules: AclRuleEntry[], clause: number): Action[] {
  const byId = new Map<number, number>()
  for (const r of rules) {
    const n = clausesOf(r)
    if (n !== undefined && clause <= n) byId.set(c.acl.conjId(r), n)
  }
  return [...byId].sort((x, y) => x[0] - y[0]).map(([id, n]) => act.conjunction(id, clause, n))
}

/** A port's flows: its ct lookups (stateful), clause 1 of its groups' rules, and its drop per family. */
export function aclPortFlows(c: Context, e: AclPortEntry): Flow[] {
  const out: Flow[] = []
  const groups = [...new Set(e.groups)]
  for (const stage of STAGES) {
    const { ct, port, looked } = side(stage)
    if (e.stateful) {
      for (const fam of FAMILIES) {
        out.push(
          c
            .flow(ct)
            .priority('ENTRY')
            .cookie({ key: e.port })
            .match(port, key(e.port))
            .match('eth_type', ethType(fam))
            .apply(act.setKey(REG_CT, key(looked)), act.ctLookup(stage))
            .build(),
        )
      }
    }
    const rules = groups.flatMap(g => c.acl.rulesOf(g)).filter(r => aclStageOf(r) === stage)
    const clause1 = conjunctions(c, rules, 1)
    if (clause1.length > 0)
      out.push(
        c
          .flow(stage)
          .priority('ACL_CONJUNCTION')
          .cookie({ key: e.port })
          .match(port, key(e.port))
          .apply(...clause1)
          .build(),
      )
    for (const fam of FAMILIES) {
      out.push(
        c
          .flow(stage)
          .priority('ACL_MISS')
          .cookie({ reason: REASON_ACL_DENY })
          .match(port, key(e.port))
          .match('eth_type', ethType(fam))
          .build(),
      )
    }
  }
  return out
}

/** A rule's action flows (conj_id): commit a new or blocked connection, pass the rest. */
export function aclRuleFlows(c: Context, r: AclRuleEntry): Flow[] {
  if (clausesOf(r) === undefined) return []
  const stage = aclStageOf(r)
  const { looked, next } = side(stage)
  const id = key(c.acl.conjId(r))
  const flow = (band: 'ACL_CONJ_COMMIT' | 'ACL_CONJ_PASS'): FlowBuilder =>
    c.flow(stage).priority(band).cookie({ key: id.value }).match('conj_id', id).match('eth_type', ethType(r.family))
  const commit = (b: FlowBuilder): Flow => b.match(REG_CT, key(looked)).apply(act.ctCommit(CT_MARK_ALLOWED)).goto(next).build()
  return [
    commit(flow('ACL_CONJ_COMMIT').match('ct_state', CtState.of({ trk: true, new: true }))),
    commit(
      flow('ACL_CONJ_COMMIT')
        .match('ct_state', CtState.of({ trk: true, est: true }))
        .match('ct_mark', ctMarkBlocked()),
    ),
    flow('ACL_CONJ_PASS').goto(next).build(),
  ]
}

/** Clause 2 for one remote prefix in one acl stage: every rule it serves (members, remote_prefix, or any). */
export function aclRemoteFlows(c: Context, stage: number, prefix: string): Flow[] {
  const actions = conjunctions(c, c.acl.rulesWithRemote(stage, prefix), 2)
  if (actions.length === 0) return []
  const fam = prefix.includes(':') ? 6 : 4
  const b = c.flow(stage).priority('ACL_CONJUNCTION').cookie({ key: 0 }).match('eth_type', ethType(fam))
  const toward = stage === STAGE_IN_ACL // egress rules: the remote is the destination
  if (prefix !== anyPrefix(fam)) {
    if (fam === 4) b.match(toward ? 'nw_dst' : 'nw_src', Cidr.parseIpv4(prefix, MATCH_PREFIX))
    else b.match(toward ? 'ipv6_dst' : 'ipv6_src', Cidr.parseIpv6(prefix, MATCH_PREFIX))
  }
  return [b.apply(...actions).build()]
}

const PORT_FIELD: Record<number, 'tcp_dst' | 'udp_dst' | 'sctp_dst'> = {
  [IP_PROTO_TCP]: 'tcp_dst',
  [IP_PROTO_UDP]: 'udp_dst',
  [IP_PROTO_SCTP]: 'sctp_dst',
}

/** Clause 3 for one distinct match: the rules sharing it. */
export function aclL4Flows(c: Context, unit: string): Flow[] {
  const rules = c.acl.rulesWithL4(unit)
  const first = rules[0]
  const actions = conjunctions(c, rules, 3)
  if (first === undefined || actions.length === 0) return []
  const stage = aclStageOf(first)
  const piece = (l4Pieces(first) ?? []).find(p => l4Key(stage, first.family, p) === unit) as L4Piece
  const b = c
    .flow(stage)
    .priority('ACL_CONJUNCTION')
    .cookie({ key: 0 })
    .match('eth_type', ethType(first.family))
    .match('ip_proto', piece.proto)
  if (piece.port !== undefined) {
    const field = PORT_FIELD[piece.proto]
    if (field === undefined) throw new Error(`no port field for IP protocol ${piece.proto}`)
    b.match(field, piece.port.mask === 0xffff ? piece.port.value : new Bits(piece.port.value, piece.port.mask))
  }
  const v6 = piece.proto === IP_PROTO_ICMPV6
  if (piece.icmpType !== undefined) b.match(v6 ? 'icmpv6_type' : 'icmp_type', piece.icmpType)
  if (piece.icmpCode !== undefined) b.match(v6 ? 'icmpv6_code' : 'icmp_code', piece.icmpCode)
  // a later fragment has no L4 header (OVS reads its ports and type as 0): it matches only rules without them
  if (piece.port !== undefined || piece.icmpType !== undefined || piece.icmpCode !== undefined)
    b.match('nw_frag', new Bits(0, NW_FRAG_LATER))
  return [b.apply(...actions).build()]
}
