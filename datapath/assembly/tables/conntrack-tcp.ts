// TCP connection tracking for one connection, per direction, as Open vSwitch's userspace conntrack does it
// (lib/conntrack-tcp.c, itself pf's pf_test_tcp(), with Guido van Rooij's sequence tracking from "Real Stateful
// TCP Packet Filtering in IP Filter"). The connection table (tables/conntrack.ts) owns the slot and calls here;
// this file only keeps the per-direction peer state in the slot's first TCP_STATE_BYTES bytes.
//
// Written from OVS's rules (each check names the one it implements), not from its code. Deliberate differences:
// - tcpUpdate has three results. OVS's CT_UPDATE_VALID_NEW (a SYN without ACK from a peer not yet past
//   SYN_SENT: a retransmitted SYN, or a SYN from the reply side, a simultaneous open) is TCP_VALID: OVS marks
//   that packet +new instead of +est, which only an ACL that tells the two apart would see.
// - No L4 checksum check (OVS's check_l4_tcp() makes a bad checksum invalid unless offloaded): this module has
//   no IP pseudo-header, and BEHAVIOUR.md "Checksums" leaves forwarded traffic's L4 checksum unverified.
// - No switch to turn the sequence check off (OVS: `ovs-appctl dpctl/ct-disable-tcp-seq-chk`); it is always on.
// - The payload length is the caller's; one that does not fit after the header is invalid (OVS derives it
//   from the packet, so it always fits).
// Kept on purpose, although they look odd: state changes made by a packet's first-from-this-end step stay
// when the packet then fails the window check (OVS writes them first), max_win is 16 bits and truncates when
// a SYN|ACK without window scaling rescales the other side's window (OVS's uint16_t), and a bare ACK, RST or
// FIN|ACK may start a connection (picked up mid-stream, tcp_valid_new(); window scaling then unknown, so both
// windows are taken at the maximum scale 14): only SYN|ACK and the invalid flag combinations cannot.
//
// Slot layout (little-endian fields, this module's own; 32 bytes):
//
//   0       4       8        10   11   12                        24                 32
//   +-------+-------+--------+----+----+-------------------------+------------------+
//   | seqlo | seqhi | maxWin | ws | st |  peer 1, same 12 bytes  | expires (f64 ms) |
//   +-------+-------+--------+----+----+-------------------------+------------------+
//   peer 0 = the original direction's sender, peer 1 = the reply direction's sender.
//   seqlo: highest sequence number sent (end of data), seqhi: highest one the other side may accept
//   (its ack + window), maxWin: largest window seen, unscaled, ws: window scale | WS_KNOWN | WS_UNKNOWN,
//   st: TCPS_* below.
import { ld16, ld32 } from '../codec/bytes'
import { TCP_DATA_OFFSET, TCP_MIN_HEADER_BYTES } from '../codec/tcp'

export const TCP_STATE_BYTES: i32 = 32
export const TCP_VALID: i32 = 0
export const TCP_INVALID: i32 = 1
/** The packet starts a new connection over a closed one: the caller deletes the slot and treats it as new. */
export const TCP_RESTART: i32 = 2

// Peer states, numbered as OVS's ct_dpif_tcp_state (lib/ct-dpif.h) and pf's TCPS_*; order matters (">=").
export const TCPS_CLOSED: u8 = 0
export const TCPS_LISTEN: u8 = 1
export const TCPS_SYN_SENT: u8 = 2
export const TCPS_SYN_RECV: u8 = 3
export const TCPS_ESTABLISHED: u8 = 4
export const TCPS_CLOSE_WAIT: u8 = 5
export const TCPS_FIN_WAIT_1: u8 = 6
export const TCPS_CLOSING: u8 = 7
export const TCPS_LAST_ACK: u8 = 8
export const TCPS_FIN_WAIT_2: u8 = 9
export const TCPS_TIME_WAIT: u8 = 10

