import { appendFileSync } from 'node:fs';

const file = process.env['RT_TRACE'];
let rows: string[] = [];
export const trace = (record: Record<string, unknown>) => {
  if (!file) return;
  rows.push(JSON.stringify(record));
  if (rows.length >= 50) {
    appendFileSync(file, rows.join('\n') + '\n');
    rows = [];
  }
};
export const tnow = () => performance.timeOrigin + performance.now();
