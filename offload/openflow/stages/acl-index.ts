// The security-group entries (acl_port, acl_rule, acl_member) indexed the ways acl-flows.ts reads them, kept
// up to date entry by entry like the rest of the Context, so that a change re-emits only the flows it touches
// (emit-units.ts):
//
//   portsByGroup     group -> acl_port entries listing it      (a rule change re-emits those ports' clause 1)
//   rulesByGroup     group -> its rules                        (a port's clause-1 flow lists them)
//   rulesByRemote    stage + remote prefix -> rules naming it  (a remote_prefix, or none: the family's /0)
//   rulesByRemoteGrp group -> rules naming it as remote_group
//   members          group -> member prefix -> count; prefixGroups the reverse (clause-2 flows, per prefix)
//   rulesByL4        clause-3 match key -> rules sharing it    (one flow per distinct match)
//   rulesByStageKey  stage + rule key -> rules carrying it     (a key several groups' rules carry in one stage
//                                                               takes the shared conjunction id, layout.ts)
import type { AclMemberEntry, AclPortEntry, AclRuleEntry } from '../../../datapath/host/entries.js'
import { STAGE_IN_ACL, STAGE_OUT_ACL } from '../../../datapath/spec/stages.js'
import { IP_PROTO_ICMP, IP_PROTO_ICMPV6, IP_PROTO_SCTP, IP_PROTO_TCP, IP_PROTO_UDP, IP_PROTO_UDPLITE } from '../fields.js'
import { conjIdOf, sharedConjIdOf } from '../layout.js'
import { rangeCover } from '../port-range.js'
import { Ipv4Address, Ipv6Address } from '../../../datapath/host/addresses.js'

/** The acl stage of a rule: egress rules look at packets from the port (ls_in_acl), ingress rules at packets to it. */
export const aclStageOf = (r: AclRuleEntry): number => (r.direction === 'egress' ? STAGE_IN_ACL : STAGE_OUT_ACL)

/** A prefix in canonical text (host bits cleared: an allowed address pair may be written with them). */
export interface Prefix {
  family: 4 | 6
  text: string
}

export function canonicalPrefix(text: string): Prefix {
  const [addr = '', len] = text.split('/')
  const v6 = addr.includes(':')
  const bits = v6 ? 128 : 32
  const plen = len === undefined ? bits : Number(len)
  if (!Number.isInteger(plen) || plen < 0 || plen > bits) throw new Error(`not a prefix: '${text}'`)
  const value = v6 ? Ipv6Address.parse(addr).value : Ipv4Address.parse(addr).value
  const keep = plen === 0 ? 0n : ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - plen)) - 1n)
  const masked = value & keep
  const a = v6 ? Ipv6Address.of(masked).toString() : [24n, 16n, 8n, 0n].map(s => String((masked >> s) & 0xffn)).join('.')
  return { family: v6 ? 6 : 4, text: `${a}/${plen}` }
}

/** The family's whole address space: the remote of a rule that names none. */
export const anyPrefix = (family: 4 | 6): string => (family === 4 ? '0.0.0.0/0' : '::/0')

/** The remote prefix a rule names itself (remote_prefix, or any); undefined for a remote_group rule. */
export function ownRemote(r: AclRuleEntry): string | undefined {
  if (r.remote_group !== undefined) return undefined
  return r.remote_prefix === undefined ? anyPrefix(r.family) : canonicalPrefix(r.remote_prefix).text
}

/** One clause-3 flow of a rule: the protocol, with a port piece or an ICMP type/code (or neither). */
export interface L4Piece {
  proto: number
  port?: { value: number; mask: number }
  icmpType?: number
  icmpCode?: number
}

const PORT_PROTOCOLS = new Set([IP_PROTO_TCP, IP_PROTO_UDP, IP_PROTO_SCTP, IP_PROTO_UDPLITE])

