// `dragonflow status` against a real node (needs root): one `dragonflow serve`, a network and a port made with the
// real `openstack` CLI, the port plugged with `dragonflow plug`; the status (text and --json) shows the port
// ACTIVE, the switch connected and classify flows installed. After the node stops, its serve.json is left behind
// and `status` says no node is running (exit 1), not a stack trace.
import t from 'tap'
import { needRoot } from '../helpers/requirements.js'
import { startNode, until } from './serve-node.js'
import type { NodeStatus } from '../../agent/controller/local-controller.js'

const skip = needRoot('network namespaces, Open vSwitch')

t.test('status of a node with one plugged port, then of the stopped node', { timeout: 180_000, skip }, async t => {
  const tag = process.pid.toString(36)
  const node = await startNode(t, `st${tag}`)
  const docs = await node.openstackBatch([
    'network create stn -f json',
    'subnet create sts --network stn --subnet-range 10.71.0.0/24 -f json',
    'port create stp --network stn -f json',
  ], 3)
  const port = docs[2] as { id: string }
  await node.plug(port.id, `nsst${tag}`)

  const json = async (): Promise<NodeStatus> => {
    const r = await node.dragonflow('status', '--data-dir', node.dir, '--json')
    if (r.code !== 0) node.fail(`status --json exited ${r.code}: ${r.stderr}`)
    return JSON.parse(r.stdout) as NodeStatus
  }
  const s = await until('the port ACTIVE in status --json', async () => {
    const s = await json()
    return s.ports.find(p => p.ifaceId === port.id)?.active === true ? s : undefined
  })
  const mine = s.ports.find(p => p.ifaceId === port.id)
  t.ok(mine !== undefined && mine.ofport > 0, `the plugged port is listed with its ofport (${mine?.ofport ?? 'none'})`)
  t.equal(s.chassis.id, `e2e-dfvst${tag}`, 'the chassis id serve was given')
  t.equal(s.store.driver, 'embedded', 'serve runs on the embedded store')
  t.ok(s.store.watch, 'and follows its watch')
  t.ok(s.ovsdb.connected, 'OVSDB connected')
  t.ok(s.switch.connected && s.switch.datapathId !== undefined, 'the switch is connected and named by its datapath id')
  t.ok(s.generation > 0, `a run generation (${s.generation})`)
  t.ok((s.flows.perStage.ls_in_classify ?? 0) > 0, `classify flows installed (${s.flows.perStage.ls_in_classify ?? 0})`)
  t.equal(Object.values(s.flows.perStage).reduce((a, b) => a + b, 0), s.flows.installed, 'the stages add up to the installed flows')
  t.ok(s.plan !== undefined && s.plan.profile === 'ovs-userspace', 'the plan of the node\'s profile')
  t.ok(s.datapath !== undefined, 'the WASM datapath\'s counters')

  const text = await node.dragonflow('status', '--data-dir', node.dir)
  t.equal(text.code, 0, 'status (text) exits 0')
  t.match(text.stdout, new RegExp(`^ {2}ofport ${mine?.ofport ?? '?'} +\\S+ +${port.id} {2}ACTIVE$`, 'm'), 'the port reads ACTIVE')
  t.match(text.stdout, /^ {2}ls_in_classify +[1-9]\d*$/m, 'classify has flows')
  t.match(text.stdout, /^switch {5}connected \(datapath [0-9a-f]{16}\), (in sync|installing); run generation \d+/m, 'the switch line')
  t.match(text.stdout, /^store {6}embedded, watch subscribed/m, 'the store line')

  const help = await node.dragonflow('status', '--help')
  t.equal(help.code, 0, '--help exits 0')

  await node.stop()
  const after = await node.dragonflow('status', '--data-dir', node.dir)
  t.not(after.code, 0, `no node: status fails (exit ${after.code})`)
  t.match(after.stderr, /no node is running here/, `in words: ${after.stderr.trim()}`)
  t.notMatch(after.stderr, /\n\s+at /, 'no stack trace')
})
