// The verdict as the host reads it, VERDICT_RECORD_BYTES bytes little-endian:
//
//   0        1        2        4        8         12       16        20          24          28       32
//   +--------+--------+--------+--------+---------+--------+---------+-----------+-----------+--------+
//   | action | reason |  0     | ofport | network | port   | remote  | frame off | frame len |   0    |
//   +--------+--------+--------+--------+---------+--------+---------+-----------+-----------+--------+
//
// remote is the tunnel endpoint's IPv4 bytes in network order; frame off is from the start of the result.
import { pkt } from './packet'

export const VERDICT_RECORD_BYTES: i32 = 32

export function writeVerdictRecord(rec: usize, resultStart: usize): void {
  store<u8>(rec, <u8>pkt.action)
  store<u8>(rec, <u8>pkt.reason, 1)
  store<u16>(rec, 0, 2)
  store<u32>(rec, pkt.ofport, 4)
  store<u32>(rec, pkt.vNetwork, 8)
  store<u32>(rec, pkt.vPort, 12)
  store<u32>(rec, pkt.remote, 16)
  store<u32>(rec, <u32>(pkt.base - resultStart), 20)
  store<u32>(rec, <u32>pkt.len, 24)
  store<u32>(rec, 0, 28)
}
