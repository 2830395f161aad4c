// A real DHCP client for workloads: busybox udhcpc with our own script (the default one would rewrite the host's
// /etc/resolv.conf: a namespace shares /etc). The script applies the lease inside the namespace (the IPv4 address,
// the MTU, the default route; IPv6 addresses are left alone) and prints it; leaseIn() returns what was leased.
import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { inNs, until } from './serve-node.js'

export interface Lease {
  ip: string
  mask: string
  router: string
  mtu: string
}

/** Writes the script into `dir`; returns its path. */
export function writeUdhcpcScript(dir: string): string {
  const script = join(dir, 'udhcpc.sh')
  writeFileSync(
    script,
    [
      '#!/bin/sh',
      'case "$1" in bound|renew)',
      '  ip -4 addr flush dev "$interface"; ip addr add "$ip/${mask:-24}" dev "$interface"',
      '  [ -n "$mtu" ] && ip link set dev "$interface" mtu "$mtu"',
      '  for r in $router; do ip route replace default via "$r" dev "$interface"; break; done',
      '  echo "LEASE ip=$ip mask=$mask router=$router mtu=$mtu" ;;',
      'esac',
      'exit 0',
      '',
    ].join('\n'),
  )
  chmodSync(script, 0o755)
  return script
}

/** Runs udhcpc in `ns` (a few tries of 5 DISCOVERs each) until it binds; the lease it applied. */
export async function leaseIn(ns: string, script: string, opts: { ifname?: string; timeoutMs?: number } = {}): Promise<Lease> {
  const line = await until(
    `a DHCP lease in ${ns}`,
    async () => {
      const d = await inNs(ns, 'busybox', 'udhcpc', '-i', opts.ifname ?? 'eth0', '-f', '-q', '-n', '-t', '5', '-T', '1', '-s', script)
      return /LEASE (.*)/.exec(d.stdout)?.[1]
    },
    opts.timeoutMs ?? 60_000,
    500,
  )
  const field = (name: string): string => new RegExp(`${name}=(\\S*)`).exec(line)?.[1] ?? ''
  return { ip: field('ip'), mask: field('mask'), router: field('router'), mtu: field('mtu') }
}
