#!/usr/bin/env node
// Entry point of the `dragonflow` command; the TypeScript sources are compiled to build/ by `npm run build`.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const main = fileURLToPath(new URL('../build/cli/main.js', import.meta.url))
if (!existsSync(main)) {
  console.error('dragonflow: not built yet; run `npm run build` in the repository first')
  process.exit(2)
}
const { run } = await import(main)
process.exitCode = await run(process.argv.slice(2))
