// What a benchmark module returns, and its markdown rendering.
export interface Section {
  title: string;
  columns: string[];
  rows: string[][];
  notes: string[];
}

export function markdown(s: Section): string {
  const widths = s.columns.map((c, i) => Math.max(c.length, ...s.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  return [
    `### ${s.title}`, '',
    line(s.columns),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...s.rows.map(line),
    '', ...s.notes.map((n) => `- ${n}`), '',
  ].join('\n');
}

export const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '—';
