// Tunnel decapsulation (BEHAVIOUR.md step 2): an IPv4/UDP frame to the VXLAN or Geneve port carries an inner
// Ethernet frame; the pipeline continues on the inner frame, classified by the VNI.
import { REASON_BAD_TUNNEL, REASON_NONE } from '../../spec/verdicts'
import { ld16, ld32 } from '../codec/bytes'
import { ETHERTYPE_TEB } from '../codec/ethernet'
import { IPPROTO_UDP } from '../codec/ipv4'
import {
  GENEVE_HEADER_BYTES, GENEVE_PROTOCOL, GENEVE_VERSION, GENEVE_VER_OPTLEN, GENEVE_VNI, VXLAN_FLAGS,
  VXLAN_FLAG_I, VXLAN_HEADER_BYTES, VXLAN_VNI,
} from '../codec/tunnel'
import { UDP_DST_PORT, UDP_HEADER_BYTES, UDP_PORT_GENEVE, UDP_PORT_VXLAN } from '../codec/udp'
import { pkt } from './packet'

/** The UDP destination port when the parsed frame is a tunnel frame, else 0. */
export function tunnelPort(): u32 {
  if (pkt.family != 4 || pkt.proto != IPPROTO_UDP || pkt.fragment) return 0
  const port = ld16(pkt.l4 + UDP_DST_PORT)
  return port == UDP_PORT_VXLAN || port == UDP_PORT_GENEVE ? port : 0
}

/** Moves the frame to the inner Ethernet frame and sets the tunnel key; returns a reason (0: done). */
export function decapsulate(port: u32): i32 {
  const payload = pkt.l4 + <usize>UDP_HEADER_BYTES
  const room = <i32>(pkt.ipEnd - payload)
  let header: i32
  if (port == UDP_PORT_VXLAN) {
    // RFC 7348 5: the I flag must be set for a valid VNI.
    if (room < VXLAN_HEADER_BYTES || (load<u8>(payload + VXLAN_FLAGS) & VXLAN_FLAG_I) == 0) return REASON_BAD_TUNNEL
    header = VXLAN_HEADER_BYTES
    pkt.tunnelKey = ld32(payload + VXLAN_VNI) >> 8
  } else {
    // RFC 8926 3.4: version 0, options inside the payload, an Ethernet payload (protocol 0x6558).
    if (room < GENEVE_HEADER_BYTES) return REASON_BAD_TUNNEL
    const verOpt = <u32>load<u8>(payload + GENEVE_VER_OPTLEN)
    header = GENEVE_HEADER_BYTES + (<i32>(verOpt & 0x3f) << 2)
    if ((verOpt >> 6) != GENEVE_VERSION || header > room || ld16(payload + GENEVE_PROTOCOL) != ETHERTYPE_TEB) {
      return REASON_BAD_TUNNEL
    }
    pkt.tunnelKey = ld32(payload + GENEVE_VNI) >> 8
  }
  const inner = payload + <usize>header
  pkt.len = <i32>(pkt.ipEnd - inner)
  pkt.base = inner
  pkt.decapsulated = true
  return REASON_NONE
}
