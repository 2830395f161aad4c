#!/usr/bin/env node
// Packages build/datapath.wasm as a WebAssembly component (datapath/wit/datapath.wit) and transpiles it to
// JavaScript with jco into build/component/ (used by createDatapath({ backend: 'component' })).
// The core module already has the canonical ABI's shape (cabi_realloc, (ptr, len) lists, result pairs), so the
// component is the same code: AssemblyScript cannot emit kebab-case names, so exports are renamed with
// binaryen.js first. jco's JS API is used, not its CLI (ENVIRONMENT.md: 1.35's `embed --wit` panics).
import binaryen from 'binaryen'
import { componentEmbed, componentNew, transpile } from '@bytecodealliance/jco'
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const CORE = 'build/datapath.wasm'
const WIT = 'datapath/wit/datapath.wit'
const OUT = 'build/component'
/** core export -> WIT name */
const RENAMES = {
  addEntry: 'add-entry',
  removeEntry: 'remove-entry',
  clear: 'clear',
  processBatch: 'process-batch',
  packetIn: 'packet-in',
  counters: 'counters',
  heapTop: 'heap-top',
  conntrackCount: 'conntrack-count',
  conntrackFlush: 'conntrack-flush',
  conntrackSetLimit: 'conntrack-set-limit',
}

const mod = binaryen.readBinary(readFileSync(CORE))
mod.setFeatures(binaryen.Features.All)
for (const [from, to] of Object.entries(RENAMES)) {
  if (from === to) continue
  const info = binaryen.getExportInfo(mod.getExport(from))
  mod.removeExport(from)
  mod.addFunctionExport(info.value, to)
}
const core = mod.emitBinary()
mod.dispose()

const embedded = await componentEmbed({ binary: core, witSource: readFileSync(WIT, 'utf8'), metadata: [] })
const component = await componentNew(embedded, [])
// Written aside and swapped in, so a test running while someone rebuilds never sees a half-written directory.
const staging = `${OUT}.tmp-${process.pid}`
mkdirSync(staging, { recursive: true })
writeFileSync(join(staging, 'datapath.component.wasm'), component)
const { files } = await transpile(component, { name: 'datapath', instantiation: { tag: 'async' } })
for (const [name, bytes] of Object.entries(files)) writeFileSync(join(staging, name), bytes)
rmSync(OUT, { recursive: true, force: true })
renameSync(staging, OUT)
console.log(`build-component: ${OUT}/ (${Object.keys(files).join(', ')})`)
