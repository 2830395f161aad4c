// Header rewrites of the north-south path (BEHAVIOUR.md "Ways in and out") as the target MODELS perform them:
// 802.1Q push for an uplink, and the address rewrite of 1:1 NAT with its checksums. Two ways to fix the
// checksums, because the targets differ: TC's act_csum recomputes the IPv4 header and TCP/UDP checksums from
// the packet (net/sched/act_csum.c), a NIC modify-header engine or a P4 deparser updates them incrementally
// (RFC 1624). For a packet whose checksums were right both give the same bytes; a zero UDP checksum over IPv4
// ("none", RFC 768) stays zero in both.
import { parseIp } from '../../datapath/host/addresses.js'
import { internetChecksum, pseudoHeaderSum } from '../../datapath/host/packet-checksum.js'
import { IP_PROTO_TCP, IP_PROTO_UDP, type FrameKey } from './frame-dissector.js'

/** IEEE 802.1Q TPID */
const TPID_8021Q = 0x8100
/** RFC 9293 §3.1, RFC 768: where the checksum sits in the L4 header */
const TCP_CSUM_AT = 16
const UDP_CSUM_AT = 6

/** The frame with an 802.1Q tag (PCP 0, DEI 0, `vid`) after the two MACs. */
export function pushVlan(frame: Uint8Array, vid: number): Uint8Array {
  const tag = Uint8Array.of(TPID_8021Q >> 8, TPID_8021Q & 0xff, (vid >> 8) & 0x0f, vid & 0xff)
  return Uint8Array.from([...frame.subarray(0, 12), ...tag, ...frame.subarray(12)])
}

export type ChecksumFix = 'recompute' | 'incremental'

const word = (b: Uint8Array, at: number): number => ((b[at] as number) << 8) | (b[at + 1] as number)
const putWord = (b: Uint8Array, at: number, v: number): void => {
  b[at] = (v >> 8) & 0xff
  b[at + 1] = v & 0xff
}

/** RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), over the 16-bit words of the changed field. */
function incremental(sum: number, before: Uint8Array, after: Uint8Array): number {
  let acc = ~sum & 0xffff
  for (let i = 0; i < before.length; i += 2) acc += (~word(before, i) & 0xffff) + word(after, i)
  while (acc > 0xffff) acc = (acc & 0xffff) + (acc >>> 16)
  return ~acc & 0xffff
}

/**
 * Sets the IP source or destination of `frame` (dissected as `key`) to `ip`, and fixes the IPv4 header checksum
 * and the TCP/UDP checksum (pseudo-header) the way `fix` says. Later fragments carry no L4 header: only the IP
 * header changes. Does nothing to a frame without an IP header of the address's family.
 */
export function setIpAddress(frame: Uint8Array, key: FrameKey, o: { field: 'src' | 'dst'; ip: string; fix: ChecksumFix }): void {
  const addr = parseIp(o.ip)
  const v4 = addr.family === 4
  if (key.ip_src === undefined || key.ip_src.family !== addr.family) return
  const at = key.l3 + (v4 ? (o.field === 'src' ? 12 : 16) : o.field === 'src' ? 8 : 24)
  const before = frame.slice(at, at + addr.bytes.length)
  frame.set(addr.bytes, at)
  const ihl = v4 ? ((frame[key.l3] as number) & 0x0f) * 4 : 40
  if (v4) {
    if (o.fix === 'incremental') putWord(frame, key.l3 + 10, incremental(word(frame, key.l3 + 10), before, addr.bytes))
    else {
      putWord(frame, key.l3 + 10, 0)
      putWord(frame, key.l3 + 10, internetChecksum(frame.subarray(key.l3, key.l3 + ihl)))
    }
  }
  const l4 = key.l3 + ihl
  const csumAt = key.ip_proto === IP_PROTO_TCP ? TCP_CSUM_AT : key.ip_proto === IP_PROTO_UDP ? UDP_CSUM_AT : undefined
  const laterFragment = v4 && (word(frame, key.l3 + 6) & 0x1fff) !== 0
  if (csumAt === undefined || laterFragment || frame.length < l4 + csumAt + 2) return
  const old = word(frame, l4 + csumAt)
  if (key.ip_proto === IP_PROTO_UDP && v4 && old === 0) return // RFC 768: no checksum
  if (o.fix === 'incremental') {
    putWord(frame, l4 + csumAt, incremental(old, before, addr.bytes))
    return
  }
  // act_csum: over the segment the IP header says there is (IPv4 total length / IPv6 payload length)
  const end = v4 ? key.l3 + word(frame, key.l3 + 2) : l4 + word(frame, key.l3 + 4)
  if (end > frame.length || end < l4 + csumAt + 2) return
  const src = parseIp(ipText(frame, key.l3 + (v4 ? 12 : 8), v4))
  const dst = parseIp(ipText(frame, key.l3 + (v4 ? 16 : 24), v4))
  putWord(frame, l4 + csumAt, 0)
  let sum = internetChecksum(frame.subarray(l4, end), pseudoHeaderSum(src, dst, key.ip_proto as number, end - l4))
  if (sum === 0 && key.ip_proto === IP_PROTO_UDP) sum = 0xffff // RFC 768: a computed zero is sent as all ones
  putWord(frame, l4 + csumAt, sum)
}

function ipText(b: Uint8Array, at: number, v4: boolean): string {
  if (v4) return [...b.subarray(at, at + 4)].join('.')
  const words: string[] = []
  for (let i = 0; i < 16; i += 2) words.push(word(b, at + i).toString(16))
  return words.join(':')
}
