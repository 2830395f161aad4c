// The packet being processed: where its headers are and what the stages decided so far.
// One packet at a time, so one instance, allocated once; stages read and write it instead of passing
// a dozen arguments. Header positions are absolute addresses in linear memory (0 = absent), so stripping a
// VLAN tag or decapsulating moves `base` without touching the rest.
import { VERDICT_DROP } from '../../spec/verdicts'

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

  // pipeline state
  network: u32 = 0
  srcPort: u32 = 0
  routed: bool = false
  router: u32 = 0
  /** the router port the packet entered the router through */
  routerPort: u32 = 0
  dstPort: u32 = 0

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

/** Start over for a new frame at `base`. */
export function resetPacket(base: usize, len: i32, inPort: u32, tunnelKey: u32): void {
  pkt.base = base
  pkt.len = len
  pkt.inPort = inPort
  pkt.tunnelKey = tunnelKey
  pkt.ethType = 0
  pkt.vid = 0
  pkt.tagged = false
  pkt.family = 0
  pkt.l3 = 0
  pkt.ipEnd = 0
  pkt.proto = PROTO_NONE
  pkt.l4 = 0
  pkt.fragment = false
  pkt.laterFragment = false
  pkt.decapsulated = false
  pkt.network = 0
  pkt.srcPort = 0
  pkt.routed = false
  pkt.router = 0
  pkt.routerPort = 0
  pkt.dstPort = 0
  pkt.action = VERDICT_DROP
  pkt.reason = 0
  pkt.ofport = 0
  pkt.vNetwork = 0
  pkt.vPort = 0
  pkt.remote = 0
  pkt.replyLen = 0
  pkt.replyPort = 0
}

/** Bytes from `p` to the end of the frame (negative when `p` is past it). */
@inline export function bytesFrom(p: usize): i32 {
  return <i32>(pkt.base + <usize>pkt.len) - <i32>p
}
