// ls_in_classify (chain 0) and ls_in_port_sec on TC (BEHAVIOUR.md §2-§4).
import { STAGE_ARP_ND_RSP, STAGE_CLASSIFY, STAGE_PORT_SEC } from '../../../datapath/spec/stages.js'
import {
  REASON_BAD_VLAN,
  REASON_PORT_SEC_ARP,
  REASON_PORT_SEC_IP,
  REASON_PORT_SEC_MAC,
  REASON_SRC_MAC_MULTICAST,
  REASON_UNKNOWN_IN_PORT,
  REASON_UNKNOWN_TUNNEL_KEY,
} from '../../../datapath/spec/verdicts.js'
import { ETH_TYPE_ARP, ETH_TYPE_IPV4, ETH_TYPE_IPV6, IP_PROTO_ICMPV6, IP_PROTO_UDP, isV6 } from '../frame-dissector.js'
import { type FlowerMatch } from './flower-rule.js'
import { type StageEnv, canMatch, inSoftware } from './emit-tc.js'
import { drop, goto, trap } from './tc-actions.js'
import type { PathContext, RuleSink } from './tc-context.js'
import { PRIO } from './tc-prio.js'

/** The I/G bit of the first octet (IEEE 802): group addresses. */
export const GROUP_BIT = '01:00:00:00:00:00'
/** RFC 2131 §4.1 */
const DHCP_CLIENT_PORT = 68
const DHCP_SERVER_PORT = 67

export function classifyRules(env: StageEnv, add: RuleSink): void {
  if (inSoftware(env, STAGE_CLASSIFY)) {
    add({ prio: PRIO.MISS, match: {}, actions: [trap('ls_in_classify stays in software on this profile')] })
    return
  }
  add({ prio: PRIO.GUARD, match: { eth_src: GROUP_BIT, eth_src_mask: GROUP_BIT }, actions: [drop(REASON_SRC_MAC_MULTICAST)] })
  const canDecap = env.profile.tunnels.decap.includes(env.tunnel) && env.profile.match.fields.includes('tun_id')
  for (const e of env.idx.of('classify')) {
    if ('tunnel_key' in e) {
      // decapsulated traffic skips port security and DHCP (BEHAVIOUR.md §2)
      const ctx: PathContext = { network: e.network, srcPort: 0, routed: false, fromTunnel: true }
      const next = goto(env.chains.chain(STAGE_ARP_ND_RSP, ctx))
      const refuse = trap(`the profile cannot decapsulate ${env.tunnel}`)
      // an inner 802.1Q tag is stripped like a local port's (the WASM pipeline forwards the untagged frame)
      add({
        prio: PRIO.ENTRY - 1,
        match: { fromTunnel: true, enc_key_id: e.tunnel_key, vlan: 'any' },
        actions: canDecap ? [{ kind: 'tunnel_key_unset' }, { kind: 'vlan_pop' }, next] : [refuse],
      })
      add({
        prio: PRIO.ENTRY,
        match: { fromTunnel: true, enc_key_id: e.tunnel_key },
        actions: canDecap ? [{ kind: 'tunnel_key_unset' }, next] : [refuse],
      })
      continue
    }
    const ctx: PathContext = { network: e.network, srcPort: e.port, routed: false, fromTunnel: false }
    const vlan = e.vlan ?? 0
    if (vlan > 0) {
      add({
        prio: PRIO.ENTRY,
        match: { indev: e.in_port, vlan },
        actions: [{ kind: 'vlan_pop' }, goto(env.chains.chain(STAGE_PORT_SEC, ctx))],
      })
    } else {
      // a tagged frame on an access port is bad_vlan (entries.ts ClassifyPortEntry)
      add({ prio: PRIO.ENTRY, match: { indev: e.in_port, vlan: 'any' }, actions: [drop(REASON_BAD_VLAN)] })
      add({ prio: PRIO.DENY, match: { indev: e.in_port }, actions: [goto(env.chains.chain(STAGE_PORT_SEC, ctx))] })
    }
  }
  uplinkRules(env, add)
  add({ prio: PRIO.MISS - 1, match: { fromTunnel: true }, actions: [drop(REASON_UNKNOWN_TUNNEL_KEY)] })
  add({ prio: PRIO.MISS, match: {}, actions: [drop(REASON_UNKNOWN_IN_PORT)] })
}

/**
 * Frames from a provider network's uplink (BEHAVIOUR.md "Ways in and out"): VLAN match and pop, then as if
 * decapsulated (no source port: no port security, DHCP or source security groups). A local port's entry on the
 * same (in_port, VID) wins, so these rules sit after the local ones; a tag the uplink does not carry falls to the
 * chain's miss (unknown_in_port).
 */
function uplinkRules(env: StageEnv, add: RuleSink): void {
  const local = new Set(env.idx.of('classify').flatMap(e => ('in_port' in e ? [`${e.in_port}/${e.vlan ?? 0}`] : [])))
  for (const u of env.idx.of('uplink')) {
    const vlan = u.vlan ?? 0
    if (local.has(`${u.ofport}/${vlan}`)) continue
    const ctx: PathContext = { network: u.network, srcPort: 0, routed: false, fromTunnel: false, fromUplink: true }
    const next = goto(env.chains.chain(STAGE_ARP_ND_RSP, ctx))
    if (vlan > 0) add({ prio: PRIO.ENTRY + 1, match: { indev: u.ofport, vlan }, actions: [{ kind: 'vlan_pop' }, next] })
    else {
      add({ prio: PRIO.ENTRY + 1, match: { indev: u.ofport, vlan: 'any' }, actions: [drop(REASON_UNKNOWN_IN_PORT)] })
      add({ prio: PRIO.DENY + 1, match: { indev: u.ofport }, actions: [next] })
    }
  }
}

