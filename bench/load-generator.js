// A load generator as a process of its own, as pgbench is for the database anchor (decision 0110): CONNECTIONS
// keep-alive connections to URL, each sending the next GET as soon as the answer before it has arrived, for
// SECONDS. It reads of each answer only what it needs to count it and find the next one (the status, the
// header block's end, Content-Length) with Buffer searches, where autocannon parses every header line in
// JavaScript (http-parser-js) and so spent about as much CPU on an answer as the server did making it.
// Prints one JSON line: answers completed (2xx and others), errors, the rate, and its own CPU.
import { Buffer } from 'node:buffer';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { setTimeout } from 'node:timers';
import { URL } from 'node:url';

const url = new URL(process.env['URL'] ?? '');
const connections = Number(process.env['CONNECTIONS'] ?? 64);
const seconds = Number(process.env['SECONDS'] ?? 5);
/** @type {Record<string, string>} */
const headers = JSON.parse(process.env['HEADERS'] ?? '{}');

// The request autocannon sends: the same bytes reach the server.
const request = Buffer.from(
  [`GET ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`, 'Connection: keep-alive', ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)].join('\r\n') + '\r\n\r\n',
);
const headerEnd = Buffer.from('\r\n\r\n');
const lengthNames = [Buffer.from('\r\ncontent-length:'), Buffer.from('\r\nContent-Length:')];

const counts = { ok: 0, notOk: 0, errors: 0 };
let running = true;

/**
 * The Content-Length of the header block `buffer[0, end)`; -1 when it has none (chunked: not read here).
 * @param {Buffer} buffer
 * @param {number} end
 */
function contentLengthOf(buffer, end) {
  for (const name of lengthNames) {
    const at = buffer.indexOf(name);
    if (at !== -1 && at < end) {
      let value = 0;
      let index = at + name.length;
      while (buffer[index] === 0x20) index++;
      for (let digit = buffer[index]; digit !== undefined && digit >= 0x30 && digit <= 0x39; digit = buffer[++index]) value = value * 10 + digit - 0x30;
      return value;
    }
  }
  return -1;
}

function openConnection() {
  const socket = connect({ host: url.hostname, port: Number(url.port), noDelay: true });
  /** @type {Buffer | null} */
  let pending = null;
  socket.on('connect', () => socket.write(request));
  socket.on('data', (chunk) => {
    let buffer = pending === null ? chunk : Buffer.concat([pending, chunk]);
    for (;;) {
      const end = buffer.indexOf(headerEnd);
      if (end === -1) break;
      const length = contentLengthOf(buffer, end);
      if (length === -1) {
        counts.errors++;
        socket.destroy();
        return;
      }
      const size = end + headerEnd.length + length;
      if (buffer.length < size) break;
      // "HTTP/1.1 200": the status's first digit.
      if (running) {
        if (buffer[9] === 0x32) counts.ok++;
        else counts.notOk++;
        socket.write(request);
      }
      buffer = buffer.subarray(size);
    }
    pending = buffer.length === 0 ? null : buffer;
    if (!running) socket.destroy();
  });
  socket.on('error', () => {
    counts.errors++;
  });
}

for (let index = 0; index < connections; index++) openConnection();
const cpuBefore = process.cpuUsage();
const startedAt = performance.now();
setTimeout(() => {
  running = false;
  const elapsed = (performance.now() - startedAt) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const requests = counts.ok + counts.notOk;
  process.stdout.write(
    `${JSON.stringify({ requests, non2xx: counts.notOk, errors: counts.errors, seconds: elapsed, rate: requests / elapsed, generatorCpuMs: (cpu.user + cpu.system) / 1000 })}\n`,
    () => process.exit(0),
  );
}, seconds * 1000);
