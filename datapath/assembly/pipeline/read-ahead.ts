// Read-ahead for batches (batch.ts): before a run of frames goes through the pipeline, the connection-table
// slots they will look up are read, all of them back to back, so that their cache misses overlap instead of
// each stalling its own packet (with 100k connections a slot is a miss, and that wait was most of the time of
// established forwarding). WebAssembly has no prefetch instruction: the reads are plain loads folded into a
// sink, in a loop of their own so that many are in flight at once.
//
// Only a guess: the headers are read as far as the connection key needs (Ethernet, one VLAN tag, IPv4 or IPv6
// without extension headers, TCP / UDP / SCTP ports) with bounds checks but none of the pipeline's validation,
// which runs afterwards as always. A wrong guess (a frame the pipeline drops, routes to another zone, or does
// not track) costs one useless read, never a different verdict: nothing here writes what the pipeline reads.
import { ld16 } from '../codec/bytes'
import { ETH_HEADER_BYTES, ETH_TYPE, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_VLAN, VLAN_TAG_BYTES, VLAN_TCI, VLAN_VID_MASK } from '../codec/ethernet'
import {
  IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, IPV4_DST, IPV4_FLAGS_FRAG, IPV4_FRAG_OFFSET_MASK, IPV4_MIN_HEADER_BYTES,
  IPV4_PROTO, IPV4_SRC, IPV4_VER_IHL,
} from '../codec/ipv4'
import { IPV6_DST, IPV6_HEADER_BYTES, IPV6_NEXT_HEADER, IPV6_SRC } from '../codec/ipv6'
import { NO_NETWORK, classifyNetwork } from '../stages/classify'
import { ctCount, ctHomeSlot, ctHomeTcpState, ctSetKey } from '../tables/conntrack'

/** Frames per run: their slots (64 bytes each, two for TCP) stay in the cache until the run is processed. */
export const READ_AHEAD_RUN: i32 = 32
const noted: usize = memory.data(READ_AHEAD_RUN * 2 * 4, 4)
let notedCount: i32 = 0
/** What the reads load, kept so that the compiler cannot drop them. */
let sink: u32 = 0

/** Whether read-ahead can pay: only when connections are held (no security groups: nothing to read). */
@inline export function readAheadWanted(): bool {
  return ctCount() != 0
}

/** Notes the slot the frame's connection lookup will start at (frames from a tunnel: none, as their ct stage). */
export function noteFrame(frame: usize, len: i32, inPort: u32, tunnelKey: u32): void {
  if (tunnelKey != 0 || len < ETH_HEADER_BYTES + IPV4_MIN_HEADER_BYTES + 4) return
  // every read stays inside the frame (the batch may end at the end of memory)
  const end = frame + <usize>len
  let ethType = ld16(frame + ETH_TYPE)
  let l3 = frame + <usize>ETH_HEADER_BYTES
  let vid: u32 = 0
  if (ethType == ETHERTYPE_VLAN) {
    if (frame + <usize>(ETH_HEADER_BYTES + VLAN_TAG_BYTES) > end) return
    vid = ld16(frame + VLAN_TCI) & VLAN_VID_MASK
    ethType = ld16(frame + VLAN_TCI + 2)
    l3 += <usize>VLAN_TAG_BYTES
  }
  let family: u32
  let proto: u32
  let l4: usize
  let src: usize
  let dst: usize
  if (ethType == ETHERTYPE_IPV4) {
    if (l3 + <usize>IPV4_MIN_HEADER_BYTES > end) return
    const ihl = <usize>(load<u8>(l3 + IPV4_VER_IHL) & 0xf) << 2
    // a later fragment has no ports: it is not tracked
    if ((ld16(l3 + IPV4_FLAGS_FRAG) & IPV4_FRAG_OFFSET_MASK) != 0) return
    family = 4
    proto = <u32>load<u8>(l3 + IPV4_PROTO)
    l4 = l3 + ihl
    src = l3 + IPV4_SRC
    dst = l3 + IPV4_DST
  } else if (ethType == ETHERTYPE_IPV6) {
    if (l3 + <usize>IPV6_HEADER_BYTES > end) return
    family = 6
    proto = <u32>load<u8>(l3 + IPV6_NEXT_HEADER)
    l4 = l3 + <usize>IPV6_HEADER_BYTES
    src = l3 + IPV6_SRC
    dst = l3 + IPV6_DST
  } else {
    return
  }
  if (l4 + 4 > end || (proto != IPPROTO_TCP && proto != IPPROTO_UDP && proto != IPPROTO_SCTP)) return
  const network = classifyNetwork(inPort, vid)
  if (network == NO_NETWORK) return
  ctSetKey(network & 0xffff, family, proto, src, ld16(l4), dst, ld16(l4 + 2))
  store<u32>(noted + (<usize>notedCount << 2), <u32>ctHomeSlot())
  notedCount++
  if (proto == IPPROTO_TCP) {
    store<u32>(noted + (<usize>notedCount << 2), <u32>ctHomeTcpState())
    notedCount++
  }
}

/** Reads every noted slot, all loads independent of each other, and forgets them. */
export function readNoted(): void {
  let acc = sink
  for (let i = 0; i < notedCount; i++) acc ^= load<u32>(<usize>load<u32>(noted + (<usize>i << 2)))
  sink = acc
  notedCount = 0
}
