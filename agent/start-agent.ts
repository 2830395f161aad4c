// The composition of one node's agent: the topology compiler, the WASM datapath, the hardware profile and the
// local controller, over a store the caller has opened. `dragonflow agent` and `dragonflow serve` start it
// (cli/commands/), and so do the benchmarks and the agent's root tests; it lives in agent/ because cli/ is a leaf.
import { TopologyCompiler } from './compiler/index.js'
import { LocalController } from './controller/local-controller.js'
import { createDatapath } from '../datapath/host/index.js'
import type { L3Mode } from '../offload/openflow/emitter.js'
import { loadProfile } from '../offload/profile.js'
import type { PubSub, Store } from '../store/types.js'
import { getLogger, type Logger } from '../log/logger.js'
import type { TunnelType } from '../model/tunnel-types.js'

export interface AgentSetup {
  store: Store
  pubsub?: PubSub
  chassisId: string
  tunnelIp?: string
  tunnelType?: TunnelType
  ovsdbTarget: string
  ofSocket: string
  profile: string
  /** default: the process logger */
  log?: Logger
  /** routing on OVS: proactive LPM flows (default) or reactive exact-match flows with an idle timeout */
  l3?: L3Mode
  l3IdleTimeout?: number
  /** the control socket (`dragonflow flows --check --control PATH`) */
  controlSocket?: string
  /** --bridge-mappings: physnet -> bridge */
  bridgeMappings?: ReadonlyMap<string, string>
  /** --report-interval: ms between heartbeats (default agent/controller/heartbeat.ts) */
  heartbeatMs?: number
}

/** Compose and start one node's agent. */
export async function startAgent(s: AgentSetup): Promise<LocalController> {
  const datapath = await createDatapath()
  const compiler = new TopologyCompiler(
    s.tunnelIp !== undefined ? { chassisId: s.chassisId, chassisTunnelIp: s.tunnelIp } : { chassisId: s.chassisId },
  )
  const controller = new LocalController({
    store: s.store,
    compiler,
    datapath,
    chassisId: s.chassisId,
    ovsdbTarget: s.ovsdbTarget,
    ofSocket: s.ofSocket,
    profile: loadProfile(s.profile),
    log: s.log ?? getLogger('agent'),
    ...(s.pubsub !== undefined ? { pubsub: s.pubsub } : {}),
    ...(s.tunnelIp !== undefined ? { tunnelIp: s.tunnelIp } : {}),
    ...(s.tunnelType !== undefined ? { tunnelType: s.tunnelType } : {}),
    ...(s.l3 !== undefined ? { l3: s.l3 } : {}),
    ...(s.l3IdleTimeout !== undefined ? { l3IdleTimeout: s.l3IdleTimeout } : {}),
    ...(s.controlSocket !== undefined ? { controlSocket: s.controlSocket } : {}),
    ...(s.heartbeatMs !== undefined ? { heartbeatMs: s.heartbeatMs } : {}),
    ...(s.bridgeMappings !== undefined ? { bridgeMappings: s.bridgeMappings } : {}),
  })
  await controller.start()
  return controller
}
