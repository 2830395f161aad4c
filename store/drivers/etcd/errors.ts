// etcd3's errors as StoreErrors: anything that is not already a StoreError means the cluster could not be reached
// or refused the call, and the outcome of a write is unknown ('unavailable'; a retried CAS cannot apply twice).
import { StoreError } from '../../types.js'

export async function guard<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (err) {
    if (err instanceof StoreError) throw err
    const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
    throw new StoreError('unavailable', `etcd ${what}: ${reason}`, { cause: err })
  }
}
