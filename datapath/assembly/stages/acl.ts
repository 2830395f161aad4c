// ls_in_acl / ls_out_acl: security group rules (BEHAVIOUR.md "Security groups"). The source port's egress
// rules before routing, the destination port's ingress rules on the chassis that hosts it. Stateful ports:
// invalid drops, replies of open connections pass, everything else is checked against the rules on every
// packet and committed when allowed (a blocked connection is unblocked) or marks its connection blocked when not.
import { ACL_DIR_EGRESS, ACL_DIR_INGRESS } from '../../spec/entry-kinds'
import { STAGE_IN_ACL, STAGE_OUT_ACL } from '../../spec/stages'
import {
  CT_MARK_BLOCKED, CT_STATE_INVALID, CT_STATE_RELATED, CT_STATE_REPLY, TRACE_DROP, TRACE_HIT, TRACE_KIND_ACL,
  TRACE_SKIP,
} from '../../spec/trace'
import { REASON_ACL_DENY, REASON_CT_BLOCKED, REASON_CT_FULL, REASON_CT_INVALID } from '../../spec/verdicts'
import { fromOutside, pkt } from '../pipeline/packet'
import { step, traceAddr, tracing } from '../pipeline/trace'
import { drop } from '../pipeline/verdict'
import { groupAllows, matchedRule } from '../tables/acl-index'
import { ctCommit, ctMark, ctSetMark } from '../tables/conntrack'
import { aclPortGroup, aclPortGroupCount, aclPortStateful } from './acl-ports'
import { l4Value, remoteAddress } from './acl-packet'

// Each runs right after its ct stage (pipeline.ts), on the same port and under the same condition: the port's
// acl_port row is the one that stage found (pkt.aclRow), and so is whether the packet is always allowed.

/** ls_in_acl: the source port's egress rules. Returns true when the packet was dropped. */
export function aclFromPort(): bool {
  return fromOutside() ? false : aclStage(STAGE_IN_ACL, pkt.srcPort, ACL_DIR_EGRESS)
}

/** ls_out_acl: the destination port's ingress rules. */
export function aclToPort(): bool {
  return aclStage(STAGE_OUT_ACL, pkt.dstPort, ACL_DIR_INGRESS)
}

function aclStage(stage: i32, port: u32, direction: u32): bool {
  const row = pkt.aclRow
  if (row == 0) return false
  if (pkt.family == 0) {
    // ARP and other ethertypes: port security already checked what can be checked
    step(stage, TRACE_SKIP, TRACE_KIND_ACL, 0, port, 0, direction)
    return false
  }
  if (pkt.aclAlways) return pass(stage, port, direction, 0)
  const state = pkt.ctState
  if (!aclPortStateful(row) || state == 0) {
    // stateless (or a later fragment, which conntrack cannot follow): the rules alone, nothing committed
    return rulesAllow(row, direction) ? pass(stage, port, direction, rule())
      : refuse(stage, port, direction, REASON_ACL_DENY)
  }
  if (state & CT_STATE_INVALID) return refuse(stage, port, direction, REASON_CT_INVALID)
  const conn = <i32>pkt.ctConn - 1
  const blocked = conn >= 0 && (ctMark(conn) & CT_MARK_BLOCKED) != 0
  if (state & (CT_STATE_REPLY | CT_STATE_RELATED)) {
    return blocked ? refuse(stage, port, direction, REASON_CT_BLOCKED) : pass(stage, port, direction, 0)
  }
  // new, or established in the original direction: the rules decide, again on every packet
  if (!rulesAllow(row, direction)) {
    if (conn >= 0) {
      ctSetMark(conn, ctMark(conn) | CT_MARK_BLOCKED)
      pkt.ctMark = ctMark(conn)
    }
    return refuse(stage, port, direction, REASON_ACL_DENY)
  }
  const allowedBy = rule()
  if (conn < 0) {
    // the key is still the one this packet's ct stage set (nothing between the two stages sets another)
    const r = ctCommit(pkt.proto, pkt.nowMs)
    if (r < 0) return refuse(stage, port, direction, REASON_CT_FULL)
    pkt.ctConn = <u32>r + 1
    pkt.ctMark = 0
  } else if (blocked) {
    ctSetMark(conn, ctMark(conn) & ~CT_MARK_BLOCKED)
    pkt.ctMark = ctMark(conn)
  }
  return pass(stage, port, direction, allowedBy)
}

/** Whether some rule of some group of the port allows the packet. */
function rulesAllow(row: usize, direction: u32): bool {
  const n = aclPortGroupCount(row)
  const v = l4Value()
  const remote = remoteAddress(direction)
  for (let i = 0; i < n; i++) {
    if (groupAllows(aclPortGroup(row, i), direction, pkt.family, pkt.proto, v, remote)) return true
  }
  return false
}

/** The rule key for the trace (a scan of the matched slot: only when tracing). */
@inline function rule(): u32 {
  return tracing ? matchedRule(l4Value()) : 0
}

function pass(stage: i32, port: u32, direction: u32, ruleKey: u32): bool {
  const t = step(stage, TRACE_HIT, TRACE_KIND_ACL, 0, port, ruleKey, direction)
  traceAddr(t, pkt.family, 0, remoteAddress(direction))
  return false
}

function refuse(stage: i32, port: u32, direction: u32, reason: i32): bool {
  const t = step(stage, TRACE_DROP, TRACE_KIND_ACL, reason, port, 0, direction)
  traceAddr(t, pkt.family, 0, remoteAddress(direction))
  return drop(reason)
}
