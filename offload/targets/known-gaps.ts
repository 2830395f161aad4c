// Where an offload target truly cannot express datapath/BEHAVIOUR.md, listed with the reason. The equivalence
// tests count a disagreement as a known gap only when the WASM verdict's reason is listed here; any other
// disagreement fails.
import type { Profile } from '../profile.js'

export interface KnownGap {
  /** the WASM pipeline's reason (REASON_NAMES) for the frame */
  reason: string
  why: string
  /** a gap only on profiles that claim this (undefined: every profile) */
  onlyWhen?: (p: Profile) => boolean
}

const VALIDATION =
  'BEHAVIOUR.md §1 validation: a NIC parser (flower dissector, rte_flow pattern, P4 parser as emitted) ' +
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
  {
    reason: 'ct_invalid',
    why:
      'a TCP segment outside the window of a connection the target holds: the target forwards it, the software would ' +
      'call it invalid (profile conntrack.tcpWindow "not-checked": the NIC\'s CT table holds no sequence state, HARDWARE-FACTS.md §1.3)',
    onlyWhen: p => p.conntrack.mode === 'established-offload' && p.conntrack.tcpWindow === 'not-checked',
  },
]

/** The gap a disagreement falls in, given the WASM reason and (for profile-specific gaps) the profile. */
export function knownGapFor(wasmReason: string, profile?: Profile): KnownGap | undefined {
  return KNOWN_GAPS.find(g => g.reason === wasmReason && (g.onlyWhen === undefined || (profile !== undefined && g.onlyWhen(profile))))
}
