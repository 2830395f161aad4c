// `dragonflow api`: the Neutron-compatible API (and the Keystone subset) over a store chosen by flags or a
// JSON config file. This is the composition root of the northbound side: the only place that opens a store.
import { AGENT_DOWN_TIME_FLAG, agentDownMs } from '../liveness-flags.js'
import { type Command, type Flag, UsageError, parseFlags } from '../command.js'
import { CONFIG_FLAG, applyConfig } from '../config.js'
import type { AuthMode } from '../../northbound/auth.js'
import type { Policy } from '../../northbound/policy/engine.js'
import { startApiServer } from '../../northbound/server.js'
import { type AnyConfig, openPubSub, openStore } from '../../store/registry.js'
import { POLICY_FILE_FLAG, policyFromFlags } from './policy.js'
import { LOG_FLAGS, loggingFromFlags } from '../../log/flags.js'
import { configureLogging, getLogger, type LoggingOptions } from '../../log/logger.js'

interface ApiConfig {
  listen: string
  store: AnyConfig
  auth: AuthMode
  adminToken?: string | undefined
  adminPassword?: string | undefined
  quiet: boolean
  /** --log-format, --log-level, --quiet */
  logging: LoggingOptions
  /** --policy-file: Neutron's policy.yaml overrides, validated before the API starts */
  policy: Policy
  /** --agent-down-time in ms (default: agent/controller/heartbeat.ts) */
  agentDownMs?: number | undefined
  /** an MQTT broker to announce every store change on (the agents' --pubsub mqtt feed) */
  mqttUrl?: string | undefined
}

