// The packet being processed: where its headers are and what the stages decided so far.
// One packet at a time, so one instance, allocated once; stages read and write it instead of passing
// a dozen arguments. Header positions are absolute addresses in linear memory (0 = absent), so stripping a
// VLAN tag or decapsulating moves `base` without touching the rest.
import { VERDICT_DROP } from '../../spec/verdicts'

// VERDICT_DROP must be 0: resetPacket zeroes the verdict.

export const PROTO_NONE: u32 = 0xffff

@final @unmanaged export class Packet {
  // the frame
  base: usize = 0
  len: i32 = 0
  inPort: u32 = 0
  tunnelKey: u32 = 0
  /** packet-in mode: the slow path answers punts (DHCP, ICMP errors) */
  slowPath: bool = false
  nowMs: f64 = 0

  // parse results
  ethType: u32 = 0
  vid: u32 = 0
  tagged: bool = false
  /** 4, 6 or 0 (not IP) */
  family: u32 = 0
  l3: usize = 0
  /** end of the IP datagram (Ethernet padding excluded) */
  ipEnd: usize = 0
  proto: u32 = PROTO_NONE
  l4: usize = 0
  fragment: bool = false
  /** a fragment other than the first: no L4 header */
  laterFragment: bool = false
  decapsulated: bool = false
  /** classified from an uplink (a provider network's physical port): from outside, like a decapsulated frame */
  fromUplink: bool = false
  /** that uplink's VLAN id (0: flat): replies built for the frame go back tagged with it */
  uplinkVid: u32 = 0

  // pipeline state
  network: u32 = 0
  srcPort: u32 = 0
  routed: bool = false
  router: u32 = 0
  /** the router port the packet entered the router through */
  routerPort: u32 = 0
  /** the router port the route chose (lr_out_snat compares it with the router's gateway port) */
  outRouterPort: u32 = 0
  /** lr_in_dnat set eth_dst to the gateway port's MAC (a frame to a floating IP's MAC): it may enter the router */
  dnatToGateway: bool = false
  dstPort: u32 = 0
  /** conntrack state of the last ct lookup (CT_STATE_* bits, spec/trace.ts), 0 = not tracked */
  ctState: u32 = 0
  /** the zone of that lookup (network key & 0xffff) */
  ctZone: u32 = 0
  /** ct_mark of the connection found (CT_MARK_BLOCKED) */
  ctMark: u32 = 0
  /** that connection (slot + 1, tables/conntrack.ts), 0 = none: a second lookup in its zone reuses it */
  ctConn: u32 = 0
  /** the acl_port row of the port the current ct/acl pair enforces (0 = none): found once, by the ct stage */
  aclRow: usize = 0
  /** that pair's packet is always allowed (DHCP, ND, MLD: acl-packet.ts alwaysAllowed), as its ct stage found */
  aclAlways: bool = false

  // verdict
  action: i32 = VERDICT_DROP
  reason: i32 = 0
  ofport: u32 = 0
  vNetwork: u32 = 0
  vPort: u32 = 0
  /** tunnel endpoint, IPv4 in network order as stored in memory */
  remote: u32 = 0

  // packet-in reply (at most one per packet)
  replyLen: i32 = 0
  replyPort: u32 = 0
}

export const pkt = new Packet()
/** Rounded up to whole words: the allocator rounds blocks to 16 bytes, so the tail word is ours. */
const PACKET_BYTES: usize = (offsetof<Packet>() + 7) & ~7

/** Start over for a new frame at `base`: every field zero (VERDICT_DROP, reason none) but these. */
export function resetPacket(base: usize, len: i32, inPort: u32, tunnelKey: u32): void {
  // 8 bytes at a time: cheaper than a bulk-memory call for a struct this small
  const p = changetype<usize>(pkt)
  for (let i: usize = 0; i < PACKET_BYTES; i += 8) store<u64>(p + i, 0)
  pkt.base = base
  pkt.len = len
  pkt.inPort = inPort
  pkt.tunnelKey = tunnelKey
  pkt.proto = PROTO_NONE
}

/** The frame came from outside the cloud's ports (a tunnel or an uplink): no source port, no port security,
 * no DHCP, no source-side security groups. */
@inline export function fromOutside(): bool {
  return pkt.decapsulated || pkt.fromUplink
}

/** Bytes from `p` to the end of the frame (negative when `p` is past it). */
@inline export function bytesFrom(p: usize): i32 {
  return <i32>(pkt.base + <usize>pkt.len) - <i32>p
}