/**
 * The rule's clause-3 pieces: undefined when the rule has no protocol (two clauses only), [] when OpenFlow
 * cannot match it (a port range on UDP-Lite: OVS parses no UDP-Lite ports), which leaves the rule allowing
 * nothing here (fail closed, reported as a gap in acl-flows.ts).
 */
export function l4Pieces(r: AclRuleEntry): L4Piece[] | undefined {
  if (r.protocol === undefined) return undefined
  const proto = r.protocol
  if (PORT_PROTOCOLS.has(proto)) {
    const lo = r.port_min ?? 0
    const hi = r.port_max ?? 0xffff
    if (lo === 0 && hi === 0xffff) return [{ proto }]
    if (proto === IP_PROTO_UDPLITE) return []
    return rangeCover(lo, hi).map(b => ({ proto, port: { value: b.value, mask: b.mask } }))
  }
  if (proto === IP_PROTO_ICMP || proto === IP_PROTO_ICMPV6) {
    // ICMP over IPv6 or ICMPv6 over IPv4 (the compiler maps icmp + IPv6 to 58): no type field to match
    if ((proto === IP_PROTO_ICMP) !== (r.family === 4) && (r.icmp_type !== undefined || r.icmp_code !== undefined)) return []
    const piece: L4Piece = { proto }
    if (r.icmp_type !== undefined) piece.icmpType = r.icmp_type
    if (r.icmp_code !== undefined) piece.icmpCode = r.icmp_code
    return [piece]
  }
  return [{ proto }]
}

export const l4Key = (stage: number, family: 4 | 6, p: L4Piece): string =>
  `${stage}/${family}/${p.proto}/${p.port === undefined ? '' : `${p.port.value}&${p.port.mask}`}/${p.icmpType ?? ''}/${p.icmpCode ?? ''}`

const stageKey = (r: AclRuleEntry): string => `${aclStageOf(r)}/${r.rule}`

/** Entries by a string or number, each group keyed by entry key (insertion order is never what flows follow). */
class Multi<K, E> {
  private readonly m = new Map<K, Map<string, E>>()
  put(k: K, key: string, e: E, add: boolean): void {
    let g = this.m.get(k)
    if (add) {
      if (g === undefined) {
        g = new Map()
        this.m.set(k, g)
      }
      g.set(key, e)
    } else if (g !== undefined) {
      g.delete(key)
      if (g.size === 0) this.m.delete(k)
    }
  }
  get(k: K): E[] {
    return [...(this.m.get(k)?.values() ?? [])]
  }
  keysOf(k: K): string[] {
    return [...(this.m.get(k)?.keys() ?? [])]
  }
  keys(): K[] {
    return [...this.m.keys()]
  }
}

/** Counts of (a, b) pairs, readable from either side. */
class PairCount {
  private readonly ab = new Map<number, Map<string, number>>()
  private readonly ba = new Map<string, Map<number, number>>()
  add(a: number, b: string, by: number): void {
    bump(this.ab, a, b, by)
    bump(this.ba, b, a, by)
  }
  bsOf(a: number): string[] {
    return [...(this.ab.get(a)?.keys() ?? [])]
  }
  asOf(b: string): number[] {
    return [...(this.ba.get(b)?.keys() ?? [])]
  }
  allB(): string[] {
    return [...this.ba.keys()]
  }
}

function bump<A, B>(m: Map<A, Map<B, number>>, a: A, b: B, by: number): void {
  let g = m.get(a)
  if (g === undefined) {
    g = new Map()
    m.set(a, g)
  }
  const n = (g.get(b) ?? 0) + by
  if (n > 0) g.set(b, n)
  else g.delete(b)
  if (g.size === 0) m.delete(a)
}

export class AclIndex {
  private readonly portsByGroup = new Multi<number, AclPortEntry>()
  private readonly rulesByGroup = new Multi<number, AclRuleEntry>()
  private readonly rulesByRemote = new Multi<string, AclRuleEntry>()
  private readonly rulesByRemoteGroup = new Multi<number, AclRuleEntry>()
  private readonly rulesByL4 = new Multi<string, AclRuleEntry>()
  private readonly rulesByStageKey = new Multi<string, AclRuleEntry>()
  private readonly members = new PairCount()
  private ports = 0

