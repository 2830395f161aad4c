// Prometheus metrics of a real node (needs root): one `dragonflow serve` with --metrics-listen, a network and a
// port made with the real `openstack` CLI, the port plugged; the API's /metrics (no token) then counts flow
// installs, a port-up latency, store operations, and shows the datapath's per-reason counters and the process
// metrics; the --metrics-listen server answers the same registry and 404s anything but /metrics.
import t from 'tap'
import { get } from 'node:http'
import { needRoot } from '../helpers/requirements.js'
import { startNode, until } from './serve-node.js'

const skip = needRoot('network namespaces, Open vSwitch')

function scrape(url: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, res => {
      let body = ''
      res.on('data', (d: Buffer) => {
        body += d.toString()
      })
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body })
      })
    }).on('error', reject)
  })
}

/** The value of one sample (`name{labels} value`), summed over the samples whose labels contain `labels`. */
function sample(body: string, name: string, labels = ''): number | undefined {
  let total: number | undefined
  for (const line of body.split('\n')) {
    const m = /^([a-z_:]+)(\{[^}]*\})? (\S+)$/.exec(line)
    if (m === null || m[1] !== name || !(m[2] ?? '').includes(labels)) continue
    total = (total ?? 0) + Number(m[3])
  }
  return total
}

t.test('/metrics on the API and on --metrics-listen', { timeout: 180_000, skip }, async t => {
  const tag = process.pid.toString(36)
  const node = await startNode(t, `mx${tag}`, ['--metrics-listen', '127.0.0.1:0'])
  const docs = await node.openstackBatch(
    [
      'network create mxn -f json',
      'subnet create mxs --network mxn --subnet-range 10.72.0.0/24 -f json',
      'port create mxp --network mxn -f json',
    ],
    3,
  )
  const port = docs[2] as { id: string }
  await node.plug(port.id, `nsmx${tag}`)

  const m = await until(
    'a port-up latency in /metrics',
    async () => {
      const r = await scrape(`${node.url}/metrics`)
      return (sample(r.body, 'dragonflow_port_up_duration_seconds_count') ?? 0) >= 1 ? r : undefined
    },
    60_000,
  ).catch((err: Error) => node.fail(err.message))
  t.equal(m.status, 200, 'GET /metrics answers without a token')
  t.match(m.type, /^text\/plain; version=0\.0\.4/, 'in the Prometheus text format')
  t.ok(
    (sample(m.body, 'dragonflow_flow_installs_total') ?? 0) > 0,
    `flow installs counted (${sample(m.body, 'dragonflow_flow_installs_total') ?? 'none'})`,
  )
  t.ok((sample(m.body, 'dragonflow_flow_install_duration_seconds_count') ?? 0) > 0, 'and their latency histogram')
  t.ok((sample(m.body, 'dragonflow_flow_mods_total', 'op="added"') ?? 0) > 0, 'flows added')
  t.ok((sample(m.body, 'dragonflow_port_up_duration_seconds_count') ?? 0) >= 1, "the plugged port's port-up latency")
  t.ok(
    (sample(m.body, 'dragonflow_store_operations_total', 'driver="embedded",op="create"') ?? 0) >= 3,
    'store creates counted (network, subnet, port)',
  )
  t.ok((sample(m.body, 'dragonflow_store_operations_total', 'op="list"') ?? 0) > 0, 'store lists counted')
  t.match(m.body, /^dragonflow_datapath_packets_total\{kind="drop",reason="[a-z0-9_]+"\} \d+$/m, 'datapath drop counters per reason')
  t.match(m.body, /^dragonflow_datapath_packets_total\{kind="punt",reason="punt_dhcp"\} \d+$/m, 'and punt counters')
  t.match(m.body, /^dragonflow_reactive_l3_events_total\{event="misses"\} \d+$/m, 'reactive L3 cache counters')
  t.match(m.body, /^dragonflow_pubsub_lag_seconds_count\{feed="store-watch"\} [1-9]\d*$/m, "the store feed's lag")
  t.ok((sample(m.body, 'dragonflow_process_resident_memory_bytes') ?? 0) > 0, 'process metrics (resident memory)')
  t.match(m.body, /^dragonflow_process_cpu_seconds_total \S+$/m, 'process CPU')

  const at = /metrics on (http:\/\/\S+\/metrics)/.exec(node.log())?.[1] ?? node.fail('serve did not log where --metrics-listen serves')
  const own = await scrape(at)
  t.equal(own.status, 200, `--metrics-listen answers (${at})`)
  t.ok((sample(own.body, 'dragonflow_flow_installs_total') ?? 0) > 0, 'with the same registry')
  t.equal((await scrape(at.replace(/\/metrics$/, '/v2.0/networks'))).status, 404, 'and nothing else')
})
