// Needs root: the OVS forwarding bench end to end, short (one run of about a second per case), so that it cannot
// silently break: a private OVS with the agent's flows, two paths (switched, routed) and three NAT paths (floating
// IP in and out, SNAT with port translation) to an outside host on br-ex, trafgen frames counted at both workloads, iperf3 TCP, the WASM pipeline checked on the same frames. Asserts counts, never speeds.
import { execFileSync } from 'node:child_process'
import t from 'tap'
import { needRoot } from '../helpers/requirements.js'
import { measureOvsForwarding } from '../../bench/ovs-forwarding.js'

const skip = needRoot('private OVS and workloads in network namespaces')

t.test('bench:ovs measures frames through br-int and cleans up after itself', { skip }, async t => {
  const lines: string[] = []
  const r = await measureOvsForwarding({
    runs: 1,
    seconds: 1,
    sizes: [60],
    tcp: true,
    search: { steps: 0, seconds: 1, lossPct: 0.1 },
    wasmSeconds: 0.05,
    log: l => {
      lines.push(l)
    },
  })
  t.equal(r.measured, true)
  t.equal(r.profile, 'ovs-userspace', 'the profile the agent ran with, which bench:offload matches on')
  t.ok(r.flowsOnBrInt > 0, `the agent installed ${r.flowsOnBrInt} flows`)
  t.same(
    r.cases.map(c => c.name).sort(),
    ['fip-dnat-64B', 'fip-snat-64B', 'l2-64B', 'normal-64B', 'routed-64B', 'snat-pt-64B'],
    "the agent's two paths, the three NAT paths and the NORMAL baseline",
  )
  for (const c of r.cases) {
    const run = c.runs[0]
    if (run === undefined) {
      t.fail(`${c.name}: no run`)
      continue
    }
    t.ok(run.offered > 0, `${c.name}: trafgen offered ${run.offered} frames`)
    t.ok(run.delivered > 0, `${c.name}: ${run.delivered} frames delivered to the receiver`)
    t.ok(run.delivered <= run.offered, `${c.name}: delivered (${run.delivered}) <= offered (${run.offered})`)
    // a handful of other frames (the receiver's own ARP traffic) may arrive too: within 1% of 60 bytes per frame
    const bpf = run.deliveredBytesPerFrame ?? 0
    t.ok(Math.abs(bpf - 60) < 0.6, `${c.name}: what arrived were the 60-byte frames sent (${bpf.toFixed(3)} bytes per frame)`)
    t.ok(
      run.ovsReceived !== undefined && run.ovsReceived >= run.delivered && run.ovsReceived <= run.offered,
      `${c.name}: dpif-netdev received ${String(run.ovsReceived)}, between delivered and offered`,
    )
    if (c.path === 'normal') {
      t.equal(c.wasm, undefined, 'the baseline runs no pipeline of ours: no WASM figure')
      continue
    }
    const nat = c.path === 'fip-dnat' || c.path === 'fip-snat' || c.path === 'snat-pt'
    if (nat) {
      // measured only after one frame arrived translated (tcpdump at the receiver), and so in WASM
      t.match(
        c.captured ?? '',
        /\d+\.\d+\.\d+\.\d+:\d+ -> \d+\.\d+\.\d+\.\d+:\d+/,
        `${c.name}: a frame arrived translated (${String(c.captured)})`,
      )
      t.ok(c.wasm?.translated !== undefined, `${c.name}: the WASM verdict carries the translated addresses (${String(c.wasm?.translated)})`)
    }
    // measureOvsForwarding throws when the WASM verdict does not reach the receiver; towards the outside host (not a
    // port) it is a flood on the external network, whose only exit here is the patch port to br-ex
    t.match(
      c.wasm?.verdict ?? '',
      nat ? /^(output:\d+|flood:.*)$/ : /^output:\d+$/,
      `${c.name}: the WASM pipeline sends the frame to the receiver (${String(c.wasm?.verdict)})`,
    )
    t.ok((c.wasm?.medianMpps ?? 0) > 0, `${c.name}: a WASM rate was measured`)
  }
  t.equal(r.headline?.case, 'l2-64B', 'the 64-byte switched case is the headline bench:offload shows')
  t.same(
    r.tcp.map(x => x.name),
    ['l2-tcp', 'routed-tcp', 'normal-tcp'],
  )
  for (const x of r.tcp) t.ok((x.runsGbps[0] ?? 0) > 0, `${x.name}: iperf3 moved data`)
  t.ok(
    lines.some(l => /run 1\/1: offered/.test(l)),
    'progress lines were printed',
  )
  const tag = process.pid.toString(36)
  const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .filter(l => l.startsWith(`dfo${tag}`) || l.startsWith(`dfob${tag}`))
  t.same(left, [], 'no namespace of the bench is left')
})
