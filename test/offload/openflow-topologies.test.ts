// Every shared topology (test/conformance/topologies/, examples/) emits flows that ovs-ofctl accepts unchanged,
// and plans on every shipped profile; IPv6 sources are checked by port security.
import t from 'tap'
import { needTool } from '../helpers/requirements.js'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Entry, Topology } from '../../datapath/host/entries.js'
import { STAGES } from '../../datapath/spec/stages.js'
import { emitOpenFlow } from '../../offload/openflow/emitter.js'
import { renderFlows } from '../../offload/openflow/text.js'
import { Cidr, Ipv6Address } from '../../datapath/host/addresses.js'
import { MATCH_PREFIX } from '../../offload/openflow/values.js'
import { planOffload } from '../../offload/planner.js'
import { loadProfile, shippedProfiles } from '../../offload/profile.js'

const root = process.cwd()
const files = [
  ...['test/conformance/topologies', 'test/offload/topologies'].flatMap(d =>
    existsSync(join(root, d))
      ? readdirSync(join(root, d))
          .filter(f => f.endsWith('.json'))
          .map(f => join(root, d, f))
      : [],
  ),
  ...[join(root, 'examples', 'sample-topology.json')].filter(existsSync),
]
const hasOfctl = needTool('ovs-ofctl') === false
const tmp = mkdtempSync(join(tmpdir(), 'dfe-offload-'))
t.teardown(() => rmSync(tmp, { recursive: true, force: true }))

t.test('shared topologies emit, parse and plan', async t => {
  t.ok(files.length > 0)
  for (const file of files) {
    const topo = JSON.parse(readFileSync(file, 'utf8')) as Topology
    const text = renderFlows(emitOpenFlow(topo.entries, { tunnelOfport: 100 }))
    if (hasOfctl) {
      const out = join(tmp, 'flows.txt')
      writeFileSync(out, text)
      const r = spawnSync('ovs-ofctl', ['-O', 'OpenFlow13', 'parse-flows', out], { encoding: 'utf8' })
      t.equal(r.status, 0, `${file}: ovs-ofctl accepts the flows\n${r.stderr}`)
      t.notMatch(r.stderr, /normalization changed/, `${file}: no field rewritten`)
    }
    for (const p of shippedProfiles()) {
      const plan = planOffload(topo, loadProfile(p))
      t.equal(plan.stages.length, STAGES.length, `${file} on ${p}`)
    }
  }
})

t.test('IPv6 port security flows', async t => {
  const entries: Entry[] = [
    { stage: 'classify', in_port: 1, network: 5, port: 1 },
    { stage: 'port_sec', port: 1, mac: 'fa:16:3e:00:00:01', ips: ['10.0.0.5/32', '2001:db8::5/128', '2001:db8:1::/64'] },
  ]
  const text = renderFlows(emitOpenFlow(entries))
  t.match(text, /ipv6,reg1=1,eth_src=fa:16:3e:00:00:01,ipv6_src=2001:db8::5 actions=goto_table/)
  t.match(text, /ipv6,reg1=1,eth_src=fa:16:3e:00:00:01,ipv6_src=2001:db8:1::\/64 actions=goto_table/)
  t.match(text, /ipv6,reg1=1,eth_src=fa:16:3e:00:00:01,ipv6_src=fe80::\/10 actions=goto_table/)
  t.match(text, /ipv6,reg1=1,eth_src=fa:16:3e:00:00:01 actions=drop/)
})

t.test('IPv6 values', async t => {
  t.equal(Ipv6Address.parse('2001:DB8:0:0:1:0:0:1').toString(), '2001:db8::1:0:0:1', 'RFC 5952: first longest run')
  t.equal(Ipv6Address.parse('::').toString(), '::')
  t.equal(Ipv6Address.parse('fe80::1').toString(), 'fe80::1')
  t.equal(Ipv6Address.parse('1:2:3:4:5:6:7:8').toString(), '1:2:3:4:5:6:7:8')
  t.equal(Ipv6Address.parse('2001:db8:0:1:1:1:1:1').toString(), '2001:db8:0:1:1:1:1:1', 'a single zero group stays')
  for (const bad of ['1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', '1:2:3:4:5:6:7', 'g::', '1:2:3:4:5:6:7::8']) {
    t.throws(() => Ipv6Address.parse(bad), /not an IPv6 address/, bad)
  }
  t.throws(() => Cidr.parseIpv6('2001:db8::1/64', MATCH_PREFIX), /host bits/)
  t.throws(() => Cidr.parseIpv6('2001:db8::/129', MATCH_PREFIX), /length 0\.\.128/)
  t.equal(Cidr.parseIpv6('fe80::/10', MATCH_PREFIX).mask, 0xffc0n << 112n)
})
