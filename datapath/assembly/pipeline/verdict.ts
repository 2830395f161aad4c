// Setting the verdict: every exit of the pipeline goes through one of these (datapath/spec/verdicts.ts).
import {
  VERDICT_DROP, VERDICT_FLOOD, VERDICT_IN_PORT, VERDICT_OUTPUT, VERDICT_PUNT, VERDICT_TUNNEL,
} from '../../spec/verdicts'
import { pkt } from './packet'
import { tagReplyForUplink } from './vlan'

export function drop(reason: i32): bool {
  pkt.action = VERDICT_DROP
  pkt.reason = reason
  return true
}

export function punt(reason: i32): bool {
  pkt.action = VERDICT_PUNT
  pkt.reason = reason
  return true
}

/** The reply built in place goes back where the frame came from (tagged again when it came from a VLAN uplink). */
export function toInPort(): bool {
  tagReplyForUplink()
  pkt.action = VERDICT_IN_PORT
  pkt.reason = 0
  pkt.ofport = pkt.inPort
  return true
}

export function flood(): bool {
  pkt.action = VERDICT_FLOOD
  pkt.reason = 0
  pkt.vNetwork = pkt.network
  return true
}

export function output(ofport: u32): bool {
  pkt.action = VERDICT_OUTPUT
  pkt.reason = 0
  pkt.ofport = ofport
  return true
}

export function tunnel(remote: u32, port: u32): bool {
  pkt.action = VERDICT_TUNNEL
  pkt.reason = 0
  pkt.remote = remote
  pkt.vNetwork = pkt.network
  pkt.vPort = port
  return true
}
