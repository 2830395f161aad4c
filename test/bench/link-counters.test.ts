// The OVS forwarding bench's counting: interface counters read from `ip -s -j link`, the rates and loss derived
// from them, the pmd-stats-show parser that splits the loss, and the frame handed to trafgen. Not timed.
import { execFileSync } from 'node:child_process'
import t from 'tap'
import { CounterError, forwardingRates, median, parseLinkCounters, readLinkCounters } from '../../bench/link-counters.js'
import { parsePmdStats } from '../../bench/pmd-stats.js'
import { trafgenConfig } from '../../bench/ovs-forwarding.js'

// as `ip -s -j link show dev eth0` printed it for a workload veth (iproute2 6.1, Debian 12), trimmed
const IP_JSON = JSON.stringify([
  {
    ifindex: 2,
    link_index: 4,
    ifname: 'eth0',
    flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
    mtu: 1500,
    qdisc: 'noqueue',
    operstate: 'UP',
    link_type: 'ether',
    address: 'fa:16:3e:4e:d3:98',
    link_netnsid: 0,
    stats64: {
      rx: { bytes: 120280, packets: 2004, errors: 0, dropped: 3, over_errors: 0, multicast: 0 },
      tx: { bytes: 1324, packets: 16, errors: 0, dropped: 7, carrier_errors: 0, collisions: 0 },
    },
  },
])

t.test('parseLinkCounters reads stats64 of the named link', async t => {
  t.same(parseLinkCounters(IP_JSON, 'eth0'), { rxPackets: 2004, txPackets: 16, rxBytes: 120280, txBytes: 1324, rxDropped: 3, txDropped: 7 })
})

t.test('parseLinkCounters refuses what it cannot count, with a CounterError that says why', async t => {
  t.throws(() => parseLinkCounters('not json', 'eth0'), CounterError, 'not JSON')
  t.throws(() => parseLinkCounters('{}', 'eth0'), /not a list/, 'an object, not a list')
  t.throws(() => parseLinkCounters(IP_JSON, 'eth1'), /no link named eth1/, 'another interface')
  const noStats = JSON.stringify([{ ifname: 'eth0' }])
  t.throws(() => parseLinkCounters(noStats, 'eth0'), /no stats64/, 'ip run without -s')
  const bad = JSON.stringify([
    { ifname: 'eth0', stats64: { rx: { packets: -1, bytes: 0, dropped: 0 }, tx: { packets: 0, bytes: 0, dropped: 0 } } },
  ])
  t.throws(() => parseLinkCounters(bad, 'eth0'), /rx\.packets: expected a counter, got -1/, 'a negative counter')
  const str = JSON.stringify([
    { ifname: 'eth0', stats64: { rx: { packets: '5', bytes: 0, dropped: 0 }, tx: { packets: 0, bytes: 0, dropped: 0 } } },
  ])
  t.throws(() => parseLinkCounters(str, 'eth0'), /got "5"/, 'a string where a number belongs')
})

t.test('readLinkCounters reads a real interface (loopback) and its counters only grow', async t => {
  const a = await readLinkCounters({ netns: null, ifname: 'lo' })
  execFileSync('ping', ['-c', '2', '-i', '0.2', '-W', '1', '127.0.0.1'])
  const b = await readLinkCounters({ netns: null, ifname: 'lo' })
  // loopback: every frame sent is received, so both directions moved by at least the 2 echo requests + 2 replies
  t.ok(b.txPackets - a.txPackets >= 4, `lo tx grew by ${b.txPackets - a.txPackets}`)
  t.ok(b.rxPackets - a.rxPackets >= 4, `lo rx grew by ${b.rxPackets - a.rxPackets}`)
  await t.rejects(readLinkCounters({ netns: null, ifname: 'dfe-no-such0' }), CounterError, 'a missing interface is a CounterError')
})

