// The composition root for stores and pub/sub: drivers register by name; callers open one from a config object
// (from a config file or CLI flags) without importing a concrete driver.
//
//   const store = await openStore({ driver: 'embedded', dir: '/var/lib/dragonflow' })
//   const bus = await openPubSub({ driver: 'mqtt', url: 'mqtt://127.0.0.1:1883' })
//
// Heavy client libraries (etcd3, mqtt) are imported only when their driver is opened.
//
// A config is checked against its driver's TypeBox schema before anything is opened; a bad one is a
// StoreError('bad_config') naming the driver and every bad key (configErrors gives the same as a list, with
// JSON Pointers, for a config file that holds a store section).
import type { Static } from 'typebox'
import { type SchemaError, formatErrors, quote, validate } from '../schema/validate.js'
import type { Driver } from './driver.js'
import { EmbeddedConfigSchema, embeddedDriver } from './drivers/embedded/index.js'
import { EtcdConfigSchema, etcdDriver } from './drivers/etcd/index.js'
import { EtcdWatchConfigSchema, etcdWatchPubSubDriver } from './pubsub/etcd-watch/index.js'
import { InProcessConfigSchema, inProcessPubSubDriver } from './pubsub/inprocess/index.js'
import { MqttConfigSchema, mqttPubSubDriver } from './pubsub/mqtt/index.js'
import { type PubSub, type Store, StoreError } from './types.js'
import { countedStore } from './counted-store.js'

export type StoreConfig =
  ({ driver: 'embedded' } & Static<typeof EmbeddedConfigSchema>) | ({ driver: 'etcd' } & Static<typeof EtcdConfigSchema>)

export type PubSubConfig =
  | ({ driver: 'inprocess' } & Static<typeof InProcessConfigSchema>)
  | ({ driver: 'mqtt' } & Static<typeof MqttConfigSchema>)
  | ({ driver: 'etcd-watch' } & Static<typeof EtcdWatchConfigSchema>)

/** Any driver's config, for drivers registered at run time. */
export type AnyConfig = { driver: string } & Record<string, unknown>

const storeDrivers = new Map<string, Driver<Store>>()
const pubSubDrivers = new Map<string, Driver<PubSub>>()

// generic over the schema so that each driver's open() keeps its own config type at its definition
export function registerStoreDriver<S extends Driver<Store>['schema']>(driver: Driver<Store, S>): void {
  // a second driver under one name would silently replace the first
  if (storeDrivers.has(driver.name)) throw new Error(`store driver '${driver.name}' is already registered`)
  storeDrivers.set(driver.name, driver) // the registry validates before open()
}

export function registerPubSubDriver<S extends Driver<PubSub>['schema']>(driver: Driver<PubSub, S>): void {
  if (pubSubDrivers.has(driver.name)) throw new Error(`pub/sub driver '${driver.name}' is already registered`)
  pubSubDrivers.set(driver.name, driver) // the registry validates before open()
}

registerStoreDriver(embeddedDriver)
registerStoreDriver(etcdDriver)
registerPubSubDriver(inProcessPubSubDriver)
registerPubSubDriver(mqttPubSubDriver)
registerPubSubDriver(etcdWatchPubSubDriver)

/** Registered drivers (name, description, schema), for help output. */
export function listDrivers(): { stores: Driver<Store>[]; pubsubs: Driver<PubSub>[] } {
  return { stores: [...storeDrivers.values()], pubsubs: [...pubSubDrivers.values()] }
}

export async function openStore(config: StoreConfig | AnyConfig): Promise<Store> {
  return countedStore(config.driver, await open('store', storeDrivers, config))
}

export async function openPubSub(config: PubSubConfig | AnyConfig): Promise<PubSub> {
  return open('pub/sub', pubSubDrivers, config)
}

/** Every mistake in a store (`kind` 'store') or pub/sub config, with JSON Pointers relative to the config. */
export function configErrors(kind: 'store' | 'pub/sub', config: unknown): SchemaError[] {
  const drivers: Map<string, Driver<unknown>> = kind === 'store' ? storeDrivers : pubSubDrivers
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    return [{ path: '', message: `a ${kind} config must be an object with a 'driver' key; got ${quote(config)}` }]
  }
  const { driver: name, ...keys } = config as Record<string, unknown>
  const driver = typeof name === 'string' ? drivers.get(name) : undefined
  if (driver === undefined) {
    const what = name === undefined ? `required key 'driver' is missing` : `unknown ${kind} driver ${quote(name)}`
    return [{ path: '/driver', message: `${what} (known: ${[...drivers.keys()].join(', ')})` }]
  }
  return validate(driver.schema, keys)
}

async function open<T>(
  kind: 'store' | 'pub/sub',
  drivers: Map<string, Driver<T>>,
  config: AnyConfig | StoreConfig | PubSubConfig,
): Promise<T> {
  const errors = configErrors(kind, config)
  if (errors.length > 0) {
    const driver = drivers.has(config.driver) ? ` driver '${config.driver}'` : ''
    throw new StoreError('bad_config', `${kind}${driver}: ${formatErrors(errors).replace(/\n/g, '; ')}`)
  }
  const { driver: name, ...keys } = config
  return (drivers.get(name) as Driver<T>).open(keys)
}
