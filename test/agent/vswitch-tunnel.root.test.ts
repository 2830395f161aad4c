// Needs root (private OVS). The agent's tunnel port is brought to what this run asks for: an agent restarted with
// another encapsulation (--tunnel geneve after vxlan) or another VTEP (--tunnel-ip) must not keep the old port,
// which would send every remote frame with the wrong header or from an address that is no longer ours. Before,
// ensureTunnelPort returned as soon as a port of that name existed.
import t, { type Test } from 'tap'
import { needRoot } from '../helpers/requirements.js'
import { startOvs } from '../helpers/ovs.js'
import { OvsdbClient } from '../../agent/ovsdb/client.js'
import { Vswitch } from '../../agent/ovsdb/vswitch.js'

const skip = needRoot('private OVS in a network namespace')

/** A private OVS with br-int, the agent's Vswitch on it, and a reader of df-tun0's columns. */
async function tunnelBridge(
  t: Test,
): Promise<{ ovs: Awaited<ReturnType<typeof startOvs>>; vs: Vswitch; get: (col: string) => Promise<string> }> {
  const ovs = await startOvs()
  const client = new OvsdbClient({ target: `unix:${ovs.dbSocket}` })
  t.teardown(async () => {
    await client.close()
    await ovs.stop()
  })
  await client.connect()
  const vs = new Vswitch(client, { bridge: 'br-int' })
  await vs.ensureBridge()
  const get = async (col: string): Promise<string> => (await ovs.vsctl('get', 'Interface', 'df-tun0', col)).trim()
  return { ovs, vs, get }
}

t.test('ensureTunnelPort corrects the type and options of an existing port', { skip }, async t => {
  const { ovs, vs, get } = await tunnelBridge(t)

  await vs.ensureTunnelPort('df-tun0', { type: 'vxlan', localIp: '172.31.5.1' })
  t.equal(await get('type'), 'vxlan')
  t.match(await get('options'), /local_ip="172\.31\.5\.1"/)

  await vs.ensureTunnelPort('df-tun0', { type: 'geneve', localIp: '172.31.6.1' })
  t.equal(await get('type'), 'geneve', 'the port now speaks Geneve')
  const options = await get('options')
  t.match(options, /local_ip="172\.31\.6\.1"/, 'from the new VTEP address')
  t.match(options, /remote_ip=flow/, 'remote_ip still from the flow')
  t.match(options, /key=flow/, 'key still from the flow')
  t.equal((await ovs.vsctl('list-ports', 'br-int')).split('\n').filter(l => l === 'df-tun0').length, 1, 'still one port of that name')

  // a stray option someone added by hand is removed: the port is exactly what the agent asks for
  await ovs.vsctl('set', 'Interface', 'df-tun0', 'options:dst_port=4790')
  await vs.ensureTunnelPort('df-tun0', { type: 'geneve', localIp: '172.31.6.1' })
  t.notMatch(await get('options'), /dst_port/, 'a hand-made option is dropped')

  // and an up-to-date port is left alone (same row, same ofport)
  const uuid = await get('_uuid')
  await vs.ensureTunnelPort('df-tun0', { type: 'geneve', localIp: '172.31.6.1' })
  t.equal(await get('_uuid'), uuid, 'an up-to-date port is not re-created')
  await vs.close()
})

t.test('a GRE tunnel port takes its remote and 32-bit key from the flow, and vswitchd accepts it', { skip }, async t => {
  const { vs, get } = await tunnelBridge(t)

  // an agent restarted with --tunnel gre after vxlan: the same port changes its encapsulation in place
  await vs.ensureTunnelPort('df-tun0', { type: 'vxlan', localIp: '172.31.7.1' })
  await vs.ensureTunnelPort('df-tun0', { type: 'gre', localIp: '172.31.7.1' })
  t.equal(await get('type'), 'gre', 'the port now speaks GRE')
  const options = await get('options')
  t.match(options, /key=flow/, 'the GRE key comes from tun_id')
  t.match(options, /remote_ip=flow/, 'the remote from tun_dst')
  t.match(options, /local_ip="172\.31\.7\.1"/, "from this node's VTEP address")
  let ofport = -1
  const end = Date.now() + 10_000
  // the column reads [] until vswitchd has built the interface
  while (!(ofport > 0) && Date.now() < end) {
    ofport = Number(await get('ofport'))
    if (!(ofport > 0)) await new Promise(resolve => setTimeout(resolve, 100))
  }
  t.ok(ofport > 0, `vswitchd gave the GRE port an OpenFlow port (${ofport})`)
  t.equal(await get('error'), '[]', 'and recorded no error for it')
  await vs.close()
})