t.test('forwardingRates: offered, delivered, loss and rates of one run', async t => {
  const r = forwardingRates({
    offered: [1000, 3_001_000],
    delivered: [50, 1_500_050],
    seconds: 2,
    frameBytes: 60,
    deliveredBytes: [0, 90_000_000],
  })
  t.equal(r.offered, 3_000_000)
  t.equal(r.delivered, 1_500_000)
  t.equal(r.lost, 1_500_000)
  t.equal(r.lossPct, 50)
  t.equal(r.offeredMpps, 1.5)
  t.equal(r.deliveredMpps, 0.75)
  t.equal(r.deliveredGbps, (1_500_000 * 60 * 8) / 2 / 1e9, 'Gbit/s from frames x frame bytes, without FCS')
  t.equal(r.deliveredBytesPerFrame, 60, "only the generator's frames arrived")
})

t.test('forwardingRates: more delivered than offered (other frames) is no negative loss', async t => {
  const r = forwardingRates({ offered: [0, 10], delivered: [0, 12], seconds: 1, frameBytes: 60 })
  t.equal(r.lost, 0)
  t.equal(r.lossPct, 0)
  t.equal(r.deliveredBytesPerFrame, undefined, 'no byte counters given, no bytes per frame')
  t.equal(
    forwardingRates({ offered: [5, 5], delivered: [5, 5], seconds: 1, frameBytes: 60 }).lossPct,
    0,
    'nothing offered: 0% loss, not NaN',
  )
})

t.test('forwardingRates refuses counters that went backwards and empty runs', async t => {
  t.throws(() => forwardingRates({ offered: [10, 5], delivered: [0, 0], seconds: 1, frameBytes: 60 }), /went backwards/)
  t.throws(() => forwardingRates({ offered: [0, 5], delivered: [9, 0], seconds: 1, frameBytes: 60 }), /went backwards/)
  t.throws(() => forwardingRates({ offered: [0, 5], delivered: [0, 5], seconds: 0, frameBytes: 60 }), /positive/)
  t.throws(
    () => forwardingRates({ offered: [0, 5], delivered: [0, 5], seconds: 1, frameBytes: 60, deliveredBytes: [10, 0] }),
    /byte counter/,
  )
})

t.test('median', async t => {
  t.equal(median([3, 1, 2]), 2)
  t.equal(median([4, 1, 3, 2]), 3, 'upper median of an even count')
  t.ok(Number.isNaN(median([])))
})

// as `ovs-appctl dpif-netdev/pmd-stats-show` printed it for a netdev bridge over veth (OVS 3.1.0)
const PMD_STATS = `main thread:
  packets received: 45325
  packet recirculations: 0
  avg. datapath passes per packet: 1.00
  phwol hits: 0
  mfex opt hits: 0
  simple match hits: 0
  emc hits: 45225
  smc hits: 0
  megaflow hits: 96
  avg. subtable lookups per megaflow hit: 1.00
  miss with success upcall: 4
  miss with failed upcall: 0
  avg. packets per output batch: 15.56
`

t.test('parsePmdStats reads the main thread block of dpif-netdev', async t => {
  t.same(parsePmdStats(PMD_STATS), {
    thread: 'main thread',
    packetsReceived: 45325,
    packetRecirculations: 0,
    emcHits: 45225,
    smcHits: 0,
    megaflowHits: 96,
    upcalls: 4,
    lostUpcalls: 0,
    avgPacketsPerOutputBatch: 15.56,
  })
  const twoThreads = `${PMD_STATS}pmd thread numa_id 0 core_id 1:\n  packets received: 10\n  emc hits: 10\n  avg. packets per output batch: 2.00\n`
  const s = parsePmdStats(twoThreads)
  t.equal(s?.packetsReceived, 45335, 'counters add up over thread blocks')
  t.equal(s?.avgPacketsPerOutputBatch, 15.56, 'averages come from the busiest thread')
  t.equal(parsePmdStats(''), undefined, 'no block, no stats')
  t.equal(parsePmdStats('ovs-appctl: cannot connect'), undefined)
})

t.test('trafgenConfig writes every byte of the frame, in order', async t => {
  const frame = Uint8Array.from({ length: 60 }, (_, i) => (i * 7) & 0xff)
  const conf = trafgenConfig(frame)
  t.match(conf, /^\{\n/)
  t.match(conf, /\n\}\n$/)
  const bytes = [...conf.matchAll(/0x([0-9a-f]{2})/g)].map(m => parseInt(m[1] ?? '', 16))
  t.same(bytes, [...frame])
})
