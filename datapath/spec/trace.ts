// The trace buffer's vocabulary, shared by the WASM datapath (which records steps) and the host (which turns
// them into words). Keep this file free of imports (AssemblyScript and TypeScript both compile it).
//
// One step is TRACE_STEP_BYTES bytes, little-endian:
//
//   0       1        2      3        4        8        12       16                32     33     34       40
//   +-------+--------+------+--------+--------+--------+--------+-----------------+------+------+--------+
//   | stage | outcome| kind | reason |   a    |   b    |   c    | addr[16]        |family| plen | mac[6] |
//   +-------+--------+------+--------+--------+--------+--------+-----------------+------+------+--------+
//
// `kind` says what a, b, c, addr and mac mean (see TRACE_KIND_* below).

export const TRACE_STEP_BYTES: i32 = 40
export const TRACE_MAX_STEPS: i32 = 32

export const TRACE_HIT: i32 = 0
export const TRACE_MISS: i32 = 1
export const TRACE_SKIP: i32 = 2
export const TRACE_REPLY: i32 = 3
export const TRACE_DROP: i32 = 4
export const TRACE_PUNT: i32 = 5
export const TRACE_OUTCOME_NAMES: string[] = ['hit', 'miss', 'skip', 'reply', 'drop', 'punt']

/** Only the reason. */
export const TRACE_KIND_NONE: i32 = 0
/** a = ethertype, b = VLAN id, c = IP protocol (0xffff: none). */
export const TRACE_KIND_PARSE: i32 = 1
/** a = VNI, b = UDP destination port. */
export const TRACE_KIND_DECAP: i32 = 2
/** a = network, b = source port, c = VLAN id or tunnel key. */
export const TRACE_KIND_CLASSIFY: i32 = 3
/** a = source port; addr/family = source IP (family 0: not IP); mac = source MAC. */
export const TRACE_KIND_PORT_SEC: i32 = 4
/** a = network; addr/family = target IP; mac = answer. */
export const TRACE_KIND_ARP_ND: i32 = 5
/** a = port, b = DHCP message type received, c = message type sent (0: none). */
export const TRACE_KIND_DHCP: i32 = 6
/** a = router, b = ingress router port; addr/family = destination IP. */
export const TRACE_KIND_ROUTER: i32 = 7
/** a = router, b = out router port; addr/family/plen = matched prefix. */
export const TRACE_KIND_ROUTE: i32 = 8
/** a = out network; addr/family = next hop; mac = resolved MAC. */
export const TRACE_KIND_NEXTHOP: i32 = 9
/** a = network, b = destination port; mac = destination MAC. */
export const TRACE_KIND_L2: i32 = 10
/** a = port, b = ofport (local) , c = remote endpoint (IPv4, network order bytes) when tunnelled. */
export const TRACE_KIND_EGRESS: i32 = 11
/** a = ICMP type, b = ICMP code; addr/family = error destination. */
export const TRACE_KIND_ICMP_ERROR: i32 = 12

/** Steps before the first stage: parsing/validation and tunnel decapsulation (not stages of the table). */
export const TRACE_STAGE_PARSE: i32 = 0xff
export const TRACE_STAGE_DECAP: i32 = 0xfe
/** a = zone, b = conntrack state bits (CT_STATE_*), c = the connection's mark (CT_MARK_*). */
export const TRACE_KIND_CT: i32 = 13
/** a = port, b = key of a rule that allowed the packet (0: none), c = rule direction (ACL_DIR_*); addr/family = remote. */
export const TRACE_KIND_ACL: i32 = 14

// Conntrack state bits, OVS's ct_state bits (lib/packets.h CS_*), so that traces and OpenFlow matches agree.
export const CT_STATE_NEW: i32 = 0x01
export const CT_STATE_ESTABLISHED: i32 = 0x02
export const CT_STATE_RELATED: i32 = 0x04
export const CT_STATE_REPLY: i32 = 0x08
export const CT_STATE_INVALID: i32 = 0x10
export const CT_STATE_TRACKED: i32 = 0x20
/** Index = bit number; ovs-ofctl's names (new, est, rel, rpl, inv, trk). */
export const CT_STATE_NAMES: string[] = ['new', 'est', 'rel', 'rpl', 'inv', 'trk']
/** ct_mark bit 0: the rules stopped allowing the connection; its replies are dropped ct_blocked. */
export const CT_MARK_BLOCKED: i32 = 1
/** a = router, b = 1 destination rewritten (lr_in_dnat) / 2 source rewritten (lr_in_dnat hairpin, lr_out_snat)
 * / 3 both, c = 1 when an ICMP error's quoted header was rewritten too; addr/family = the address written (the
 * destination for lr_in_dnat, the source for lr_out_snat); mac = the MAC written (eth_dst / eth_src), if any. */
export const TRACE_KIND_NAT: i32 = 15
/** SNAT with port translation (lr_out_snat, lr_in_dnat) and the redirect to the gateway chassis (lr_in_ip_route):
 * a = router, b = the port written (lr_out_snat: the translated source port / echo id; lr_in_dnat: the original
 * one restored; lr_in_ip_route: the ingress router port), c = SNAT_TRACE_* bits; addr/family = the address
 * written (lr_out_snat: the gateway IP; lr_in_dnat: the inside address; redirect: the gateway chassis' tunnel
 * endpoint; untranslated: the source). */
export const TRACE_KIND_SNAT: i32 = 16
/** a connection was recorded by this packet */
export const SNAT_TRACE_NEW: i32 = 1
/** a reply (or ICMP error) from outside translated back to the inside address */
export const SNAT_TRACE_REPLY: i32 = 2
/** an ICMP error's quoted packet was translated back too */
export const SNAT_TRACE_QUOTED: i32 = 4
/** sent unchanged to the gateway chassis (verdict tunnel) */
export const SNAT_TRACE_REDIRECT: i32 = 8
/** IPv6: left untranslated (Neutron routes IPv6 without NAT) */
export const SNAT_TRACE_UNTRANSLATED: i32 = 16
