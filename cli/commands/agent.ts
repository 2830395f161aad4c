// `dragonflow agent`: the local controller of one node joining a shared store (etcd, with etcd-watch or MQTT
// as an extra change feed), against an Open vSwitch that is already running. The agent's parts are composed
// by startAgent (agent/start-agent.ts), for `dragonflow serve` too.
import { REPORT_INTERVAL_FLAG, reportIntervalMs } from '../liveness-flags.js'
import { isIPv4 } from 'node:net'
import { hostname } from 'node:os'
import { type Command, type Flag, UsageError, parseBridgeMappings, parseFlags } from '../command.js'
import { CONFIG_FLAG, applyConfig } from '../config.js'
import type { L3Mode } from '../../offload/openflow/emitter.js'
import { startAgent } from '../../agent/start-agent.js'
import { DEFAULT_TUNNEL_TYPE, TUNNEL_TYPES, isTunnelType } from '../../model/tunnel-types.js'
import { type AnyConfig, openPubSub, openStore } from '../../store/registry.js'
import type { PubSub } from '../../store/types.js'
import { LOG_FLAGS, loggingFromFlags } from '../../log/flags.js'
import { configureLogging, getLogger } from '../../log/logger.js'
import { METRICS_LISTEN_FLAG, parseMetricsListen, startMetricsServer } from '../../metrics/server.js'

// serve.ts and the root tests take the composition from here, as before it moved to agent/.
export { type AgentSetup, startAgent } from '../../agent/start-agent.js'

/** --bridge-mappings, declared by `agent` and `serve`. */
export const BRIDGE_MAPPINGS_FLAG: Flag = {
  name: 'bridge-mappings',
  type: 'string',
  value: 'PHYSNET:BRIDGE[,...]',
  description: "provider networks: each physical network's OVS bridge (it must exist; a patch port pair joins it to br-int)",
}

/** The parsed --bridge-mappings, or undefined when not given (a UsageError naming the flag when bad). */
export function bridgeMappingsFlag(flags: { get: (name: string) => string | undefined }): ReadonlyMap<string, string> | undefined {
  const text = flags.get('bridge-mappings')
  return text === undefined ? undefined : parseBridgeMappings(text)
}

/** The flags behind l3Flags, declared by `agent` and `serve`. */
export const L3_FLAGS: readonly Flag[] = [
  {
    name: 'l3',
    type: 'string',
    value: 'proactive|reactive',
    description: 'routing on OVS: proactive LPM flows (default) or reactive exact-match flows',
  },
  { name: 'l3-idle-timeout', type: 'string', value: 'SECONDS', description: 'idle timeout of reactive L3 flows, 1..65535 (default 30)' },
]

/** --l3 proactive|reactive and --l3-idle-timeout SECONDS (1..65535, the OpenFlow field), shared with `serve`. */
export function l3Flags(flags: { get: (name: string) => string | undefined }): { l3?: L3Mode; l3IdleTimeout?: number } {
  const out: { l3?: L3Mode; l3IdleTimeout?: number } = {}
  const mode = flags.get('l3')
  if (mode !== undefined) {
    if (mode !== 'proactive' && mode !== 'reactive') throw new UsageError(`--l3 must be proactive or reactive, not '${mode}'`)
    out.l3 = mode
  }
  const idle = flags.get('l3-idle-timeout')
  if (idle !== undefined) {
    const n = Number(idle)
    if (!Number.isInteger(n) || n < 1 || n > 0xffff)
      throw new UsageError(`--l3-idle-timeout must be whole seconds in 1..65535, not '${idle}'`)
    out.l3IdleTimeout = n
  }
  return out
}

/** Resolve when SIGTERM or SIGINT arrives (the handlers are removed again). */
export async function untilSignal(): Promise<string> {
  return await new Promise<string>(resolve => {
    const stop = (signal: string): void => {
      process.off('SIGTERM', onTerm)
      process.off('SIGINT', onInt)
      resolve(signal)
    }
    const onTerm = (): void => {
      stop('SIGTERM')
    }
    const onInt = (): void => {
      stop('SIGINT')
    }
    process.on('SIGTERM', onTerm)
    process.on('SIGINT', onInt)
  })
}

