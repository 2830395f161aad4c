// The composition root for stores and pub/sub: drivers register by name; callers open one from a config object
// (from a config file or CLI flags) without importing a concrete driver.
//
//   const store = await openStore({ driver: 'embedded', dir: '/var/lib/dragonflow' })
//   const bus = await openPubSub({ driver: 'mqtt', url: 'mqtt://127.0.0.1:1883' })
//
// Heavy client libraries (etcd3, mqtt) are imported only when their driver is opened.
import { validateConfig } from './config-schema.js'
import type { Driver } from './driver.js'
import { embeddedDriver } from './drivers/embedded/index.js'
import { etcdDriver } from './drivers/etcd/index.js'
import { etcdWatchPubSubDriver } from './pubsub/etcd-watch/index.js'
import { inProcessPubSubDriver } from './pubsub/inprocess/index.js'
import { mqttPubSubDriver } from './pubsub/mqtt/index.js'
import { type PubSub, type Store, StoreError } from './types.js'

export type StoreConfig =
  | { driver: 'embedded'; dir: string; compactEvery?: number; readOnly?: boolean }
  | { driver: 'etcd'; endpoints: string[]; prefix?: string; dialTimeoutMs?: number }

export type PubSubConfig =
  | { driver: 'inprocess'; bus?: string }
  | { driver: 'mqtt'; url: string; clientId?: string; root?: string; sessionExpirySeconds?: number }
  | { driver: 'etcd-watch'; endpoints: string[]; prefix?: string }

/** Any driver's config, for drivers registered at run time. */
export type AnyConfig = { driver: string } & Record<string, unknown>

const storeDrivers = new Map<string, Driver<Store>>()
const pubSubDrivers = new Map<string, Driver<PubSub>>()

export function registerStoreDriver(driver: Driver<Store>): void {
  storeDrivers.set(driver.name, driver)
}

export function registerPubSubDriver(driver: Driver<PubSub>): void {
  pubSubDrivers.set(driver.name, driver)
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
  return open('store', storeDrivers, config)
}

export async function openPubSub(config: PubSubConfig | AnyConfig): Promise<PubSub> {
  return open('pub/sub', pubSubDrivers, config)
}

async function open<T>(kind: string, drivers: Map<string, Driver<T>>, config: AnyConfig | StoreConfig | PubSubConfig): Promise<T> {
  const driver = drivers.get(config.driver)
  if (!driver) {
    throw new StoreError('bad_config', `unknown ${kind} driver '${config.driver}' (known: ${[...drivers.keys()].join(', ')})`)
  }
  const raw = config as Record<string, unknown>
  validateConfig(raw, { what: `${kind} driver '${driver.name}'`, schema: driver.schema })
  return driver.open(raw)
}
