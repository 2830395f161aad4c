// bench:datapath's security-group cases (BEHAVIOUR.md "Security groups"): vm1 -> vm2 on one network of the
// routed-two-networks topology, both ports stateful, so every packet passes ls_in_ct/ls_in_acl (vm1's egress
// rules) and ls_out_ct/ls_out_acl (vm2's ingress rules) in zone NET_A.
//
//   established-100k  Neutron's default group (egress any; ingress from members of the group). 100 000 UDP
//                     connections committed first (request vm1 -> vm2, reply vm2 -> vm1), then a shuffled stream
//                     of both directions of all of them. Replies pass on conntrack alone; the original direction
//                     is checked against the rules again on every packet (BEHAVIOUR.md, rule 4).
//   new-1k-rules      a group of 1 000 rules (below) held by both ports and a remote group of 1 000 members; every
//                     packet a TCP SYN of a 5-tuple not in the table, that a rule allows: lookup, rules, commit.
//                     131 072 distinct 5-tuples and a clock that moves 500 ms per batch of 1 024: a 5-tuple comes
//                     back 64 s later, past TCP's 30 s opening timeout, so it is new again (expired lazily by
//                     its lookup, the rest by the per-call sweep). The table holds at most ~131k, under 262 144.
//
// The 1 000 rules of group RULES_GROUP (both ports hold it):
//   ingress  499 x TCP dport 2000+i from a prefix: even i a prefix holding vm1 (/8 .. /32), odd i one elsewhere
//            1   x TCP 2000-2999 from members of MEMBERS_GROUP
//   egress   499 x TCP dport 2000+i to a prefix: even i holding vm2, odd i elsewhere
//            1   x TCP 2000-2999 to members of MEMBERS_GROUP
// MEMBERS_GROUP: vm1, vm2 and 998 other /32s. A packet to port 2000+i is allowed by rule i when i is even and by
// the remote-group rule always, so half the packets need the remote group's members to pass.
import type { Counters, Datapath, PacketInput } from '../datapath/host/api.js'
import type { AclMemberEntry, AclPortEntry, AclRuleEntry, Entry } from '../datapath/host/entries.js'
import { type MacAddress, type Ipv4Address } from '../datapath/host/addresses.js'
import { buildFrame, ethernet, ip4, raw, tcp, udp } from '../datapath/host/packet-builder.js'
import { VM1, VM2 } from '../test/conformance/lib/topologies.js'
import { Prng } from '../test/fuzz/frame-mutator.js'

export const DEFAULT_GROUP = 90
export const RULES_GROUP = 91
export const MEMBERS_GROUP = 92
const PROTO_TCP = 6
const TCP_SYN = 0x02
const ETH_MIN = 60
/** Connections of the established case. */
export const ESTABLISHED_CONNECTIONS = 100_000
/** Distinct 5-tuples of the new-connection case, and how far the clock moves per batch (see the top). */
export const NEW_TUPLES = 128 * 1024
export const NEW_CLOCK_STEP_MS = 500
const RULE_PORT_BASE = 2000
const PREFIX_RULES = 499

interface Host {
  key: number
  mac: MacAddress
  ip4: Ipv4Address
  ofport?: number | undefined
}
const of = (h: Host): number => h.ofport as number

const aclPort = (h: Host, groups: number[]): AclPortEntry => ({ stage: 'acl_port', port: h.key, stateful: true, groups })
const member = (group: number, prefix: string): AclMemberEntry => ({ stage: 'acl_member', group, prefix })
const text = (v: number): string => [24, 16, 8, 0].map(s => (v >>> s) & 0xff).join('.')
const toInt = (ip: Ipv4Address): number => ip.u32

/** Neutron's default group on vm1 and vm2, both members of it. */
export function defaultGroupEntries(): Entry[] {
  const rules: AclRuleEntry[] = [
    { stage: 'acl_rule', group: DEFAULT_GROUP, rule: 1, direction: 'egress', family: 4 },
    { stage: 'acl_rule', group: DEFAULT_GROUP, rule: 2, direction: 'egress', family: 6 },
    { stage: 'acl_rule', group: DEFAULT_GROUP, rule: 3, direction: 'ingress', family: 4, remote_group: DEFAULT_GROUP },
    { stage: 'acl_rule', group: DEFAULT_GROUP, rule: 4, direction: 'ingress', family: 6, remote_group: DEFAULT_GROUP },
  ]
  return [
    aclPort(VM1, [DEFAULT_GROUP]),
    aclPort(VM2, [DEFAULT_GROUP]),
    ...rules,
    member(DEFAULT_GROUP, `${VM1.ip4.toString()}/32`),
    member(DEFAULT_GROUP, `${VM2.ip4.toString()}/32`),
  ]
}

/** A prefix of length 8..32 holding `addr`, or (outside) one in 172.16.0.0/12 or 192.168.0.0/16 that does not. */
function prefixFor(rng: Prng, addr: number, holding: boolean): string {
  const len = 8 + rng.int(25)
  const base = holding ? addr : (rng.int(2) === 0 ? 0xac100000 + rng.int(1 << 20) : 0xc0a80000 + rng.int(1 << 16)) >>> 0
  const l = holding ? len : Math.max(len, 16)
  const network = l === 32 ? base : (base & ~((1 << (32 - l)) - 1)) >>> 0
  return `${text(network)}/${l}`
}

