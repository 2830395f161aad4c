// Typed rte_flow / DOCA-Flow rules: pattern items and actions with the DPDK names (RTE_FLOW_ITEM_TYPE_*,
// RTE_FLOW_ACTION_TYPE_*, without the prefix), grouped into pipes as DOCA Flow does (one pipe per group and
// match template). rte-flow-model.ts executes them; the JSON form is the pipes as they are.
import type { VerdictNote } from '../tc/flower-rule.js'

/** A masked value: `mask` absent = exact. */
export interface Masked<T> {
  spec: T
  mask?: T
}

export type RteItem =
  | { type: 'REPRESENTED_PORT'; ethdev_port_id: number }
  /** tunnel metadata after VXLAN_DECAP / the tunnel vport: the VNI */
  | { type: 'TUNNEL'; vni?: number }
  | { type: 'ETH'; dst?: Masked<string>; src?: Masked<string>; ether_type?: number }
  | { type: 'VLAN'; vid?: number }
  /** fragment: IPv4 fragment_offset / MF under their mask (an IPv4 fragment) */
  | { type: 'IPV4' | 'IPV6'; src?: string; dst?: string; proto?: number; ttl?: number; fragment?: boolean }
  | { type: 'UDP' | 'TCP'; src_port?: number; dst_port?: Masked<number>; tcp_flags?: Masked<number> }
  | { type: 'ICMP' | 'ICMP6'; icmp_type: number; icmp_code?: number }
  /** the state the CONNTRACK action (DOCA CT pipe) left: tracked, established, reply; and the connection's mark */
  | { type: 'CONNTRACK'; state?: { trk?: boolean; est?: boolean; rpl?: boolean }; mark?: Masked<number> }
  | { type: 'ARP_ETH_IPV4'; opcode?: number; sha?: string; spa?: string; tpa?: string }

export type RteAction =
  | { type: 'OF_POP_VLAN' }
  /** OF_PUSH_VLAN (TPID 0x8100) then OF_SET_VLAN_VID: out of a VLAN uplink */
  | { type: 'OF_PUSH_VLAN'; ethertype: 0x8100 }
  | { type: 'OF_SET_VLAN_VID'; vlan_vid: number }
  /** the NIC updates the IPv4 header and TCP/UDP checksums of a modified header (incrementally) */
  | { type: 'SET_IPV4_SRC' | 'SET_IPV4_DST' | 'SET_IPV6_SRC' | 'SET_IPV6_DST'; addr: string }
  | { type: 'VXLAN_DECAP' }
  | { type: 'SET_MAC_SRC' | 'SET_MAC_DST'; mac: string }
  | { type: 'DEC_TTL' }
  | { type: 'VXLAN_ENCAP'; vni: number; dst: string }
  /** SAMPLE with ratio 1: a copy goes through the sub-actions (a mirror), the rule goes on */
  | { type: 'SAMPLE'; ratio: 1; actions: RteAction[] }
  /** the verdict of a terminal action, as the 32-bit MARK the slow path reads back (flower-rule.ts VerdictNote) */
  | { type: 'MARK'; id: number; note: VerdictNote }
  | { type: 'REPRESENTED_PORT'; ethdev_port_id: number }
  | { type: 'TUNNEL_PORT' }
  | { type: 'JUMP'; group: number }
  /** look the packet up in the connection table of `zone` (RTE_FLOW_ACTION_TYPE_CONNTRACK / a DOCA CT pipe); no commit */
  | { type: 'CONNTRACK'; zone: number }
  | { type: 'DROP' }
  /** to the software path (RTE_FLOW_ACTION_TYPE_SEND_TO_KERNEL / a miss to the slow path) */
  | { type: 'SEND_TO_KERNEL'; why: string }

export interface RteFlowEntry {
  priority: number
  pattern: RteItem[]
  actions: RteAction[]
}

export interface RtePipe {
  name: string
  group: number
  /** the item fields this pipe matches (DOCA Flow match template) */
  match: string[]
  entries: RteFlowEntry[]
}

export interface RteProgram {
  pipes: RtePipe[]
}
