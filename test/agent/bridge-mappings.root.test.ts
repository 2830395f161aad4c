// Needs root (private OVS). --bridge-mappings on real OVS: the patch port pair is created between br-int and the
// operator's bridge, corrected when someone changed it, left alone when right (same rows, same ofports: a restart
// does not flap the uplink); a mapping whose bridge does not exist is refused and skipped, and the chassis row
// advertises only the mappings the node really has.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { needRoot } from '../helpers/requirements.js'
import { startOvs } from '../helpers/ovs.js'
import { OvsdbClient } from '../../agent/ovsdb/client.js'
import { Vswitch } from '../../agent/ovsdb/vswitch.js'
import { MissingBridgeError, PHYSNET_ID, ensurePatchPorts, patchPortNames, removeStalePatchPorts } from '../../agent/ovsdb/patch-ports.js'
import { BRIDGE_MAPPINGS_ID } from '../../agent/controller/chassis.js'
import { startAgent } from '../../cli/commands/agent.js'
import { TABLES } from '../../model/tables.js'
import { openStore } from '../../store/registry.js'
import { lineLogger } from '../../log/logger.js'

const skip = needRoot('private OVS in a network namespace')

t.test('patch port names fit OVS and stay distinct', async t => {
  t.same(patchPortNames('phys1'), { int: 'patch-phys1', phys: 'patch-int-phys1' }, 'short names as they are')
  const a = patchPortNames('provider-network-a')
  const b = patchPortNames('provider-network-b')
  for (const n of [a.int, a.phys, b.int, b.phys]) t.ok(n.length <= 15, `${n} fits a netdev name`)
  t.not(a.int, b.int, 'long names sharing a prefix differ (hash)')
  t.not(a.phys, b.phys)
  t.same(patchPortNames('provider-network-a'), a, 'stable')
})

