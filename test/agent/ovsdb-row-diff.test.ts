// table-updates2 `modify` diffs (monitor_cond): scalars replaced, sets toggled, maps toggled or replaced per key,
// columns not declared dropped. The shapes are what ovsdb-server 3.1 sends (checked against it in
// test/agent/ovsdb.root.test.ts through the Vswitch that uses them).
import t from 'tap'
import { applyRowDiff, mapRecord, setItems, type Row } from '../../agent/ovsdb/data.js'

const kinds = { name: 'scalar', ofport: 'scalar', ports: 'set', external_ids: 'map' } as const

t.test('scalars, sets and maps', async t => {
  const row: Row = {
    name: 'br-int',
    ofport: 3,
    ports: [
      'set',
      [
        ['uuid', 'a'],
        ['uuid', 'b'],
      ],
    ],
    external_ids: [
      'map',
      [
        ['k1', 'v1'],
        ['k2', 'v2'],
      ],
    ],
  }
  const out = applyRowDiff(
    row,
    {
      ofport: 4,
      ports: [
        'set',
        [
          ['uuid', 'b'],
          ['uuid', 'c'],
        ],
      ], // b leaves, c joins
      external_ids: [
        'map',
        [
          ['k1', 'v1'],
          ['k2', 'other'],
          ['k3', 'v3'],
        ],
      ], // k1 removed (same value), k2 replaced, k3 added
      unknown: 'x',
    },
    kinds,
  )
  t.equal(out.ofport, 4)
  t.equal(out.name, 'br-int', 'untouched columns stay')
  t.same(
    setItems(out.ports)
      .map(a => (a as [string, string])[1])
      .sort(),
    ['a', 'c'],
  )
  t.same(mapRecord(out.external_ids), { k2: 'other', k3: 'v3' })
  t.notOk('unknown' in out, 'undeclared columns are not taken')
  t.same(setItems(row.ports).length, 2, 'the input row is not changed')
})

t.test('a single element arrives bare, and a set can empty', async t => {
  const out = applyRowDiff({ ports: ['uuid', 'a'] }, { ports: ['uuid', 'a'] }, kinds)
  t.same(setItems(out.ports), [])
  const back = applyRowDiff(out, { ports: ['uuid', 'z'] }, kinds)
  t.same(setItems(back.ports), [['uuid', 'z']])
})