// Default timeouts of the netdev datapath (lib/conntrack-tp.c ct_dpif_netdev_tp_def, through
// tm_to_ct_dpif_tp(): CT_TM_TCP_CLOSING uses the policy's "fin_wait", CT_TM_TCP_FIN_WAIT its "time_wait").
const FIRST_PACKET_MS: f64 = 30_000 // CT_TM_TCP_FIRST_PACKET (syn_sent)
const OPENING_MS: f64 = 30_000 // CT_TM_TCP_OPENING (syn_recv)
const ESTABLISHED_MS: f64 = 24 * 3600_000 // CT_TM_TCP_ESTABLISHED
const CLOSING_MS: f64 = 15 * 60_000 // CT_TM_TCP_CLOSING: one side has sent a FIN
const FIN_WAIT_MS: f64 = 45_000 // CT_TM_TCP_FIN_WAIT: both sides have sent a FIN
const CLOSED_MS: f64 = 30_000 // CT_TM_TCP_CLOSED: both FINs acknowledged, or a RST

// Header fields (RFC 9293 3.1), from the start of the TCP header.
const TCP_SEQ: usize = 4
const TCP_ACK: usize = 8
const TCP_WINDOW: usize = 14
/** The flags are the low 12 bits of the 16 bits at the data offset (OVS's TCP_FLAGS()). */
const FLAGS_MASK: u32 = 0x0fff
const FIN: u32 = 0x01
const SYN: u32 = 0x02
const RST: u32 = 0x04
const PSH: u32 = 0x08
const ACK: u32 = 0x10
const URG: u32 = 0x20

// TCP options (RFC 9293 3.2, RFC 7323 2.2 window scale: kind 3, length 3, shift count).
const OPT_EOL: u8 = 0
const OPT_NOP: u8 = 1
const OPT_WINDOW: u8 = 3
/** RFC 7323 2.3: a shift count above 14 is taken as 14. */
const MAX_WSCALE: u32 = 14
const WS_KNOWN: u32 = 0x80 // the peer's SYN carried a window scale option
const WS_UNKNOWN: u32 = 0x40 // picked up mid-stream: nobody saw the SYNs
const WS_SHIFT_MASK: u32 = 0x0f

/** pf's MAXACKWINDOW: how far an ACK may lag behind (one 64 KiB window plus a 1500-byte fudge). */
const MAX_ACK_WINDOW: i32 = 0xffff + 1500

// Field offsets in a peer, and the expiry in the slot.
const PEER_BYTES: usize = 12
const SEQLO: usize = 0
const SEQHI: usize = 4
const MAXWIN: usize = 8
const WSCALE: usize = 10
const STATE: usize = 11
const EXPIRES: usize = 24

/** Starts tracking at the first packet of a would-be connection (original direction); false = invalid. */
export function tcpStart(state: usize, tcp: usize, tcpLen: i32, payloadLen: i32, nowMs: f64): bool {
  const header = headerBytes(tcp, tcpLen, payloadLen)
  if (header < 0) return false
  const flags = ld16(tcp + TCP_DATA_OFFSET) & FLAGS_MASK
  if (invalidFlags(flags)) return false
  // tcp_valid_new(): a SYN|ACK may not create a connection (only a new one, or one already established).
  if ((flags & (SYN | ACK)) == (SYN | ACK)) return false

  const src = state
  const dst = state + PEER_BYTES
  const seq = ld32(tcp + TCP_SEQ)
  // tcp_new_conn(): the sender may go one past its data (and one more per SYN and FIN) before the other side
  // has said anything.
  let seqhi = seq + <u32>payloadLen + 1
  let ws: u32 = WS_UNKNOWN
  let dstWs: u32 = WS_UNKNOWN
  if (flags & SYN) {
    seqhi++
    ws = windowScale(tcp, header)
    dstWs = 0
  }
  if (flags & FIN) seqhi++
  let maxWin = max<u32>(ld16(tcp + TCP_WINDOW), 1)
  // Keep the window unscaled, as the later ones it is compared with.
  if (ws & WS_SHIFT_MASK) maxWin = ceilShift(maxWin, ws & WS_SHIFT_MASK)
  writePeer(src, seq, seqhi, maxWin, ws, TCPS_SYN_SENT)
  writePeer(dst, 0, 1, 1, dstWs, TCPS_CLOSED)
  store<f64>(state, nowMs + FIRST_PACKET_MS, EXPIRES)
  return true
}

