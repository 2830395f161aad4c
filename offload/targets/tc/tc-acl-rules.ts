// ls_in_ct / ls_in_acl / ls_out_ct / ls_out_acl on TC (BEHAVIOUR.md "Security groups"), for an established-
// offload target (mlx5 CT, HARDWARE-FACTS.md §1.3): the ct chain looks IP of a port with stateful groups up in
// the target's connection table (act_ct, zone = network & 0xffff); the acl chain passes replies of connections
// the target holds, re-checks the rules on their packets in the original direction, and traps everything else
// - new connections, TCP SYN / FIN / RST, fragments, protocols the target does not track, a rule no longer
// allowing an established connection - to the software path, which decides and commits (it drops acl_deny and
// marks the connection blocked, the target forgets it). Stateless ports: every packet against the rules, on the
// target. The always-allowed classes (DHCP, ND / MLD / RA) pass first, without conntrack.
//
// Flower has no conjunctive match: a rule becomes one flower rule per (remote prefix x port-range term) in the
// port's chain (the planner counts the conjunctive layout a conjunction-capable target would use).
import type { AclRuleEntry } from '../../../datapath/host/entries.js'
import { STAGE_EGRESS, STAGE_IN_ACL, STAGE_IN_CT, STAGE_OUT_ACL, STAGE_OUT_CT } from '../../../datapath/spec/stages.js'
import { REASON_ACL_DENY } from '../../../datapath/spec/verdicts.js'
import { portMasks } from '../../rule-count.js'
import { TCP_FIN, TCP_RST, TCP_SYN, zoneOf } from '../ct/conn-table.js'
import { ETH_TYPE_IPV4, ETH_TYPE_IPV6, IP_PROTO_ICMPV6, IP_PROTO_TCP, IP_PROTO_UDP, isV6 } from '../frame-dissector.js'
import type { FlowerMatch } from './flower-rule.js'
import { type StageEnv, canMatch, inSoftware } from './emit-tc.js'
import { drop, goto, trap } from './tc-actions.js'
import type { PathContext, RuleSink } from './tc-context.js'
import { PRIO } from './tc-prio.js'
import { routingChain } from './tc-nat-rules.js'

/** ct_mark bit a blocked connection carries (OVN's ct_mark.blocked is bit 0 too). */
export const CT_MARK_BLOCKED = 0x1
/** IPv6 extension headers (RFC 8200 §4, IANA): the upper-layer protocol is behind them, flower matches the first. */
const IPV6_EXT_HEADERS = [0, 43, 44, 50, 51, 60, 135, 139, 140]
/** Always allowed (BEHAVIOUR.md): DHCPv4 68 -> 67, DHCPv6 546 -> 547 (RFC 2131 §4.1, RFC 8415 §7.2) from a port. */
const DHCP_FROM_PORT = [
  { eth_type: ETH_TYPE_IPV4, src: 68, dst: 67 },
  { eth_type: ETH_TYPE_IPV6, src: 546, dst: 547 },
]
/** MLD 130-132, RS 133, NS 135, NA 136, MLDv2 143 both ways; RA 134 towards a port (RFC 4861, RFC 3810). */
const ICMPV6_ALWAYS = [130, 131, 132, 133, 135, 136, 143]
const ICMPV6_RA = 134
const L4_PROTOCOLS = new Set([6, 17, 132, 136])

type Direction = 'in' | 'out'

/** The port whose groups a chain enforces: the source port in the in_* pair, the destination in the out_* pair. */
const portOf = (dir: Direction, ctx: PathContext): number => (dir === 'in' ? ctx.srcPort : (ctx.dstPort ?? 0))

/** After port security and DHCP: the in_* pair when the source port is enforced here, else routing. */
export function afterDhcp(env: StageEnv, ctx: PathContext): number {
  const p = ctx.fromTunnel ? undefined : env.idx.of('acl_port').find(e => e.port === ctx.srcPort)
  if (p === undefined || ctx.srcPort === 0) return routingChain(env, ctx)
  return env.chains.chain(p.stateful ? STAGE_IN_CT : STAGE_IN_ACL, ctx)
}

/** After the L2 lookup: the out_* pair when the destination port is enforced here, else dispatch. */
export function beforeEgress(env: StageEnv, ctx: PathContext): number {
  const p = env.idx.of('acl_port').find(e => e.port === ctx.dstPort)
  if (p === undefined) return env.chains.chain(STAGE_EGRESS, ctx)
  return env.chains.chain(p.stateful ? STAGE_OUT_CT : STAGE_OUT_ACL, ctx)
}

const nextAfter = (env: StageEnv, dir: Direction, ctx: PathContext): number =>
  dir === 'in' ? routingChain(env, ctx) : env.chains.chain(STAGE_EGRESS, ctx)

export const inCtRules = (env: StageEnv, ctx: PathContext, add: RuleSink): void => ctRules(env, 'in', ctx, add)
export const outCtRules = (env: StageEnv, ctx: PathContext, add: RuleSink): void => ctRules(env, 'out', ctx, add)
export const inAclRules = (env: StageEnv, ctx: PathContext, add: RuleSink): void => aclRules(env, 'in', ctx, add)
export const outAclRules = (env: StageEnv, ctx: PathContext, add: RuleSink): void => aclRules(env, 'out', ctx, add)

