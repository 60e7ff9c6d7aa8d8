#!/usr/bin/env node
// The ceiling for the scheduler's RPC throughput: a bare node:http server that reads each request
// body and answers with the reply bytes (and the same headers) the scheduler sent for that request.
//
//   node test/bench/_bare-server.mjs <file>
//
// <file> is a JSON list of { request, reply, contentType } (request and reply base64): a request
// whose body is one of the requests is answered with its reply, anything else with 404.
// Prints {"url": ...} once listening; exits on SIGTERM or when stdin closes.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const replies = new Map(
  JSON.parse(readFileSync(process.argv[2], 'utf8')).map((r) => [Buffer.from(r.request, 'base64').toString('latin1'), { bytes: Buffer.from(r.reply, 'base64'), contentType: r.contentType }]),
);
const server = createServer((request, response) => {
  const chunks = [];
  request.on('data', (c) => chunks.push(c));
  request.on('end', () => {
    const reply = replies.get(Buffer.concat(chunks).toString('latin1'));
    if (!reply) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'Content-Type': reply.contentType, 'Content-Length': reply.bytes.length });
    response.end(reply.bytes);
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
