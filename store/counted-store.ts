// Every call into a store opened through the registry is counted per driver and operation, and every failure
// per error code (dragonflow_store_operations_total / _errors_total). One wrapper at the composition root
// counts all drivers alike, so a driver needs no metrics code of its own and none is counted twice.
import { storeErrorsTotal, storeOperationsTotal } from '../metrics/registry.js'
import { StoreError, type Store } from './types.js'

type Op = 'get' | 'create' | 'update' | 'delete' | 'transact' | 'list' | 'ids' | 'allocateKey' | 'watch' | 'tables'

// the wrapper hides the driver's class, which status reports read (LocalController's store line): keep its name
const driverNames = new WeakMap<Store, string>()

/** The driver name of a store opened through the registry (undefined for a driver object used directly). */
export function storeDriverName(store: Store): string | undefined {
  return driverNames.get(store)
}

export function countedStore(driver: string, store: Store): Store {
  const count = async <T>(op: Op, call: () => Promise<T>): Promise<T> => {
    storeOperationsTotal.inc({ driver, op })
    try {
      return await call()
    } catch (err) {
      storeErrorsTotal.inc({ driver, op, code: err instanceof StoreError ? err.code : 'internal' })
      throw err
    }
  }
  const counted: Store = {
    get: (table, id) => count('get', () => store.get(table, id)),
    create: (table, id, value, topics) => count('create', () => store.create(table, id, value, topics)),
    update: (table, id, value, version, topics) => count('update', () => store.update(table, id, value, version, topics)),
    delete: (table, id, version) => count('delete', () => store.delete(table, id, version)),
    transact: ops => count('transact', () => store.transact(ops)),
    list: (table, opts) => count('list', () => store.list(table, opts)),
    allocateKey: space => count('allocateKey', () => store.allocateKey(space)),
    watch: (handler, opts) => count('watch', () => store.watch(handler, opts)),
    close: () => store.close(),
  }
  // optional methods stay absent when the driver has none (callers test for them)
  if (store.ids !== undefined) counted.ids = (table, opts) => count('ids', () => store.ids!(table, opts))
  if (store.tables !== undefined) counted.tables = () => count('tables', () => store.tables!())
  driverNames.set(counted, driver)
  return counted
}
