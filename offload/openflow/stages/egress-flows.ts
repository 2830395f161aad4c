// ls_out_dispatch: port -> local ofport, or tunnel to the chassis that hosts it (BEHAVIOUR.md §10).
import type { EgressEntry, UplinkEntry } from '../../../datapath/host/entries.js'
import { STAGE_EGRESS } from '../../../datapath/spec/stages.js'
import { REASON_EGRESS_NO_PORT } from '../../../datapath/spec/verdicts.js'
import { act } from '../builder.js'
import type { Action, Flow } from '../flow.js'
import { REG_DST_PORT, REG_NETWORK } from '../layout.js'
import { Ipv4Address } from '../../../datapath/host/addresses.js'
import { OfPort } from '../values.js'
import { Context, key } from './context.js'

/** The actions that send a frame out of a network's uplink, tagged with its VLAN when it has one. */
export function toUplink(up: UplinkEntry): Action[] {
  return [...((up.vlan ?? 0) > 0 ? act.pushVlan(up.vlan as number) : []), act.output(OfPort.of(up.ofport))]
}

/**
 * A port reached through the uplink of the packet's network: one flow per network the port is on that has an
 * uplink (emit-units.ts: re-emitted when such an uplink changes). No uplink: the miss drops it egress_no_port.
 */
function egressUplinkFlows(c: Context, e: EgressEntry): Flow[] {
  return c
    .networksOfPort(e.port)
    .sort((a, b) => a - b)
    .flatMap(net => {
      const up = c.uplinkOf(net)
      if (up === undefined) return []
      return [
        c
          .flow(STAGE_EGRESS)
          .priority('ENTRY')
          .cookie({ key: e.port })
          .match(REG_DST_PORT, key(e.port))
          .match(REG_NETWORK, key(net))
          .apply(...toUplink(up))
          .build(),
      ]
    })
}

export function egressFlows(c: Context): Flow[] {
  return [...c.of<EgressEntry>('egress').flatMap(e => egressEntryFlows(c, e)), ...egressFixedFlows(c)]
}

export function egressFixedFlows(c: Context): Flow[] {
  return [c.flow(STAGE_EGRESS).priority('TABLE_MISS').cookie({ reason: REASON_EGRESS_NO_PORT }).build()]
}

export function egressEntryFlows(c: Context, e: EgressEntry): Flow[] {
  if (e.uplink === true) return egressUplinkFlows(c, e)
  const b = c.flow(STAGE_EGRESS).priority('ENTRY').cookie({ key: e.port }).match(REG_DST_PORT, key(e.port))
  if (e.local !== undefined) b.apply(act.output(OfPort.of(e.local)))
  else if (e.remote !== undefined && c.tunnelOfport !== undefined) {
    // VXLAN/Geneve VNI = network key (reg0), outer destination = the chassis (VERDICT_TUNNEL)
    b.apply(
      act.move({ field: REG_NETWORK }, { field: 'tun_id', ofs: 0, nBits: 32 }),
      act.setTunDst(Ipv4Address.parse(e.remote)),
      act.output(c.tunnelPort(`remote port ${e.port}`)),
    )
  } else return [] // unbound, or remote on a node without a tunnel port: the miss drops it (egress_no_port)
  return [b.build()]
}
