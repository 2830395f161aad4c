// ls_in_dhcp: DHCP from a local port with a DHCP entry is punted to the slow path (BEHAVIOUR.md §6); DHCPv6 from
// a port with a dhcp6 entry likewise, while a port without one continues (it is not ours: §6).
import type { Dhcp6Entry, DhcpEntry } from '../../../datapath/host/entries.js'
import { STAGE_DHCP, STAGE_IN_CT } from '../../../datapath/spec/stages.js'
import { REASON_DHCP_UNKNOWN_PORT, REASON_PUNT_DHCP } from '../../../datapath/spec/verdicts.js'
import { FlowBuilder, act } from '../builder.js'
import { ETH_TYPE_IPV4, ETH_TYPE_IPV6, IP_PROTO_UDP, UDP_PORT_DHCP_SERVER } from '../fields.js'
import type { Flow } from '../flow.js'
import { FLAG_FROM_TUNNEL, FLAG_FROM_UPLINK, REG_FLAGS, REG_SRC_PORT, flagClear } from '../layout.js'
import { Context, key } from './context.js'

const dhcp = (b: FlowBuilder): FlowBuilder =>
  b
    .match('eth_type', ETH_TYPE_IPV4)
    .match('ip_proto', IP_PROTO_UDP)
    .match('udp_dst', UDP_PORT_DHCP_SERVER)
    .match(REG_FLAGS, flagClear(FLAG_FROM_TUNNEL | FLAG_FROM_UPLINK)) // not from outside the cloud

/** RFC 8415 7.2 */
const UDP_PORT_DHCPV6_SERVER = 547
const dhcp6 = (b: FlowBuilder): FlowBuilder =>
  b
    .match('eth_type', ETH_TYPE_IPV6)
    .match('ip_proto', IP_PROTO_UDP)
    .match('udp_dst', UDP_PORT_DHCPV6_SERVER)
    .match(REG_FLAGS, flagClear(FLAG_FROM_TUNNEL | FLAG_FROM_UPLINK))

export function dhcpFlows(c: Context): Flow[] {
  return [
    ...c.of<DhcpEntry>('dhcp').flatMap(e => dhcpEntryFlows(c, e)),
    ...c.of<Dhcp6Entry>('dhcp6').flatMap(e => dhcp6EntryFlows(c, e)),
    ...dhcpFixedFlows(c),
  ]
}

export function dhcp6EntryFlows(c: Context, e: Dhcp6Entry): Flow[] {
  return [
    dhcp6(c.flow(STAGE_DHCP).priority('ENTRY').cookie({ reason: REASON_PUNT_DHCP }).match(REG_SRC_PORT, key(e.port)))
      .apply(act.controller())
      .build(),
  ]
}

export function dhcpEntryFlows(c: Context, e: DhcpEntry): Flow[] {
  // the cookie names the reason; the packet-in's registers name the port (reg1)
  return [
    dhcp(c.flow(STAGE_DHCP).priority('ENTRY').cookie({ reason: REASON_PUNT_DHCP }).match(REG_SRC_PORT, key(e.port)))
      .apply(act.controller())
      .build(),
  ]
}

export function dhcpFixedFlows(c: Context): Flow[] {
  return [
    dhcp(c.flow(STAGE_DHCP).priority('CLASS_MISS').cookie({ reason: REASON_DHCP_UNKNOWN_PORT })).build(),
    c.flow(STAGE_DHCP).priority('TABLE_MISS').cookie({ key: 0 }).goto(STAGE_IN_CT).build(),
  ]
}
