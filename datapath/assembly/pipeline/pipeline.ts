// The pipeline in stage order (datapath/spec/stages.ts): each stage either sets the verdict and returns true,
// or returns false to hand the packet on. Egress always decides.
import { TRACE_DROP, TRACE_HIT, TRACE_KIND_DECAP, TRACE_KIND_PARSE, TRACE_STAGE_DECAP, TRACE_STAGE_PARSE } from '../../spec/trace'
import { REASON_NONE, VERDICT_DROP, VERDICT_PUNT } from '../../spec/verdicts'
import { aclFromPort, aclToPort } from '../stages/acl'
import { arpNdResponder } from '../stages/arp-nd-responder'
import { NO_NETWORK, classify, classifyNetwork } from '../stages/classify'
import { ctFromPort, ctToPort } from '../stages/ct'
import { dhcpServer } from '../stages/dhcp-server'
import { dhcp6Server } from '../stages/dhcp6-server'
import { dnat } from '../stages/dnat'
import { egress } from '../stages/egress'
import { l2Lookup } from '../stages/l2-lookup'
import { l3Route } from '../stages/l3-route'
import { resolveNexthop } from '../stages/nexthop'
import { portSecurity } from '../stages/port-sec'
import { snat } from '../stages/snat'
import { countPacket, countReason } from '../tables/counters'
import { decapsulate, tunnelPort } from './decap'
import { pkt } from './packet'
import { parseFrame } from './parse'
import { step } from './trace'
import { drop } from './verdict'

/** Runs the packet set up by resetPacket through the pipeline; the verdict is left in `pkt`. */
export function runPipeline(): void {
  countPacket()
  if (!parse()) decide()
  if (pkt.action == VERDICT_DROP || pkt.action == VERDICT_PUNT) countReason(pkt.inPort, pkt.reason)
}

/** Parses (and decapsulates); true when the frame was dropped as malformed. */
function parse(): bool {
  let reason = parseFrame()
  traceParse(reason)
  if (reason == REASON_NONE && pkt.tunnelKey == 0) {
    // a frame from a port of the cloud or an uplink is never a tunnel's: a workload (or an outside host) sending
    // to UDP 4789 / 6081 must not inject frames into a network of its choosing
    const port = tunnelPort()
    if (port != 0 && classifyNetwork(pkt.inPort, pkt.vid) == NO_NETWORK) {
      reason = decapsulate(port)
      step(TRACE_STAGE_DECAP, reason == REASON_NONE ? TRACE_HIT : TRACE_DROP, TRACE_KIND_DECAP, reason,
        pkt.tunnelKey, port, 0)
      if (reason == REASON_NONE) {
        reason = parseFrame()
        traceParse(reason)
      }
    }
  }
  return reason != REASON_NONE ? drop(reason) : false
}

@inline function traceParse(reason: i32): void {
  step(TRACE_STAGE_PARSE, reason == REASON_NONE ? TRACE_HIT : TRACE_DROP, TRACE_KIND_PARSE, reason, pkt.ethType,
    pkt.vid, pkt.proto)
}

function decide(): void {
  if (classify()) return
  if (portSecurity()) return
  if (arpNdResponder()) return
  // ls_in_dhcp serves both families; each half traces the stage as skipped when the packet is not its own
  if (pkt.family == 6 ? dhcp6Server() : dhcpServer()) return
  if (ctFromPort()) return
  if (aclFromPort()) return
  if (dnat()) return
  if (l3Route()) return
  if (resolveNexthop()) return
  if (snat()) return
  if (l2Lookup()) return
  if (ctToPort()) return
  if (aclToPort()) return
  egress()
}

