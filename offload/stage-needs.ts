// What each pipeline stage needs from an offload target, in the vocabulary of hw-profiles/schema.json.
// The planner compares these needs with a profile's declared capabilities; it never looks at a profile's name.
// Stages are addressed by the constants of datapath/spec/stages.ts; needs that depend on the topology (VLANs,
// IPv6, tunnels) are computed from the entries.
//
// Inter-stage keys (network, source/destination port, router, next hop) are not a capability test: OVS-based
// targets collapse the OpenFlow pipeline into one megaflow per recirculation (HARDWARE-FACTS.md §1.1), and
// native targets (DOCA, P4) carry them in metadata. The planner counts lookups against a profile's budget instead.
import type { Entry } from '../datapath/host/entries.js'
import {
  STAGES,
  STAGE_ARP_ND_RSP,
  STAGE_CLASSIFY,
  STAGE_DHCP,
  STAGE_DNAT,
  STAGE_EGRESS,
  STAGE_L2_LOOKUP,
  STAGE_L3_ROUTE,
  STAGE_NEXTHOP,
  STAGE_IN_ACL,
  STAGE_IN_CT,
  STAGE_OUT_ACL,
  STAGE_OUT_CT,
  STAGE_PORT_SEC,
  STAGE_SNAT,
  type StageDecl,
} from '../datapath/spec/stages.js'
import type { ActionName, MatchField, TableKind, TunnelType } from './profile.js'
import { natNeeds } from './nat-needs.js'

export interface Capabilities {
  match: MatchField[]
  /** Every item must be supported; an array item is satisfied by any one of its actions. */
  actions: (ActionName | ActionName[])[]
  encap?: TunnelType
  decap?: TunnelType
  /** actions one entry needs (checked against the profile's maxActionsPerEntry) */
  actionCount?: number
  /** connection tracking: look packets up (ct stages) or commit connections (acl stages of stateful ports) */
  conntrack?: 'lookup' | 'commit'
}

/** Capabilities only one class of the stage's traffic needs: without them that class alone goes to software. */
export interface PartialNeeds extends Capabilities {
  traffic: string
}

export interface StageNeeds extends Capabilities {
  partial: PartialNeeds[]
  /** Set when the stage can never run on a target: why. */
  softwareOnly?: string
  /** true: every forwarded packet goes through this stage, so if it stays in software, everything does. */
  everyPacket: boolean
  /** The only stage whose packets reach this one (nexthop sees only routed packets). */
  fedBy?: number
  /** Set when the entries leave the stage nothing to do (a ct stage of stateless ports only): why. */
  passThrough?: string
  /** Traffic classes of the stage no target here can handle, whatever it declares (new frames, rewrites inside
   * ICMP payloads): they go to software on every profile. */
  alwaysSoftware?: string[]
}

export interface NeedsOptions {
  /** Encapsulation used between chassis (the deployment's choice; VERDICT_TUNNEL leaves it to the target). */
  tunnel: TunnelType
}

/** The table kind a stage needs, from its key declaration: `/lpm` needs LPM, `/mask` needs ternary. */
export function matchKindOf(stage: StageDecl): TableKind {
  if (stage.keys.includes('/lpm')) return 'lpm'
  if (stage.keys.includes('/mask')) return 'ternary'
  return 'exact'
}

/** Entries that a stage reads (its `tables` in stages.ts). */
export function entriesOf(stage: StageDecl, entries: Entry[]): Entry[] {
  const tables = stage.tables.split(',')
  return entries.filter(e => tables.includes(e.stage))
}

const isV6 = (addr: string): boolean => addr.includes(':')

