// `dragonflow serve`: an all-in-one edge node on the embedded store: the Neutron API (no auth by default), the
// local controller with its WASM datapath, and, unless --ovsdb names one, a private Open vSwitch under the data
// directory (<data-dir>/ovs, vswitchd in network namespace `dragonflow`, or the root one with --netns none).
//
// While serve runs it supervises the private OVS: a daemon that dies is started again and the agent resyncs.
// The private OVS outlives a crash of this process (kill -9): the next `serve` on the same data directory
// reuses it, resyncs the flows without flushing, and traffic never stops. A clean stop (SIGTERM/SIGINT) stops
// OVS too and deletes its namespace, unless --keep-ovs.
//
// Layout of the data directory: store/ (embedded store), ovs/ (OVS rundir, db, logs, the OpenFlow socket),
// serve.json (where things are, for `dragonflow plug` and `dragonflow flows`).
import { AGENT_DOWN_TIME_FLAG, REPORT_INTERVAL_FLAG, agentDownMs, reportIntervalMs } from '../liveness-flags.js'
import { mkdirSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join, resolve } from 'node:path'
import { type Command, type Flag, UsageError, parseFlags } from '../command.js'
import { CONFIG_FLAG, applyConfig } from '../config.js'
import { PrivateOvs } from '../../agent/controller/private-ovs.js'
import { startApiServer } from '../../northbound/server.js'
import { POLICY_FILE_FLAG, policyFromFlags } from './policy.js'
import { openStore } from '../../store/registry.js'
import { BRIDGE_MAPPINGS_FLAG, L3_FLAGS, bridgeMappingsFlag, l3Flags, startAgent, untilSignal } from './agent.js'
import type { AuthMode } from '../../northbound/auth.js'
import { CONTROL_SOCKET, SERVE_STATE, type ServeState } from './serve-state.js'
import { LOG_FLAGS, loggingFromFlags } from '../../log/flags.js'
import { configureLogging, getLogger } from '../../log/logger.js'
import { METRICS_LISTEN_FLAG, parseMetricsListen, startMetricsServer } from '../../metrics/server.js'

export { SERVE_STATE, type ServeState } from './serve-state.js'

