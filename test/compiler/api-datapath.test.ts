// End to end through the real northbound: `dragonflow api` (embedded store) gets two networks, a router with
// an interface on each and three VMs over Neutron HTTP; the store's objects are read back, fed to the compiler
// as changes for chassis ch1 (vm1 on ofport 1, vm2 on ofport 2; vm3 bound to ch2), and the entries are loaded
// into the WASM datapath. Packets then prove the entries work: ARP answered in place, a ping routed to the other
// network out of the right ofport with TTL 63, same-network traffic to vm3 tunnelled to ch2, DHCP answered.
import t from 'tap'
import { join } from 'node:path'
import { TopologyCompiler, compileTopology, entryKey } from '../../agent/compiler/index.js'
import { createDatapath } from '../../datapath/host/index.js'
import { ipv4, mac } from '../../datapath/host/addresses.js'
import { arp, buildFrame, dhcp, echo4, ethernet, ip4, udp } from '../../datapath/host/packet-builder.js'
import { decodeFrame } from '../../datapath/host/packet-decoder.js'
import { TABLES } from '../../model/tables.js'
import type { Chassis } from '../../model/types.js'
import { openStore } from '../../store/registry.js'
import type { Change } from '../../store/types.js'
import { api, removeDir, startApi } from '../northbound/helpers/api-process.js'
import { chassis } from './fixtures/model.js'

const BCAST = 'ff:ff:ff:ff:ff:ff'

