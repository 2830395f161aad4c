// ls_in_l2_lkup: destination MAC -> port; hairpin; flood of broadcast, multicast, unknown unicast (BEHAVIOUR.md §9).
import type { L2Entry } from '../../../datapath/host/entries.js'
import { STAGE_EGRESS, STAGE_L2_LOOKUP } from '../../../datapath/spec/stages.js'
import { REASON_HAIRPIN } from '../../../datapath/spec/verdicts.js'
import { act } from '../builder.js'
import type { Action, Flow } from '../flow.js'
import { FLAG_FROM_TUNNEL, REG_DST_PORT, REG_FLAGS, REG_NETWORK, REG_SRC_PORT, flagSet } from '../layout.js'
import { Ipv4Address, MacAddress, OfPort } from '../values.js'
import { Context, key } from './context.js'

export function l2Flows(c: Context): Flow[] {
  return [...c.of<L2Entry>('l2').flatMap(e => l2EntryFlows(c, e)),
    ...c.floodNetworks().sort((a, b) => a - b).flatMap(net => floodFlows(c, net))]
}

/** (network, MAC) -> port, and the hairpin drop for that port's own MAC. */
export function l2EntryFlows(c: Context, e: L2Entry): Flow[] {
  const mac = MacAddress.parse(e.mac)
  return [
    c.flow(STAGE_L2_LOOKUP).priority('ENTRY_EXCEPTION').cookie({ reason: REASON_HAIRPIN })
      .match(REG_NETWORK, key(e.network)).match('eth_dst', mac).match(REG_SRC_PORT, key(e.port)).build(),
    c.flow(STAGE_L2_LOOKUP).priority('ENTRY').cookie({ key: e.port })
      .match(REG_NETWORK, key(e.network)).match('eth_dst', mac)
      .apply(act.setKey(REG_DST_PORT, key(e.port))).goto(STAGE_EGRESS).build(),
  ]
}

/**
 * Flood (BEHAVIOUR.md §9): every local port of the network, then each remote chassis once. Output to the
 * ingress port is dropped by OpenFlow itself (§7.2.1), which excludes the ingress port as VERDICT_FLOOD asks.
 * Reads the network's l2 and classify entries and their ports' egress entries (emit-units.ts dirties it when
 * any of them changes).
 */
export function floodFlows(c: Context, net: number): Flow[] {
  const out: Flow[] = []
  const portsOfNet = new Set<number>([...c.l2Of(net).map(e => e.port), ...c.classifyPortsOf(net).map(e => e.port)])
  const local: Action[] = []
  const remotes = new Set<string>()
  for (const p of [...portsOfNet].sort((a, b) => a - b)) {
    const e = c.egressOf(p)
    if (e?.local !== undefined) local.push(act.output(OfPort.of(e.local)))
    // without a tunnel port (no --tunnel-ip) remote ports are unreachable, but local ones still get their flows
    else if (e?.remote !== undefined && c.tunnelOfport !== undefined) remotes.add(e.remote)
  }
  const tunnels: Action[] = []
  for (const r of [...remotes].sort()) {
    tunnels.push(act.setTunId(key(net)), act.setTunDst(Ipv4Address.parse(r)), act.output(c.tunnelPort(`flooding network ${net} to ${r}`)))
  }
  out.push(c.flow(STAGE_L2_LOOKUP).priority('FLOOD').cookie({ key: net }).match(REG_NETWORK, key(net))
    .apply(...local, ...tunnels).build())
  if (tunnels.length > 0) {
    out.push(c.flow(STAGE_L2_LOOKUP).priority('FLOOD_FROM_TUNNEL').cookie({ key: net }).match(REG_NETWORK, key(net))
      .match(REG_FLAGS, flagSet(FLAG_FROM_TUNNEL)).apply(...local).build())
  }
  return out
}
