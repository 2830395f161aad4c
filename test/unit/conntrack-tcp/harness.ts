// Test-only AssemblyScript entry (compiled by test/unit/conntrack-tcp.test.ts, never by the build): the TCP
// tracker's exports, plus two static areas the test writes a TCP segment and a connection slot into.
export {
  TCP_STATE_BYTES, TCP_VALID, TCP_INVALID, TCP_RESTART, tcpStart, tcpUpdate, tcpExpiresAt, tcpPeerState,
} from '../../../datapath/assembly/tables/conntrack-tcp'

/** Room for one TCP segment (header + payload bytes the test writes). */
const SEGMENT: usize = memory.data(4096, 16)
/** A 64-byte caller slot (the most the contract lets the tracker use), so the test can see what it touches. */
const SLOT: usize = memory.data(64, 16)

export function segmentAddress(): usize {
  return SEGMENT
}

export function slotAddress(): usize {
  return SLOT
}
