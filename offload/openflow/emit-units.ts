// The emitter cut into units, so that a change to a few entries re-emits only the flows that depend on them
// (DESIGN.md "cost follows the change"). A unit's flows are a pure function of the entries it reads:
//
//   unit                  reads                                              dirtied by a change of
//   <entry key>           that entry (classify, port_sec, arp_nd, dhcp,      the entry
//                         l2, egress; nexthop x the network's router         (a nexthop: also a router_port on its
//                         ports)                                             network)
//   flood/<network>       the network's flood chunks and remote chassis      l2 / classify on the network, egress
//                                                                            of a port on it
//   flood/<network>/<k>   the ports of chunk k on the network, their egress  the same, for a port of chunk k
//   router/<router>       the router's router_port and route entries         router_port / route of the router
//   <uplink key>          the uplink's classify flow                         the entry; also dirties flood/<network>,
//                                                                            the egress of the network's uplink
//                                                                            ports, its arp_nd entries and routers
//                                                                            (replies tagged with its VLAN)
//   <egress key>, uplink  the port's uplink flows (the uplink of each of     the entry, the uplinks and the l2 /
//                         its networks)                                      classify entries of its port
//   router/<router>       (also: its routes out of the gateway, split by     (also: the router's router_gateway)
//                         FLAG_SNAT_EXEMPT where port translation runs
//                         on another chassis)
//   <nat key>             its DNAT flows (x the router's ports) and SNAT     the entry, a router_port of its router,
//                         flows, its redirect exemption (x inside ports),    the router's router_gateway
//                         its punt_neighbour flows (ARP/NA to its MAC)
//   <router_gateway key>  no_snat, gateway_elsewhere (its router port),      the entry, a router_port of its router
//                         port translation (ct nat) on the gateway chassis
//   <router_port key>     its punt_neighbour flows                           the entry
//   fixed                 nothing (misses, the pipeline entry flow)          the options (tunnel port, l3 mode)
//   <acl_port key>        the port's ct lookups, clause 1 of its groups'     the entry; a rule of one of its groups
//                         rules, its drops
//   <acl_rule key>        the rule's action flows (conj_id)                  the entry; another group's rule with
//                                                                            its key in its stage (the id changes)
//   acl                   the flows every enforced port shares (always       the first acl_port coming, the last going
//                         allowed, ct state, established miss)
//   acl-remote/<s>/<pfx>  clause 2 for one prefix in acl stage s: every      a member with that prefix, a rule naming
//                         rule it serves (member, remote_prefix, any)        it (or one of its prefixes' groups)
//   acl-l4/<match>        clause 3 for one distinct L4 match                 a rule with that match
//
// emitOpenFlow (emitter.ts) is the same flows in stage order; test/compiler/randomized.test.ts holds the union
// of all units, kept incrementally, equal to it, and the agent's oracle holds the switch equal to a recompute.
import type { AclRuleEntry, Entry } from '../../datapath/host/entries.js'
import { STAGE_CLASSIFY, STAGE_IN_ACL, STAGE_OUT_ACL } from '../../datapath/spec/stages.js'
import { pipelineEntryFlow } from './builder.js'
import type { Flow } from './flow.js'
import type { Context } from './stages/context.js'
import { aclFixedFlows, aclL4Flows, aclPortFlows, aclRemoteFlows, aclRuleFlows, aclSharedFlows } from './stages/acl-flows.js'
import { aclStageOf, canonicalPrefix, l4Key, l4Pieces, ownRemote } from './stages/acl-index.js'
import { arpEntryFlows, arpFixedFlows, natNeighbourPuntFlows, neighbourPuntFlows } from './stages/arp-nd-flows.js'
import { classifyFixedFlows, classifyPortFlows, classifyTunnelFlows, classifyUplinkFlows } from './stages/classify-flows.js'
import { dhcp6EntryFlows, dhcpEntryFlows, dhcpFixedFlows } from './stages/dhcp-flows.js'
import { routerSolicitPuntFlows } from './stages/router-advert-flows.js'
import { egressEntryFlows, egressFixedFlows } from './stages/egress-flows.js'
import { floodChunkFlows, floodHeadFlows, l2EntryFlows } from './stages/l2-flows.js'
import { floodChunkOf } from './layout.js'
import { nexthopEntryFlows, nexthopFixedFlows } from './stages/nexthop-flows.js'
import { gatewayEntryFlows, natEntryFlows, natFixedFlows } from './stages/nat-flows.js'
import { portSecEntryFlows, portSecFixedFlows } from './stages/port-sec-flows.js'
import { type L3Mode, routeFixedFlows, routerFlows } from './stages/route-flows.js'

