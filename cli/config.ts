// The config file of `dragonflow serve`, `agent` and `api` (`--config FILE`, JSON): one TypeBox schema with a
// section per concern, validated whole before anything starts (every mistake named by its JSON Pointer, an
// unknown key refused by name). A command reads only the sections it has flags for, so one file can serve every
// command of a node. Flags override the file; secrets may come from the environment instead of the file
// (DRAGONFLOW_ADMIN_PASSWORD), which beats the file but not the flag.
//
// JSON only: no YAML parser is installed, and the project adds none for this.
import { readFileSync } from 'node:fs'
import Type, { type Static } from 'typebox'
import { type SchemaError, formatErrors, validate } from '../schema/validate.js'
import { type AnyConfig, configErrors } from '../store/registry.js'
import { type Flag, UsageError } from './command.js'
import { TUNNEL_TYPES } from '../model/tunnel-types.js'

const strict = { additionalProperties: false } as const

const HostPort = Type.String({ pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[^\\s:]*|[0-9A-Fa-f:]+):[0-9]{1,5}$', description: 'HOST:PORT' })

/** A store or pub/sub section: `driver` plus that driver's keys, checked against the driver's own schema. */
const DriverSection = (description: string) =>
  Type.Object({ driver: Type.String({ minLength: 1 }) }, { additionalProperties: true, description })

export const ConfigFileSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    store: Type.Optional(
      DriverSection("the NB store of api and agent: { driver: 'embedded', dir } or { driver: 'etcd', endpoints: [...] }"),
    ),
    pubsub: Type.Optional(
      Type.Object(
        {
          driver: Type.Enum(['mqtt', 'etcd-watch'], { description: 'an extra change feed of the agent (and what api publishes to)' }),
          url: Type.Optional(Type.String({ minLength: 1, description: 'the MQTT broker' })),
        },
        strict,
      ),
    ),
    api: Type.Optional(
      Type.Object(
        {
          listen: Type.Optional(HostPort),
          auth: Type.Optional(Type.Enum(['none', 'keystone'])),
          adminToken: Type.Optional(Type.String({ minLength: 1 })),
          adminPassword: Type.Optional(Type.String({ minLength: 1, description: 'better from $DRAGONFLOW_ADMIN_PASSWORD' })),
          policyFile: Type.Optional(Type.String({ minLength: 1 })),
          agentDownTime: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 86400, description: 'seconds (--agent-down-time)' })),
        },
        strict,
      ),
    ),
    agent: Type.Optional(
      Type.Object(
        {
          chassisId: Type.Optional(Type.String({ minLength: 1 })),
          profile: Type.Optional(Type.String({ minLength: 1, description: 'a shipped hardware profile or a path to one' })),
          // physnet -> bridge; names are checked as --bridge-mappings checks them
          bridgeMappings: Type.Optional(Type.Record(Type.String(), Type.String({ minLength: 1 }))),
          l3: Type.Optional(
            Type.Object(
              {
                mode: Type.Optional(Type.Enum(['proactive', 'reactive'])),
                idleTimeout: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
              },
              strict,
            ),
          ),
          ovsdb: Type.Optional(Type.String({ minLength: 1 })),
          ofSocket: Type.Optional(Type.String({ minLength: 1 })),
          tunnelIp: Type.Optional(Type.String({ minLength: 1 })),
          tunnel: Type.Optional(Type.Enum([...TUNNEL_TYPES])),
          control: Type.Optional(Type.String({ minLength: 1 })),
          metricsListen: Type.Optional(HostPort),
          reportInterval: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 86400, description: 'seconds (--report-interval)' })),
        },
        strict,
      ),
    ),
    serve: Type.Optional(
      Type.Object(
        {
          dataDir: Type.Optional(Type.String({ minLength: 1 })),
          netns: Type.Optional(Type.String({ minLength: 1 })),
          keepOvs: Type.Optional(Type.Boolean()),
        },
        strict,
      ),
    ),
    log: Type.Optional(
      Type.Object(
        {
          level: Type.Optional(Type.Enum(['debug', 'info', 'warn', 'error'])),
          format: Type.Optional(Type.Enum(['json', 'text'])),
        },
        strict,
      ),
    ),
  },
  strict,
)

export type ConfigFile = Static<typeof ConfigFileSchema>

/** `--config FILE`, declared by serve, agent and api. */
export const CONFIG_FLAG: Flag = {
  name: 'config',
  type: 'string',
  value: 'FILE',
  description: 'a JSON config file (see README "Config file"; flags override it)',
}

/** The environment variable of each secret, and the setting it fills. */
export const SECRET_ENV = { adminPassword: 'DRAGONFLOW_ADMIN_PASSWORD' } as const

/** Every error of a parsed config file (empty: valid); store and pub/sub keys are checked by their driver. */
export function configFileErrors(doc: unknown): SchemaError[] {
  const errors = validate(ConfigFileSchema, doc)
  if (errors.length > 0) return errors
  const store = (doc as ConfigFile).store
  if (store === undefined) return []
  return configErrors('store', store).map(e => ({ path: `/store${e.path}`, message: e.message }))
}

/** Reads and validates `path`; a UsageError lists every mistake with its JSON Pointer. */
export function loadConfigFile(path: string): ConfigFile {
  let doc: unknown
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new UsageError(`--config ${path}: ${err instanceof Error ? err.message : String(err)}`)
  }
  const errors = configFileErrors(doc)
  if (errors.length > 0) throw new UsageError(`--config ${path}: invalid config file:\n${formatErrors(errors, '  ')}`)
  return doc as ConfigFile
}

