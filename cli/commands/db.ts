// `dragonflow db`: look inside the northbound store, like Dragonflow's df-db. Read-only; an embedded store is
// opened without its lock, so it works next to a running `dragonflow serve`.
import { type Command, type Flag, parseFlags, UsageError } from '../command.js'
import { openStore, type StoreConfig } from '../../store/registry.js'
import { type Store, type StoredObject, StoreError } from '../../store/types.js'

const usage = `dragonflow db tables|list TABLE|show TABLE ID|dump [--topic T] [--json]
    (--store embedded --dir DIR | --store etcd --endpoints URL[,URL...] [--prefix P])
  tables           tables that hold objects
  list TABLE       one line per object: id, version, topics (--topic T: only objects on topic T; --json: objects)
  show TABLE ID    one object as JSON (exit 1 if absent)
  dump             every object of every table as JSON {table: [objects]}`

const FLAGS: readonly Flag[] = [
  { name: 'store', type: 'string', value: 'embedded|etcd', description: 'store driver (default embedded)' },
  { name: 'dir', type: 'string', value: 'DIR', description: 'directory of the embedded store' },
  { name: 'data-dir', type: 'string', value: 'DIR', description: 'the same as --dir (the spelling `dragonflow api` uses)' },
  { name: 'endpoints', type: 'string', value: 'URLS', description: 'etcd endpoints, comma-separated' },
  { name: 'etcd-endpoints', type: 'string', value: 'URLS', description: 'the same as --endpoints' },
  { name: 'prefix', type: 'string', value: 'P', description: 'key prefix of the etcd store' },
  { name: 'topic', type: 'string', value: 'T', description: 'list: only objects on topic T' },
  { name: 'json', type: 'boolean', description: 'list: objects as JSON' },
]

function storeConfig(flags: Map<string, string>): StoreConfig {
  const driver = flags.get('store') ?? 'embedded'
  if (driver === 'embedded') {
    const dir = flags.get('dir') ?? flags.get('data-dir') // --data-dir: the spelling `dragonflow api` uses
    if (!dir) throw new UsageError('--store embedded needs --dir DIR')
    return { driver, dir, readOnly: true }
  }
  if (driver === 'etcd') {
    const endpoints = (flags.get('endpoints') ?? flags.get('etcd-endpoints') ?? '')
      .split(',')
      .map(e => e.trim())
      .filter(e => e !== '')
    if (endpoints.length === 0) throw new UsageError('--store etcd needs --endpoints URL[,URL...]')
    const prefix = flags.get('prefix')
    return prefix === undefined ? { driver, endpoints } : { driver, endpoints, prefix }
  }
  throw new UsageError(`unknown --store '${driver}' (embedded or etcd)`)
}

async function tablesOf(store: Store): Promise<string[]> {
  if (!store.tables) throw new StoreError('invalid', 'this store driver cannot list its tables')
  return store.tables()
}

function line(o: StoredObject): string {
  return `${o.id}\tv${o.version}\t${o.topics.join(',')}`
}

const db: Command = {
  name: 'db',
  summary: 'inspect the northbound store (tables, list, show, dump), like df-db',
  usage,
  flags: FLAGS,
  async run(args) {
    const { flags, rest } = parseFlags(args, FLAGS)
    const [verb, table, id, ...extra] = rest
    const arity: Record<string, number> = { tables: 0, list: 1, show: 2, dump: 0 }
    if (verb === undefined || !(verb in arity))
      throw new UsageError(verb === undefined ? 'missing subcommand' : `unknown subcommand '${verb}'`)
    if ([table, id].filter(a => a !== undefined).length !== arity[verb] || extra.length > 0) {
      throw new UsageError(`'${verb}' takes ${arity[verb]} argument(s)`)
    }
    const store = await openStore(storeConfig(flags))
    try {
      switch (verb) {
        case 'tables':
          for (const name of await tablesOf(store)) console.log(name)
          return 0
        case 'list': {
          const topic = flags.get('topic')
          const objs = (await store.list(table as string, topic === undefined ? undefined : { topic })).sort((a, b) =>
            a.id.localeCompare(b.id),
          )
          if (flags.has('json')) console.log(JSON.stringify(objs, null, 2))
          else for (const o of objs) console.log(line(o))
          return 0
        }
        case 'show': {
          const obj = await store.get(table as string, id as string)
          if (!obj) {
            console.error(`dragonflow db: ${table}/${id} not found`)
            return 1
          }
          console.log(JSON.stringify(obj, null, 2))
          return 0
        }
        default: {
          const out: Record<string, StoredObject[]> = {}
          for (const name of await tablesOf(store)) {
            out[name] = (await store.list(name)).sort((a, b) => a.id.localeCompare(b.id))
          }
          console.log(JSON.stringify(out, null, 2))
          return 0
        }
      }
    } finally {
      await store.close()
    }
  },
}

export default db