/** An entry unit's id is the entry's key (canonical JSON, so it starts with '{'); group units are named. */
export type UnitId = string

export const FIXED_UNIT: UnitId = 'fixed'
const FLOOD = 'flood/'
const ROUTER = 'router/'
const ACL = 'acl'
const ACL_REMOTE = 'acl-remote/'
const ACL_L4 = 'acl-l4/'

export interface UnitOptions {
  l3: L3Mode
  /** include the agent's table-0 flow that enters the pipeline */
  entryFlow: boolean
}

/** The group units whose flows read `e` (its own entry unit aside), as the index stands now. */
export function groupUnitsOf(c: Context, e: Entry): UnitId[] {
  switch (e.stage) {
    // the port's networks feed its egress uplink flows
    case 'l2':
      return [...floodUnitsOf(e.network, e.port), ...uplinkEgressOf(c, e.port)]
    case 'classify':
      return 'in_port' in e ? [...floodUnitsOf(e.network, e.port), ...uplinkEgressOf(c, e.port)] : []
    case 'egress':
      return c.networksOfPort(e.port).flatMap(n => floodUnitsOf(n, e.port))
    // the flood head, the egress of ports reached through it, and the replies in place tagged with its VLAN
    case 'uplink':
      return [
        FLOOD + String(e.network),
        ...c.uplinkEgressKeysOn(e.network),
        ...c.arpKeysOn(e.network),
        ...[...new Set(c.routerPortsOn(e.network).map(rp => rp.router))].map(r => ROUTER + String(r)),
      ]
    case 'router_port':
      return [ROUTER + String(e.router), ...c.nexthopKeysOn(e.network), ...c.natKeysOf(e.router), ...c.gatewayKeysOf(e.router)]
    case 'route':
      return [ROUTER + String(e.router)]
    // the router's routes out of the gateway (redirected or not) and its floating IPs' redirect exemptions
    case 'router_gateway':
      return [ROUTER + String(e.router), ...c.natKeysOf(e.router)]
    // called after an add and before a remove: a count of 1 is the first port coming or the last going
    case 'acl_port':
      return c.acl.portCount === 1 ? [ACL] : []
    // a rule's own units, and those of other groups' rules carrying its key (their conjunction id changes)
    case 'acl_rule':
      return [...aclRuleUnits(c, e), ...c.acl.keySharers(e).flatMap(([k, o]) => [k, ...aclRuleUnits(c, o)])]
    case 'acl_member': {
      const p = canonicalPrefix(e.prefix).text
      return [STAGE_IN_ACL, STAGE_OUT_ACL].map(s => `${ACL_REMOTE}${s}/${p}`)
    }
    default:
      return []
  }
}

/** The group units that list a rule: clause 2 per remote prefix, clause 3 per L4 piece, clause 1 per port of its group. */
function aclRuleUnits(c: Context, r: AclRuleEntry): UnitId[] {
  const stage = aclStageOf(r)
  const own = ownRemote(r)
  const remotes =
    own !== undefined ? [own] : c.acl.memberPrefixesOf(r.remote_group ?? -1).filter(p => (p.includes(':') ? 6 : 4) === r.family)
  return [
    ...remotes.map(p => `${ACL_REMOTE}${stage}/${p}`),
    ...(l4Pieces(r) ?? []).map(p => ACL_L4 + l4Key(stage, r.family, p)),
    ...c.acl.portKeysWithGroup(r.group),
  ]
}

