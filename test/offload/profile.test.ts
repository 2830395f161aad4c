// Hardware profiles: every shipped profile is valid, and bad ones are refused with the JSON path of the mistake.
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { profileJsonSchema } from '../../offload/profile-schema.js'
import { PROFILE_DIR, ProfileError, loadProfile, parseProfile, shippedProfiles, validateProfile } from '../../offload/profile.js'

/** Raw JSON as read from a file. */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

t.test('hw-profiles/schema.json is the TypeBox schema of offload/profile-schema.ts (UPDATE_SCHEMA=1 rewrites it)', async t => {
  const file = join(PROFILE_DIR, 'schema.json')
  const wanted = profileJsonSchema()
  if (process.env.UPDATE_SCHEMA === '1') writeFileSync(file, wanted)
  t.equal(readFileSync(file, 'utf8'), wanted, 'schema.json is out of date: run UPDATE_SCHEMA=1 npx tap test/offload/profile.test.ts')
})

t.test('every shipped profile is valid and its id is its file name', async t => {
  const names = shippedProfiles()
  t.ok(names.length >= 7, `at least seven profiles (${names.join(', ')})`)
  for (const n of ['ovs-userspace', 'ovs-kernel', 'ovs-dpdk', 'connectx6dx-tc', 'bluefield3-doca', 'p4-pipeline', 'software-only']) {
    t.ok(names.includes(n), `ships ${n}`)
  }
  for (const n of names) {
    const p = loadProfile(n)
    t.equal(p.id, n, `${n} loads`)
  }
})

