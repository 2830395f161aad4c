// A private 3-member etcd cluster on loopback for bench:api (each member its own data dir and ports), so that
// several API processes can be measured against a replicated etcd as well as a single member.
//
//   const cluster = await startEtcdCluster(3)     // cluster.endpoints: the client URLs of every member
//   await cluster.dispose()                       // SIGTERM every member, remove the data dirs
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs'
import { get } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../test/helpers/servers.js'

export interface EtcdCluster {
  endpoints: string[]
  dir: string
  dispose(): Promise<void>
}

function healthy(url: string): Promise<boolean> {
  return new Promise(resolve => {
    const req = get(`${url}/health`, { agent: false, timeout: 1_000 }, res => {
      let body = ''
      res.on('data', (d: Buffer) => {
        body += d.toString()
      })
      res.on('end', () => resolve(res.statusCode === 200 && body.includes('"health":"true"')))
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(false))
  })
}

export async function startEtcdCluster(size = 3): Promise<EtcdCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'df-etcd-cluster-'))
  const members = []
  for (let i = 0; i < size; i++)
    members.push({ name: `m${i}`, client: `http://127.0.0.1:${await freePort()}`, peer: `http://127.0.0.1:${await freePort()}` })
  const initial = members.map(m => `${m.name}=${m.peer}`).join(',')
  const children: ChildProcess[] = members.map(m => {
    const log = openSync(join(dir, `${m.name}.log`), 'a')
    const child = spawn(
      'etcd',
      [
        '--name',
        m.name,
        '--data-dir',
        join(dir, m.name),
        '--logger=zap',
        '--log-level',
        'warn',
        '--listen-client-urls',
        m.client,
        '--advertise-client-urls',
        m.client,
        '--listen-peer-urls',
        m.peer,
        '--initial-advertise-peer-urls',
        m.peer,
        '--initial-cluster',
        initial,
        '--initial-cluster-state',
        'new',
        '--initial-cluster-token',
        'df-bench',
      ],
      { stdio: ['ignore', log, log] },
    )
    closeSync(log)
    return child
  })
  const dispose = async (): Promise<void> => {
    await Promise.all(
      children.map(
        c =>
          new Promise<void>(resolve => {
            if (c.exitCode !== null || c.signalCode !== null) {
              resolve()
              return
            }
            const timer = setTimeout(() => c.kill('SIGKILL'), 5_000)
            c.once('exit', () => {
              clearTimeout(timer)
              resolve()
            })
            c.kill('SIGTERM')
          }),
      ),
    )
    rmSync(dir, { recursive: true, force: true })
  }
  const deadline = Date.now() + 30_000
  for (;;) {
    if ((await Promise.all(members.map(m => healthy(m.client)))).every(Boolean)) break
    if (Date.now() > deadline || children.some(c => c.exitCode !== null)) {
      await dispose()
      throw new Error(`etcd cluster of ${size} did not become healthy (logs were in ${dir})`)
    }
    await new Promise(r => setTimeout(r, 200))
  }
  return { endpoints: members.map(m => m.client), dir, dispose }
}
