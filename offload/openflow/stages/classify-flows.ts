// ls_in_classify: ingress port (+ VLAN) or tunnel key -> network and source port (BEHAVIOUR.md §3, §2).
import type { ClassifyPortEntry, ClassifyTunnelEntry, UplinkEntry } from '../../../datapath/host/entries.js'
import { STAGE_CLASSIFY, STAGE_PORT_SEC } from '../../../datapath/spec/stages.js'
import {
  REASON_BAD_VLAN,
  REASON_UNKNOWN_IN_PORT,
  REASON_UNKNOWN_TUNNEL_KEY,
  REASON_SRC_MAC_MULTICAST,
} from '../../../datapath/spec/verdicts.js'
import { act } from '../builder.js'
import { OFPVID_NONE, OFPVID_PRESENT } from '../fields.js'
import type { Flow } from '../flow.js'
import { FLAG_FROM_TUNNEL, FLAG_FROM_UPLINK, REG_NETWORK, REG_SRC_PORT } from '../layout.js'
import { MacAddress } from '../../../datapath/host/addresses.js'
import { Bits, MaskedMac, OfPort } from '../values.js'
import { Context, dedupe, key } from './context.js'

/** The Ethernet I/G bit (IEEE 802): set in group (multicast/broadcast) addresses. */
const IG_BIT = new MaskedMac(MacAddress.of(1n << 40n), MacAddress.of(1n << 40n))

export function classifyFlows(c: Context): Flow[] {
  const out: Flow[] = []
  for (const e of c.of<ClassifyPortEntry>('classify').filter(e => 'in_port' in e)) out.push(...classifyPortFlows(c, e))
  for (const e of c.of<ClassifyTunnelEntry>('classify').filter(e => 'tunnel_key' in e)) out.push(...classifyTunnelFlows(c, e))
  for (const e of c.of<UplinkEntry>('uplink')) out.push(...classifyUplinkFlows(c, e))
  out.push(...classifyFixedFlows(c))
  return dedupe(out)
}

/** A local port's classification (and its bad_vlan drop when untagged). */
export function classifyPortFlows(c: Context, e: ClassifyPortEntry): Flow[] {
  const out: Flow[] = []
  const vlan = e.vlan ?? 0
  const b = c
    .flow(STAGE_CLASSIFY)
    .priority('ENTRY')
    .cookie({ key: e.port })
    .match('in_port', OfPort.of(e.in_port))
    .match('vlan_vid', vlan > 0 ? OFPVID_PRESENT | vlan : OFPVID_NONE)
  if (vlan > 0) b.apply(act.popVlan()) // BEHAVIOUR.md §3: the tag is stripped
  out.push(
    b
      .apply(act.setKey(REG_NETWORK, key(e.network)), act.setKey(REG_SRC_PORT, key(e.port)))
      .goto(STAGE_PORT_SEC)
      .build(),
  )
  if (vlan === 0) {
    // a tagged frame on an untagged (access) port: bad_vlan (entries.ts ClassifyPortEntry); on a trunk an
    // unknown VID is simply unknown_in_port (the table miss)
    out.push(
      c
        .flow(STAGE_CLASSIFY)
        .priority('CLASS_MISS')
        .cookie({ reason: REASON_BAD_VLAN })
        .match('in_port', OfPort.of(e.in_port))
        .match('vlan_vid', new Bits(OFPVID_PRESENT, OFPVID_PRESENT))
        .build(),
    )
  }
  return out
}

export function classifyTunnelFlows(c: Context, e: ClassifyTunnelEntry): Flow[] {
  return [
    c
      .flow(STAGE_CLASSIFY)
      .priority('ENTRY')
      .cookie({ key: e.network })
      .match('tun_id', key(e.tunnel_key))
      .apply(act.setKey(REG_NETWORK, key(e.network)), act.setFlags(FLAG_FROM_TUNNEL))
      .goto(STAGE_PORT_SEC)
      .build(),
  ]
}

/**
 * A provider network's uplink: its ofport with its VID (untagged for a flat network) is the network, source port 0
 * (reg1 stays 0), FLAG_FROM_UPLINK so that port security and DHCP skip it as they skip tunnel frames. A tagged
 * frame on a flat uplink, or another VID, is the table miss (unknown_in_port).
 */
export function classifyUplinkFlows(c: Context, e: UplinkEntry): Flow[] {
  const vlan = e.vlan ?? 0
  const b = c
    .flow(STAGE_CLASSIFY)
    .priority('ENTRY')
    .cookie({ key: e.network })
    .match('in_port', OfPort.of(e.ofport))
    .match('vlan_vid', vlan > 0 ? OFPVID_PRESENT | vlan : OFPVID_NONE)
  if (vlan > 0) b.apply(act.popVlan())
  return [
    b
      .apply(act.setKey(REG_NETWORK, key(e.network)), act.setFlags(FLAG_FROM_UPLINK))
      .goto(STAGE_PORT_SEC)
      .build(),
  ]
}

/** The flows of the stage that no entry owns: misses and the source check. */
export function classifyFixedFlows(c: Context): Flow[] {
  const out: Flow[] = []
  if (c.tunnelOfport !== undefined) {
    out.push(
      c
        .flow(STAGE_CLASSIFY)
        .priority('CLASS_MISS')
        .cookie({ reason: REASON_UNKNOWN_TUNNEL_KEY })
        .match('in_port', OfPort.of(c.tunnelOfport))
        .build(),
    )
  }
  out.push(c.flow(STAGE_CLASSIFY).priority('SOURCE_CHECK').cookie({ reason: REASON_SRC_MAC_MULTICAST }).match('eth_src', IG_BIT).build())
  out.push(c.flow(STAGE_CLASSIFY).priority('TABLE_MISS').cookie({ reason: REASON_UNKNOWN_IN_PORT }).build())
  return out
}
