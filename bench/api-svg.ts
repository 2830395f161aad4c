// The SVG of bench:api: the embedded store's create rate and API CPU per create against the ports already
// stored (one line per quota setting), and creates/s per API process for each multi-process case (one bar per
// process, p95 written above it), so fairness between processes reads at a glance.
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

export interface CurveSeries {
  label: string
  colour: string
  points: { ports: number; createsPerS: number; cpuMsPerCreate: number }[]
}
export interface ProcessBars {
  label: string
  processes: { createsPerS: number; p95Ms: number }[]
}

const W = 900

function niceMax(v: number): number {
  const step = 10 ** Math.floor(Math.log10(Math.max(1e-9, v)))
  return Math.ceil(v / step) * step
}

function linePanel(o: {
  top: number
  title: string
  yLabel: string
  series: CurveSeries[]
  value: (p: CurveSeries['points'][number]) => number
}): string[] {
  const left = 70,
    plotW = W - left - 30,
    plotH = 200,
    top = o.top + 30
  const all = o.series.flatMap(s => s.points)
  const xMax = niceMax(Math.max(1, ...all.map(p => p.ports)))
  const yMax = niceMax(Math.max(1e-6, ...all.map(o.value)))
  const x = (v: number): number => left + (v / xMax) * plotW
  const y = (v: number): number => top + plotH - (v / yMax) * plotH
  const out = [`<text x="${W / 2}" y="${o.top + 16}" text-anchor="middle" font-size="13" font-weight="bold">${esc(o.title)}</text>`]
  for (let i = 0; i <= 5; i++) {
    const v = (yMax * i) / 5
    out.push(`<line x1="${left}" x2="${left + plotW}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`)
    out.push(`<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${Number(v.toPrecision(3))}</text>`)
    const xv = (xMax * i) / 5
    out.push(`<text x="${x(xv).toFixed(1)}" y="${top + plotH + 16}" text-anchor="middle">${Number(xv.toPrecision(3))}</text>`)
  }
  out.push(
    `<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="black"/><line x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="black"/>`,
  )
  out.push(`<text transform="translate(16 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`)
  out.push(`<text x="${left + plotW / 2}" y="${top + plotH + 32}" text-anchor="middle">ports in the store</text>`)
  o.series.forEach((s, i) => {
    const pts = s.points.map(p => `${x(p.ports).toFixed(1)},${y(o.value(p)).toFixed(1)}`).join(' ')
    out.push(`<polyline points="${pts}" fill="none" stroke="${s.colour}" stroke-width="2"/>`)
    for (const p of s.points)
      out.push(
        `<circle cx="${x(p.ports).toFixed(1)}" cy="${y(o.value(p)).toFixed(1)}" r="3" fill="${s.colour}"><title>${p.ports} ports: ${o.value(p)}</title></circle>`,
      )
    out.push(
      `<rect x="${left + 10 + i * 260}" y="${top + 4}" width="10" height="10" fill="${s.colour}"/><text x="${left + 24 + i * 260}" y="${top + 13}">${esc(s.label)}</text>`,
    )
  })
  return out
}

function barPanel(top: number, cases: ProcessBars[]): string[] {
  const left = 70,
    plotH = 200,
    plotTop = top + 30
  const groupW = (W - left - 30) / Math.max(1, cases.length)
  const yMax = niceMax(Math.max(1, ...cases.flatMap(c => c.processes.map(p => p.createsPerS))))
  const y = (v: number): number => plotTop + plotH - (v / yMax) * plotH
  const colours = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728']
  const out = [
    `<text x="${W / 2}" y="${top + 16}" text-anchor="middle" font-size="13" font-weight="bold">Port creates/s per API process (p95 ms above each bar)</text>`,
  ]
  for (let i = 0; i <= 5; i++) {
    const v = (yMax * i) / 5
    out.push(
      `<line x1="${left}" x2="${W - 30}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/><text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${Number(v.toPrecision(3))}</text>`,
    )
  }
  out.push(
    `<line x1="${left}" x2="${left}" y1="${plotTop}" y2="${plotTop + plotH}" stroke="black"/><line x1="${left}" x2="${W - 30}" y1="${plotTop + plotH}" y2="${plotTop + plotH}" stroke="black"/>`,
  )
  cases.forEach((c, gi) => {
    const barW = (groupW - 30) / Math.max(1, c.processes.length)
    c.processes.forEach((p, pi) => {
      const bx = left + gi * groupW + 15 + pi * barW
      out.push(
        `<rect x="${bx.toFixed(1)}" y="${y(p.createsPerS).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(plotTop + plotH - y(p.createsPerS)).toFixed(1)}" fill="${colours[pi % colours.length] as string}"><title>process ${pi}: ${p.createsPerS} creates/s, p95 ${p.p95Ms} ms</title></rect>`,
      )
      out.push(
        `<text x="${(bx + barW / 2).toFixed(1)}" y="${(y(p.createsPerS) - 3).toFixed(1)}" text-anchor="middle" font-size="9">${Math.round(p.p95Ms)}</text>`,
      )
    })
    out.push(
      `<text x="${(left + gi * groupW + groupW / 2).toFixed(1)}" y="${plotTop + plotH + 16}" text-anchor="middle">${esc(c.label)}</text>`,
    )
  })
  return out
}

export function apiSvg(o: { subtitle: string; curve: CurveSeries[]; multi: ProcessBars[] }): string {
  const height = 3 * 270 + 60
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect x="0" y="0" width="${W}" height="${height}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">bench:api</text>`,
    `<text x="${W / 2}" y="38" text-anchor="middle">${esc(o.subtitle)}</text>`,
    ...linePanel({
      top: 50,
      title: 'Embedded store: port creates/s by ports already stored',
      yLabel: 'creates/s',
      series: o.curve,
      value: p => p.createsPerS,
    }),
    ...linePanel({
      top: 320,
      title: 'Embedded store: API process CPU per create',
      yLabel: 'CPU ms per create',
      series: o.curve,
      value: p => p.cpuMsPerCreate,
    }),
    ...barPanel(590, o.multi),
    '</svg>',
  ]
  return out.join('\n') + '\n'
}
