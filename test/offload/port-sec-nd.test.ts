// Port security for neighbour advertisements (offload/openflow/stages/port-sec-flows.ts): an NA from a port may
// only claim the port's own addresses; the rest of the port's IPv6 keeps the source check.
import t from 'tap'
import { needTool } from '../helpers/requirements.js'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Entry } from '../../datapath/host/entries.js'
import { emitOpenFlow } from '../../offload/openflow/emitter.js'
import { linkLocalOf } from '../../offload/openflow/stages/port-sec-flows.js'
import { renderFlows } from '../../offload/openflow/text.js'
import { MacAddress } from '../../datapath/host/addresses.js'

const entries = (ips: string[]): Entry[] => [
  { stage: 'classify', in_port: 1, network: 5, port: 1 },
  { stage: 'port_sec', port: 1, mac: 'fa:16:3e:cd:22:a4', ips },
]

t.test('the EUI-64 link-local address of a MAC (RFC 4291 2.5.6, as the Linux kernel derives it)', async t => {
  t.equal(linkLocalOf(MacAddress.parse('fa:16:3e:cd:22:a4')).toString(), 'fe80::f816:3eff:fecd:22a4')
  t.equal(linkLocalOf(MacAddress.parse('00:00:00:00:00:00')).toString(), 'fe80::200:ff:fe00:0', 'the U/L bit is flipped')
})

t.test("an NA may claim the port's own addresses only", async t => {
  const text = renderFlows(emitOpenFlow(entries(['10.0.0.5/32', '2001:db8::5/128'])))
  const na = text.split('\n').filter(l => l.includes('icmpv6_type=136'))
  const allow = (src: string, target: string): RegExp =>
    new RegExp(
      `priority=500,cookie=0x[0-9a-f]+,icmp6,reg1=1,eth_src=fa:16:3e:cd:22:a4,icmpv6_type=136,ipv6_src=${src},nd_target=${target} actions=goto_table`,
    )
  for (const target of ['2001:db8::5', 'fe80::f816:3eff:fecd:22a4']) {
    t.ok(
      na.some(l => allow(target, target).test(l)),
      `NA for ${target} from ${target} allowed`,
    )
    t.ok(
      na.some(l => allow('fe80::/10', target).test(l)),
      `NA for ${target} from a link-local source allowed`,
    )
  }
  t.ok(
    na.some(l => /priority=400,cookie=0x[0-9a-f]+,icmp6,reg1=1,eth_src=fa:16:3e:cd:22:a4,icmpv6_type=136 actions=drop/.test(l)),
    "any other NA from the port's MAC dropped",
  )
  t.equal(na.length, 5, 'two sources per target, one drop')
})

t.test("an allowed address pair (its own MAC row) may advertise its address, not the port's", async t => {
  const text = renderFlows(
    emitOpenFlow([...entries(['2001:db8::5/128']), { stage: 'port_sec', port: 1, mac: 'fa:16:3e:00:bb:01', ips: ['2001:db8::60/128'] }]),
  )
  const na = text.split('\n').filter(l => l.includes('icmpv6_type=136') && l.includes('eth_src=fa:16:3e:00:bb:01'))
  t.ok(
    na.some(l => /ipv6_src=fe80::\/10,nd_target=2001:db8::60 actions=goto_table/.test(l)),
    'the pair MAC advertises the pair IP',
  )
  t.notOk(
    na.some(l => l.includes('nd_target=2001:db8::5 ')),
    "the pair MAC may not advertise the port's own address",
  )
  t.ok(
    na.some(l => /eth_src=fa:16:3e:00:bb:01,icmpv6_type=136 actions=drop/.test(l)),
    'other NAs from the pair MAC are dropped',
  )
})

t.test('a row with a wider IPv6 prefix keeps the source check only (nd_target has no mask in OpenFlow 1.3)', async t => {
  const text = renderFlows(emitOpenFlow(entries(['2001:db8::5/128', '2001:db8:1::/64'])))
  t.notMatch(text, /icmpv6_type=136/)
  t.match(text, /ipv6_src=2001:db8:1::\/64 actions=goto_table/)
})

t.test('ovs-ofctl accepts the flows unchanged', { skip: needTool('ovs-ofctl') }, async t => {
  const dir = mkdtempSync(join(tmpdir(), 'dfe-psnd-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'flows.txt')
  writeFileSync(file, renderFlows(emitOpenFlow(entries(['10.0.0.5/32', '2001:db8::5/128']))))
  const r = spawnSync('ovs-ofctl', ['-O', 'OpenFlow13', 'parse-flows', file], { encoding: 'utf8' })
  t.equal(r.status, 0, r.stderr)
  t.notMatch(r.stderr, /normalization changed/)
})