/** A later packet of the connection; reply = it travels in the reply direction. TCP_VALID, _INVALID, _RESTART. */
export function tcpUpdate(state: usize, reply: bool, tcp: usize, tcpLen: i32, payloadLen: i32, nowMs: f64): i32 {
  const header = headerBytes(tcp, tcpLen, payloadLen)
  if (header < 0) return TCP_INVALID
  const flags = ld16(tcp + TCP_DATA_OFFSET) & FLAGS_MASK
  if (invalidFlags(flags)) return TCP_INVALID
  const src = state + (reply ? PEER_BYTES : 0) // the peer that sent the packet
  const dst = state + (reply ? 0 : PEER_BYTES) // the peer it goes to

  if ((flags & (SYN | ACK)) == SYN) {
    // A SYN on a connection both sides have closed starts a new one (tcp_conn_update(): CT_UPDATE_NEW).
    if (peerState(src) >= TCPS_FIN_WAIT_2 && peerState(dst) >= TCPS_FIN_WAIT_2) {
      store<u8>(src, TCPS_CLOSED, STATE)
      store<u8>(dst, TCPS_CLOSED, STATE)
      return TCP_RESTART
    }
    // A SYN from a peer still opening (retransmission, or the reply side's simultaneous open) passes unchecked
    // and restarts the first-packet timer (CT_UPDATE_VALID_NEW).
    if (peerState(src) <= TCPS_SYN_SENT) {
      store<u8>(src, TCPS_SYN_SENT, STATE)
      store<f64>(state, nowMs + FIRST_PACKET_MS, EXPIRES)
      return TCP_VALID
    }
  }

  // Window scaling applies once both SYNs carried the option, never to a SYN's own window (RFC 7323 2.2);
  // picked up mid-stream, both sides are assumed to scale by the maximum.
  let sws: u32 = 0
  let dws: u32 = 0
  const srcWs = peerWs(src)
  const dstWs = peerWs(dst)
  if ((srcWs & WS_KNOWN) != 0 && (dstWs & WS_KNOWN) != 0 && (flags & SYN) == 0) {
    sws = srcWs & WS_SHIFT_MASK
    dws = dstWs & WS_SHIFT_MASK
  } else if ((srcWs & WS_UNKNOWN) != 0 && (dstWs & WS_UNKNOWN) != 0 && (flags & SYN) == 0) {
    sws = MAX_WSCALE
    dws = MAX_WSCALE
  }

  let win: u32 = ld16(tcp + TCP_WINDOW)
  const origSeq = ld32(tcp + TCP_SEQ)
  let seq = origSeq
  let ack = ld32(tcp + TCP_ACK)
  // The sequence space the segment occupies: its data, plus one for a SYN and one for a FIN (RFC 9293 3.4).
  let end = seq + <u32>payloadLen
  let checkAckSkew = true
  if (peerState(src) < TCPS_SYN_SENT) {
    // The first packet from this side (normally the SYN|ACK): set up its peer state.
    if (flags & SYN) {
      end++
      if (dstWs & WS_KNOWN) {
        const ws = windowScale(tcp, header)
        store<u8>(src, <u8>ws, WSCALE)
        if (ws & WS_KNOWN) {
          // Both sides scale: keep this SYN's window unscaled, as later windows are.
          sws = ws & WS_SHIFT_MASK
          win = ceilShift(win, sws)
          dws = dstWs & WS_SHIFT_MASK
        } else {
          // Only the other side offered scaling, so neither scales (RFC 7323 2.2): give it back its real
          // window (16 bits, as OVS's field), and forget its scale in case this SYN|ACK is retransmitted.
          store<u16>(dst, <u16>(peerMaxWin(dst) << (dstWs & WS_SHIFT_MASK)), MAXWIN)
          store<u8>(dst, 0, WSCALE)
        }
      }
    }
    if (flags & FIN) end++
    store<u32>(src, seq, SEQLO)
    store<u8>(src, TCPS_SYN_SENT, STATE)
    // Slide this side's window (its seqhi may be set already, if the connection was picked up mid-stream); when
    // so, the ack cannot be judged yet, so the ack-skew check is skipped.
    const dstWin = max<u32>(1, peerMaxWin(dst) << dws)
    if (load<u32>(src, SEQHI) == 1 || seqGeq(end + dstWin, load<u32>(src, SEQHI))) {
      store<u32>(src, end + dstWin, SEQHI)
      checkAckSkew = false
    }
    if (win > peerMaxWin(src)) store<u16>(src, <u16>win, MAXWIN)
  } else {
    if (flags & SYN) end++
    if (flags & FIN) end++
  }

  // Without ACK there is nothing to check the ack of; a RST|ACK acking 0 comes from stacks that reset a SYN
  // they never got an answer to: both are let through the ack-skew check.
  if (!(flags & ACK)) ack = load<u32>(dst, SEQLO)
  else if (ack == 0 && (flags & RST) != 0) ack = load<u32>(dst, SEQLO)
  // A segment without data or SYN/FIN is judged at the sender's current edge (pf: ease sequencing
  // restrictions on no-data packets).
  if (seq == end) {
    seq = load<u32>(src, SEQLO)
    end = seq
  }
  const srcSeqlo = load<u32>(src, SEQLO)
  const srcSeqhi = load<u32>(src, SEQHI)
  const ackSkew: i32 = checkAckSkew ? <i32>(load<u32>(dst, SEQLO) - ack) : 0

  if (seqGeq(srcSeqhi, end) // the last octet is inside the receiver's window
    && seqGeq(seq, srcSeqlo - (peerMaxWin(dst) << dws)) // a retransmission: at most one window back
    && ackSkew >= -MAX_ACK_WINDOW // acks at most one (reassembled) window behind
    && ackSkew <= (MAX_ACK_WINDOW << sws) // acks at most one window ahead of what was sent
    // A RST must sit exactly at the sender's edge (or one off either way), not just inside the window
    // (the blind-reset defence of RFC 5961 3, pf's "exact/+1 sequence match on resets").
    && ((flags & RST) == 0 || origSeq == srcSeqlo || origSeq == srcSeqlo + 1 || origSeq + 1 == srcSeqlo)) {
    advance(src, dst, seq, end, ack, win, sws)
    if ((flags & FIN) != 0 && peerState(src) < TCPS_CLOSING) store<u8>(src, TCPS_CLOSING, STATE)
    if (flags & ACK) {
      // The other side's SYN or FIN is acknowledged (pf tracks any ACK here, not the exact sequence number).
      const d = peerState(dst)
      if (d == TCPS_SYN_SENT) store<u8>(dst, TCPS_ESTABLISHED, STATE)
      else if (d == TCPS_CLOSING) store<u8>(dst, TCPS_FIN_WAIT_2, STATE)
    }
    if (flags & RST) resetBoth(src, dst)
    store<f64>(state, nowMs + timeoutFor(peerState(src), peerState(dst)), EXPIRES)
    return TCP_VALID
  }

  // pf's loose path: while the receiver has not opened yet or either side is closed, accept anything within one
  // MAX_ACK_WINDOW of the sender's edges (SYNs shotgunned before an answer, a connection picked up after its
  // establishment, stray FIN|ACKs after a close). Its timer is not refreshed, so a flood cannot keep it alive.
  const d = peerState(dst)
  if ((d < TCPS_SYN_SENT || d >= TCPS_FIN_WAIT_2 || peerState(src) >= TCPS_FIN_WAIT_2)
    && seqGeq(srcSeqhi + <u32>MAX_ACK_WINDOW, end) // within a window forward of the sender's edge
    && seqGeq(seq, srcSeqlo - <u32>MAX_ACK_WINDOW)) { // and within one backward
    advance(src, dst, seq, end, ack, win, sws)
    if ((flags & FIN) != 0 && peerState(src) < TCPS_CLOSING) store<u8>(src, TCPS_CLOSING, STATE)
    if (flags & RST) resetBoth(src, dst)
    return TCP_VALID
  }
  return TCP_INVALID // outside the window
}

