// `dragonflow status` against a real node (needs root): one `dragonflow serve`, a network and a port made with the
// real `openstack` CLI, the port plugged with `dragonflow plug`; the status (text and --json) shows the port
// ACTIVE, the switch connected and classify flows installed. After the node stops, its serve.json is left behind
// and `status` says no node is running (exit 1), not a stack trace. `openstack network agent list` and `show`
// list the node's chassis as an alive agent (its heartbeat, northbound/resources/agents.ts).
import t from 'tap'
import { needRoot } from '../helpers/requirements.js'
import { startNode, until } from './serve-node.js'
import { api, noAuthEnv, openstack } from '../northbound/helpers/api-process.js'
import type { NodeStatus } from '../../agent/controller/local-controller.js'

const skip = needRoot('network namespaces, Open vSwitch')

t.test('status of a node with one plugged port, then of the stopped node', { timeout: 180_000, skip }, async t => {
  const tag = process.pid.toString(36)
  // beats every 2 s (--report-interval), so the test sees the running timer's second beat soon
  const node = await startNode(t, `st${tag}`, ['--report-interval', '2'])
  const docs = await node.openstackBatch(
    [
      'network create stn -f json',
      'subnet create sts --network stn --subnet-range 10.71.0.0/24 -f json',
      'port create stp --network stn -f json',
    ],
    3,
  )
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
  t.equal(
    Object.values(s.flows.perStage).reduce((a, b) => a + b, 0),
    s.flows.installed,
    'the stages add up to the installed flows',
  )
  t.ok(s.plan !== undefined && s.plan.profile === 'ovs-userspace', "the plan of the node's profile")
  t.ok(s.datapath !== undefined, "the WASM datapath's counters")

  const agentList = await openstack(noAuthEnv(node.url), ['network', 'agent', 'list', '-f', 'json'])
  t.equal(agentList.code, 0, `openstack network agent list exits 0 ${agentList.stderr}`)
  const agents = JSON.parse(agentList.stdout) as Record<string, unknown>[]
  const me = agents.find(a => a.ID === s.chassis.id)
  t.match(me, { 'Agent Type': 'DF Local Controller', Binary: 'dragonflow' }, 'the node is an agent of its own chassis id')
  t.ok(me?.Alive === true || me?.Alive === ':-)', `and alive (${String(me?.Alive)})`)
  t.ok(me?.State === true || me?.State === 'UP', `and administratively up (${String(me?.State)})`)
  const agentShow = await openstack(noAuthEnv(node.url), ['network', 'agent', 'show', s.chassis.id, '-f', 'json'])
  t.equal(agentShow.code, 0, `openstack network agent show exits 0 ${agentShow.stderr}`)
  const shown = JSON.parse(agentShow.stdout) as Record<string, unknown>
  // the CLI names heartbeat_timestamp last_heartbeat_at and configurations configuration (openstacksdk's Agent)
  t.match(
    shown,
    {
      id: s.chassis.id,
      alive: true,
      last_heartbeat_at: /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/,
      configuration: { hw_profile: 'ovs-userspace' },
    },
    'show has the heartbeat time and the configuration',
  )

  // the running agent's own timer (every 2 s here), not only the stamp of its registration
  const beaten = await until(
    'a heartbeat after the start',
    async () => {
      const a = (await api(node.url, 'GET', `/v2.0/agents/${s.chassis.id}`)).body.agent as Record<string, string>
      return a.heartbeat_timestamp !== undefined && a.started_at !== undefined && a.heartbeat_timestamp > a.started_at ? a : undefined
    },
    15_000,
    500,
  )
  t.ok(beaten.alive, `alive on a later beat (${beaten.heartbeat_timestamp})`)

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