/** Frames the software path decides instead of the target, selected as narrowly as the profile can match. */
function trapIp(add: RuleSink, prio: number, why: string): void {
  for (const eth_type of [ETH_TYPE_IPV4, ETH_TYPE_IPV6]) add({ prio, match: { eth_type }, actions: [trap(why)] })
}

function ctRules(env: StageEnv, dir: Direction, ctx: PathContext, add: RuleSink): void {
  const ct = dir === 'in' ? STAGE_IN_CT : STAGE_OUT_CT
  const acl = env.chains.chain(dir === 'in' ? STAGE_IN_ACL : STAGE_OUT_ACL, ctx)
  const next = nextAfter(env, dir, ctx)
  if (!canMatch(env, ['eth_type'])) {
    add({ prio: PRIO.MISS, match: {}, actions: [trap('the profile cannot tell IP apart for security groups')] })
    return
  }
  alwaysAllowed(env, dir, next, add)
  add({ prio: PRIO.MISS, match: {}, actions: [goto(next)] }) // ARP and other ethertypes are not checked
  if (inSoftware(env, ct) || inSoftware(env, dir === 'in' ? STAGE_IN_ACL : STAGE_OUT_ACL)) {
    trapIp(
      add,
      PRIO.DENY,
      `${dir === 'in' ? 'ls_in_ct' : 'ls_out_ct'} stays in software on this profile (no connection tracking on the target)`,
    )
    return
  }
  const zone = zoneOf(ctx.network)
  const tracked = env.profile.conntrack.protocols ?? []
  for (const eth_type of [ETH_TYPE_IPV4, ETH_TYPE_IPV6]) {
    if (eth_type === ETH_TYPE_IPV6 && canMatch(env, ['ip_proto'])) {
      for (const h of IPV6_EXT_HEADERS)
        add({
          prio: PRIO.EXCEPTION,
          match: { eth_type, ip_proto: h },
          actions: [trap('an IPv6 extension header: the upper-layer protocol is behind it')],
        })
    }
    if (eth_type === ETH_TYPE_IPV4)
      add({ prio: PRIO.EXCEPTION, match: { eth_type, ip_frag: true }, actions: [trap('a fragment: conntrack reassembles in software')] })
    for (const [name, ip_proto] of [
      ['tcp', IP_PROTO_TCP],
      ['udp', IP_PROTO_UDP],
    ] as const) {
      if (!tracked.includes(name) || !canMatch(env, ['ip_proto'])) continue
      if (ip_proto === IP_PROTO_TCP) {
        if (!canMatch(env, ['tcp_flags'])) continue // cannot see state changes: all TCP to software (below)
        for (const f of [TCP_SYN, TCP_FIN, TCP_RST]) {
          add({
            prio: PRIO.EXCEPTION + 1,
            match: { eth_type, ip_proto, tcp_flags: { value: f, mask: f } },
            actions: [trap('a TCP state change (SYN / FIN / RST): the software path tracks it')],
          })
        }
      }
      add({ prio: PRIO.ENTRY, match: { eth_type, ip_proto }, actions: [{ kind: 'ct', zone }, goto(acl)] })
    }
  }
  trapIp(add, PRIO.DENY, 'a protocol the target does not track: the software path decides')
}

function alwaysAllowed(env: StageEnv, dir: Direction, next: number, add: RuleSink): void {
  if (canMatch(env, ['ip_proto', 'l4_src', 'l4_dst'])) {
    for (const d of DHCP_FROM_PORT) {
      const [src_port, dst_port] = dir === 'in' ? [d.src, d.dst] : [d.dst, d.src]
      add({ prio: PRIO.GUARD, match: { eth_type: d.eth_type, ip_proto: IP_PROTO_UDP, src_port, dst_port }, actions: [goto(next)] })
    }
  }
  if (canMatch(env, ['ip_proto', 'icmp_type'])) {
    for (const icmp_type of [...ICMPV6_ALWAYS, ...(dir === 'out' ? [ICMPV6_RA] : [])]) {
      add({ prio: PRIO.GUARD, match: { eth_type: ETH_TYPE_IPV6, ip_proto: IP_PROTO_ICMPV6, icmp_type }, actions: [goto(next)] })
    }
  } else {
    add({
      prio: PRIO.GUARD,
      match: { eth_type: ETH_TYPE_IPV6, ...(canMatch(env, ['ip_proto']) ? { ip_proto: IP_PROTO_ICMPV6 } : {}) },
      actions: [trap('the profile cannot match ICMPv6 types to pass neighbour discovery')],
    })
  }
}