const FLAGS: readonly Flag[] = [
  {
    name: 'store',
    type: 'string',
    value: 'etcd|embedded',
    description: 'the shared store driver (default etcd with --etcd-endpoints, else embedded)',
  },
  { name: 'etcd-endpoints', type: 'string', value: 'URLS', description: 'etcd endpoints, comma-separated' },
  { name: 'data-dir', type: 'string', value: 'DIR', description: 'directory of an embedded store this process owns' },
  { name: 'pubsub', type: 'string', value: 'etcd-watch|mqtt', description: 'an extra change feed' },
  { name: 'mqtt-url', type: 'string', value: 'URL', description: 'the MQTT broker of --pubsub mqtt' },
  { name: 'ovsdb', type: 'string', value: 'unix:PATH|tcp:HOST:PORT', description: 'the ovsdb-server of this node (required)' },
  { name: 'of-socket', type: 'string', value: 'PATH', description: "OpenFlow socket br-int connects to, inside OVS's rundir (required)" },
  { name: 'chassis-id', type: 'string', value: 'ID', description: "this node's chassis id (default the host name)" },
  { name: 'tunnel-ip', type: 'string', value: 'IP', description: "IPv4 address of this node's tunnel endpoint" },
  {
    name: 'tunnel',
    type: 'string',
    value: TUNNEL_TYPES.join('|'),
    description: `tunnel type (default ${DEFAULT_TUNNEL_TYPE}; needs --tunnel-ip)`,
  },
  { name: 'profile', type: 'string', value: 'NAME|PATH.json', description: 'hardware profile (default ovs-userspace)' },
  { name: 'control', type: 'string', value: 'PATH', description: 'a control socket (`dragonflow flows --check --control PATH`)' },
  BRIDGE_MAPPINGS_FLAG,
  { name: 'quiet', type: 'boolean', description: 'no log lines' },
  ...LOG_FLAGS,
  METRICS_LISTEN_FLAG,
  REPORT_INTERVAL_FLAG,
  ...L3_FLAGS,
  CONFIG_FLAG,
]