t.test('every number in a shipped profile sits in a quantity with a source', async t => {
  // Walk the raw JSON: a number anywhere must be the `value` of an object that also has a non-empty `source`.
  for (const n of shippedProfiles()) {
    const doc = JSON.parse(readFileSync(join(PROFILE_DIR, `${n}.json`), 'utf8')) as Json
    const bad: string[] = []
    const walk = (v: Json, path: string, parent: { [k: string]: Json } | null): void => {
      if (typeof v === 'number') {
        if (!(parent && path.endsWith('/value') && typeof parent['source'] === 'string' && parent['source'] !== '')) bad.push(path)
      } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}/${i}`, null))
      else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, `${path}/${k}`, v)
    }
    walk(doc, '', null)
    t.same(bad, [], `${n}: no bare numbers`)
  }
})

/** A valid profile to break in one place at a time. */
function base(): { [k: string]: Json } {
  return JSON.parse(readFileSync(join(PROFILE_DIR, 'connectx6dx-tc.json'), 'utf8')) as { [k: string]: Json }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test pokes into arbitrary places of raw JSON
type Mutation = [what: string, mutate: (p: any) => void, path: string]

const BAD: Mutation[] = [
  [
    'unknown top-level field',
    p => {
      p.vendorMagic = true
    },
    '/vendorMagic',
  ],
  [
    'unknown field in a quantity',
    p => {
      p.insertRate.approx = 5
    },
    '/insertRate/approx',
  ],
  [
    'negative capacity',
    p => {
      p.tables.classes[0].capacity.value = -1
    },
    '/tables/classes/0/capacity/value',
  ],
  [
    'missing source of a quantity',
    p => {
      delete p.forwarding.mpps64B.source
    },
    '/forwarding/mpps64B/source',
  ],
  [
    'empty source',
    p => {
      p.actions.maxActionsPerEntry.source = ''
    },
    '/actions/maxActionsPerEntry/source',
  ],
  [
    'wrong type (string for a number)',
    p => {
      p.tables.classes[0].count.value = '128'
    },
    '/tables/classes/0/count/value',
  ],
  [
    'wrong type (number for a boolean)',
    p => {
      p.conntrack.supported = 1
    },
    '/conntrack/supported',
  ],
  [
    'unknown target kind',
    p => {
      p.kind = 'fpga'
    },
    '/kind',
  ],
  [
    'unknown action',
    p => {
      p.actions.supported.push('teleport')
    },
    '/actions/supported/16',
  ],
  [
    'unknown table kind',
    p => {
      p.tables.classes[0].kinds = ['hash-of-hashes']
    },
    '/tables/classes/0/kinds/0',
  ],
  [
    'a quantity with both value and measure',
    p => {
      p.insertRate.value = 1000
    },
    '/insertRate',
  ],
  [
    'a quantity with neither value nor measure',
    p => {
      delete p.forwarding.mpps64B.value
    },
    '/forwarding/mpps64B',
  ],
  [
    'missing required section',
    p => {
      delete p.punt
    },
    '/punt',
  ],
  [
    'duplicate match field',
    p => {
      p.match.fields.push('eth_dst')
    },
    `/match/fields/${(base()['match'] as { fields: Json[] }).fields.length}`,
  ],
  [
    'no table classes',
    p => {
      p.tables.classes = []
    },
    '/tables/classes',
  ],
  [
    'id not matching the file name',
    p => {
      p.id = 'something-else'
    },
    '/id',
  ],
  // conntrack: what the schema cannot say (offload/profile.ts conntrackErrors)
  [
    'unknown conntrack mode',
    p => {
      p.conntrack.mode = 'magic'
    },
    '/conntrack/mode',
  ],
  [
    'unknown conntrack field',
    p => {
      p.conntrack.offloadsEverything = true
    },
    '/conntrack/offloadsEverything',
  ],
  [
    'unknown toSoftware class',
    p => {
      p.conntrack.toSoftware.push('tcp_urg')
    },
    '/conntrack/toSoftware/8',
  ],
  [
    'missing conntrack mode',
    p => {
      delete p.conntrack.mode
    },
    '/conntrack/mode',
  ],
  [
    'supported contradicting the mode',
    p => {
      p.conntrack.supported = false
    },
    '/conntrack/supported',
  ],
  [
    'mode none with conntrack details',
    p => {
      p.conntrack.mode = 'none'
      p.conntrack.supported = false
    },
    '/conntrack/protocols',
  ],
  [
    'established-offload committing new connections on the target',
    p => {
      p.conntrack.statesOffloaded.push('new')
    },
    '/conntrack/statesOffloaded',
  ],
  [
    'established-offload without new connections to software',
    p => {
      p.conntrack.toSoftware = ['invalid']
    },
    '/conntrack/toSoftware',
  ],
  [
    'established-offload without a tcpWindow claim',
    p => {
      delete p.conntrack.tcpWindow
    },
    '/conntrack/tcpWindow',
  ],
  [
    'a connection key without the zone',
    p => {
      p.conntrack.key = ['ip_src', 'ip_dst']
    },
    '/conntrack/key',
  ],
  [
    'conntrack without the ct action',
    p => {
      p.actions.supported = p.actions.supported.filter((a: string) => a !== 'ct' && a !== 'ct_nat')
    },
    '/actions/supported',
  ],
  [
    'conntrack without matching ct_state',
    p => {
      p.match.fields = p.match.fields.filter((f: string) => f !== 'ct_state')
    },
    '/match/fields',
  ],
  [
    'TCP state changes to software without tcp_flags',
    p => {
      p.match.fields = p.match.fields.filter((f: string) => f !== 'tcp_flags')
    },
    '/match/fields',
  ],
  [
    'datapath mode with toSoftware',
    p => {
      p.conntrack.mode = 'datapath'
      delete p.conntrack.statesOffloaded
    },
    '/conntrack/toSoftware',
  ],
  [
    'a per-port ACL limit above the total',
    p => {
      p.acl = {
        maxFlows: { value: 10, unit: 'flows', source: 't' },
        maxFlowsPerPort: { value: 11, unit: 'flows', source: 't' },
        source: 't',
      }
    },
    '/acl/maxFlowsPerPort',
  ],
  [
    'unknown acl field',
    p => {
      p.acl.maxRules = 3
    },
    '/acl/maxRules',
  ],
]

t.test('bad profiles are refused with the JSON path of the error', async t => {
  t.ok(BAD.length >= 8)
  for (const [what, mutate, path] of BAD) {
    const p = base()
    mutate(p)
    const errors = validateProfile(p, 'connectx6dx-tc')
    t.ok(errors.length > 0, `${what}: refused`)
    t.ok(
      errors.some(e => e.path === path),
      `${what}: error at ${path} (got ${errors.map(e => `${e.path} ${e.message}`).join('; ')})`,
    )
  }
})

t.test('parseProfile throws a ProfileError listing paths, and refuses non-JSON', async t => {
  const p = base()
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- reaching into raw JSON
  ;(p['tables'] as any).classes[0].capacity.value = -5
  let caught: unknown
  try {
    parseProfile(JSON.stringify(p), 'x.json')
  } catch (e) {
    caught = e
  }
  t.ok(caught instanceof ProfileError, 'a ProfileError')
  t.match(String((caught as Error).message), /\/tables\/classes\/0\/capacity\/value: 'value' must be >= 0; got -5/)
  t.throws(() => parseProfile('{ nope', 'x.json'), ProfileError)
  t.throws(() => loadProfile('no-such-profile'), /no hardware profile 'no-such-profile'/)
})

t.test('shipped profiles say how they track connections, as HARDWARE-FACTS.md §1.3 does', async t => {
  const modes = Object.fromEntries(shippedProfiles().map(n => [n, loadProfile(n).conntrack.mode]))
  t.same(modes, {
    'bluefield3-doca': 'established-offload',
    'connectx6dx-tc': 'established-offload',
    'e810-switchdev-tc': 'none',
    'ovs-dpdk': 'datapath',
    'ovs-kernel': 'datapath',
    'ovs-userspace': 'datapath',
    'p4-pipeline': 'none',
    'software-only': 'datapath',
  })
  for (const n of ['connectx6dx-tc', 'bluefield3-doca']) {
    const ct = loadProfile(n).conntrack
    t.same(ct.protocols, ['tcp', 'udp'], `${n}: TCP and UDP connections only`)
    t.same(ct.statesOffloaded, ['established'], `${n}: established connections only`)
    t.ok(
      ['new', 'tcp_syn', 'tcp_fin', 'tcp_rst'].every(x => (ct.toSoftware ?? ([] as string[])).some(y => y === x)),
      `${n}: new connections and TCP state changes in software`,
    )
  }
})
