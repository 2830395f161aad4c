// Finding and reading the build outputs (build/datapath.wasm, build/component/). The host runs both from
// the sources (datapath/host/*.ts under tap) and compiled (build/datapath/host/*.js), so it walks up to the
// directory holding build/. Node's fs is loaded lazily here only: the rest of datapath/ imports nothing
// from Node, and callers that have the bytes (tests, browsers) pass them and never reach this file's fs use.

export async function findBuildFile(relative: string): Promise<string> {
  const { existsSync } = await import('node:fs')
  // path's functions are methods of the posix object: keep them bound
  const path = await import('node:path')
  const { fileURLToPath } = await import('node:url')
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const candidate = path.join(dir, 'build', relative)
    if (existsSync(candidate)) return candidate
    const parent = path.dirname(dir)
    if (parent === dir) throw new Error(`build/${relative} not found: run npm run build:wasm`)
    dir = parent
  }
}

export async function readBuildFile(relative: string): Promise<Uint8Array<ArrayBuffer>> {
  const { readFile } = await import('node:fs/promises')
  return new Uint8Array(await readFile(await findBuildFile(relative)))
}