const command: Command = {
  name: 'agent',
  summary: 'run the local controller of this node against a shared store and a running Open vSwitch',
  usage:
    'dragonflow agent --etcd-endpoints URLS [--pubsub etcd-watch|mqtt --mqtt-url URL] --ovsdb unix:PATH|tcp:HOST:PORT\n' +
    '                        --of-socket PATH [--chassis-id ID] [--tunnel-ip IP [--tunnel ' +
    TUNNEL_TYPES.join('|') +
    ']] [--profile ovs-userspace] [--quiet]\n' +
    '                        [--log-format json|text] [--log-level debug|info|warn|error] [--metrics-listen HOST:PORT]\n' +
    '                        [--l3 proactive|reactive] [--l3-idle-timeout SECONDS (default 30)] [--control PATH (a control socket)]\n' +
    '                        [--bridge-mappings PHYSNET:BRIDGE[,PHYSNET:BRIDGE...] (provider networks)] [--report-interval SECONDS (default 10)]\n' +
    '       (or --store embedded --data-dir DIR for a store this process owns)  [--config FILE (JSON; flags override it)]',
  flags: FLAGS,
  async run(args) {
    const parsed = parseFlags(args, FLAGS)
    if (parsed.rest.length > 0) throw new UsageError(`unexpected argument '${parsed.rest[0] ?? ''}'`)
    // --config FILE, validated whole before anything starts; its keys fill the flags not given
    const settings = applyConfig(parsed.flags, { command: 'agent', declared: FLAGS })
    const { flags } = settings
    const l3 = l3Flags(flags)
    const bridgeMappings = bridgeMappingsFlag(flags)
    const ovsdbTarget = flags.get('ovsdb')
    const ofSocket = flags.get('of-socket')
    if (ovsdbTarget === undefined) throw new UsageError('--ovsdb is required (the ovsdb-server of this node)')
    // OVS only connects to unix: controller targets inside its own rundir (e.g. /var/run/openvswitch/df-of.sock)
    if (ofSocket === undefined)
      throw new UsageError("--of-socket is required (br-int connects to unix:<path>; the path must be in OVS's rundir)")
    const storeFlagGiven = flags.has('store') || flags.has('etcd-endpoints') || flags.has('data-dir')
    const driver = flags.get('store') ?? (flags.has('etcd-endpoints') ? 'etcd' : 'embedded')
    let storeConfig: AnyConfig
    if (!storeFlagGiven && settings.store !== undefined) {
      storeConfig = settings.store // the file's store section, checked by its driver's schema
    } else if (driver === 'etcd') {
      const eps = flags.get('etcd-endpoints')
      if (eps === undefined) throw new UsageError('--store etcd needs --etcd-endpoints URL[,URL...]')
      storeConfig = {
        driver,
        endpoints: eps
          .split(',')
          .map(x => x.trim())
          .filter(Boolean),
      }
    } else if (driver === 'embedded') {
      const dir = flags.get('data-dir')
      if (dir === undefined) throw new UsageError('--store embedded needs --data-dir DIR')
      storeConfig = { driver, dir }
    } else {
      throw new UsageError(`--store: unknown driver '${driver}'`)
    }
    // checked before anything is opened, so a bad flag leaves nothing behind
    const tunnelIp = flags.get('tunnel-ip')
    const tunnel = flags.get('tunnel')
    if (tunnel !== undefined && !isTunnelType(tunnel))
      throw new UsageError(`--tunnel must be one of ${TUNNEL_TYPES.join(', ')}, not '${tunnel}'`)
    if (tunnel !== undefined && tunnelIp === undefined)
      throw new UsageError("--tunnel needs --tunnel-ip (the address of this node's tunnel endpoint)")
    if (tunnelIp !== undefined && !isIPv4(tunnelIp)) throw new UsageError(`--tunnel-ip must be an IPv4 address, not '${tunnelIp}'`)
    const heartbeatMs = reportIntervalMs(flags)
    configureLogging(loggingFromFlags(flags, m => new UsageError(m)))
    const metricsListen = flags.get('metrics-listen')
    const metricsAt = metricsListen === undefined ? undefined : parseMetricsListen(metricsListen, m => new UsageError(m))
    const log = getLogger('agent')
    const store = await openStore(storeConfig)
    let pubsub: PubSub | undefined
    const bus = flags.get('pubsub')
    if (bus === 'mqtt') {
      const url = flags.get('mqtt-url')
      if (url === undefined) throw new UsageError('--pubsub mqtt needs --mqtt-url URL')
      pubsub = await openPubSub({ driver: 'mqtt', url })
    } else if (bus === 'etcd-watch') {
      const eps = flags.get('etcd-endpoints')
      if (eps === undefined) throw new UsageError('--pubsub etcd-watch needs --etcd-endpoints')
      pubsub = await openPubSub({ driver: 'etcd-watch', endpoints: eps.split(',') })
    } else if (bus !== undefined) {
      throw new UsageError(`--pubsub: unknown driver '${bus}'`)
    }
    const controller = await startAgent({
      store,
      chassisId: flags.get('chassis-id') ?? hostname(),
      ovsdbTarget,
      ofSocket,
      profile: flags.get('profile') ?? 'ovs-userspace',
      log,
      ...(pubsub !== undefined ? { pubsub } : {}),
      ...(tunnelIp !== undefined ? { tunnelIp } : {}),
      ...(tunnel !== undefined ? { tunnelType: tunnel } : {}),
      ...l3,
      ...(flags.get('control') !== undefined ? { controlSocket: flags.get('control') as string } : {}),
      ...(bridgeMappings !== undefined ? { bridgeMappings } : {}),
      ...(heartbeatMs !== undefined ? { heartbeatMs } : {}),
    })
    const metrics = metricsAt === undefined ? undefined : await startMetricsServer(metricsAt)
    if (metrics !== undefined) log.info(`metrics on ${metrics.url}`)
    process.stdout.write(`dragonflow agent: running (chassis ${flags.get('chassis-id') ?? hostname()})\n`)
    const signal = await untilSignal()
    process.stdout.write(`dragonflow agent: ${signal}, shutting down\n`)
    await metrics?.close()
    await controller.stop()
    await pubsub?.close()
    await store.close()
    return 0
  },
}

export default command
