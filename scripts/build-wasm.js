#!/usr/bin/env node
// Compiles the AssemblyScript datapath to build/datapath.wasm (core module).
// Flags per ENVIRONMENT.md: stub runtime (no GC on the packet path), SIMD on, no env.abort import.
import asc from 'assemblyscript/asc'
import { mkdirSync } from 'node:fs'

mkdirSync('build', { recursive: true })
const args = [
  'datapath/assembly/index.ts',
  '--outFile',
  'build/datapath.wasm',
  '--textFile',
  'build/datapath.wat',
  '-O3',
  '--runtime',
  'stub',
  '--noAssert',
  '--enable',
  'simd',
  '--use',
  'abort=',
  '--initialMemory',
  '64',
]
const { error, stderr } = await asc.main(args, {})
if (error) {
  process.stderr.write(stderr.toString())
  console.error(`build-wasm: ${error.message}`)
  process.exit(1)
}
console.log('build-wasm: build/datapath.wasm')