/** When the connection expires (absolute ms), as its last packet set it. */
export function tcpExpiresAt(state: usize): f64 {
  return load<f64>(state, EXPIRES)
}

/** A peer's TCPS_* state (reply = the reply direction's sender), for dumps and traces. */
export function tcpPeerState(state: usize, reply: bool): u8 {
  return peerState(state + (reply ? PEER_BYTES : 0))
}

/**
 * OVS's tcp_invalid_flags() (from pf_normalize_tcp()): a SYN with RST or FIN; neither SYN, ACK nor RST;
 * FIN, PSH or URG without ACK.
 */
@inline function invalidFlags(flags: u32): bool {
  if (flags & SYN) {
    if (flags & (RST | FIN)) return true
  } else if (!(flags & (ACK | RST))) {
    return true
  }
  return (flags & ACK) == 0 && (flags & (FIN | PSH | URG)) != 0
}

/** The header's length in bytes, or -1 when it does not fit (check_l4_tcp()) or the payload does not fit after it. */
@inline function headerBytes(tcp: usize, tcpLen: i32, payloadLen: i32): i32 {
  if (tcpLen < TCP_MIN_HEADER_BYTES) return -1
  const header = <i32>(load<u8>(tcp + TCP_DATA_OFFSET) >> 4) * 4
  if (header < TCP_MIN_HEADER_BYTES || header > tcpLen) return -1
  if (payloadLen < 0 || payloadLen > tcpLen - header) return -1
  return header
}

