// The frame the slow path generates for a packet-in (DHCP reply, ICMP error): one per packet, built in a
// buffer allocated once, large enough for the largest reply (an ICMPv6 error of IPV6_MIN_MTU bytes).
import { st16, st32 } from '../codec/bytes'
import { checksumOf } from '../codec/checksum'
import { IPV4_CHECKSUM, IPV4_FLAGS_FRAG, IPV4_ID, IPV4_MIN_HEADER_BYTES, IPPROTO_UDP, IPV4_PROTO, IPV4_TOTAL_LEN, IPV4_TTL, IPV4_VER_IHL, ORIGINATED_TTL } from '../codec/ipv4'
import { UDP_CHECKSUM, UDP_DST_PORT, UDP_LEN, UDP_SRC_PORT } from '../codec/udp'
import { writeL4Checksum } from '../codec/l4-checksum'

export const REPLY_CAPACITY: i32 = 2048
const buffer: usize = heap.alloc(<usize>REPLY_CAPACITY)

export function replyBuffer(): usize {
  return buffer
}

/** A 20-byte IPv4 header (no options, TTL 64) with its checksum; `src`/`dst` in host order. */
export function writeIpv4Header(ip: usize, proto: u32, payloadLen: i32, src: u32, dst: u32): void {
  store<u8>(ip + IPV4_VER_IHL, 0x45)
  store<u8>(ip, 0, 1)
  st16(ip + IPV4_TOTAL_LEN, <u32>(IPV4_MIN_HEADER_BYTES + payloadLen))
  st16(ip + IPV4_ID, 0)
  st16(ip + IPV4_FLAGS_FRAG, 0)
  store<u8>(ip + IPV4_TTL, <u8>ORIGINATED_TTL)
  store<u8>(ip + IPV4_PROTO, <u8>proto)
  st16(ip + IPV4_CHECKSUM, 0)
  st32(ip + 12, src)
  st32(ip + 16, dst)
  st16(ip + IPV4_CHECKSUM, checksumOf(ip, IPV4_MIN_HEADER_BYTES))
}

/** The UDP header after a 20-byte IPv4 header, with its checksum over the payload already in place. */
export function writeUdp(ip: usize, srcPort: u32, dstPort: u32, len: i32): void {
  const udp = ip + <usize>IPV4_MIN_HEADER_BYTES
  st16(udp + UDP_SRC_PORT, srcPort)
  st16(udp + UDP_DST_PORT, dstPort)
  st16(udp + UDP_LEN, <u32>len)
  writeL4Checksum(4, ip, IPPROTO_UDP, udp, len, UDP_CHECKSUM)
}