/** The 1 000-rule group and its 1 000-member remote group (see the top of this file). */
export function thousandRuleEntries(): { entries: Entry[]; rules: number; members: number } {
  const rng = new Prng(1000)
  const rules: AclRuleEntry[] = []
  const vm1 = toInt(VM1.ip4)
  const vm2 = toInt(VM2.ip4)
  for (const [direction, peer] of [
    ['ingress', vm1],
    ['egress', vm2],
  ] as const) {
    for (let i = 0; i < PREFIX_RULES; i++) {
      rules.push({
        stage: 'acl_rule',
        group: RULES_GROUP,
        rule: rules.length + 1,
        direction,
        family: 4,
        protocol: PROTO_TCP,
        port_min: RULE_PORT_BASE + i,
        port_max: RULE_PORT_BASE + i,
        remote_prefix: prefixFor(rng, peer, i % 2 === 0),
      })
    }
    rules.push({
      stage: 'acl_rule',
      group: RULES_GROUP,
      rule: rules.length + 1,
      direction,
      family: 4,
      protocol: PROTO_TCP,
      port_min: RULE_PORT_BASE,
      port_max: RULE_PORT_BASE + 999,
      remote_group: MEMBERS_GROUP,
    })
  }
  const members: AclMemberEntry[] = [member(MEMBERS_GROUP, `${VM1.ip4.toString()}/32`), member(MEMBERS_GROUP, `${VM2.ip4.toString()}/32`)]
  // 998 more, in 10.50.0.0/16: addresses of ports elsewhere, only there to make the member set big
  for (let i = 0; members.length < 1000; i++) members.push(member(MEMBERS_GROUP, `10.50.${i >> 8}.${i & 255}/32`))
  return {
    entries: [aclPort(VM1, [RULES_GROUP]), aclPort(VM2, [RULES_GROUP]), ...rules, ...members],
    rules: rules.length,
    members: members.length,
  }
}

const udpFrame = (src: Host, dst: Host, sport: number, dport: number): Uint8Array =>
  buildFrame(
    [
      ethernet({ src: src.mac, dst: dst.mac }),
      ip4({ src: src.ip4, dst: dst.ip4, ttl: 64 }),
      udp({ sport, dport }),
      raw(new Uint8Array(18)),
    ],
    { padTo: ETH_MIN },
  )
const synFrame = (sport: number, dport: number): Uint8Array =>
  buildFrame(
    [
      ethernet({ src: VM1.mac, dst: VM2.mac }),
      ip4({ src: VM1.ip4, dst: VM2.ip4, ttl: 64 }),
      tcp({ sport, dport, seq: 1000 + sport, flags: TCP_SYN, window: 65535 }),
    ],
    { padTo: ETH_MIN },
  )

/**
 * Connection i: vm1:(10000 + i % 50000) -> vm2:(5000 + i / 50000). Both ranges stay clear of the ports the
 * datapath treats apart (VXLAN 4789, Geneve 6081, DHCP 67/68, DHCPv6 546/547), in either direction.
 */
const connPorts = (i: number): [number, number] => [10_000 + (i % 50_000), 5000 + Math.floor(i / 50_000)]

/** Requests (vm1 -> vm2) and replies (vm2 -> vm1) of `n` UDP connections. */
export function udpConnections(n: number): { requests: PacketInput[]; replies: PacketInput[] } {
  const requests: PacketInput[] = []
  const replies: PacketInput[] = []
  for (let i = 0; i < n; i++) {
    const [s, d] = connPorts(i)
    requests.push({ in_port: of(VM1), data: udpFrame(VM1, VM2, s, d) })
    replies.push({ in_port: of(VM2), data: udpFrame(VM2, VM1, d, s) })
  }
  return { requests, replies }
}

/** Both directions of the connections, shuffled (Fisher-Yates): no order the table could profit from. */
export function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items]
  const rng = new Prng(seed)
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    const t = out[i] as T
    out[i] = out[j] as T
    out[j] = t
  }
  return out
}

/** SYNs of NEW_TUPLES distinct 5-tuples to the rules' ports 2000..2498 (every one allowed, see the top). */
export function newConnectionSyns(): PacketInput[] {
  const out: PacketInput[] = []
  for (let i = 0; i < NEW_TUPLES; i++) {
    out.push({ in_port: of(VM1), data: synFrame(10_000 + Math.floor(i / PREFIX_RULES), RULE_PORT_BASE + (i % PREFIX_RULES)) })
  }
  return out
}

/** Commit `n` UDP connections (request, then reply) at `nowMs`; throws unless all of them are in the table. */
export function commitUdpConnections(dp: Datapath, n: number, nowMs: number, batch: number): void {
  const { requests, replies } = udpConnections(n)
  const before = dp.conntrack.count()
  for (const frames of [requests, replies]) {
    for (let i = 0; i < frames.length; i += batch) {
      const bad = dp.process(frames.slice(i, i + batch), { nowMs }).find(v => v.action !== 'output')
      if (bad) throw new Error(`committing connections: a packet got ${bad.action}/${bad.reason}, not output`)
    }
  }
  const held = dp.conntrack.count() - before
  if (held < n) throw new Error(`committing ${n} connections: the table holds ${held} more, not ${n}`)
}

/** Drops and punts between two counter readings (0 = every packet forwarded). */
export function notForwarded(before: Counters, after: Counters): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [reason, n] of Object.entries(after.reasons)) {
    const d = n - (before.reasons[reason] ?? 0)
    if (d > 0 && reason !== 'none') out[reason] = d
  }
  return out
}

/** Targets from the brief, printed next to the figures (never asserted: a shared machine sets the rate). */
export const ACL_TARGETS_MPPS: Record<string, number> = { 'acl-established-100k': 8, 'acl-new-1k-rules': 1 }
