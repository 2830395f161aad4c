// Every conformance vector through the WebAssembly component (the jco-transpiled build/component/).
import t from 'tap'
import { runVectors } from './run-vectors.js'

await runVectors(t, 'component')
