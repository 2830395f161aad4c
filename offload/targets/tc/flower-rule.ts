// Typed TC flower rules: what tc-batch-text.ts renders and flower-model.ts executes. One shared block holds every
// rule; `indev` stands for the ingress netdev (named after its OpenFlow port, `p<ofport>`).
// Addresses are text (entries.ts style); prefixes are CIDR text.

export interface FlowerMatch {
  /** ingress netdev, by OpenFlow port */
  indev?: number
  /** 802.1Q VID, or 'any' for every tagged frame (protocol 802.1Q without vlan_id) */
  vlan?: number | 'any'
  /** tunnel key set by the tunnel netdev's decap (enc_key_id) */
  enc_key_id?: number
  /** frames that arrived through the tunnel netdev */
  fromTunnel?: boolean
  eth_src?: string
  eth_dst?: string
  /** a mask for eth_dst / eth_src (only the I/G bit is used: multicast) */
  eth_dst_mask?: string
  eth_src_mask?: string
  eth_type?: number
  ip_proto?: number
  src_ip?: string
  dst_ip?: string
  ip_ttl?: number
  arp_op?: number
  arp_sha?: string
  arp_sip?: string
  arp_tip?: string
  src_port?: number
  dst_port?: number
  /** a mask for dst_port: a port-range term (value/mask) */
  dst_port_mask?: number
  icmp_type?: number
  icmp_code?: number
  /** TCP flags under a mask (tcp_flags VALUE/MASK) */
  tcp_flags?: { value: number; mask: number }
  /** ip_flags frag: an IPv4 fragment */
  ip_frag?: boolean
  /** ct_state after a ct action: true = +flag, false = -flag (trk, est, rpl) */
  ct_state?: { trk?: boolean; est?: boolean; rpl?: boolean }
  /** ct_mark VALUE/MASK */
  ct_mark?: { value: number; mask: number }
}

/**
 * What a terminal action means as a pipeline verdict, carried in the action's TC cookie (16 bytes, the same
 * device OVS uses to map an offloaded rule back to its flow): the verdict, reason code and keys.
 */
export interface VerdictNote {
  action: 'output' | 'tunnel' | 'flood' | 'drop'
  reason: number
  network?: number
  port?: number
}

export type TcAction =
  | { kind: 'vlan_pop' }
  /** vlan push id N (802.1Q, priority 0): out of a VLAN uplink */
  | { kind: 'vlan_push'; vid: number }
  /** pedit ip/ip6 src|dst set ADDR, then `csum ip4h and tcp and udp` (1:1 NAT, BEHAVIOUR.md "Ways in and out") */
  | { kind: 'pedit_ip'; field: 'src' | 'dst'; ip: string }
  | { kind: 'tunnel_key_unset' }
  | { kind: 'pedit_eth'; field: 'src' | 'dst'; mac: string }
  /** pedit ip ttl / ip6 hoplimit add 0xff (minus one), then `csum ip` for IPv4 */
  | { kind: 'dec_ttl'; family: 4 | 6 }
  | { kind: 'tunnel_key_set'; id: number; dst: string }
  /** mirror: a copy leaves, the rule goes on; redirect: the frame leaves (terminal) */
  | { kind: 'mirred'; mode: 'mirror' | 'redirect'; to: number | 'tunnel'; note?: VerdictNote }
  | { kind: 'goto'; chain: number }
  /** act_ct: look the packet up in the target's connection table of `zone` (sets ct_state, ct_mark); no commit */
  | { kind: 'ct'; zone: number }
  | { kind: 'drop'; note: VerdictNote }
  /** trap to the software path (TC_ACT_TRAP): the WASM pipeline decides this frame */
  | { kind: 'trap'; why: string }

export interface FlowerRule {
  chain: number
  /** lower is tried first (tc prio) */
  prio: number
  match: FlowerMatch
  actions: TcAction[]
  /** the pipeline stage this rule implements (a STAGES name) */
  stage: string
}

/** The emitted program: the rules, the chain names and the tunnel netdev. */
export interface TcProgram {
  rules: FlowerRule[]
  chains: Map<number, string>
  tunnel: 'vxlan' | 'geneve'
  /** ofport of the tunnel netdev (frames given with tunnel_key arrive there) */
  tunnelOfport?: number
}
