// The logical pipeline, declared once. AssemblyScript (the WASM datapath) and TypeScript (the host, trace,
// emitters, docs) both compile this file, so every consumer agrees on stage ids by construction.
// Nobody else types a stage number: OpenFlow table numbers, trace output and emitters derive from STAGES.
//
// The pipeline is linear (every stage only moves forward), so each target can map it onto tables with
// forward-only gotos:
//
//   classify -> port_sec -> arp_nd_rsp -> dhcp -> in_ct -> in_acl -> dnat -> l3_route -> nexthop -> snat
//                               |           |                 |                 |         |
//                          reply in place  punt             drop    (skipped unless eth_dst is a router port MAC)
//     -> l2_lookup -> out_ct -> out_acl -> egress
//                                  |
//                                 drop
//
// North-south (BEHAVIOUR.md "Ways in and out"): an `uplink` puts a provider network on a physical port (classify
// reads it on the way in, egress and flood on the way out); `lr_in_dnat` turns a floating IP into its fixed IP
// as the packet enters the router, `lr_out_snat` turns the fixed IP back into the floating IP as it leaves
// through the router's gateway port.
//
// Security groups (BEHAVIOUR.md "Security groups"): the in_* pair enforces the source port's egress rules
// (Neutron's "egress" = from the instance), the out_* pair the destination port's ingress rules. Each ct stage
// looks the packet up in the connection table of its network's zone; each acl stage decides and commits.
//
// Keep this file free of imports: AssemblyScript resolves paths without extensions, NodeNext with them.

export const STAGE_CLASSIFY: i32 = 0
export const STAGE_PORT_SEC: i32 = 1
export const STAGE_ARP_ND_RSP: i32 = 2
export const STAGE_DHCP: i32 = 3
export const STAGE_IN_CT: i32 = 4
export const STAGE_IN_ACL: i32 = 5
export const STAGE_DNAT: i32 = 6
export const STAGE_L3_ROUTE: i32 = 7
export const STAGE_NEXTHOP: i32 = 8
export const STAGE_SNAT: i32 = 9
export const STAGE_L2_LOOKUP: i32 = 10
export const STAGE_OUT_CT: i32 = 11
export const STAGE_OUT_ACL: i32 = 12
export const STAGE_EGRESS: i32 = 13
export const STAGE_COUNT: i32 = 14

export class StageDecl {
  constructor(
    /** Position in the pipeline; OpenFlow table = OF_TABLE_BASE + id. */
    public id: i32,
    /** direction + role, as OVN names its stages */
    public name: string,
    /** Entry tables this stage reads (the `stage` field of entries, see datapath/host/entries.ts). */
    public tables: string,
    /** Key fields, comma separated; `/lpm` marks a longest-prefix field, `/mask` a maskable one. */
    public keys: string,
    /** Fields the stage may write. */
    public sets: string,
    /** Stage ids it may continue to, comma separated ('' = terminal). */
    public next: string,
    /** What happens when no entry matches. */
    public miss: string,
    /** One line of purpose. */
    public purpose: string,
  ) {}
}

/** First OpenFlow table used by the pipeline; table 0..OF_TABLE_BASE-1 stay free for the agent. */
export const OF_TABLE_BASE: i32 = 10