const uplinkEgressOf = (c: Context, port: number): UnitId[] => (c.egressOf(port)?.uplink === true ? c.egressKeysOf(port) : [])

const floodUnitsOf = (network: number, port: number): UnitId[] => [FLOOD + String(network), `${FLOOD}${network}/${floodChunkOf(port)}`]

/** Every group unit with flows now, and the fixed unit. */
export function groupUnits(c: Context): UnitId[] {
  return [
    FIXED_UNIT,
    ...c.floodNetworks().flatMap(n => [FLOOD + String(n), ...c.floodChunksOf(n).map(k => `${FLOOD}${n}/${k}`)]),
    ...c.routers().map(r => ROUTER + String(r)),
    ...(c.acl.portCount > 0 ? [ACL] : []),
    ...c.acl.remoteUnits().map(([s, p]) => `${ACL_REMOTE}${s}/${p}`),
    ...c.acl.l4Units().map(k => ACL_L4 + k),
  ]
}

/** The flows of one entry unit. */
export function entryUnitFlows(c: Context, e: Entry): Flow[] {
  switch (e.stage) {
    case 'classify':
      return 'in_port' in e ? classifyPortFlows(c, e) : classifyTunnelFlows(c, e)
    case 'port_sec':
      return portSecEntryFlows(c, e)
    case 'arp_nd':
      return arpEntryFlows(c, e)
    case 'dhcp':
      return dhcpEntryFlows(c, e)
    case 'dhcp6':
      return dhcp6EntryFlows(c, e)
    case 'l2':
      return l2EntryFlows(c, e)
    case 'egress':
      return egressEntryFlows(c, e)
    // read by their group units only
    case 'nexthop':
      return nexthopEntryFlows(c, e)
    case 'router_port':
      return neighbourPuntFlows(c, e)
    case 'route':
      return []
    case 'acl_port':
      return aclPortFlows(c, e)
    case 'acl_rule':
      return aclRuleFlows(c, e)
    // read by the acl-remote units only
    case 'acl_member':
      return []
    case 'uplink':
      return classifyUplinkFlows(c, e)
    case 'nat':
      return [...natEntryFlows(c, e), ...natNeighbourPuntFlows(c, e)]
    case 'router_gateway':
      return gatewayEntryFlows(c, e)
    case 'router_advert':
      return routerSolicitPuntFlows(c, e)
  }
}

/** The flows of one group unit (none when its group is empty now), or of an entry unit a group change touches. */
export function groupUnitFlows(c: Context, id: UnitId, opts: UnitOptions): Flow[] {
  if (id.startsWith('{')) {
    const e = c.entryOf(id)
    return e === undefined ? [] : entryUnitFlows(c, e)
  }
  if (id === FIXED_UNIT) {
    return [
      ...(opts.entryFlow ? [pipelineEntryFlow({ generation: c.generation, firstStage: STAGE_CLASSIFY })] : []),
      ...classifyFixedFlows(c),
      ...portSecFixedFlows(c),
      ...arpFixedFlows(c),
      ...dhcpFixedFlows(c),
      ...natFixedFlows(c),
      ...routeFixedFlows(c),
      ...nexthopFixedFlows(c),
      ...egressFixedFlows(c),
      ...aclFixedFlows(c),
    ]
  }
  if (id === ACL) return aclSharedFlows(c)
  if (id.startsWith(ACL_REMOTE)) {
    const rest = id.slice(ACL_REMOTE.length)
    const at = rest.indexOf('/')
    return aclRemoteFlows(c, Number(rest.slice(0, at)), rest.slice(at + 1))
  }
  if (id.startsWith(ACL_L4)) return aclL4Flows(c, id.slice(ACL_L4.length))
  const [n, k] = id
    .slice(id.indexOf('/') + 1)
    .split('/')
    .map(Number) as [number, number | undefined]
  if (id.startsWith(FLOOD)) return k === undefined ? floodHeadFlows(c, n) : floodChunkFlows(c, n, k)
  if (id.startsWith(ROUTER)) return routerFlows(c, n, { l3: opts.l3 })
  throw new Error(`unknown emit unit ${id}`)
}
