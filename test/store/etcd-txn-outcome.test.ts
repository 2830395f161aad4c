// How the etcd driver reads a failed txn: its own earlier commit (a retried call) is success; otherwise the first
// op whose precondition fails names the error.
import t from 'tap'
import type { IKeyValue } from 'etcd3'
import { committedEarlier, explainFailure } from '../../store/drivers/etcd/txn-outcome.js'
import type { TxOp } from '../../store/types.js'

function kv(version: number, tx?: string): IKeyValue {
  const body = JSON.stringify({ topics: [], value: {}, ...(tx ? { tx } : {}) })
  return { key: Buffer.from('k'), value: Buffer.from(body), version: String(version), mod_revision: '9', create_revision: '1', lease: '0' }
}

const create: TxOp = { op: 'create', table: 'port', id: 'a', topics: [], value: {} }
const update: TxOp = { op: 'update', table: 'port', id: 'b', version: 3, topics: [], value: {} }
const del: TxOp = { op: 'delete', table: 'port', id: 'c' }

t.test('a retry that finds its own writes committed them earlier', async t => {
  t.ok(committedEarlier([create, update, del], { current: [kv(1, 'T'), kv(4, 'T'), undefined], tx: 'T' }))
  t.notOk(committedEarlier([create], { current: [kv(1, 'other')], tx: 'T' }), 'someone else created it')
  t.notOk(committedEarlier([update], { current: [kv(5, 'T')], tx: 'T' }), 'ours, but written over since')
  t.notOk(committedEarlier([create, del], { current: [kv(1, 'T'), kv(2)], tx: 'T' }), 'the delete did not happen')
  t.notOk(committedEarlier([del], { current: [undefined], tx: 'T' }), 'a delete-only txn carries no token: not claimed')
})

t.test('otherwise the first failing op names the error', async t => {
  t.equal(explainFailure([create], [kv(1)]).code, 'already_exists')
  t.equal(explainFailure([update], [undefined]).code, 'not_found')
  t.equal(explainFailure([update], [kv(7)]).code, 'version_conflict')
  t.equal(explainFailure([del], [undefined]).code, 'not_found')
  t.equal(explainFailure([create, update], [undefined, kv(2)]).code, 'version_conflict', 'the create was fine; the update was not')
})
