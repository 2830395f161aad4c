// What lr_in_dnat and lr_out_snat ask of a target (BEHAVIOUR.md "Ways in and out"): 1:1 NAT is stateless header
// rewriting, so a target that can set the MAC, the IP address and fix the L4 checksum (TC pedit + csum, rte_flow
// SET_IPV4_*, P4 actions; HARDWARE-FACTS.md) can hold it. Two classes never can: ICMP errors about translated
// packets (the quoted header inside the ICMP payload is rewritten, no target parses that deep), and SNAT with
// port translation (both ways), which needs the target's connection tracking to do NAT (ct_nat).
import type { Entry } from '../datapath/host/entries.js'
import { STAGE_DNAT } from '../datapath/spec/stages.js'
import type { ActionName, MatchField } from './profile.js'
import type { StageNeeds } from './stage-needs.js'

const isV6 = (addr: string): boolean => addr.includes(':')

/** Rewrites of one 1:1 translation: the MAC, the address, and the IPv4 / L4 checksums that cover it. */
function rewriteActions(nats: Extract<Entry, { stage: 'nat' }>[]): ActionName[] {
  const actions: ActionName[] = ['set_eth']
  if (nats.some(n => !isV6(n.external_ip))) actions.push('set_ipv4')
  if (nats.some(n => isV6(n.external_ip))) actions.push('set_ipv6')
  actions.push('set_l4') // the TCP/UDP checksum covers the pseudo-header (RFC 1624 incremental update)
  return actions
}

export const ICMP_ERRORS_TRAFFIC = 'ICMP errors about translated packets (the quoted inner header is rewritten)'
export const PORT_TRANSLATION_TRAFFIC = 'SNAT with port translation to the gateway IP (a connection table that translates: ct_nat)'
export const PORT_TRANSLATION_REPLIES = 'replies of port-translated connections to the gateway IP (ct_nat)'

export function natNeeds(stageId: number, entries: Entry[]): StageNeeds {
  const nats = entries.flatMap(e => (e.stage === 'nat' ? [e] : []))
  const gateways = entries.flatMap(e => (e.stage === 'router_gateway' ? [e] : []))
  const dnat = stageId === STAGE_DNAT
  const n: StageNeeds = { match: [], actions: [], everyPacket: false, partial: [] }
  if (nats.length === 0 && (dnat ? !gateways.some(g => g.snat && g.local) : gateways.length === 0)) {
    n.passThrough = dnat
      ? 'no floating IPs on this chassis: nothing to translate'
      : 'no router gateway on this chassis: nothing to translate'
    return n
  }
  const v4 = nats.some(x => !isV6(x.external_ip))
  const v6 = nats.some(x => isV6(x.external_ip))
  const addr: MatchField[] = dnat
    ? [...(v4 ? ['ipv4_dst' as const] : []), ...(v6 ? ['ipv6_dst' as const] : [])]
    : [...(v4 ? ['ipv4_src' as const] : []), ...(v6 ? ['ipv6_src' as const] : [])]
  // eth_dst: the router MAC or the floating IP's MAC; ip_proto + icmp_type tell ICMP errors apart (to software)
  n.match.push('eth_dst', 'eth_type', ...addr, 'ip_proto', 'icmp_type')
  if (nats.length > 0) {
    n.actions.push(...rewriteActions(nats))
    n.alwaysSoftware = [ICMP_ERRORS_TRAFFIC]
  }
  if (dnat && nats.length > 0) {
    // hairpin: from inside, the source with a floating IP is translated too
    n.partial.push({ traffic: 'hairpin to a floating IP from inside the router', match: v6 ? ['ipv6_src'] : ['ipv4_src'], actions: [] })
  }
  if (!dnat && gateways.some(g => g.snat)) {
    n.actions.push('drop') // no_snat for what port translation cannot carry (not TCP, UDP or ICMP echo)
    n.partial.push({ traffic: PORT_TRANSLATION_TRAFFIC, match: [], actions: ['ct_nat'] })
  }
  if (dnat && gateways.some(g => g.snat && g.local)) {
    n.partial.push({ traffic: PORT_TRANSLATION_REPLIES, match: ['ipv4_dst'], actions: ['ct_nat'] })
  }
  return n
}
