// The overlay encapsulations a chassis can speak, declared once: the agent's --tunnel flag, the config file's
// agent.tunnel, the chassis record's tunnel_types and the tunnel port's OVS interface type all read this list,
// so another encapsulation is one entry here (plus what its OVS port needs in agent/ovsdb/vswitch.ts).
// Each name is also the OVS Interface type of the flow-based tunnel port (remote_ip=flow, key=flow).
// The tunnel key carried is the network key (tun_id): 24 bits in VXLAN (RFC 7348) and Geneve (RFC 8926),
// 32 bits in GRE (the Key field of RFC 2890).
export const TUNNEL_TYPES = ['vxlan', 'geneve', 'gre'] as const

export type TunnelType = (typeof TUNNEL_TYPES)[number]

/** The encapsulation when none is asked for (what the agent has always used). */
export const DEFAULT_TUNNEL_TYPE: TunnelType = 'vxlan'

export const isTunnelType = (s: string): s is TunnelType => (TUNNEL_TYPES as readonly string[]).includes(s)
