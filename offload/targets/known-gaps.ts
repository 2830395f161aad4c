// Where an offload target truly cannot express datapath/BEHAVIOUR.md, listed with the reason. The equivalence
// tests count a disagreement as a known gap only when the WASM verdict's reason is listed here; any other
// disagreement fails.
export interface KnownGap {
  /** the WASM pipeline's reason (REASON_NAMES) for the frame */
  reason: string
  why: string
}

const VALIDATION = 'BEHAVIOUR.md §1 validation: a NIC parser (flower dissector, rte_flow pattern, P4 parser as emitted) ' +
  'extracts fields but does not check'

export const KNOWN_GAPS: KnownGap[] = [
  { reason: 'truncated', why: `${VALIDATION} that L4 headers are present: a cut frame simply does not match L4 keys` },
  { reason: 'bad_vlan', why: `${VALIDATION} a truncated 802.1Q tag` },
  { reason: 'bad_arp', why: `${VALIDATION} ARP htype/ptype/hlen/plen/op` },
  { reason: 'bad_ipv4_header', why: `${VALIDATION} IPv4 version, IHL and total length` },
  { reason: 'bad_ipv4_checksum', why: `${VALIDATION} the IPv4 header checksum (no offloadable checksum verification as a match)` },
  { reason: 'bad_ipv6_header', why: `${VALIDATION} IPv6 version and payload length` },
  { reason: 'bad_ipv6_ext', why: `${VALIDATION} IPv6 extension header chains` },
  { reason: 'bad_tunnel', why: `${VALIDATION} VXLAN flags or Geneve lengths (the tunnel netdev decapsulates what it can)` },
]

export function knownGapFor(wasmReason: string): KnownGap | undefined {
  return KNOWN_GAPS.find(g => g.reason === wasmReason)
}
