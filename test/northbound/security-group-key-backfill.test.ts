// Security groups and rules stored by a release that gave them no datapath key get one when the API starts, so
// the agent can compile them (a keyless group is skipped by the compiler: its ports would lose what it allows).
import t from 'tap'
import { TABLES } from '../../model/tables.js'
import { openStore } from '../../store/registry.js'
import { join } from 'node:path'
import { api, removeDir, startApi } from './helpers/api-process.js'

t.test('keyless groups and rules from an older store are keyed at API start', async t => {
  const first = await startApi({ store: 'embedded' })
  const dataDir = first.dataDir
  t.teardown(() => {
    removeDir(dataDir)
  })
  const as = { 'X-Project-Id': 'backfill', 'X-Roles': 'member' }
  const sg = (await api(first.url, 'POST', '/v2.0/security-groups', { body: { security_group: { name: 'old' } }, headers: as })).body
    .security_group
  await api(first.url, 'POST', '/v2.0/security-group-rules', {
    body: {
      security_group_rule: { security_group_id: sg.id, direction: 'ingress', protocol: 'tcp', port_range_min: 22, port_range_max: 22 },
    },
    headers: as,
  })
  await first.kill()

  // what an older release left: the same records without `key`
  const store = await openStore({ driver: 'embedded', dir: join(dataDir, 'store') })
  let stripped = 0
  try {
    for (const table of [TABLES.securityGroups, TABLES.securityGroupRules]) {
      for (const o of await store.list(table)) {
        const { key: _key, ...rest } = o.value
        await store.update(table, o.id, rest, o.version, o.topics)
        stripped++
      }
    }
  } finally {
    await store.close()
  }
  t.ok(stripped >= 4, `${stripped} records stripped of their key`)

  const second = await startApi({ store: 'embedded', dataDir })
  t.teardown(async () => {
    await second.kill()
  })
  t.match(second.log(), new RegExp(`gave datapath keys to ${stripped} security groups and rules`), 'the API says what it keyed')
  await second.kill()
  const after = await openStore({ driver: 'embedded', dir: join(dataDir, 'store'), readOnly: true })
  try {
    const groups = await after.list(TABLES.securityGroups)
    const rules = await after.list(TABLES.securityGroupRules)
    const keys = [...groups, ...rules].map(o => o.value.key)
    t.ok(
      keys.every(k => Number.isInteger(k) && (k as number) > 0),
      'every group and rule has a key again',
    )
    t.equal(new Set(rules.map(o => o.value.key)).size, rules.length, 'rule keys are unique')
    t.equal(new Set(groups.map(o => o.value.key)).size, groups.length, 'group keys are unique')
  } finally {
    await after.close()
  }
})
