// bench:offload takes a MEASURED headline only from a bench:ovs results file that names the profile and holds a
// usable figure; anything else keeps the profile at n/a, with the reason.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { measuredHeadline } from '../../bench/offload.js'

const dir = mkdtempSync(join(tmpdir(), 'dfe-offload-measured-'))
t.teardown(() => {
  rmSync(dir, { recursive: true, force: true })
})
const file = (name: string, doc: unknown): string => {
  const p = join(dir, name)
  writeFileSync(p, typeof doc === 'string' ? doc : JSON.stringify(doc))
  return p
}

const GOOD = {
  date: '2026-11-25T04:47:41.862Z',
  profile: 'ovs-userspace',
  measured: true,
  conditions: 'netdev over veth, 2 shared cores',
  cases: [{ name: 'l2-64B', loadavg: { before: [9, 9, 7], after: [9.54, 9.17, 7.43] } }],
  headline: { mpps64B: 0.0345, case: 'l2-64B', lossPct: 90.1, noLossMpps64B: 0.017, noLossGeneratorBound: true },
}

t.test('a results file for the profile gives a MEASURED headline with date, conditions and load', async t => {
  const h = measuredHeadline(file('good.json', GOOD), 'ovs-userspace')
  if (typeof h === 'string') {
    t.fail(h)
    return
  }
  t.equal(h.mpps, 0.0345)
  t.equal(h.date, GOOD.date)
  t.match(h.note, /^MEASURED 0\.035 Mpps delivered \(l2-64B, loss 90\.1% under overload; no-loss rate >= 0\.017 Mpps\)/)
  t.match(h.note, /2026-11-25T04:47:41\.862Z, load 9\.54 9\.17 7\.43: netdev over veth/)
})

t.test('anything else leaves the profile unmeasured, and says why', async t => {
  t.match(measuredHeadline(join(dir, 'missing.json'), 'ovs-userspace'), /no .*missing\.json \(run npm run bench:ovs\)/)
  t.match(
    measuredHeadline(file('other.json', GOOD), 'ovs-dpdk'),
    /is for profile ovs-userspace/,
    'a figure of another profile is never borrowed',
  )
  t.match(measuredHeadline(file('bad.json', '{ not json'), 'ovs-userspace'), /unreadable/)
  t.match(
    measuredHeadline(file('zero.json', { ...GOOD, headline: { ...GOOD.headline, mpps64B: 0 } }), 'ovs-userspace'),
    /no usable/,
    'nothing delivered is no headline',
  )
  t.match(measuredHeadline(file('nohead.json', { ...GOOD, headline: null }), 'ovs-userspace'), /no usable/)
  t.match(
    measuredHeadline(file('notmeasured.json', { ...GOOD, measured: false }), 'ovs-userspace'),
    /no usable/,
    'only a file that says it was measured',
  )
})