export function portSecRules(env: StageEnv, ctx: PathContext, add: RuleSink): void {
  const next = (): number => env.chains.chain(STAGE_ARP_ND_RSP, ctx)
  if (inSoftware(env, STAGE_PORT_SEC)) {
    add({ prio: PRIO.MISS, match: {}, actions: [trap('ls_in_port_sec stays in software on this profile')] })
    return
  }
  const arpChecks = env.profile.match.fields.includes('arp_sha') && env.profile.match.fields.includes('arp_spa')
  for (const e of env.idx.of('port_sec').filter(e => e.port === ctx.srcPort)) {
    if (e.disabled === true) {
      add({ prio: PRIO.EXCEPTION, match: {}, actions: [goto(next())] })
      continue
    }
    if (e.mac === undefined) continue
    const mac = e.mac
    const allow = (m: Parameters<RuleSink>[0]['match']): void =>
      add({ prio: PRIO.ENTRY, match: { eth_src: mac, ...m }, actions: [goto(next())] })
    const v4 = (e.ips ?? []).filter(c => !isV6(c))
    const v6 = (e.ips ?? []).filter(isV6)
    // neighbour advertisements: the target check needs the ND target, which no flower / rte_flow / P4 profile
    // here can match (no `nd_target` in their match fields): every NA from this MAC goes to software first
    add({
      prio: PRIO.EXCEPTION,
      match: { eth_src: mac, ...naMatch(env) },
      actions: [trap('the profile cannot match the ND target of a neighbour advertisement')],
    })
    // rogue-RA guard (BEHAVIOUR.md §4); without icmp_type the NA trap above already sends every RA to software
    if (canMatch(env, ['ip_proto', 'icmp_type'])) {
      add({
        prio: PRIO.EXCEPTION,
        match: { eth_src: mac, eth_type: ETH_TYPE_IPV6, ip_proto: IP_PROTO_ICMPV6, icmp_type: ICMPV6_ROUTER_ADVERT },
        actions: [drop(REASON_PORT_SEC_IP)],
      })
    }
    for (const cidr of v4) allow({ eth_type: ETH_TYPE_IPV4, src_ip: cidr })
    // before an address exists: DHCP from 0.0.0.0, ARP probes, DAD from ::, link-local (BEHAVIOUR.md §4)
    allow({ eth_type: ETH_TYPE_IPV4, ip_proto: IP_PROTO_UDP, src_ip: '0.0.0.0/32', src_port: DHCP_CLIENT_PORT, dst_port: DHCP_SERVER_PORT })
    for (const cidr of [...v6, '::/128', 'fe80::/10']) allow({ eth_type: ETH_TYPE_IPV6, src_ip: cidr })
    if (arpChecks) {
      for (const cidr of [...v4, '0.0.0.0/32']) allow({ eth_type: ETH_TYPE_ARP, arp_sha: mac, arp_sip: cidr })
      add({ prio: PRIO.DENY, match: { eth_src: mac, eth_type: ETH_TYPE_ARP }, actions: [drop(REASON_PORT_SEC_ARP)] })
    } else {
      add({
        prio: PRIO.DENY,
        match: { eth_src: mac, eth_type: ETH_TYPE_ARP },
        actions: [trap('the profile cannot match ARP sender fields')],
      })
    }
    add({ prio: PRIO.DENY, match: { eth_src: mac, eth_type: ETH_TYPE_IPV4 }, actions: [drop(REASON_PORT_SEC_IP)] })
    add({ prio: PRIO.DENY, match: { eth_src: mac, eth_type: ETH_TYPE_IPV6 }, actions: [drop(REASON_PORT_SEC_IP)] })
    add({ prio: PRIO.DENY + 1, match: { eth_src: mac }, actions: [goto(next())] })
  }
  add({ prio: PRIO.MISS, match: {}, actions: [drop(REASON_PORT_SEC_MAC)] })
}

/** RFC 4861 §4.2 */
const ICMPV6_ROUTER_ADVERT = 134
/** RFC 4861 §4.4 */
const ICMPV6_NEIGHBOR_ADVERT = 136

/** The narrowest match that still holds every NA (BEHAVIOUR.md §4) the profile can express. */
function naMatch(env: StageEnv): FlowerMatch {
  if (canMatch(env, ['ip_proto', 'icmp_type']))
    return { eth_type: ETH_TYPE_IPV6, ip_proto: IP_PROTO_ICMPV6, icmp_type: ICMPV6_NEIGHBOR_ADVERT }
  if (canMatch(env, ['ip_proto'])) return { eth_type: ETH_TYPE_IPV6, ip_proto: IP_PROTO_ICMPV6 }
  return { eth_type: ETH_TYPE_IPV6 }
}
