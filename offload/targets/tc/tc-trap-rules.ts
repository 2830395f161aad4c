// ls_in_arp_nd_rsp and ls_in_dhcp on TC: both need frame rewrites or new frames that TC cannot make
// (set(arp) and ND rewrites are not offloadable, DHCP replies are new frames: HARDWARE-FACTS.md §1.2), so the
// traffic they answer (router solicitations included) is trapped to the WASM pipeline and everything else goes on.
import { STAGE_DHCP } from '../../../datapath/spec/stages.js'
import { ETH_TYPE_ARP, ETH_TYPE_IPV4, ETH_TYPE_IPV6, IP_PROTO_ICMPV6, IP_PROTO_UDP, isV6 } from '../frame-dissector.js'
import { type StageEnv, canMatch } from './emit-tc.js'
import { goto, trap } from './tc-actions.js'
import type { PathContext, RuleSink } from './tc-context.js'
import { PRIO } from './tc-prio.js'
import { afterDhcp } from './tc-acl-rules.js'
import { routingChain } from './tc-nat-rules.js'

/** RFC 826 */
const ARP_REQUEST = 1
const ARP_REPLY = 2
/** RFC 4861 §4.4 */
const ICMPV6_NEIGHBOR_ADVERT = 136
/** RFC 4861 §4.3 */
const ICMPV6_NEIGHBOR_SOLICIT = 135
/** RFC 4861 §4.1 */
const ICMPV6_ROUTER_SOLICIT = 133
/** RFC 2131 §4.1 */
const DHCP_SERVER_PORT = 67
/** RFC 8415 7.2 */
const DHCPV6_SERVER_PORT = 547

export function arpNdRules(env: StageEnv, ctx: PathContext, add: RuleSink): void {
  if (!canMatch(env, ['eth_type'])) {
    // the profile cannot tell the responder's traffic apart: all of it goes to software from here
    add({ prio: PRIO.MISS, match: {}, actions: [trap("the profile cannot match the ethertype to select the responder's traffic")] })
    return
  }
  const known = env.idx.of('arp_nd').filter(e => e.network === ctx.network)
  if (!canMatch(env, ['arp_op', 'arp_tpa'])) {
    add({
      prio: PRIO.ENTRY,
      match: { eth_type: ETH_TYPE_ARP },
      actions: [trap('the profile cannot match ARP fields: every ARP frame goes to the responder in software')],
    })
  } else {
    for (const e of known.filter(e => !isV6(e.ip))) {
      add({
        prio: PRIO.ENTRY,
        match: { eth_type: ETH_TYPE_ARP, arp_op: ARP_REQUEST, arp_tip: `${e.ip}/32` },
        actions: [trap('ARP reply in place needs set(arp)')],
      })
    }
  }
  if (known.some(e => isV6(e.ip))) {
    // flower cannot match the ND target (HARDWARE-FACTS.md §1.2): every solicitation goes to software
    const ns = canMatch(env, ['ip_proto', 'icmp_type'])
      ? { eth_type: ETH_TYPE_IPV6, ip_proto: IP_PROTO_ICMPV6, icmp_type: ICMPV6_NEIGHBOR_SOLICIT }
      : { eth_type: ETH_TYPE_IPV6 }
    add({ prio: PRIO.ENTRY, match: ns, actions: [trap('NA in place needs ND rewrites')] })
  }
  // a router solicitation from a port of a network that advertises: the advertisement is a new frame
  if (ctx.srcPort > 0 && !ctx.fromTunnel && ctx.fromUplink !== true && env.idx.of('router_advert').some(e => e.network === ctx.network)) {
    const rs = canMatch(env, ['ip_proto', 'icmp_type'])
      ? { eth_type: ETH_TYPE_IPV6, ip_proto: IP_PROTO_ICMPV6, icmp_type: ICMPV6_ROUTER_SOLICIT }
      : { eth_type: ETH_TYPE_IPV6 }
    add({ prio: PRIO.ENTRY, match: rs, actions: [trap('a router advertisement is a new frame: the slow path answers the solicitation')] })
  }
  // ARP replies and NAs to a router MAC or a floating IP's MAC: the slow path learns the next hop from them
  // (punt_neighbour)
  const askers = [...env.idx.of('router_port'), ...env.idx.of('nat')].filter(p => p.network === ctx.network)
  for (const mac of new Set(askers.map(p => p.mac))) {
    const arpReply = canMatch(env, ['arp_op']) ? { arp_op: ARP_REPLY } : {}
    add({
      prio: PRIO.EXCEPTION,
      match: { eth_dst: mac, eth_type: ETH_TYPE_ARP, ...arpReply },
      actions: [trap('an ARP reply to a router or floating IP MAC is learned by the slow path')],
    })
    const na = canMatch(env, ['ip_proto', 'icmp_type']) ? { ip_proto: IP_PROTO_ICMPV6, icmp_type: ICMPV6_NEIGHBOR_ADVERT } : {}
    add({
      prio: PRIO.EXCEPTION,
      match: { eth_dst: mac, eth_type: ETH_TYPE_IPV6, ...na },
      actions: [trap('a neighbour advertisement to a router or floating IP MAC is learned by the slow path')],
    })
  }
  const next = !ctx.fromTunnel && ctx.srcPort > 0 ? env.chains.chain(STAGE_DHCP, ctx) : routingChain(env, ctx)
  add({ prio: PRIO.MISS, match: {}, actions: [goto(next)] })
}

export function dhcpRules(env: StageEnv, ctx: PathContext, add: RuleSink): void {
  if (!canMatch(env, ['eth_type', 'ip_proto', 'l4_dst'])) {
    add({ prio: PRIO.MISS, match: {}, actions: [trap('the profile cannot match UDP ports to select DHCP')] })
    return
  }
  add({
    prio: PRIO.ENTRY,
    match: { eth_type: ETH_TYPE_IPV4, ip_proto: IP_PROTO_UDP, dst_port: DHCP_SERVER_PORT },
    actions: [trap('DHCP is answered by the slow path')],
  })
  // only a port with a dhcp6 entry: another port's DHCPv6 is not ours and continues (BEHAVIOUR.md 6)
  if (env.idx.of('dhcp6').some(e => e.port === ctx.srcPort)) {
    add({
      prio: PRIO.ENTRY,
      match: { eth_type: ETH_TYPE_IPV6, ip_proto: IP_PROTO_UDP, dst_port: DHCPV6_SERVER_PORT },
      actions: [trap('DHCPv6 is answered by the slow path')],
    })
  }
  add({ prio: PRIO.MISS, match: {}, actions: [goto(afterDhcp(env, ctx))] })
}