function parseListen(s: string): { host: string; port: number } {
  const at = s.lastIndexOf(':')
  const host = at > 0 ? s.slice(0, at) : '127.0.0.1'
  const port = Number(at >= 0 ? s.slice(at + 1) : s)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--listen: bad port in '${s}'`)
  return { host, port }
}

const FLAGS: readonly Flag[] = [
  {
    name: 'data-dir',
    type: 'string',
    value: 'DIR',
    description: 'store, private OVS and serve.json live here (default /var/lib/dragonflow)',
  },
  { name: 'listen', type: 'string', value: 'HOST:PORT', description: 'address of the API (default 127.0.0.1:9696; port 0 picks one)' },
  {
    name: 'netns',
    type: 'string',
    value: 'NAME|none',
    description: 'namespace of the private ovs-vswitchd (default dragonflow; none: the root one)',
  },
  { name: 'ovsdb', type: 'string', value: 'unix:PATH', description: 'use this running OVS instead of a private one' },
  { name: 'of-socket', type: 'string', value: 'PATH', description: "OpenFlow socket br-int connects to, inside OVS's rundir" },
  { name: 'chassis-id', type: 'string', value: 'ID', description: "this node's chassis id (default the host name)" },
  { name: 'auth', type: 'string', value: 'none|keystone', description: 'API authentication (default none)' },
  {
    name: 'admin-password',
    type: 'string',
    value: 'PASSWORD',
    description:
      'with --auth keystone: create (or reset) the admin user of the admin project with this password (or $DRAGONFLOW_ADMIN_PASSWORD)',
  },
  { name: 'admin-token', type: 'string', value: 'TOKEN', description: 'with --auth keystone: a token accepted as admin' },
  { name: 'profile', type: 'string', value: 'NAME|PATH.json', description: 'hardware profile of the agent (default ovs-userspace)' },
  BRIDGE_MAPPINGS_FLAG,
  { name: 'keep-ovs', type: 'boolean', description: 'leave the private OVS running on a clean stop' },
  { name: 'quiet', type: 'boolean', description: 'no log lines' },
  ...LOG_FLAGS,
  METRICS_LISTEN_FLAG,
  REPORT_INTERVAL_FLAG,
  AGENT_DOWN_TIME_FLAG,
  ...L3_FLAGS,
  POLICY_FILE_FLAG,
  CONFIG_FLAG,
]

const command: Command = {
  name: 'serve',
  summary: 'run an all-in-one edge node: Neutron API + local controller + WASM datapath (+ a private OVS)',
  usage:
    'dragonflow serve [--data-dir DIR] [--listen HOST:PORT] [--netns NAME|none] [--ovsdb unix:PATH [--of-socket PATH]] [--chassis-id ID]\n' +
    '                        [--auth none|keystone [--admin-password PW] [--admin-token TOKEN]] [--keep-ovs] [--quiet] [--l3 proactive|reactive] [--l3-idle-timeout SECONDS (default 30)]\n' +
    '                        [--policy-file policy.yaml] [--profile ovs-userspace] [--bridge-mappings PHYSNET:BRIDGE[,PHYSNET:BRIDGE...]]\n' +
    '                        [--config FILE (JSON; flags override it)] [--log-format json|text] [--log-level debug|info|warn|error]\n' +
    "                        [--metrics-listen HOST:PORT (the API's /metrics shows the same)] [--report-interval SECONDS] [--agent-down-time SECONDS]",
  flags: FLAGS,
  async run(args) {
    const parsed = parseFlags(args, FLAGS)
    if (parsed.rest.length > 0) throw new UsageError(`unexpected argument '${parsed.rest[0] ?? ''}'`)
    // --config FILE, validated whole before anything starts; its keys fill the flags not given
    const settings = applyConfig(parsed.flags, { command: 'serve', declared: FLAGS })
    const { flags } = settings
    // serve's store is always the embedded one in its data directory (serve.dataDir in the file)
    if (settings.store !== undefined)
      throw new UsageError(
        `--config: serve keeps its store in <data-dir>/store; the store section is for api and agent (set serve.dataDir)`,
      )
    const l3 = l3Flags(flags)
    const bridgeMappings = bridgeMappingsFlag(flags)
    // access rules: validated before anything starts, a bad rule is a usage error naming it and its line
    const policy = policyFromFlags(flags)
    const dataDir = resolve(flags.get('data-dir') ?? '/var/lib/dragonflow')
    const { host, port } = parseListen(flags.get('listen') ?? '127.0.0.1:9696')
    const auth = (flags.get('auth') ?? 'none') as AuthMode
    if (auth !== 'none' && auth !== 'keystone') throw new UsageError(`--auth must be none or keystone, not '${String(auth)}'`)
    const netnsFlag = flags.get('netns') ?? 'dragonflow'
    const netns = netnsFlag === 'none' ? null : netnsFlag
    const chassisId = flags.get('chassis-id') ?? hostname()
    configureLogging(loggingFromFlags(flags, m => new UsageError(m)))
    const heartbeatMs = reportIntervalMs(flags)
    const downMs = agentDownMs(flags)
    const metricsListen = flags.get('metrics-listen')
    const metricsAt = metricsListen === undefined ? undefined : parseMetricsListen(metricsListen, m => new UsageError(m))
    const log = getLogger('serve')
    mkdirSync(dataDir, { recursive: true })

    const external = flags.get('ovsdb')
    const ovs = external === undefined ? new PrivateOvs({ dir: join(dataDir, 'ovs'), netns, log: getLogger('ovs') }) : undefined
    await ovs?.ensure()
    // serve owns its private switch, so it also makes the operator's bridge of each mapping (an empty netdev
    // bridge: `dragonflow plug --bridge` or ovs-vsctl add the uplink); an external OVS is the operator's to set up
    for (const bridge of new Set(bridgeMappings?.values() ?? [])) {
      if (ovs === undefined) break
      await ovs.vsctl('--may-exist', 'add-br', bridge, '--', 'set', 'Bridge', bridge, 'datapath_type=netdev')
    }
    // a private OVS that dies (crash, kill) is started again while serve runs; the agent then resyncs
    const stopSupervising = ovs?.supervise()
    const ovsdb = external ?? (ovs as PrivateOvs).dbTarget
    // OVS connects only to unix: controller targets inside its own rundir
    const ofSocket =
      flags.get('of-socket') ?? (external === undefined ? join(dataDir, 'ovs', 'df-of.sock') : '/var/run/openvswitch/dragonflow-of.sock')
    mkdirSync(join(dataDir, 'ovs'), { recursive: true })

    const store = await openStore({ driver: 'embedded', dir: join(dataDir, 'store') })
    const cleanup: (() => Promise<void>)[] = [
      async () => {
        await store.close()
      },
    ]
    try {
      // flag, then $DRAGONFLOW_ADMIN_PASSWORD, then the file: applyConfig has put the winner in the flags
      const adminPassword = flags.get('admin-password')
      const adminToken = flags.get('admin-token')
      const server = await startApiServer({
        store,
        host,
        port,
        auth,
        policy,
        log: getLogger('api'),
        adminPassword,
        adminToken,
        agentDownMs: downMs,
      })
      cleanup.unshift(async () => {
        await server.close()
      })
      const control = join(dataDir, CONTROL_SOCKET)
      const controller = await startAgent({
        store,
        chassisId,
        ovsdbTarget: ovsdb,
        ofSocket,
        profile: flags.get('profile') ?? 'ovs-userspace',
        log: getLogger('agent'),
        ...l3,
        controlSocket: control,
        ...(bridgeMappings !== undefined ? { bridgeMappings } : {}),
        ...(heartbeatMs !== undefined ? { heartbeatMs } : {}),
      })
      cleanup.unshift(async () => {
        await controller.stop()
      })
      // the API's /metrics already shows this registry; --metrics-listen is for a scraper that wants its own port
      const metrics = metricsAt === undefined ? undefined : await startMetricsServer(metricsAt)
      if (metrics !== undefined) {
        cleanup.unshift(async () => {
          await metrics.close()
        })
        log.info(`metrics on ${metrics.url}`)
      }
      const state: ServeState = {
        pid: process.pid,
        api: server.url,
        auth,
        ovsdb,
        netns: external === undefined ? netns : null,
        ofSocket,
        bridge: 'br-int',
        chassisId,
        control,
        ...(ovs !== undefined ? { ovsRundir: ovs.dir } : {}),
      }
      writeFileSync(join(dataDir, SERVE_STATE), JSON.stringify(state, null, 2) + '\n')
      // tests and scripts read this line to learn the API's URL (with --listen 127.0.0.1:0)
      process.stdout.write(`dragonflow serve: listening on ${server.url} (data ${dataDir}, chassis ${chassisId})\n`)
      const signal = await untilSignal()
      process.stdout.write(`dragonflow serve: ${signal}, shutting down\n`)
    } finally {
      stopSupervising?.()
      for (const c of cleanup)
        await c().catch((err: Error) => {
          log.error(`stopping: ${err.message}`)
        })
      if (ovs !== undefined && !flags.has('keep-ovs')) ovs.stopSync({ deleteNetns: true })
    }
    return 0
  },
}

export default command