export const STAGES: StageDecl[] = [
  new StageDecl(
    STAGE_CLASSIFY,
    'ls_in_classify',
    'classify,uplink',
    'in_port,vlan_vid,tun_id',
    'network,src_port',
    '1',
    'drop unknown_in_port',
    'Map the ingress (local port + VLAN, uplink + VLAN, or tunnel key) to the network key and the source port key.',
  ),
  new StageDecl(
    STAGE_PORT_SEC,
    'ls_in_port_sec',
    'port_sec',
    'src_port,eth_src,ip_src/mask,arp_sha,arp_spa/mask',
    '',
    '2',
    'drop port_sec_*',
    'Source MAC and IP must belong to the port (fixed IPs, allowed address pairs); DHCP before an address exists.',
  ),
  new StageDecl(
    STAGE_ARP_ND_RSP,
    'ls_in_arp_nd_rsp',
    'arp_nd,router_advert',
    'network,arp_tpa,nd_target',
    'eth_src,eth_dst,arp_op,arp_sha,arp_spa,arp_tha,arp_tpa,nd',
    '3',
    'continue',
    "Answer ARP requests and IPv6 neighbour solicitations for addresses the network knows, in place; router solicitations from a port go to the slow path, which answers with the router port's advertisement.",
  ),
  new StageDecl(
    STAGE_DHCP,
    'ls_in_dhcp',
    'dhcp,dhcp6',
    'src_port,udp_dst=67',
    '',
    '4',
    'drop dhcp_unknown_port',
    'DHCPv4 server: DISCOVER/REQUEST/RELEASE/INFORM from a port are answered from its DHCP entry (slow path); DHCPv6 (UDP 547) from a port with a DHCPv6 entry likewise.',
  ),
  new StageDecl(
    STAGE_IN_CT,
    'ls_in_ct',
    'acl_port',
    'src_port,network',
    'ct_state,ct_mark',
    '5',
    'continue',
    "IP from a port with stateful security groups: look the packet up in the connection table of the network's zone.",
  ),
  new StageDecl(
    STAGE_IN_ACL,
    'ls_in_acl',
    'acl_port,acl_rule,acl_member',
    'src_port,ip_dst/lpm,ip_proto',
    'ct_commit,ct_mark',
    '6',
    'drop acl_deny',
    "The source port's egress rules (union of its groups): replies of allowed connections pass, new ones need a rule.",
  ),
  new StageDecl(
    STAGE_DNAT,
    'lr_in_dnat',
    'nat,router_port,router_gateway',
    'network,eth_dst,ip_dst',
    'eth_dst,ip_dst,ip_src',
    '7',
    'continue',
    'A packet entering a router for one of its floating IPs gets the fixed IP as destination (1:1, stateless); a reply to the gateway IP of a port-translated connection gets its inside address and port back.',
  ),
  new StageDecl(
    STAGE_L3_ROUTE,
    'lr_in_ip_route',
    'router_port,route,router_gateway',
    'network,eth_dst,router,ip_dst/lpm',
    'router,out_port,nexthop',
    '8',
    'drop no_route',
    'Packets to a router port MAC: longest-prefix match per router for IPv4 and IPv6, TTL/hop-limit decrement; off the gateway chassis, traffic to be port-translated is tunnelled there unchanged.',
  ),
  new StageDecl(
    STAGE_NEXTHOP,
    'lr_in_arp_resolve',
    'nexthop',
    'network,nexthop',
    'eth_src,eth_dst,network',
    '9',
    'punt nexthop_miss',
    'Resolve the next hop to a MAC on the out network and rewrite the source MAC to the router port.',
  ),
  new StageDecl(
    STAGE_SNAT,
    'lr_out_snat',
    'nat,router_gateway',
    'router,out_port,ip_src',
    'eth_src,ip_src',
    '10',
    'continue',
    'A packet routed out of a router gateway port from a fixed IP with a floating IP leaves from the floating IP and its MAC; without one (SNAT on, gateway chassis) from the gateway IP with a translated port.',
  ),
  new StageDecl(
    STAGE_L2_LOOKUP,
    'ls_in_l2_lkup',
    'l2',
    'network,eth_dst',
    'dst_port',
    '11',
    'flood',
    'Destination MAC to port on the network; broadcast, multicast and unknown unicast flood the network.',
  ),
  new StageDecl(
    STAGE_OUT_CT,
    'ls_out_ct',
    'acl_port',
    'dst_port,network',
    'ct_state,ct_mark',
    '12',
    'continue',
    "IP to a local port with stateful security groups: look the packet up in the connection table of the network's zone.",
  ),
  new StageDecl(
    STAGE_OUT_ACL,
    'ls_out_acl',
    'acl_port,acl_rule,acl_member',
    'dst_port,ip_src/lpm,ip_proto',
    'ct_commit,ct_mark',
    '13',
    'drop acl_deny',
    "The destination port's ingress rules (union of its groups), enforced on the chassis that hosts the port.",
  ),
  new StageDecl(
    STAGE_EGRESS,
    'ls_out_dispatch',
    'egress,uplink',
    'dst_port',
    'output',
    '',
    'drop egress_no_port',
    "Deliver to a local OpenFlow port, to the remote chassis that hosts the port (tunnel), or out of the network's uplink (VLAN pushed).",
  ),
]
