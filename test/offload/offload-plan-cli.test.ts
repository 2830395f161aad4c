// `dragonflow offload plan`: the report in text and JSON, profiles by name or path, and usage errors.
import t from 'tap'
import { join } from 'node:path'
import { run } from '../../cli/main.js'

const topo = join(process.cwd(), 'test', 'offload', 'topologies', 'two-networks.json')

async function capture(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = []
  const err: string[] = []
  const log = console.log
  const error = console.error
  console.log = (...a: unknown[]) => {
    out.push(a.join(' '))
  }
  console.error = (...a: unknown[]) => {
    err.push(a.join(' '))
  }
  try {
    const code = await run(argv)
    return { code, out: out.join('\n'), err: err.join('\n') }
  } finally {
    console.log = log
    console.error = error
  }
}

t.test('text report: placement, entries, capacity, slow-path share and why', async t => {
  const r = await capture(['offload', 'plan', '--profile', 'connectx6dx-tc', '--topology', topo])
  t.equal(r.code, 0, r.err)
  t.match(r.out, /profile connectx6dx-tc/)
  t.match(r.out, /ls_in_arp_nd_rsp\s+software/)
  t.match(r.out, /why: the target lacks action set_arp/)
  t.match(r.out, /ls_in_l2_lkup\s+target/)
  t.match(r.out, /share of all forwarded packets handled in software: 0\.0%/)
})

t.test('JSON report, profile by path, zipf traffic', async t => {
  const profile = join(process.cwd(), 'test', 'offload', 'profiles', 'tiny-tables.json')
  const r = await capture(['offload', 'plan', '--profile', profile, '--topology', topo, '--json', '--zipf', '1.1'])
  t.equal(r.code, 0, r.err)
  const plan = JSON.parse(r.out) as { profile: string; stages: { placement: string }[] }
  t.equal(plan.profile, 'tiny-tables')
  t.ok(plan.stages.some(s => s.placement === 'reactive-cache'))
})

t.test('usage errors and bad inputs', async t => {
  t.equal((await capture(['offload', 'plan', '--topology', topo])).code, 2, '--profile missing')
  t.equal((await capture(['offload', 'plan', '--profile', 'ovs-kernel'])).code, 2, '--topology missing')
  t.equal((await capture(['offload', 'plan', '--profile', 'ovs-kernel', '--topology', topo, '--zipf', '-1'])).code, 2)
  const unknown = await capture(['offload', 'plan', '--profile', 'nope', '--topology', topo])
  t.equal(unknown.code, 1)
  t.match(unknown.err, /no hardware profile 'nope' \(shipped: .*ovs-userspace/)
  const badTopo = await capture(['offload', 'plan', '--profile', 'ovs-kernel', '--topology', join(process.cwd(), 'package.json')])
  t.match(badTopo.err, /"entries" array/)
})
