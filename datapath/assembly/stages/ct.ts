// ls_in_ct / ls_out_ct: the connection-table lookup for ports with stateful security groups (BEHAVIOUR.md
// "Security groups"). The ct stages never decide: they set pkt.ctState / ctMark / ctConn for the acl stage
// that follows, as OVS's ct(zone=Z, table=next) does; the acl stage commits.
import { ACL_DIR_EGRESS, ACL_DIR_INGRESS } from '../../spec/entry-kinds'
import { STAGE_IN_CT, STAGE_OUT_CT } from '../../spec/stages'
import {
  CT_STATE_ESTABLISHED, CT_STATE_INVALID, CT_STATE_NEW, CT_STATE_RELATED, CT_STATE_REPLY, CT_STATE_TRACKED,
  TRACE_HIT, TRACE_KIND_CT, TRACE_SKIP,
} from '../../spec/trace'
import { TCP_DATA_OFFSET } from '../codec/tcp'
import { IPPROTO_TCP } from '../codec/ipv4'
import { fromOutside, pkt } from '../pipeline/packet'
import { step } from '../pipeline/trace'
import { CT_UPDATE_INVALID, CT_UPDATE_NEW, CT_UPDATE_VALID, ctCheckNewTcp, ctFind, ctFoundReply, ctMark, ctUpdate } from '../tables/conntrack'
import { aclPortRow, aclPortStateful } from './acl-ports'
import { alwaysAllowed } from './acl-packet'
import { CTK_INVALID, CTK_RELATED, keyMayStart, packetKey } from './ct-key'

/** ls_in_ct: the source port's side (skipped for frames from a tunnel). Never decides (returns false). */
export function ctFromPort(): bool {
  if (!fromOutside()) ctStage(STAGE_IN_CT, pkt.srcPort, ACL_DIR_EGRESS)
  return false
}

/** ls_out_ct: the destination port's side (unicast to a known port only: floods were decided before). */
export function ctToPort(): bool {
  ctStage(STAGE_OUT_CT, pkt.dstPort, ACL_DIR_INGRESS)
  return false
}

function ctStage(stage: i32, port: u32, direction: u32): void {
  const row = aclPortRow(port)
  pkt.aclRow = row // for the acl stage that follows (same port)
  if (row == 0) return // not enforced here: no step, as if the stage were absent
  const zone = pkt.network & 0xffff
  const always = pkt.family != 0 && alwaysAllowed(direction)
  pkt.aclAlways = always
  if (pkt.family == 0 || always || !aclPortStateful(row)) {
    step(stage, TRACE_SKIP, TRACE_KIND_CT, 0, zone, 0, 0)
    return
  }
  track(zone)
  step(stage, TRACE_HIT, TRACE_KIND_CT, 0, zone, pkt.ctState, pkt.ctMark)
}

/** Looks the packet up in `zone` and sets its ct fields, as OVS's conntrack_execute() without commit. */
function track(zone: u32): void {
  // The same packet again in the zone of the connection it already has (OVS's process_one_fast()): the state
  // stays what the last lookup or commit made it, the connection is not updated twice, the mark is re-read.
  if (pkt.ctConn != 0 && pkt.ctZone == zone) {
    pkt.ctMark = ctMark(<i32>pkt.ctConn - 1)
    return
  }
  pkt.ctZone = zone
  pkt.ctConn = 0
  pkt.ctMark = 0
  // A later fragment has no ports to find a connection by (OVS would reassemble first): not tracked, so the
  // acl stage checks it against the rules and commits nothing.
  if (pkt.laterFragment) {
    pkt.ctState = 0
    return
  }
  const k = packetKey(zone)
  if (k == CTK_INVALID) {
    pkt.ctState = CT_STATE_TRACKED | CT_STATE_INVALID
    return
  }
  const nowMs = pkt.nowMs
  let r = ctFind(nowMs)
  if (k == CTK_RELATED) {
    // an error naming no connection is invalid; one that does is related, and changes nothing in it
    if (r < 0) {
      pkt.ctState = CT_STATE_TRACKED | CT_STATE_INVALID
      return
    }
    attach(r, CT_STATE_TRACKED | CT_STATE_RELATED | (ctFoundReply ? CT_STATE_REPLY : 0))
    return
  }
  const tcp = pkt.l4
  const tcpLen = <i32>(pkt.ipEnd - tcp)
  const payload = pkt.proto == IPPROTO_TCP ? tcpLen - (<i32>(load<u8>(tcp + TCP_DATA_OFFSET) >> 4) << 2) : 0
  if (r >= 0) {
    const reply = ctFoundReply
    const res = ctUpdate(r, reply, tcp, tcpLen, payload, nowMs)
    if (res == CT_UPDATE_VALID) {
      attach(r, CT_STATE_TRACKED | CT_STATE_ESTABLISHED | (reply ? CT_STATE_REPLY : 0))
      return
    }
    if (res == CT_UPDATE_INVALID) {
      attach(r, CT_STATE_TRACKED | CT_STATE_INVALID)
      return
    }
    if (res != CT_UPDATE_NEW) {
      attach(r, CT_STATE_TRACKED | CT_STATE_NEW) // VALID_NEW: one direction seen so far
      return
    }
    r = -1 // a SYN over a closed connection: the old one is gone, this one is new
  }
  // OVS's valid_new(): only a TCP packet that may open a connection, an ICMP request, or any other protocol
  const valid = pkt.proto == IPPROTO_TCP ? ctCheckNewTcp(tcp, tcpLen, payload, nowMs) : keyMayStart
  pkt.ctState = CT_STATE_TRACKED | (valid ? CT_STATE_NEW : CT_STATE_INVALID)
}

@inline function attach(r: i32, state: u32): void {
  pkt.ctConn = <u32>r + 1
  pkt.ctMark = ctMark(r)
  pkt.ctState = state
}
