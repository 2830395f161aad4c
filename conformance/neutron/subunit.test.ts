// The subunit reader and the failure grouping, against bytes written by python-subunit itself
// (fixtures/three-tests.subunit: one success, one skip with a reason, one setUpClass failure whose traceback
// comes in two chunks, the second longer than a 2-byte varint holds; and a runner attachment with no test).
import { readFileSync } from 'node:fs'
import t from 'tap'
import { parseSubunit } from './subunit.js'
import { extensionsInSkipReasons, failureCause, summarize, testClass } from './summary.js'

const stream = readFileSync(new URL('./fixtures/three-tests.subunit', import.meta.url))

t.test('reads each test once with its last status, times and attachments', async t => {
  const tests = parseSubunit(stream)
  t.same(
    tests.map(x => x.status),
    ['success', 'skip', 'fail'],
  )
  const [ok, skip, fail] = tests
  t.equal(
    ok?.id,
    'neutron_tempest_plugin.api.test_networks.NetworksTestJSON.test_list_networks[id-f7ffdeda-e200-4a7a-bcbe-05716e86bf43,smoke]',
  )
  t.equal(ok?.startedAt?.toISOString(), '2026-12-07T22:00:00.000Z')
  t.equal(ok?.stoppedAt?.toISOString(), '2026-12-07T22:00:02.500Z')
  t.equal(skip?.files.reason, 'trunk extension not enabled.')
  t.match(fail?.files.traceback, /^Traceback \(most recent call last\):\n {2}File "\/x\.py"[\s\S]*null is not a list\.'\}\n {20000}$/)
})

t.test('a stream cut inside a packet or not starting with the signature is refused', async t => {
  t.throws(() => parseSubunit(stream.subarray(0, stream.length - 3)), { name: 'SubunitParseError', message: /bad packet length/ })
  t.throws(() => parseSubunit(Buffer.concat([Buffer.from('time: 2026\n'), stream])), {
    name: 'SubunitParseError',
    message: /no packet signature at byte 0/,
  })
})

t.test('counts and groups failures by the exception line, ids masked', async t => {
  const s = summarize(parseSubunit(stream), 3)
  t.same({ passed: s.passed, failed: s.failed, skipped: s.skipped }, { passed: 1, failed: 1, skipped: 1 })
  t.same(s.skipReasons, { 'trunk extension not enabled.': 1 })
  t.same(
    extensionsInSkipReasons({
      ...s.skipReasons,
      'Skipped because network extension: qos is not enabled': 2,
      'VXLAN type_driver is not enabled': 1,
    }),
    ['qos', 'trunk'],
  )
  t.equal(s.failures.length, 1)
  t.equal(
    s.failures[0]?.cause,
    "tempest.lib.exceptions.BadRequest: Bad request Details: {'type': 'HTTPBadRequest', 'message': 'Router <uuid>: null is not a list.'}",
  )
  t.same(s.failuresByClass, { 'neutron_tempest_plugin.api.test_routers.RoutersTest': 1 })
})

t.test('a Raises mismatch is named by the callable, not by the body it returned', async t => {
  const tb =
    "Traceback (most recent call last):\n  File \"x\"\ntesttools.matchers._impl.MismatchError: <bound method BaseNetworkTest.update_port of <class 'a.B'>> returned {'id': 'x'}\n"
  t.equal(failureCause(tb), 'testtools.matchers._impl.MismatchError: BaseNetworkTest.update_port returned a result instead of raising')
  t.equal(failureCause(''), '(no traceback)')
  t.equal(
    testClass('tearDownClass (neutron_tempest_plugin.api.test_ports.PortsTestJSON)'),
    'neutron_tempest_plugin.api.test_ports.PortsTestJSON',
  )
  t.equal(testClass('a.b.C.test_x[id-1,smoke]'), 'a.b.C')
})
