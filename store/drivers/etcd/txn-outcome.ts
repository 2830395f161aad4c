// What a failed etcd txn means. The txn's else-branch reads every key it compared, atomically with the compares,
// so the answer is exact: either an earlier attempt of this same txn committed (etcd3 retried after a lost reply),
// or the first op whose precondition does not hold gives the error.
import type { IKeyValue } from 'etcd3'
import { StoreError, type TxOp } from '../../types.js'
import { txOf } from './codec.js'

/** True if the keys are exactly as this transaction (token `tx`) left them: an earlier attempt committed. */
export function committedEarlier(ops: TxOp[], seen: { current: (IKeyValue | undefined)[]; tx: string }): boolean {
  const { current, tx } = seen
  if (!ops.some(op => op.op !== 'delete')) return false // nothing carries the token: cannot tell
  return ops.every((op, i) => {
    const kv = current[i]
    if (op.op === 'delete') return kv === undefined
    const version = op.op === 'create' ? 1 : op.version + 1
    return kv !== undefined && Number(kv.version) === version && txOf(kv) === tx
  })
}

/** The error of the first op whose compare failed, from the keys as the failed txn read them. */
export function explainFailure(ops: TxOp[], current: (IKeyValue | undefined)[]): StoreError {
  for (const [i, op] of ops.entries()) {
    const kv = current[i]
    const version = kv ? Number(kv.version) : 0
    const name = `${op.table}/${op.id}`
    if (op.op === 'create' && version !== 0) return new StoreError('already_exists', `${name} already exists`)
    if (op.op !== 'create' && version === 0) return new StoreError('not_found', `${name} not found`)
    if (op.op !== 'create' && op.version !== undefined && version !== op.version) {
      return new StoreError('version_conflict', `${name} is at version ${version}, not ${op.version}`)
    }
  }
  return new StoreError('version_conflict', 'transaction compare failed, but every key now matches: it raced with another writer')
}