/** A file setting behind a flag: the flag's name and how to read it from the file. */
interface FlagKey {
  flag: string
  /** JSON Pointer in the file, for messages */
  path: string
  read: (f: ConfigFile) => string | boolean | undefined
  /** the commands this key applies to (default: every command that declares the flag) */
  only?: readonly ConfigCommand[]
}

/** The commands that read a config file. */
export type ConfigCommand = 'serve' | 'agent' | 'api'

const mappings = (m: Record<string, string>): string =>
  Object.entries(m)
    .map(([k, v]) => `${k}:${v}`)
    .join(',')

/** Every flag a file key stands for. A flag and its key carry the same value, so the commands' flag checks apply. */
const FLAG_KEYS: readonly FlagKey[] = [
  { flag: 'listen', path: '/api/listen', read: f => f.api?.listen },
  { flag: 'auth', path: '/api/auth', read: f => f.api?.auth },
  { flag: 'admin-token', path: '/api/adminToken', read: f => f.api?.adminToken },
  { flag: 'admin-password', path: '/api/adminPassword', read: f => f.api?.adminPassword },
  { flag: 'policy-file', path: '/api/policyFile', read: f => f.api?.policyFile },
  { flag: 'agent-down-time', path: '/api/agentDownTime', read: f => f.api?.agentDownTime?.toString() },
  { flag: 'chassis-id', path: '/agent/chassisId', read: f => f.agent?.chassisId },
  { flag: 'profile', path: '/agent/profile', read: f => f.agent?.profile },
  {
    flag: 'bridge-mappings',
    path: '/agent/bridgeMappings',
    read: f => (f.agent?.bridgeMappings === undefined ? undefined : mappings(f.agent.bridgeMappings)),
  },
  { flag: 'l3', path: '/agent/l3/mode', read: f => f.agent?.l3?.mode },
  { flag: 'l3-idle-timeout', path: '/agent/l3/idleTimeout', read: f => f.agent?.l3?.idleTimeout?.toString() },
  { flag: 'ovsdb', path: '/agent/ovsdb', read: f => f.agent?.ovsdb },
  { flag: 'of-socket', path: '/agent/ofSocket', read: f => f.agent?.ofSocket },
  { flag: 'tunnel-ip', path: '/agent/tunnelIp', read: f => f.agent?.tunnelIp },
  { flag: 'tunnel', path: '/agent/tunnel', read: f => f.agent?.tunnel },
  { flag: 'control', path: '/agent/control', read: f => f.agent?.control },
  { flag: 'metrics-listen', path: '/agent/metricsListen', read: f => f.agent?.metricsListen },
  { flag: 'report-interval', path: '/agent/reportInterval', read: f => f.agent?.reportInterval?.toString() },
  // serve's data directory holds more than a store: api and agent take theirs from the store section
  { flag: 'data-dir', path: '/serve/dataDir', read: f => f.serve?.dataDir, only: ['serve'] },
  { flag: 'netns', path: '/serve/netns', read: f => f.serve?.netns, only: ['serve'] },
  { flag: 'keep-ovs', path: '/serve/keepOvs', read: f => f.serve?.keepOvs, only: ['serve'] },
  { flag: 'pubsub', path: '/pubsub/driver', read: f => f.pubsub?.driver },
  { flag: 'mqtt-url', path: '/pubsub/url', read: f => f.pubsub?.url },
  { flag: 'log-level', path: '/log/level', read: f => f.log?.level },
  { flag: 'log-format', path: '/log/format', read: f => f.log?.format },
]

/** What a command runs with: the flags in effect (given, else from the file) and the file's store section. */
export interface Settings {
  /** flag name -> value, as parseFlags gives them (booleans 'true'); a flag given wins over the file */
  flags: Map<string, string>
  /** the file's store section (already checked by its driver), used when no store flag is given */
  store?: AnyConfig
  /** where each setting taken from the file came from ('/api/listen'), for messages */
  fromFile: Map<string, string>
}

/**
 * Flags over file (the command keeps its own defaults): the settings of a command that declares `declared`. Only
 * keys the command has a flag for are taken, so api ignores the agent section. A secret: flag, then `env`, then file.
 */
export function resolveSettings(given: ReadonlyMap<string, string>, file: ConfigFile, options: SettingsOptions): Settings {
  const declared = new Set(options.declared.map(f => f.name))
  const env = options.env ?? process.env
  const flags = new Map(given)
  const fromFile = new Map<string, string>()
  for (const key of FLAG_KEYS) {
    if (!declared.has(key.flag) || flags.has(key.flag)) continue
    if (key.only !== undefined && !key.only.includes(options.command)) continue
    const value = key.read(file)
    if (value === undefined || value === false) continue
    flags.set(key.flag, value === true ? 'true' : value)
    fromFile.set(key.flag, key.path)
  }
  // the environment beats the file for secrets: a deployment can keep the file readable and the secret out of it
  const secret = env[SECRET_ENV.adminPassword]
  if (declared.has('admin-password') && !given.has('admin-password') && secret !== undefined && secret !== '') {
    flags.set('admin-password', secret)
    fromFile.delete('admin-password')
  }
  return { flags, fromFile, ...(file.store !== undefined ? { store: file.store } : {}) }
}

export interface SettingsOptions {
  command: ConfigCommand
  /** the command's flags: only file keys behind one of them are taken */
  declared: readonly Flag[]
  /** where secrets are looked up (default process.env) */
  env?: NodeJS.ProcessEnv
}

/** The commands' entry point: reads `--config` when given, validates it and merges it under the flags. */
export function applyConfig(given: ReadonlyMap<string, string>, options: SettingsOptions): Settings {
  const path = given.get('config')
  const file = path === undefined ? {} : loadConfigFile(path)
  return resolveSettings(given, file, options)
}
