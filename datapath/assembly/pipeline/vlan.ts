// 802.1Q tags on the frame being processed: stripped on the way in (classify), pushed on the way out of a VLAN
// uplink. Both slide the two MACs and move `base`; the headers after the tag stay where they are. Every frame
// buffer has FRAME_HEADROOM bytes before the frame (batch.ts, packet-in.ts), so a push never leaves it.
import { st16 } from '../codec/bytes'
import { ETHERTYPE_VLAN, VLAN_TAG_BYTES, VLAN_VID_MASK } from '../codec/ethernet'
import { pkt } from './packet'

export function stripVlan(): void {
  // overlapping by 8 bytes: copy from the end (12 bytes = the two MACs)
  const b = pkt.base
  store<u32>(b + 12, load<u32>(b + 8))
  store<u64>(b + 4, load<u64>(b))
  pkt.base += <usize>VLAN_TAG_BYTES
  pkt.len -= VLAN_TAG_BYTES
  pkt.tagged = false
}

/** Inserts a tag with `vid` (PCP 0, DEI 0) after the MACs. */
export function pushVlan(vid: u32): void {
  const b = pkt.base - <usize>VLAN_TAG_BYTES
  // overlapping: copy from the start (the destination is lower)
  store<u64>(b, load<u64>(b + 4))
  store<u32>(b + 8, load<u32>(b + 12))
  st16(b + 12, ETHERTYPE_VLAN)
  st16(b + 14, vid & VLAN_VID_MASK)
  pkt.base = b
  pkt.len += VLAN_TAG_BYTES
}

/** A reply built for a frame that came from a VLAN uplink goes back with that uplink's tag. */
@inline export function tagReplyForUplink(): void {
  if (pkt.fromUplink && pkt.uplinkVid != 0) pushVlan(pkt.uplinkVid)
}

/** Writes the `len`-byte reply frame at `src` to `dst` tagged when it answers a frame from a VLAN uplink;
 * returns the bytes written. */
export function copyReply(dst: usize, src: usize, len: i32): i32 {
  if (!pkt.fromUplink || pkt.uplinkVid == 0 || len < 12) {
    memory.copy(dst, src, <usize>len)
    return len
  }
  memory.copy(dst, src, 12)
  st16(dst + 12, ETHERTYPE_VLAN)
  st16(dst + 14, pkt.uplinkVid & VLAN_VID_MASK)
  memory.copy(dst + 16, src + 12, <usize>(len - 12))
  return len + VLAN_TAG_BYTES
}