t.test('entries compiled from API-written objects forward packets', async t => {
  const a = await startApi({ store: 'embedded', quiet: true })
  t.teardown(async () => {
    await a.kill()
    removeDir(a.dataDir)
  })
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Neutron JSON
  const call = async (method: string, path: string, body?: unknown): Promise<Record<string, any>> => {
    const r = await api(a.url, method, path, { body })
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`)
    return r.body
  }
  const netA = (await call('POST', '/v2.0/networks', { network: { name: 'a' } })).network
  const netB = (await call('POST', '/v2.0/networks', { network: { name: 'b' } })).network
  const subA = (
    await call('POST', '/v2.0/subnets', {
      subnet: { network_id: netA.id, cidr: '10.1.0.0/24', ip_version: 4, dns_nameservers: ['192.0.2.53'] },
    })
  ).subnet
  const subB = (await call('POST', '/v2.0/subnets', { subnet: { network_id: netB.id, cidr: '10.2.0.0/24', ip_version: 4 } })).subnet
  const router = (await call('POST', '/v2.0/routers', { router: { name: 'r' } })).router
  await call('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: subA.id })
  await call('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: subB.id })
  const vm = async (name: string, networkId: string, host: string): Promise<{ id: string; mac: string; ip: string }> => {
    const p = (
      await call('POST', '/v2.0/ports', { port: { name, network_id: networkId, 'binding:host_id': host, device_owner: 'compute:nova' } })
    ).port
    return { id: p.id, mac: p.mac_address, ip: p.fixed_ips[0].ip_address }
  }
  const vm1 = await vm('vm1', netA.id, 'ch1')
  const vm2 = await vm('vm2', netB.id, 'ch1')
  const vm3 = await vm('vm3', netA.id, 'ch2')
  const gwA = (await call('GET', `/v2.0/ports?device_owner=network:router_interface&network_id=${netA.id}`)).ports[0]
  t.ok(gwA, 'the router has an interface port on network a')

  // The agent's view: every object of the tables it reads, as the changes a watch would deliver.
  const store = await openStore({ driver: 'embedded', dir: join(a.dataDir, 'store'), readOnly: true })
  const changes: Change[] = []
  try {
    for (const table of [TABLES.networks, TABLES.subnets, TABLES.ports, TABLES.routers, TABLES.securityGroups, TABLES.securityGroupRules]) {
      for (const o of await store.list(table))
        changes.push({ table, id: o.id, version: o.version, action: 'create', topics: o.topics, value: o.value })
    }
  } finally {
    await store.close()
  }
  const chassisList: Chassis[] = [chassis('ch1', '192.0.2.1'), chassis('ch2', '192.0.2.2')]
  for (const c of chassisList)
    changes.push({
      table: TABLES.chassis,
      id: c.id,
      version: 1,
      action: 'create',
      topics: [],
      value: c as unknown as Record<string, unknown>,
    })

  const self = { chassisId: 'ch1', chassisTunnelIp: '192.0.2.1' }
  const compiler = new TopologyCompiler(self)
  compiler.bindLocal(vm1.id, 1)
  // Ports before their networks and routers before their ports: the compiler parks them until the rest arrives.
  for (const c of [...changes].reverse()) compiler.applyChange(c)
  compiler.bindLocal(vm2.id, 2)
  const entries = compiler.entries()
  t.same(compiler.problems(), [], 'nothing parked or refused')
  const snapshot = {
    networks: [],
    subnets: [],
    ports: [],
    routers: [],
    chassis: chassisList,
    securityGroups: [],
    securityGroupRules: [],
    floatingips: [],
    uplinks: new Map(),
    bindings: new Map([
      [vm1.id, 1],
      [vm2.id, 2],
    ]),
  } as Required<Parameters<typeof compileTopology>[0]>
  const field: Record<string, keyof typeof snapshot> = {
    [TABLES.networks]: 'networks',
    [TABLES.subnets]: 'subnets',
    [TABLES.ports]: 'ports',
    [TABLES.routers]: 'routers',
    [TABLES.securityGroups]: 'securityGroups',
    [TABLES.securityGroupRules]: 'securityGroupRules',
  }
  for (const c of changes) {
    const f = field[c.table]
    if (f !== undefined) (snapshot[f] as unknown[]).push(c.value)
  }
  t.same(entries.map(entryKey).sort(), compileTopology(snapshot, self).entries.map(entryKey).sort(), 'incremental == full compile')

  const dp = await createDatapath()
  dp.load({ entries })

  // ARP for vm3 (a remote port on the same network) and for the gateway: answered in place.
  const arpFor = (target: string): Uint8Array =>
    buildFrame([ethernet({ src: mac(vm1.mac), dst: mac(BCAST) }), arp({ op: 1, sha: mac(vm1.mac), spa: ipv4(vm1.ip), tpa: ipv4(target) })])
  const [toVm3, toGw] = dp.process([
    { in_port: 1, data: arpFor(vm3.ip) },
    { in_port: 1, data: arpFor('10.1.0.1') },
  ])
  t.match(toVm3, { action: 'in_port', ofport: 1 })
  t.match(decodeFrame(toVm3!.packet), { arp_op: 2, arp_sha: vm3.mac, arp_spa: vm3.ip, arp_tpa: vm1.ip })
  t.match(decodeFrame(toGw!.packet), { arp_op: 2, arp_sha: gwA.mac_address, arp_spa: '10.1.0.1' })

  // A ping from vm1 to vm2 through the router: out of ofport 2, MACs rewritten, TTL 63.
  const ping = buildFrame([
    ethernet({ src: mac(vm1.mac), dst: mac(gwA.mac_address) }),
    ip4({ src: ipv4(vm1.ip), dst: ipv4(vm2.ip), ttl: 64 }),
    echo4({ id: 1, seq: 1 }),
  ])
  const [routed] = dp.process([{ in_port: 1, data: ping }])
  t.match(routed, { action: 'output', reason: 'none', ofport: 2 })
  t.match(decodeFrame(routed!.packet), { eth_dst: vm2.mac, ip_dst: vm2.ip, ttl: 63 })

  // Same network, remote port: tunnelled to ch2's endpoint.
  const toRemote = buildFrame([
    ethernet({ src: mac(vm1.mac), dst: mac(vm3.mac) }),
    ip4({ src: ipv4(vm1.ip), dst: ipv4(vm3.ip) }),
    udp({ sport: 1000, dport: 2000 }),
  ])
  t.match(dp.process([{ in_port: 1, data: toRemote }])[0], { action: 'tunnel', remote: '192.0.2.2' })

  // Port security: vm1 may not use another address.
  const spoof = buildFrame([
    ethernet({ src: mac(vm1.mac), dst: mac(vm3.mac) }),
    ip4({ src: ipv4('10.1.0.99'), dst: ipv4(vm3.ip) }),
    udp({ sport: 1000, dport: 2000 }),
  ])
  t.match(dp.process([{ in_port: 1, data: spoof }])[0], { action: 'drop', reason: 'port_sec_ip' })

  // DHCP from vm1: an OFFER of its own address with the subnet's gateway and DNS.
  const discover = buildFrame([
    ethernet({ src: mac(vm1.mac), dst: mac(BCAST) }),
    ip4({ src: ipv4('0.0.0.0'), dst: ipv4('255.255.255.255') }),
    udp({ sport: 68, dport: 67 }),
    dhcp({ xid: 7, chaddr: mac(vm1.mac), type: 'discover' }),
  ])
  const offer = dp.packetIn({ in_port: 1, data: discover }, 1000)
  t.equal(offer.replies.length, 1, 'one DHCP reply')
  const dhcpPort = (await call('GET', `/v2.0/ports?device_owner=network:dhcp&network_id=${netA.id}`)).ports[0]
  t.match(
    decodeFrame(offer.replies[0]!.packet),
    {
      dhcp_type: 'offer',
      dhcp_yiaddr: vm1.ip,
      dhcp_opt_3: '0a010001',
      dhcp_opt_6: 'c0000235',
      ip_src: dhcpPort.fixed_ips[0].ip_address,
      eth_src: dhcpPort.mac_address,
    },
    "answered from the network's DHCP port address",
  )

  // Unplugging vm2 removes what only it needed; ARP for vm2 still answers (it stays a port of a followed network).
  const unplug = compiler.bindLocal(vm2.id, undefined)
  t.ok(
    unplug.removed.some(e => e.stage === 'classify' && 'in_port' in e && e.in_port === 2),
    'classify of ofport 2 removed',
  )
  t.notOk(
    unplug.added.some(e => e.stage === 'egress'),
    'vm2 bound to ch1 but not plugged: no egress',
  )

  // Deltas applied to the live datapath (removed first, as the contract says) move the traffic with the port.
  const applyDelta = (d: { added: typeof entries; removed: typeof entries }): void => {
    for (const e of d.removed) dp.remove(e)
    for (const e of d.added) dp.add(e)
  }
  applyDelta(unplug)
  t.match(dp.process([{ in_port: 1, data: ping }])[0], { action: 'drop', reason: 'egress_no_port' }, 'unplugged: nowhere to go')
  applyDelta(compiler.bindLocal(vm2.id, 5))
  t.match(dp.process([{ in_port: 1, data: ping }])[0], { action: 'output', ofport: 5 }, 'replugged on ofport 5: routed there')
  const moved = compiler.applyChange({
    table: TABLES.chassis,
    id: 'ch2',
    version: 2,
    action: 'update',
    topics: [],
    value: chassis('ch2', '192.0.2.22') as unknown as Record<string, unknown>,
  })
  applyDelta(moved)
  t.match(
    dp.process([{ in_port: 1, data: toRemote }])[0],
    { action: 'tunnel', remote: '192.0.2.22' },
    'ch2 moved its endpoint: the tunnel follows',
  )
})