function aclRules(env: StageEnv, dir: Direction, ctx: PathContext, add: RuleSink): void {
  const stage = dir === 'in' ? STAGE_IN_ACL : STAGE_OUT_ACL
  const next = nextAfter(env, dir, ctx)
  const port = env.idx.of('acl_port').find(e => e.port === portOf(dir, ctx))
  if (port === undefined) {
    add({ prio: PRIO.MISS, match: {}, actions: [goto(next)] })
    return
  }
  if (inSoftware(env, stage) || !canMatch(env, ['eth_type'])) {
    add({ prio: PRIO.MISS, match: {}, actions: [trap(`${dir === 'in' ? 'ls_in_acl' : 'ls_out_acl'} stays in software on this profile`)] })
    return
  }
  const allows = ruleMatches(env, dir, port.groups)
  if (allows === undefined) {
    add({ prio: PRIO.MISS, match: {}, actions: [trap('the profile cannot match what these rules need')] })
    return
  }
  if (!port.stateful) {
    alwaysAllowed(env, dir, next, add)
    for (const m of allows) add({ prio: PRIO.ENTRY, match: m, actions: [goto(next)] })
    for (const eth_type of [ETH_TYPE_IPV4, ETH_TYPE_IPV6]) add({ prio: PRIO.DENY, match: { eth_type }, actions: [drop(REASON_ACL_DENY)] })
    add({ prio: PRIO.MISS, match: {}, actions: [goto(next)] })
    return
  }
  // only packets the ct chain looked up arrive here (TCP / UDP the target tracks)
  const unblocked = { value: 0, mask: 0x1 }
  add({ prio: PRIO.GUARD, match: { ct_state: { trk: true, est: true, rpl: true }, ct_mark: unblocked }, actions: [goto(next)] })
  for (const m of allows)
    add({ prio: PRIO.ENTRY, match: { ...m, ct_state: { trk: true, est: true, rpl: false }, ct_mark: unblocked }, actions: [goto(next)] })
  add({
    prio: PRIO.DENY,
    match: { ct_state: { trk: true, est: true } },
    actions: [trap('an established connection the rules do not allow (any more): the software drops it and marks it blocked')],
  })
  add({
    prio: PRIO.MISS,
    match: {},
    actions: [trap('a new connection, or one the target does not hold: the software decides and commits')],
  })
}

/** The union of the groups' rules in this direction as flower matches; undefined when a needed field is missing. */
function ruleMatches(env: StageEnv, dir: Direction, groups: number[]): FlowerMatch[] | undefined {
  const direction = dir === 'in' ? 'egress' : 'ingress'
  const rules = env.idx.of('acl_rule').filter(r => groups.includes(r.group) && r.direction === direction)
  const out: FlowerMatch[] = []
  for (const r of rules) {
    const m = ruleToMatches(env, dir, r)
    if (m === undefined) return undefined
    out.push(...m)
  }
  return out
}

function ruleToMatches(env: StageEnv, dir: Direction, r: AclRuleEntry): FlowerMatch[] | undefined {
  const eth_type = r.family === 4 ? ETH_TYPE_IPV4 : ETH_TYPE_IPV6
  const remoteKey = dir === 'in' ? 'dst_ip' : 'src_ip'
  const remotes: (string | undefined)[] =
    r.remote_prefix !== undefined
      ? [r.remote_prefix]
      : r.remote_group !== undefined
        ? env.idx
            .of('acl_member')
            .filter(m => m.group === r.remote_group && isV6(m.prefix) === (r.family === 6))
            .map(m => m.prefix)
        : [undefined]
  const l4: Partial<FlowerMatch>[] = []
  const ranged = r.protocol !== undefined && L4_PROTOCOLS.has(r.protocol) && (r.port_min !== undefined || r.port_max !== undefined)
  if (ranged && r.protocol !== IP_PROTO_TCP && r.protocol !== IP_PROTO_UDP) return undefined // SCTP / UDP-Lite ports: not in the targets' dissector
  if (ranged) {
    const lo = r.port_min ?? 0
    const hi = r.port_max ?? 0xffff
    for (const t of lo === 0 && hi === 0xffff ? [] : portMasks(lo, hi))
      l4.push(t.mask === 0xffff ? { dst_port: t.value } : { dst_port: t.value, dst_port_mask: t.mask })
  } else if (r.icmp_type !== undefined) {
    l4.push({ icmp_type: r.icmp_type, ...(r.icmp_code !== undefined ? { icmp_code: r.icmp_code } : {}) })
  }
  if (l4.length === 0) l4.push({})
  const need: Parameters<typeof canMatch>[1] = ['eth_type']
  if (r.protocol !== undefined) need.push('ip_proto')
  if (remotes.some(x => x !== undefined))
    need.push(r.family === 4 ? (dir === 'in' ? 'ipv4_dst' : 'ipv4_src') : dir === 'in' ? 'ipv6_dst' : 'ipv6_src')
  if (ranged) need.push('l4_dst')
  if (r.icmp_type !== undefined) need.push('icmp_type')
  if (r.icmp_code !== undefined) need.push('icmp_code')
  if (!canMatch(env, need)) return undefined
  const out: FlowerMatch[] = []
  for (const remote of remotes) {
    for (const t of l4) {
      out.push({
        eth_type,
        ...(r.protocol !== undefined ? { ip_proto: r.protocol } : {}),
        ...(remote !== undefined ? { [remoteKey]: remote } : {}),
        ...t,
      })
    }
  }
  return out
}
