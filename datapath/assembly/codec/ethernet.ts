// Ethernet II (IEEE 802.3 clause 3.2.6 / RFC 894) and the 802.1Q tag (IEEE 802.1Q 9.6).

export const ETH_DST: usize = 0
export const ETH_SRC: usize = 6
export const ETH_TYPE: usize = 12
export const ETH_HEADER_BYTES: i32 = 14
export const ETH_ADDR_BYTES: i32 = 6

// EtherTypes (IEEE Registration Authority; RFC 7042 appendix B).
export const ETHERTYPE_IPV4: u32 = 0x0800
export const ETHERTYPE_ARP: u32 = 0x0806
export const ETHERTYPE_VLAN: u32 = 0x8100
export const ETHERTYPE_IPV6: u32 = 0x86dd
/** Transparent Ethernet Bridging: Geneve's protocol type for an inner Ethernet frame (RFC 8926 3.4). */
export const ETHERTYPE_TEB: u32 = 0x6558

// 802.1Q tag after the two MACs: TPID (0x8100) then TCI (PCP 3 bits, DEI 1 bit, VID 12 bits).
export const VLAN_TCI: usize = 14
export const VLAN_TAG_BYTES: i32 = 4
export const VLAN_VID_MASK: u32 = 0x0fff

/** The I/G bit: set in the first octet for group (multicast and broadcast) addresses (IEEE 802 8.2). */
@inline export function isGroupMac(p: usize): bool {
  return (load<u8>(p) & 1) != 0
}