/**
 * The window scale option of a SYN (RFC 7323 2.2) as WS_KNOWN | shift, or 0 without one. Walks the options as
 * tcp_get_wscale() does: stops at EOL or with fewer than 3 bytes left, a length below 2 counts as 2, and a
 * later window option wins. Never reads past the header, which lies inside the datagram.
 */
function windowScale(tcp: usize, header: i32): u32 {
  let opt = tcp + <usize>TCP_MIN_HEADER_BYTES
  let left = header - TCP_MIN_HEADER_BYTES
  let ws: u32 = 0
  while (left >= 3) {
    const kind = load<u8>(opt)
    if (kind == OPT_EOL) break
    if (kind == OPT_NOP) {
      opt++
      left--
      continue
    }
    if (kind == OPT_WINDOW) ws = min<u32>(load<u8>(opt, 2), MAX_WSCALE) | WS_KNOWN
    const len = max<i32>(load<u8>(opt, 1), 2)
    left -= len
    opt += <usize>len
  }
  return ws
}

/** The accepted packet moves the edges: the sender's max window and seqlo, and what the receiver may send. */
@inline function advance(src: usize, dst: usize, seq: u32, end: u32, ack: u32, win: u32, sws: u32): void {
  if (win > peerMaxWin(src)) store<u16>(src, <u16>win, MAXWIN)
  if (seqGt(end, load<u32>(src, SEQLO))) store<u32>(src, end, SEQLO)
  const scaled = win << sws
  if (seqGeq(ack + scaled, load<u32>(dst, SEQHI))) store<u32>(dst, ack + max<u32>(scaled, 1), SEQHI)
}

/** A RST closes both sides at once (pf moves both to TIME_WAIT). */
@inline function resetBoth(src: usize, dst: usize): void {
  store<u8>(src, TCPS_TIME_WAIT, STATE)
  store<u8>(dst, TCPS_TIME_WAIT, STATE)
}

/** The timeout a valid in-window packet sets, from both peers' states (tcp_conn_update()'s ladder). */
@inline function timeoutFor(a: u8, b: u8): f64 {
  if (a >= TCPS_FIN_WAIT_2 && b >= TCPS_FIN_WAIT_2) return CLOSED_MS
  if (a >= TCPS_CLOSING && b >= TCPS_CLOSING) return FIN_WAIT_MS
  if (a < TCPS_ESTABLISHED || b < TCPS_ESTABLISHED) return OPENING_MS
  if (a >= TCPS_CLOSING || b >= TCPS_CLOSING) return CLOSING_MS
  return ESTABLISHED_MS
}

@inline function writePeer(p: usize, seqlo: u32, seqhi: u32, maxWin: u32, ws: u32, st: u8): void {
  store<u32>(p, seqlo, SEQLO)
  store<u32>(p, seqhi, SEQHI)
  store<u16>(p, <u16>maxWin, MAXWIN)
  store<u8>(p, <u8>ws, WSCALE)
  store<u8>(p, st, STATE)
}

@inline function peerState(p: usize): u8 {
  return load<u8>(p, STATE)
}

@inline function peerWs(p: usize): u32 {
  return <u32>load<u8>(p, WSCALE)
}

@inline function peerMaxWin(p: usize): u32 {
  return <u32>load<u16>(p, MAXWIN)
}

/** ceil(v / 2^shift) (OVS's DIV_ROUND_UP). */
@inline function ceilShift(v: u32, shift: u32): u32 {
  return (v + (1 << shift) - 1) >> shift
}

// Sequence numbers compare modulo 2^32 (RFC 9293 3.4, OVS's SEQ_GEQ / SEQ_GT).
@inline function seqGeq(a: u32, b: u32): bool {
  return <i32>(a - b) >= 0
}

@inline function seqGt(a: u32, b: u32): bool {
  return <i32>(a - b) > 0
}
