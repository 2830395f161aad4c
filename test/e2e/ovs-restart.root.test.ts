// The private Open vSwitch of a running `dragonflow serve` crashes (needs root); serve supervises it:
//   - ovs-vswitchd killed: serve starts it again; its flow tables start empty, the switch reconnects to our
//     OpenFlow socket and the agent reinstalls the pipeline, so traffic comes back and the flow table equals the
//     one before;
//   - ovsdb-server killed: serve starts it again; the agent's OVSDB client reconnects, monitors again, and a
//     workload plugged afterwards is bound (ACTIVE, reachable) like any other.
import { join } from 'node:path'
import t from 'tap'
import { needRoot } from '../helpers/requirements.js'
import { PrivateOvs } from '../../agent/controller/private-ovs.js'
import { startNode, inNs, until } from './serve-node.js'

type Obj = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- CLI JSON output

const skip = needRoot('network namespaces, Open vSwitch')

t.test('serve survives OVS restarts', { timeout: 600_000, skip }, async t => {
  const tag = `r${process.pid.toString(36)}`
  const node = await startNode(t, tag)
  const ovs = new PrivateOvs({ dir: join(node.dir, 'ovs'), netns: node.netns })
  /** kill -9 one of serve's OVS daemons and wait until that process is gone */
  const crash = async (daemon: 'ovs-vswitchd' | 'ovsdb-server'): Promise<void> => {
    const pid = ovs.pidOf(daemon) ?? node.fail(`${daemon} is not running`)
    process.kill(pid, 'SIGKILL')
    await until(`${daemon} to die`, async () => ovs.pidOf(daemon) !== pid)
  }

  const docs = await node.openstackBatch(
    [
      'network create rn -f json',
      'subnet create rs --network rn --subnet-range 10.41.0.0/24 -f json',
      'port create w1 --network rn -f json',
      'port create w2 --network rn -f json',
      'port create w3 --network rn -f json',
    ],
    5,
  )
  const [, , w1, w2, w3] = docs as [Obj, Obj, Obj, Obj, Obj]
  const ip = (p: Obj): string => p.fixed_ips[0].ip_address as string
  const ns = { w1: `dfr1${tag}`, w2: `dfr2${tag}`, w3: `dfr3${tag}` }
  // static addresses (the fixed IPs): DHCP is covered elsewhere; here only forwarding matters
  const plugStatic = async (p: Obj, where: string): Promise<void> => {
    await node.plug(p.id as string, where)
    await inNs(where, 'ip', 'addr', 'add', `${ip(p)}/24`, 'dev', 'eth0')
  }
  await plugStatic(w1, ns.w1)
  await plugStatic(w2, ns.w2)
  const ping = async (from: string, to: string, count = 2): Promise<boolean> =>
    (await inNs(from, 'ping', '-c', String(count), '-i', '0.2', '-W', '1', to)).code === 0
  t.ok(await until('w1 -> w2', async () => await ping(ns.w1, ip(w2))), 'w1 reaches w2 before any restart')
  const strip = (lines: string[]): string[] => lines.map(l => l.replace(/cookie=0x[0-9a-f]+, /, '')).sort()
  const before = strip(await node.flows())

  // --- ovs-vswitchd dies and comes back
  await crash('ovs-vswitchd')
  await until('serve to start vswitchd again', async () => /ovs: ovs-vswitchd not running; starting again/.test(node.log()), 30_000)
  await until('the switch to reconnect', async () => node.log().split('agent: switch connected').length > 2, 60_000)
  t.pass('serve noticed the dead vswitchd, started it again, and the switch reconnected')
  t.ok(await until('w1 -> w2 again', async () => await ping(ns.w1, ip(w2), 1), 60_000), 'traffic is back after vswitchd restarts')
  t.same(strip(await node.flows()), before, 'the reinstalled flow table equals the one before the restart')

  // --- ovsdb-server dies and comes back; a port plugged afterwards is bound
  await crash('ovsdb-server')
  await until('serve to start ovsdb-server again', async () => /ovs: ovsdb-server not running; starting again/.test(node.log()), 30_000)
  await until(
    'ovsdb-server back',
    async () => {
      await node.vsctl('show')
      return true
    },
    30_000,
  )
  await plugStatic(w3, ns.w3)
  const status = async (id: string): Promise<string> =>
    ((await (await fetch(`${node.url}/v2.0/ports/${id}`)).json()) as Obj).port.status as string
  await until('w3 ACTIVE', async () => (await status(w3.id as string)) === 'ACTIVE', 60_000)
  t.pass('a port plugged after the OVSDB restart is reported ACTIVE (the agent monitors again)')
  t.ok(await until('w3 -> w1', async () => await ping(ns.w3, ip(w1), 1), 60_000), 'and reaches the others')
  t.ok(await ping(ns.w1, ip(w2)), 'w1 still reaches w2')
  await node.checkFlows(t)
})