export function stageNeeds(stageId: number, entries: Entry[], opts: NeedsOptions): StageNeeds {
  const stage = STAGES[stageId]
  if (stage === undefined) throw new Error(`no stage ${stageId}`)
  const mine = entriesOf(stage, entries)
  switch (stageId) {
    case STAGE_CLASSIFY: {
      const match: MatchField[] = ['in_port']
      const actions: ActionName[] = []
      const n: StageNeeds = { match, actions, everyPacket: true, partial: [] }
      const vlanUplink = mine.some(e => e.stage === 'uplink' && (e.vlan ?? 0) > 0)
      if (vlanUplink || mine.some(e => e.stage === 'classify' && 'vlan' in e && (e.vlan ?? 0) > 0)) {
        match.push('vlan_vid')
        actions.push('pop_vlan') // BEHAVIOUR.md §3: the tag is stripped from the forwarded frame
      }
      if (mine.some(e => e.stage === 'classify' && 'tunnel_key' in e)) {
        n.partial.push({ traffic: 'tunnel ingress', match: ['tun_id'], actions: [], decap: opts.tunnel })
      }
      return n
    }
    case STAGE_PORT_SEC: {
      const match: MatchField[] = ['eth_src', 'eth_type']
      const cidrs = mine.flatMap(e => (e.stage === 'port_sec' ? (e.ips ?? []) : []))
      if (cidrs.some(c => !isV6(c))) match.push('ipv4_src')
      if (cidrs.some(isV6)) match.push('ipv6_src')
      // DHCP before an address exists: UDP 68 -> 67 (BEHAVIOUR.md §4)
      match.push('ip_proto', 'l4_src', 'l4_dst')
      return {
        match,
        actions: ['drop'],
        everyPacket: true,
        partial: [{ traffic: 'ARP', match: ['arp_sha', 'arp_spa'], actions: [] }], // BEHAVIOUR.md §4 ARP checks
      }
    }
    case STAGE_ARP_ND_RSP: {
      const v6 = mine.some(e => e.stage === 'arp_nd' && isV6(e.ip))
      // reply in place, out of in_port (BEHAVIOUR.md §5)
      const n: StageNeeds = {
        match: ['eth_type', 'arp_op', 'arp_tpa'],
        actions: ['set_eth', 'set_arp', 'output'],
        everyPacket: false,
        partial: [],
        actionCount: 8, // eth dst+src, op, sha, spa, tha, tpa, output (openflow/emitter.ts arpFlows)
      }
      // the slow path learns next hops from them (BEHAVIOUR.md "Next hops no entry names"): a punt, never a rewrite
      if (entries.some(e => e.stage === 'router_port'))
        n.alwaysSoftware = ['ARP replies and neighbour advertisements to a router MAC (punt_neighbour)']
      // router advertisements are new frames built by the slow path (BEHAVIOUR.md §5: batch mode punts punt_router_solicit)
      if (mine.some(e => e.stage === 'router_advert')) {
        n.alwaysSoftware = [...(n.alwaysSoftware ?? []), 'router solicitations (punt_router_solicit: the advertisement is a new frame)']
      }
      if (v6) {
        n.partial.push({ traffic: 'IPv6 neighbour solicitations', match: ['icmp_type', 'nd_target'], actions: ['set_ipv6', 'set_nd'] })
      }
      return n
    }
    case STAGE_DHCP:
      return {
        match: ['ip_proto', 'l4_dst'],
        actions: [],
        everyPacket: false,
        partial: [],
        softwareOnly: 'DHCP replies are new frames built by the slow path (BEHAVIOUR.md §6: batch mode punts punt_dhcp)',
      }
    case STAGE_L3_ROUTE: {
      const prefixes = mine.flatMap(e => (e.stage === 'route' ? [e.prefix] : []))
      const match: MatchField[] = ['eth_dst', 'ip_ttl'] // TTL <= 1 is punted for an ICMP error (BEHAVIOUR.md §7)
      if (prefixes.some(p => !isV6(p))) match.push('ipv4_dst')
      if (prefixes.some(isV6)) match.push('ipv6_dst')
      const n: StageNeeds = { match, actions: ['dec_ttl'], everyPacket: false, partial: [] }
      // echo requests to a router address are answered in place: addresses swapped, ICMP type rewritten (§7)
      const own = mine.flatMap(e => (e.stage === 'router_port' ? e.ips : []))
      if (own.length > 0) {
        const actions: ActionName[] = ['set_eth', 'set_icmp', 'output']
        if (own.some(c => !isV6(c))) actions.push('set_ipv4')
        if (own.some(isV6)) actions.push('set_ipv6')
        n.partial.push({ traffic: 'echo requests to the router', match: ['icmp_type'], actions })
      }
      return n
    }
    case STAGE_NEXTHOP: {
      // In a collapsed target the next hop is the destination or a route constant: the match is on ip_dst.
      const match: MatchField[] = []
      if (mine.some(e => e.stage === 'nexthop' && !isV6(e.ip))) match.push('ipv4_dst')
      if (mine.some(e => e.stage === 'nexthop' && isV6(e.ip))) match.push('ipv6_dst')
      return { match, actions: ['set_eth'], everyPacket: false, fedBy: STAGE_L3_ROUTE, partial: [] }
    }
    case STAGE_L2_LOOKUP: {
      // miss and broadcast flood the network (BEHAVIOUR.md §9): several outputs of one packet
      const n: StageNeeds = { match: ['eth_dst'], actions: [['multi_output', 'mirror']], everyPacket: true, partial: [] }
      for (const [network, count] of floodActions(entries)) {
        n.partial.push({ traffic: `flooding network ${network}`, match: [], actions: [], actionCount: count })
      }
      return n
    }
    case STAGE_EGRESS: {
      const n: StageNeeds = { match: [], actions: ['output'], everyPacket: true, partial: [] }
      if (mine.some(e => e.stage === 'egress' && e.remote !== undefined)) {
        n.partial.push({ traffic: 'traffic to remote chassis', match: [], actions: [], encap: opts.tunnel })
      }
      // a provider network's remote ports leave through its uplink, tagged (BEHAVIOUR.md "Ways in and out")
      if (mine.some(e => e.stage === 'egress' && e.uplink === true) && mine.some(e => e.stage === 'uplink' && (e.vlan ?? 0) > 0)) {
        n.partial.push({ traffic: 'traffic out of a VLAN uplink', match: [], actions: ['push_vlan'] })
      }
      return n
    }
    case STAGE_DNAT:
    case STAGE_SNAT:
      return natNeeds(stageId, entries)
    case STAGE_IN_CT:
    case STAGE_OUT_CT:
      return ctNeeds(entries)
    case STAGE_IN_ACL:
    case STAGE_OUT_ACL:
      return aclNeeds(entries, stageId === STAGE_IN_ACL ? 'egress' : 'ingress')
    default:
      throw new Error(`stage ${stage.name} has no declared needs (add it to offload/stage-needs.ts)`)
  }
}

