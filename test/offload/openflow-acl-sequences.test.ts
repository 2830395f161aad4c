// The security-group edge sequences the OpenFlow replay adds (openflow-acl-sequences.ts), held to the WASM
// datapath first: the datapath is the executable spec, so an expectation it does not meet is the sequence's
// mistake, not the emitter's to follow.
import t from 'tap'
import { createDatapath } from '../../datapath/host/index.js'
import { loadVectors, runVector } from '../conformance/run-vectors.js'
import { aclEdgeSequences } from './openflow-acl-sequences.js'

const dp = await createDatapath({ backend: 'core' })
const { topologies } = loadVectors()
for (const v of aclEdgeSequences()) {
  t.same(runVector(dp, v, topologies), [], `${v.name}: ${v.intent}`)
}
