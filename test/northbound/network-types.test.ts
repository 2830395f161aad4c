// provider:network_type gre through the API, with ML2's GRE type driver rules: a 32-bit tunnel id (1 through
// 2^32-1), no physical network, an MTU that leaves room for the GRE header; and the 24-bit limit of VXLAN and
// Geneve kept now that the attribute itself admits 32-bit ids.
import t from 'tap'
import { api, removeDir, startApi } from './helpers/api-process.js'

t.test('GRE provider networks', async t => {
  const a = await startApi({ store: 'embedded', quiet: true })
  t.teardown(async () => {
    await a.kill()
    removeDir(a.dataDir)
  })
  const create = (network: Record<string, unknown>) =>
    api(a.url, 'POST', '/v2.0/networks', { body: { network: { name: 'n', ...network } } })

  const big = await create({ 'provider:network_type': 'gre', 'provider:segmentation_id': 0xffffffff })
  t.equal(big.status, 201, 'the largest GRE key is accepted')
  t.equal(big.body.network['provider:network_type'], 'gre')
  t.equal(big.body.network['provider:segmentation_id'], 0xffffffff)
  t.equal(big.body.network.mtu, 1458, 'MTU 1500 less 42 for outer IPv4, GRE with key and inner Ethernet')

  const auto = await create({ 'provider:network_type': 'gre' })
  t.equal(auto.status, 201)
  t.type(auto.body.network['provider:segmentation_id'], 'number', 'a GRE network without an id gets one')
  t.ok(auto.body.network['provider:segmentation_id'] >= 1, 'in range')

  const again = await create({ 'provider:network_type': 'gre', 'provider:segmentation_id': 0xffffffff })
  t.equal(again.status, 409, 'a GRE key is used by one network only')

  const tooBig = await create({ 'provider:network_type': 'gre', 'provider:segmentation_id': 0x100000000 })
  t.equal(tooBig.status, 400, 'a key past 32 bits is refused')
  const zero = await create({ 'provider:network_type': 'gre', 'provider:segmentation_id': 0 })
  t.equal(zero.status, 400)
  t.match(zero.body.NeutronError.message, /segmentation_id out of range \(1 through 4294967295\)/)
  const physnet = await create({ 'provider:network_type': 'gre', 'provider:physical_network': 'extnet' })
  t.equal(physnet.status, 400)
  t.match(physnet.body.NeutronError.message, /provider:physical_network specified for gre network/)
  const mtu = await create({ 'provider:network_type': 'gre', mtu: 1459 })
  t.equal(mtu.status, 400, 'an MTU with no room for the GRE header is refused')

  for (const type of ['vxlan', 'geneve']) {
    const vni = await create({ 'provider:network_type': type, 'provider:segmentation_id': 0x1000000 })
    t.equal(vni.status, 400, `${type} keeps its 24-bit VNI`)
    t.match(vni.body.NeutronError.message, /segmentation_id out of range \(1 through 16777215\)/)
    t.equal(
      (await create({ 'provider:network_type': type, 'provider:segmentation_id': 0xffffff })).status,
      201,
      `the largest ${type} VNI is accepted`,
    )
  }
})
