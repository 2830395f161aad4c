// Where each emitter field (offload/openflow/fields.ts) sits on the wire: its OXM class/field for matches and
// set_field, and its NXM header for NXAST_REG_MOVE (which names fields by 32-bit NXM headers, not OXM TLVs).
// Numbers are OVS meta-flow's (lib/meta-flow.xml, "NXM:"/"OXM:" lines), which ovs-ofctl prints and accepts.
//
// xxreg2 has no OXM of its own on OpenFlow 1.3 short of an experimenter TLV; it overlays reg8..reg11 (reg8 the
// most significant word), and OVS dumps it as those four registers, so it is encoded as them: the match read
// back then equals the one written (see flow-key.ts).
import type { OfFieldName } from '../../offload/openflow/fields.js'

export interface WireField {
  /** oxm_class: 0x8000 OpenFlow basic, 0x0000 NXM_0, 0x0001 NXM_1 */
  cls: number
  field: number
  bytes: number
  /** the bits the field really has, when fewer than its bytes hold: a mask of all of them is an exact match */
  valid?: bigint
}

const basic = (field: number, bytes: number): WireField => ({ cls: 0x8000, field, bytes })
const nxm0 = (field: number, bytes: number): WireField => ({ cls: 0x0000, field, bytes })
const nxm1 = (field: number, bytes: number): WireField => ({ cls: 0x0001, field, bytes })
const reg = (n: number): WireField => nxm1(n, 4)

/** OXM identity per field (OpenFlow 1.3.5 §7.2.3.7 or NXM_1), for matches and OFPAT_SET_FIELD. */
export const OXM_OF: Record<Exclude<OfFieldName, 'xxreg2'>, WireField> = {
  in_port: basic(0, 4),
  eth_dst: basic(3, 6),
  eth_src: basic(4, 6),
  eth_type: basic(5, 2),
  vlan_vid: { ...basic(6, 2), valid: 0x1fffn }, // OFPVID_PRESENT | 12-bit VID
  ip_proto: basic(10, 1),
  nw_src: basic(11, 4),
  nw_dst: basic(12, 4),
  udp_src: basic(15, 2),
  udp_dst: basic(16, 2),
  tcp_dst: basic(14, 2),
  sctp_dst: basic(18, 2),
  icmp_type: basic(19, 1),
  icmp_code: basic(20, 1),
  icmpv6_code: basic(30, 1),
  arp_op: basic(21, 2),
  arp_spa: basic(22, 4),
  arp_tpa: basic(23, 4),
  arp_sha: basic(24, 6),
  arp_tha: basic(25, 6),
  ipv6_src: basic(26, 16),
  ipv6_dst: basic(27, 16),
  icmpv6_type: basic(29, 1),
  nd_target: basic(31, 16),
  tun_id: basic(38, 8),
  nw_frag: { ...nxm1(26, 1), valid: 0x3n }, // NXM_NX_IP_FRAG: two bits (ovs-fields(7)); OVS dumps mask 3 as exact
  nw_ttl: nxm1(29, 1), // NXM_NX_IP_TTL
  tun_dst: nxm1(32, 4), // NXM_NX_TUN_IPV4_DST
  reg0: reg(0),
  reg1: reg(1),
  reg2: reg(2),
  reg3: reg(3),
  reg4: reg(4),
  reg5: reg(5),
  reg6: reg(6),
  reg7: reg(7),
  // conntrack and conjunction fields are Nicira-only (no OXM_OF_*): NXM_1 inside the OXM match, as OVS dumps them
  ct_state: nxm1(105, 4), // NXM_NX_CT_STATE
  ct_zone: nxm1(106, 2), // NXM_NX_CT_ZONE
  ct_mark: nxm1(107, 4), // NXM_NX_CT_MARK
  conj_id: nxm1(37, 4), // NXM_NX_CONJ_ID
}

/** reg8..reg11, most significant first: the words of xxreg2. */
export const XXREG2_WORDS: WireField[] = [reg(8), reg(9), reg(10), reg(11)]

/** NXM identity per field for NXAST_REG_MOVE (nicira-ext.h NXM_OF_* / NXM_NX_*). */
export const NXM_OF: Partial<Record<OfFieldName, WireField>> = {
  in_port: nxm0(0, 2),
  eth_dst: nxm0(1, 6),
  eth_src: nxm0(2, 6),
  eth_type: nxm0(3, 2),
  nw_src: nxm0(7, 4),
  nw_dst: nxm0(8, 4),
  arp_op: nxm0(15, 2),
  arp_spa: nxm0(16, 4),
  arp_tpa: nxm0(17, 4),
  tun_id: nxm1(16, 8),
  arp_sha: nxm1(17, 6),
  arp_tha: nxm1(18, 6),
  ipv6_src: nxm1(19, 16),
  ipv6_dst: nxm1(20, 16),
  nd_target: nxm1(23, 16),
  tun_dst: nxm1(32, 4),
  reg0: reg(0),
  reg1: reg(1),
  reg2: reg(2),
  reg3: reg(3),
  reg4: reg(4),
  reg5: reg(5),
  reg6: reg(6),
  reg7: reg(7),
}

/** The 32-bit NXM header: class (16) | field (7) | hasmask (1) | length (8). */
export function nxmHeader(f: WireField): number {
  return ((f.cls << 16) | (f.field << 9) | f.bytes) >>> 0
}
