#!/usr/bin/env node
// The ceiling for the scheduler's RPC throughput: a bare node:http server that reads each request
// body and answers with the same pre-encoded reply bytes (and the same headers) the scheduler sends.
//
//   node test/bench/_bare-server.mjs <file with the reply bytes> <content type>
//
// Prints {"url": ...} once listening; exits on SIGTERM or when stdin closes.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const bytes = readFileSync(process.argv[2]);
const contentType = process.argv[3] ?? 'application/vnd.apache.thrift.binary';
const server = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    response.writeHead(200, { 'Content-Type': contentType, 'Content-Length': bytes.length });
    response.end(bytes);
  });
});
server.keepAliveTimeout = 5_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}`, pid: process.pid })}\n`);
});
const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