function parseListen(s: string): { host: string; port: number } {
  const at = s.lastIndexOf(':')
  const host = at > 0 ? s.slice(0, at).replace(/^\[|\]$/g, '') : '127.0.0.1'
  const port = Number(at >= 0 ? s.slice(at + 1) : s)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--listen: bad port in '${s}'`)
  return { host, port }
}

const FLAGS: readonly Flag[] = [
  { name: 'listen', type: 'string', value: 'HOST:PORT', description: 'address to serve on (default 127.0.0.1:9696; port 0 picks one)' },
  { name: 'store', type: 'string', value: 'embedded|etcd', description: 'store driver (default embedded; others through --config)' },
  { name: 'data-dir', type: 'string', value: 'DIR', description: 'directory of the embedded store' },
  { name: 'etcd-endpoints', type: 'string', value: 'URLS', description: 'etcd endpoints, comma-separated' },
  CONFIG_FLAG,
  { name: 'auth', type: 'string', value: 'none|keystone', description: 'authentication (default none)' },
  { name: 'admin-token', type: 'string', value: 'TOKEN', description: 'a token accepted as admin' },
  { name: 'admin-password', type: 'string', value: 'PASSWORD', description: 'the Keystone admin password (or $DRAGONFLOW_ADMIN_PASSWORD)' },
  { name: 'pubsub', type: 'string', value: 'mqtt', description: 'announce every change of the store on a bus' },
  { name: 'mqtt-url', type: 'string', value: 'URL', description: 'the MQTT broker of --pubsub mqtt' },
  { name: 'quiet', type: 'boolean', description: 'no request log' },
  ...LOG_FLAGS,
  POLICY_FILE_FLAG,
  AGENT_DOWN_TIME_FLAG,
]

function loadConfig(args: string[]): ApiConfig {
  const parsed = parseFlags(args, FLAGS)
  if (parsed.rest.length) throw new UsageError(`unexpected argument '${parsed.rest[0]}'`)
  // --config FILE (validated whole, cli/config.ts): its keys fill the flags not given
  const settings = applyConfig(parsed.flags, { command: 'api', declared: FLAGS })
  const { flags } = settings
  const file = { store: settings.store }
  const driver = flags.get('store') ?? file.store?.driver ?? 'embedded'
  let store: AnyConfig
  if (flags.has('store') || flags.has('data-dir') || flags.has('etcd-endpoints') || !file.store) {
    if (driver === 'embedded') {
      const dir = flags.get('data-dir') ?? (file.store?.dir as string | undefined)
      if (!dir) throw new UsageError('--store embedded needs --data-dir DIR')
      store = { driver, dir }
    } else if (driver === 'etcd') {
      const eps = flags.get('etcd-endpoints') ?? (file.store?.endpoints as string[] | undefined)?.join(',')
      if (!eps) throw new UsageError('--store etcd needs --etcd-endpoints URL[,URL...]')
      store = {
        driver,
        endpoints: eps
          .split(',')
          .map(s => s.trim())
          .filter(Boolean),
      }
    } else {
      throw new UsageError(`--store: unknown driver '${driver}' (embedded, etcd; others through --config)`)
    }
  } else {
    store = file.store
  }
  const auth = (flags.get('auth') ?? 'none') as AuthMode
  if (auth !== 'none' && auth !== 'keystone') throw new UsageError(`--auth must be none or keystone, not '${String(auth)}'`)
  return {
    listen: flags.get('listen') ?? '127.0.0.1:9696',
    store,
    auth,
    adminToken: flags.get('admin-token'),
    // flag, then $DRAGONFLOW_ADMIN_PASSWORD, then the file (cli/config.ts resolveSettings)
    adminPassword: flags.get('admin-password'),
    quiet: flags.has('quiet'),
    logging: loggingFromFlags(flags, m => new UsageError(m)),
    policy: policyFromFlags(flags),
    agentDownMs: agentDownMs(flags),
    mqttUrl: pubsubFlags(flags),
  }
}

/** --pubsub mqtt --mqtt-url URL: only MQTT needs a publisher (etcd-watch subscribers read etcd itself). */
function pubsubFlags(flags: Map<string, string>): string | undefined {
  const bus = flags.get('pubsub')
  if (bus === undefined) return undefined
  if (bus !== 'mqtt') throw new UsageError(`--pubsub: only mqtt needs the API to publish, not '${bus}'`)
  const url = flags.get('mqtt-url')
  if (!url) throw new UsageError('--pubsub mqtt needs --mqtt-url URL')
  return url
}

const command: Command = {
  name: 'api',
  summary: 'serve the Neutron v2.0 API (and a Keystone v3 subset) over the NB store',
  usage:
    'dragonflow api [--listen HOST:PORT] [--store embedded --data-dir DIR | --store etcd --etcd-endpoints URLS | --config FILE]\n' +
    '                      [--auth none|keystone] [--admin-token TOKEN] [--admin-password PASSWORD] [--quiet]\n' +
    '                      [--log-format json|text] [--log-level debug|info|warn|error]\n' +
    '                      [--pubsub mqtt --mqtt-url URL]   (announce every change of the store on MQTT)\n' +
    "                      [--policy-file policy.yaml]      (access rules over Neutron's defaults; see `dragonflow policy list`)",
  flags: FLAGS,
  async run(args) {
    const cfg = loadConfig(args)
    const { host, port } = parseListen(cfg.listen)
    const store = await openStore(cfg.store)
    configureLogging(cfg.logging)
    const log = getLogger('api')
    let server
    try {
      server = await startApiServer({
        store,
        host,
        port,
        auth: cfg.auth,
        adminToken: cfg.adminToken,
        adminPassword: cfg.adminPassword,
        policy: cfg.policy,
        agentDownMs: cfg.agentDownMs,
        log,
      })
    } catch (err) {
      await store.close()
      throw err
    }
    // Tests and scripts read this line to learn the port (with --listen 127.0.0.1:0).
    // the store's own change feed, re-announced on MQTT for agents that follow the bus (Dragonflow's NB
    // publisher); a failed publish is counted and logged once, the API goes on (agents also watch the store)
    const bus = cfg.mqttUrl === undefined ? undefined : await openPubSub({ driver: 'mqtt', url: cfg.mqttUrl })
    let publishFailures = 0
    const unwatch =
      bus === undefined
        ? undefined
        : await store.watch(c => {
            bus.publish(c).catch((err: Error) => {
              if (++publishFailures === 1) log.warn(`mqtt publish failed (${err.message}); further failures are counted only`)
            })
          })
    process.stdout.write(`dragonflow api: listening on ${server.url} (store ${cfg.store.driver}, auth ${cfg.auth})\n`)
    const srv = server
    await new Promise<void>(resolve => {
      const stop = (signal: string): void => {
        process.stdout.write(`dragonflow api: ${signal}, shutting down\n`)
        process.off('SIGTERM', onTerm)
        process.off('SIGINT', onInt)
        resolve()
      }
      const onTerm = (): void => stop('SIGTERM')
      const onInt = (): void => stop('SIGINT')
      process.on('SIGTERM', onTerm)
      process.on('SIGINT', onInt)
    })
    await srv.close()
    await unwatch?.()
    await bus?.close()
    if (publishFailures > 0) process.stderr.write(`dragonflow api: ${publishFailures} mqtt publishes failed\n`)
    await store.close()
    return 0
  },
}

export default command