t.test('ensurePatchPorts on real OVS', { skip }, async t => {
  const ovs = await startOvs()
  const client = new OvsdbClient({ target: `unix:${ovs.dbSocket}` })
  t.teardown(async () => {
    await client.close()
    await ovs.stop()
  })
  await client.connect()
  await new Vswitch(client, { bridge: 'br-int' }).ensureBridge()
  await ovs.vsctl('add-br', 'br-ex', '--', 'set', 'Bridge', 'br-ex', 'datapath_type=netdev')
  const get = async (iface: string, col: string): Promise<string> => (await ovs.vsctl('get', 'Interface', iface, col)).trim()

  const names = await ensurePatchPorts(client, 'br-int', 'physnet1', 'br-ex')
  t.same(names, patchPortNames('physnet1'))
  t.equal(names.int, 'patch-physnet1')
  t.match(names.phys, /^patch-int-[0-9a-f]{5}$/, 'patch-int-physnet1 is too long for an OpenFlow port name: hashed')
  const peer = names.phys
  t.ok((await ovs.vsctl('list-ports', 'br-int')).split('\n').includes('patch-physnet1'), 'on br-int')
  t.ok((await ovs.vsctl('list-ports', 'br-ex')).split('\n').includes(peer), "on the operator's bridge")
  t.equal(await get('patch-physnet1', 'type'), 'patch')
  t.match(await get('patch-physnet1', 'options'), new RegExp(`peer=${peer}`))
  t.match(await get(peer, 'options'), /peer=patch-physnet1/)
  let ofport = ''
  for (let i = 0; i < 100 && !(Number(ofport) > 0); i++) {
    ofport = await get('patch-physnet1', 'ofport')
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  t.ok(Number(ofport) > 0, `the br-int side has an ofport (${ofport})`)

  const uuids = [await get('patch-physnet1', '_uuid'), await get(peer, '_uuid')]
  await ensurePatchPorts(client, 'br-int', 'physnet1', 'br-ex')
  t.same([await get('patch-physnet1', '_uuid'), await get(peer, '_uuid')], uuids, 'idempotent: the same rows')
  t.equal(await get('patch-physnet1', 'ofport'), ofport, 'and the same ofport')

  await ovs.vsctl('set', 'Interface', peer, 'options:peer=elsewhere')
  await ensurePatchPorts(client, 'br-int', 'physnet1', 'br-ex')
  t.match(await get(peer, 'options'), /peer=patch-physnet1/, 'a changed peer is put back')

  await t.rejects(ensurePatchPorts(client, 'br-int', 'physnet2', 'br-missing'), MissingBridgeError, 'a missing bridge is refused')
  t.notOk((await ovs.vsctl('list-ports', 'br-int')).split('\n').includes('patch-physnet2'), 'and nothing is left on br-int')
  t.match(await ovs.vsctl('list-br'), /^(?![\s\S]*br-missing)/, 'the bridge is not created')

  // the mapping now names another bridge: the physical side moves there, the br-int side stays as it was
  await ovs.vsctl('add-br', 'br-ex2', '--', 'set', 'Bridge', 'br-ex2', 'datapath_type=netdev')
  await ensurePatchPorts(client, 'br-int', 'physnet1', 'br-ex2')
  t.ok((await ovs.vsctl('list-ports', 'br-ex2')).split('\n').includes(peer), 'moved to the newly mapped bridge')
  t.notOk((await ovs.vsctl('list-ports', 'br-ex')).split('\n').includes(peer), 'and off the old one')
  t.equal(await get('patch-physnet1', '_uuid'), uuids[0], 'the br-int side is untouched')
  t.match(await get('patch-physnet1', 'external_ids'), new RegExp(`${PHYSNET_ID}=physnet1`), 'marked as ours')

  // no longer mapped: our pair goes, an operator's port on the bridge stays
  await ovs.vsctl('add-port', 'br-ex2', 'operator-p', '--', 'set', 'Interface', 'operator-p', 'type=internal')
  t.same(await removeStalePatchPorts(client, new Set(['physnet1'])), [], 'a mapped physnet is kept')
  t.same(await removeStalePatchPorts(client, new Set()), ['physnet1'], 'an unmapped one is removed')
  t.notOk((await ovs.vsctl('list-ports', 'br-int')).split('\n').includes('patch-physnet1'), 'off br-int')
  t.same((await ovs.vsctl('list-ports', 'br-ex2')).split('\n').filter(Boolean), ['operator-p'], "only the operator's port is left")
})

t.test('the agent joins mapped bridges, skips a missing one, advertises what it has, and survives a restart', { skip }, async t => {
  const ovs = await startOvs()
  const dir = mkdtempSync(join(tmpdir(), 'dfe-bridge-mappings-'))
  const store = await openStore({ driver: 'embedded', dir: join(dir, 'store') })
  t.teardown(async () => {
    await store.close()
    await ovs.stop()
    rmSync(dir, { recursive: true, force: true })
  })
  await ovs.vsctl('add-br', 'br-ex', '--', 'set', 'Bridge', 'br-ex', 'datapath_type=netdev')
  const lines: string[] = []
  const start = async (): Promise<Awaited<ReturnType<typeof startAgent>>> =>
    await startAgent({
      store,
      chassisId: 'edge-1',
      ovsdbTarget: `unix:${ovs.dbSocket}`,
      ofSocket: join(ovs.rundir, 'df-of.sock'),
      profile: 'ovs-userspace',
      log: lineLogger('test', l => {
        lines.push(l)
      }),
      bridgeMappings: new Map([
        ['physnet1', 'br-ex'],
        ['physnet2', 'br-missing'],
      ]),
    })
  const agent = await start()
  const get = async (iface: string, col: string): Promise<string> => (await ovs.vsctl('get', 'Interface', iface, col)).trim()
  const ofport = Number(await get('patch-physnet1', 'ofport'))
  t.equal(agent.uplinkOfport('physnet1'), ofport, 'learned the ofport of the br-int side')
  t.equal(agent.uplinkOfport('physnet2'), undefined, 'no uplink for the skipped mapping')
  t.ok(
    lines.some(l => /--bridge-mappings physnet2:br-missing skipped: bridge 'br-missing' .* does not exist/.test(l)),
    'the skip is logged',
  )
  const row = await store.get(TABLES.chassis, 'edge-1')
  t.equal((row?.value.external_ids as Record<string, string>)[BRIDGE_MAPPINGS_ID], 'physnet1:br-ex', 'advertises only the working mapping')
  const uuid = await get('patch-physnet1', '_uuid')
  await agent.stop()

  const again = await start()
  t.teardown(async () => {
    await again.stop()
  })
  t.equal(await get('patch-physnet1', '_uuid'), uuid, 'a restart keeps the same patch port')
  t.equal(again.uplinkOfport('physnet1'), ofport, 'on the same ofport')
  const after = await store.get(TABLES.chassis, 'edge-1')
  t.equal((after?.value.external_ids as Record<string, string>)[BRIDGE_MAPPINGS_ID], 'physnet1:br-ex', 'still advertised')
})
