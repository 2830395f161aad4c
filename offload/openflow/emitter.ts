// OpenFlow 1.3 emitter: pipeline entries (datapath/host/entries.ts) -> flows, one table per stage
// (OF_TABLE_BASE + stage id), implementing datapath/BEHAVIOUR.md as far as OpenFlow can. Every flow comes from
// a FlowBuilder; its cookie names the stage and the model key (or the drop/punt reason).
//
// Where OpenFlow cannot do what the WASM pipeline does, the packet is punted to the slow path (the verdict then
// comes from the WASM pipeline) or the gap is listed here:
//   - ICMP echo to a router address is answered in place like the WASM pipeline does, but its checksum is not
//     verified (a bad one is answered, where the WASM pipeline drops bad_l4_checksum).
//   - A neighbour solicitation for a known target is punted (cookie reason `unsupported`) and the slow path
//     answers: an NA in place needs the ND option rewritten after the type change, which OVS refuses.
//   - As in the WASM pipeline (BEHAVIOUR.md §3, VERDICT_OUTPUT), a VLAN tag stripped at classify is not pushed
//     again on output to a local port; out of an uplink the network's VLAN is pushed (stages/egress-flows.ts).
//   - ICMP errors about translated packets (a floating IP) are punted: OpenFlow cannot rewrite the quoted header;
//     the hairpin source rewrite is not done (stages/nat-flows.ts).
//   - Malformed-frame checks (BEHAVIOUR.md §1: lengths, checksums, ARP/IP header sanity) are left to OVS's own
//     parser, which forwards or drops such frames on its own terms; only the multicast-source check is a flow.
//   - A router port is specialised into its routes (router port x route flows); the route flows write the router
//     key into REG_ROUTER, and lr_in_arp_resolve rewrites the frame (TTL, MACs) only once the next hop resolved.
//   - Reactive L3 (EmitOptions.l3 'reactive'): no per-route flows; misses are punted and the agent caches
//     exact-match flows (reactiveRouteFlow in stages/route-flows.ts) with an idle timeout.
import type { Entry } from '../../datapath/host/entries.js'
import { STAGE_CLASSIFY } from '../../datapath/spec/stages.js'
import { pipelineEntryFlow } from './builder.js'
import type { Flow } from './flow.js'
import { Context } from './stages/context.js'
import { PROACTIVE_GENERATION } from './layout.js'
import { classifyFlows } from './stages/classify-flows.js'
import { portSecFlows } from './stages/port-sec-flows.js'
import { arpFlows } from './stages/arp-nd-flows.js'
import { dhcpFlows } from './stages/dhcp-flows.js'
import { type L3Mode, reactiveRouteFlow, routeFlows, type ReactiveQuery } from './stages/route-flows.js'
import { nexthopFlows } from './stages/nexthop-flows.js'
import { l2Flows } from './stages/l2-flows.js'
import { egressFlows } from './stages/egress-flows.js'
import { aclFlows } from './stages/acl-flows.js'
import { gatewayFlows, natFlows } from './stages/nat-flows.js'

export interface EmitOptions {
  /** cookie generation (layout.ts); default PROACTIVE_GENERATION, which is what the agent installs */
  generation?: number
  /** ofport of the flow-based tunnel port (options:remote_ip=flow, options:key=flow); needed for remote ports */
  tunnelOfport?: number
  /** include the agent's table-0 flow that enters the pipeline; default true */
  entryFlow?: boolean
  /** routing: proactive LPM flows (default) or reactive exact-match flows installed from the slow path */
  l3?: L3Mode
}

export type { L3Mode, ReactiveQuery } from './stages/route-flows.js'

/** One ordered list of flows for the whole pipeline. */
export function emitOpenFlow(entries: readonly Entry[], opts: EmitOptions = {}): Flow[] {
  const generation = opts.generation ?? PROACTIVE_GENERATION
  const ctx = Context.of(entries, { generation, tunnelOfport: opts.tunnelOfport })
  const flows: Flow[] = []
  if (opts.entryFlow ?? true) flows.push(pipelineEntryFlow({ generation, firstStage: STAGE_CLASSIFY }))
  flows.push(
    ...classifyFlows(ctx),
    ...portSecFlows(ctx),
    ...arpFlows(ctx),
    ...dhcpFlows(ctx),
    ...natFlows(ctx),
    ...routeFlows(ctx, { l3: opts.l3 ?? 'proactive' }),
    ...gatewayFlows(ctx),
    ...nexthopFlows(ctx),
    ...l2Flows(ctx),
    ...aclFlows(ctx),
    ...egressFlows(ctx),
  )
  return flows
}

/** The reactive l3_route flow for one routed destination (undefined when no known route covers it). */
export function emitReactiveRoute(
  entries: readonly Entry[] | Context,
  q: ReactiveQuery,
  opts: { generation?: number } = {},
): Flow | undefined {
  const generation = opts.generation ?? PROACTIVE_GENERATION
  return reactiveRouteFlow(entries instanceof Context ? entries : Context.of(entries, { generation }), q, generation)
}
