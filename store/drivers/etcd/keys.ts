// Key layout under the store's prefix (default "dragonflow/"):
//
//   <prefix>o/<table>/<id>   JSON {"topics": [...], "value": {...}}   one key per object
//   <prefix>k/<space>        decimal string: the last key allocated in that key space
//
// An object's version is etcd's own per-key `version` (1 on create, +1 per put, reset by a delete), so a
// compare-and-swap is a plain txn compare on Version, and nothing has to keep a counter in the JSON in sync.
export const OBJECTS = 'o/'
export const KEY_SPACES = 'k/'

export function objectPath(table: string, id: string): string {
  return `${OBJECTS}${table}/${id}`
}

export function tablePrefix(table: string): string {
  return `${OBJECTS}${table}/`
}

export function keySpacePath(space: string): string {
  return `${KEY_SPACES}${space}`
}

/** (table, id) of an object key relative to the prefix; table names have no '/', ids may. */
export function parseObjectPath(key: string): { table: string; id: string } | undefined {
  if (!key.startsWith(OBJECTS)) return undefined
  const rest = key.slice(OBJECTS.length)
  const slash = rest.indexOf('/')
  if (slash <= 0) return undefined
  return { table: rest.slice(0, slash), id: rest.slice(slash + 1) }
}
