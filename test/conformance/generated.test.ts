// The committed vectors and topologies are exactly what generate.ts makes from lib/: nobody edits the JSON by
// hand, and a change to a builder or a vector group is regenerated before it is committed.
import t from 'tap'
import { staleFiles } from './generate.js'

const { stale, vectors } = staleFiles()
t.same(
  stale,
  [],
  `${vectors} vectors and the topologies match their generator ` +
    '(if not: npm run build && node build/test/conformance/generate.js --write)',
)
