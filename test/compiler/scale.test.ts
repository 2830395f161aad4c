// Incremental means cheap: on a topology of 2000 ports, one port update costs a small fraction of a full
// compile, and its delta holds only that port's entries. (Generous bounds: this guards against an accidental
// recompute-everything, not for exact timings.)
import t from 'tap'
import { performance } from 'node:perf_hooks'
import { TopologyCompiler } from '../../agent/compiler/index.js'
import { TABLES } from '../../model/tables.js'
import { chassis, network, port, put, router, subnet } from './fixtures/model.js'

t.test('one port update on a large topology', async t => {
  const c = new TopologyCompiler({ chassisId: 'c0' })
  c.applyChange(put(TABLES.chassis, chassis('c1', '192.0.2.1')))
  const NETS = 50,
    PER_NET = 40
  const interfaces = []
  for (let n = 0; n < NETS; n++) {
    c.applyChange(put(TABLES.networks, network(`n${n}`, n + 1)))
    c.applyChange(put(TABLES.subnets, subnet(`s${n}`, `n${n}`, `10.${n}.0.0/24`)))
    const rp = port(`rp${n}`, 10000 + n, {
      network_id: `n${n}`,
      device_owner: 'network:router_interface',
      fixed_ips: [{ subnet_id: `s${n}`, ip_address: `10.${n}.0.1` }],
    })
    c.applyChange(put(TABLES.ports, rp))
    interfaces.push({ port_id: rp.id, subnet_id: `s${n}`, network_id: `n${n}` })
    for (let i = 0; i < PER_NET; i++) {
      const key = n * PER_NET + i + 1
      c.applyChange(
        put(
          TABLES.ports,
          port(`p${key}`, key, {
            network_id: `n${n}`,
            fixed_ips: [{ subnet_id: `s${n}`, ip_address: `10.${n}.0.${i + 10}` }],
            'binding:host_id': i % 2 ? 'c1' : 'c0',
          }),
        ),
      )
    }
  }
  c.applyChange(put(TABLES.routers, router('r', 1, { interfaces })))
  for (let k = 1; k <= 20; k++) c.bindLocal(`p${k * 2 - 1}`, k)
  t.equal(c.followed().size > NETS * PER_NET, true, 'everything is reachable through the router')

  const t0 = performance.now()
  const full = c.recompute().entries.length
  const fullMs = performance.now() - t0
  t.equal(c.entries().length, full)

  const UPDATES = 200
  const t1 = performance.now()
  let touched = 0
  for (let u = 0; u < UPDATES; u++) {
    const key = 500 + u
    const n = Math.floor((key - 1) / PER_NET)
    const d = c.applyChange(
      put(
        TABLES.ports,
        port(`p${key}`, key, {
          network_id: `n${n}`,
          fixed_ips: [{ subnet_id: `s${n}`, ip_address: `10.${n}.0.${200 + (u % 50)}` }],
          'binding:host_id': 'c1',
        }),
        2,
      ),
    )
    touched += d.added.length + d.removed.length
  }
  const perUpdateMs = (performance.now() - t1) / UPDATES
  t.comment(`${full} entries; full compile ${fullMs.toFixed(1)} ms; one port update ${perUpdateMs.toFixed(3)} ms`)
  t.ok(perUpdateMs < fullMs / 10, 'a port update costs less than a tenth of a full compile')
  t.ok(touched / UPDATES <= 8, `a port update touches only that port's entries (${(touched / UPDATES).toFixed(1)} per update)`)
})
