// Every conformance vector through the core WASM module (build/datapath.wasm).
import t from 'tap'
import { runVectors } from './run-vectors.js'

await runVectors(t, 'core')