/**
 * Actions one flood entry needs per network: an output per local port, and per remote chassis an
 * encapsulation plus an output (TC: tunnel_key set + mirred, HARDWARE-FACTS.md §1.4).
 */
function floodActions(entries: Entry[]): Map<number, number> {
  const netOfPort = new Map<number, number>()
  for (const e of entries) {
    if (e.stage === 'l2') netOfPort.set(e.port, e.network)
    if (e.stage === 'classify' && 'in_port' in e) netOfPort.set(e.port, e.network)
  }
  const local = new Map<number, number>()
  const remotes = new Map<number, Set<string>>()
  for (const e of entries) {
    if (e.stage !== 'egress') continue
    const net = netOfPort.get(e.port)
    if (net === undefined) continue
    if (e.local !== undefined) local.set(net, (local.get(net) ?? 0) + 1)
    else if (e.remote !== undefined) remotes.set(net, (remotes.get(net) ?? new Set()).add(e.remote))
  }
  // out of the uplink once: an output, and around it a push and a pop of the tag for a VLAN uplink
  const uplink = new Map<number, number>()
  for (const e of entries) if (e.stage === 'uplink') uplink.set(e.network, (e.vlan ?? 0) > 0 ? 3 : 1)
  const out = new Map<number, number>()
  for (const net of new Set([...local.keys(), ...remotes.keys(), ...uplink.keys()])) {
    out.set(net, (local.get(net) ?? 0) + 2 * (remotes.get(net)?.size ?? 0) + (uplink.get(net) ?? 0))
  }
  return out
}

