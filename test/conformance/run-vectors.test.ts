// The runner itself can fail: a sequence is replayed on one datapath (a step depends on the steps before it),
// its clock reaches the datapath, step-level entry changes are applied, and consumers that cannot replay
// sequences are told how many they skip. Vectors are taken from the committed files and altered here.
import t from 'tap'
import { createDatapath } from '../../datapath/host/index.js'
import { loadVectors, packetVectors, runVector } from './run-vectors.js'
import { isSequence, type PacketVector, type SequenceVector } from './vector-format.js'

const dp = await createDatapath({ backend: 'core' })
const { files, topologies } = loadVectors()
const all = files.flatMap(f => f.vectors)
const sequenceNamed = (name: string): SequenceVector => {
  const v = all.find(v => v.name === name)
  if (!v || !isSequence(v)) throw new Error(`no sequence ${name}`)
  return JSON.parse(JSON.stringify(v)) as SequenceVector
}

t.test('a step depends on the steps before it', async t => {
  const v = sequenceNamed('ct/udp-reply-without-ingress-rule/batch')
  t.same(runVector(dp, v, topologies), [], 'the sequence passes')
  const reply = v.steps[1]
  if (!reply) throw new Error('the sequence has a reply step')
  const alone: PacketVector = {
    name: 'reply alone',
    intent: '',
    stage: v.stage,
    topology: v.topology,
    mode: 'batch',
    input: reply.input,
    expect: reply.expect,
  }
  const problems = runVector(dp, alone, topologies)
  t.match(
    problems.join(' '),
    /expected output\/none .*got drop\/acl_deny/,
    'the reply alone is a new connection (and clear() forgot the earlier run)',
  )
})

t.test('the clock reaches the datapath', async t => {
  const v = sequenceNamed('ct/udp-first-expires')
  t.same(runVector(dp, v, topologies), [], 'the sequence passes')
  for (const s of v.steps) s.now_ms = 1000
  t.match(
    runVector(dp, v, topologies).join(' '),
    /^step 2\/2 \(reply 60\.5 s later\): expected drop\/acl_deny/,
    'with the clock frozen the reply passes: the failure names the step',
  )
})

t.test('entries change before the step that carries them', async t => {
  const v = sequenceNamed('sg-change/member-leaves-and-returns')
  for (const s of v.steps) {
    delete s.entries
    delete s.remove
  }
  t.match(runVector(dp, v, topologies).join(' '), /step 3\/6 .*expected drop\/acl_deny/, 'without the removal the member is still allowed')
})

t.test('ct_limit reaches the connection table', async t => {
  const v = sequenceNamed('ct/table-full')
  t.same(runVector(dp, v, topologies), [], 'the sequence passes')
  delete v.ct_limit
  t.match(runVector(dp, v, topologies).join(' '), /step 3\/7 .*expected drop\/ct_full/, 'without the limit the third connection fits')
  const after = sequenceNamed('ct/udp-reply-without-ingress-rule/batch')
  t.same(runVector(dp, after, topologies), [], 'the limit does not outlive its vector')
})

t.test('consumers that only replay packets are told what they skip', async t => {
  const { vectors, skippedSequences } = packetVectors(files)
  t.equal(skippedSequences, all.filter(isSequence).length)
  t.ok(skippedSequences > 0, 'there are sequences to skip')
  t.equal(vectors.length + skippedSequences, all.length)
  t.ok(
    vectors.every(v => !isSequence(v) && typeof v.input.hex === 'string'),
    'only packet vectors, each with an input',
  )
})