  index(key: string, e: AclPortEntry | AclRuleEntry | AclMemberEntry, add: boolean): void {
    switch (e.stage) {
      case 'acl_port':
        this.ports += add ? 1 : -1
        for (const g of new Set(e.groups)) this.portsByGroup.put(g, key, e, add)
        break
      case 'acl_rule': {
        this.rulesByGroup.put(e.group, key, e, add)
        const own = ownRemote(e)
        if (own !== undefined) this.rulesByRemote.put(`${aclStageOf(e)}/${own}`, key, e, add)
        else if (e.remote_group !== undefined) this.rulesByRemoteGroup.put(e.remote_group, key, e, add)
        for (const p of l4Pieces(e) ?? []) this.rulesByL4.put(l4Key(aclStageOf(e), e.family, p), key, e, add)
        this.rulesByStageKey.put(stageKey(e), key, e, add)
        break
      }
      case 'acl_member':
        this.members.add(e.group, canonicalPrefix(e.prefix).text, add ? 1 : -1)
        break
    }
  }

  /** How many acl_port entries there are (the shared acl flows exist while there is one). */
  get portCount(): number {
    return this.ports
  }
  portKeysWithGroup(group: number): string[] {
    return this.portsByGroup.keysOf(group)
  }
  rulesOf(group: number): AclRuleEntry[] {
    return this.rulesByGroup.get(group)
  }
  memberPrefixesOf(group: number): string[] {
    return this.members.bsOf(group)
  }

  /** The rules whose clause 2 in `stage` matches `prefix` (canonical): by naming it, or through a member. */
  rulesWithRemote(stage: number, prefix: string): AclRuleEntry[] {
    const family = prefix.includes(':') ? 6 : 4
    const viaGroups = this.members
      .asOf(prefix)
      .flatMap(g => this.rulesByRemoteGroup.get(g))
      .filter(r => aclStageOf(r) === stage && r.family === family)
    return [...this.rulesByRemote.get(`${stage}/${prefix}`), ...viaGroups]
  }

  /** Every (stage, prefix) with a clause-2 flow now (or possibly: the flows say). */
  remoteUnits(): [number, string][] {
    const own = this.rulesByRemote.keys().map((k): [number, string] => {
      const at = k.indexOf('/')
      return [Number(k.slice(0, at)), k.slice(at + 1)]
    })
    // a member prefix a rule also names (an allowed address pair of 0.0.0.0/0, say) is one unit
    const named = new Set(this.rulesByRemote.keys())
    const viaMembers = this.members
      .allB()
      .flatMap((p): [number, string][] => [
        [STAGE_IN_ACL, p],
        [STAGE_OUT_ACL, p],
      ])
      .filter(([s, p]) => !named.has(`${s}/${p}`))
    return [...own, ...viaMembers]
  }

  /** The rule's conjunction id (layout.ts): its key, or the shared form while another group's rule carries the
   * same key in the same acl stage. */
  conjId(r: AclRuleEntry): number {
    const groups = new Set(this.rulesByStageKey.get(stageKey(r)).map(x => x.group))
    groups.add(r.group)
    return groups.size === 1 ? conjIdOf(r.rule) : sharedConjIdOf(r.group, r.rule)
  }

  /** Other groups' rules carrying r's key in r's stage, with their entry keys: their ids change with r's coming
   * and going. */
  keySharers(r: AclRuleEntry): [string, AclRuleEntry][] {
    const k = stageKey(r)
    const keys = this.rulesByStageKey.keysOf(k)
    return this.rulesByStageKey.get(k).flatMap((o, i): [string, AclRuleEntry][] => (o.group === r.group ? [] : [[keys[i] as string, o]]))
  }

  rulesWithL4(key: string): AclRuleEntry[] {
    return this.rulesByL4.get(key)
  }
  l4Units(): string[] {
    return this.rulesByL4.keys()
  }
}