/**
 * ls_in_ct / ls_out_ct (BEHAVIOUR.md "Security groups"): a lookup in the network's zone for IP of ports with
 * stateful groups; the always-allowed classes (DHCP by UDP ports, ND / MLD / RA by ICMPv6 type) are told apart
 * first, without conntrack.
 */
function ctNeeds(entries: Entry[]): StageNeeds {
  const ports = entries.filter(e => e.stage === 'acl_port')
  const n: StageNeeds = { match: [], actions: [], everyPacket: false, partial: [] }
  if (ports.length === 0) return n
  if (!ports.some(e => e.stage === 'acl_port' && e.stateful)) {
    n.passThrough = 'only stateless security groups: nothing to look up'
    return n
  }
  n.match.push('eth_type', 'ip_proto', 'l4_src', 'l4_dst', 'ct_state')
  n.partial.push({
    traffic: 'ICMPv6 of enforced ports (always-allowed ND / MLD are told apart by type)',
    match: ['icmp_type'],
    actions: [],
  })
  n.actions.push('ct')
  n.conntrack = 'lookup'
  return n
}

/**
 * ls_in_acl / ls_out_acl: the union of a port's groups' rules in one direction, matched on the remote address
 * (the destination for egress rules, the source for ingress rules), protocol, destination port range (masked
 * terms) and ICMP type / code; stateful ports also match ct_state and the blocked bit of ct_mark, and commit.
 */
function aclNeeds(entries: Entry[], direction: 'ingress' | 'egress'): StageNeeds {
  const ports = entries.filter(e => e.stage === 'acl_port')
  const n: StageNeeds = { match: [], actions: [], everyPacket: false, partial: [] }
  if (ports.length === 0) return n
  const groups = new Set(ports.flatMap(e => (e.stage === 'acl_port' ? e.groups : [])))
  const rules = entries.flatMap(e => (e.stage === 'acl_rule' && e.direction === direction && groups.has(e.group) ? [e] : []))
  const match = new Set<MatchField>(['eth_type'])
  const remoteV4: MatchField = direction === 'egress' ? 'ipv4_dst' : 'ipv4_src'
  const remoteV6: MatchField = direction === 'egress' ? 'ipv6_dst' : 'ipv6_src'
  for (const r of rules) {
    if (r.remote_prefix !== undefined || r.remote_group !== undefined) match.add(r.family === 4 ? remoteV4 : remoteV6)
    if (r.protocol !== undefined) match.add('ip_proto')
    if (r.port_min !== undefined || r.port_max !== undefined) match.add('l4_dst')
    if (r.icmp_type !== undefined) match.add('icmp_type')
    if (r.icmp_code !== undefined) match.add('icmp_code')
  }
  // always allowed whatever the rules: DHCP by UDP ports; ND / MLD by ICMPv6 type, or all ICMPv6 to software
  match.add('ip_proto').add('l4_src').add('l4_dst')
  if (!match.has('icmp_type')) {
    n.partial.push({
      traffic: 'ICMPv6 of enforced ports (always-allowed ND / MLD are told apart by type)',
      match: ['icmp_type'],
      actions: [],
    })
  }
  n.actions.push('drop')
  if (ports.some(e => e.stage === 'acl_port' && e.stateful)) {
    match.add('ct_state').add('ct_mark')
    n.conntrack = 'commit'
  }
  n.match.push(...match)
  return n
}
