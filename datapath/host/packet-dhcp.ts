// DHCPv4 names and numbers shared by the builder, the decoder and the field parser (RFC 2131, RFC 2132).

/** RFC 2131 3: the first four octets of the options field. */
export const DHCP_MAGIC_COOKIE = 0x63825363
/** RFC 2131 2: op, htype, hlen, hops, xid, secs, flags, ciaddr, yiaddr, siaddr, giaddr, chaddr(16), sname(64), file(128). */
export const DHCP_FIXED_LENGTH = 236
export const DHCP_OP_BOOTREQUEST = 1
export const DHCP_OP_BOOTREPLY = 2
/** RFC 2131 2, figure 2: the leftmost bit of `flags`. */
export const DHCP_FLAG_BROADCAST = 0x8000
export const DHCP_SERVER_PORT = 67
export const DHCP_CLIENT_PORT = 68

/** RFC 2132 9.6: option 53 values. */
export const DHCP_MESSAGE_TYPES = {
  discover: 1,
  offer: 2,
  request: 3,
  decline: 4,
  ack: 5,
  nak: 6,
  release: 7,
  inform: 8,
} as const
export type DhcpMessageType = keyof typeof DHCP_MESSAGE_TYPES

export function dhcpTypeName(code: number): DhcpMessageType | undefined {
  return (Object.keys(DHCP_MESSAGE_TYPES) as DhcpMessageType[]).find(k => DHCP_MESSAGE_TYPES[k] === code)
}

/** RFC 2132 (and RFC 3442 for 121): the option codes the pipeline writes or reads. */
export const DHCP_OPT = {
  PAD: 0,
  SUBNET_MASK: 1,
  ROUTER: 3,
  DNS: 6,
  DOMAIN_NAME: 15,
  MTU: 26,
  REQUESTED_IP: 50,
  LEASE_TIME: 51,
  MESSAGE_TYPE: 53,
  SERVER_ID: 54,
  PARAM_REQUEST_LIST: 55,
  RENEWAL_T1: 58,
  REBINDING_T2: 59,
  CLIENT_ID: 61,
  CLASSLESS_ROUTES: 121,
  END: 255,
} as const
