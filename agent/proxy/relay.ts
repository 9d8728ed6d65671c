/**
 * Uninspected proxying: raw TCP tunnels (CONNECT to a passthrough host) and plain HTTP relays
 * (absolute-form requests to a passthrough host; body-less requests such as GET to a routed host).
 * In: a client socket or request and where to. Out: bytes both ways, streamed, never buffered.
 * Never: inspect, record evidence, or run for a host a route must inspect with a body.
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, type Socket } from 'node:net';
import { endToEndHeaders } from '../forward/index.js';

export interface TunnelTarget {
  /** As net.connect takes it: IPv6 without brackets. */
  readonly host: string;
  readonly port: number;
}

/** Open a TCP connection to the target and splice it to the client; `onFail` answers the client if it cannot be reached. */
export function tunnel(client: Socket, head: Buffer, target: TunnelTarget, connectTimeoutMs: number, onFail: (err: NodeJS.ErrnoException) => void): void {
  const upstream = connect({ host: target.host, port: target.port });
  let connected = false;
  upstream.setTimeout(connectTimeoutMs, () => {
    if (!connected) upstream.destroy(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' }));
  });
  upstream.once('connect', () => {
    connected = true;
    upstream.setTimeout(0);
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) upstream.write(head);
    client.pipe(upstream).pipe(client);
  });
  upstream.on('error', (err: NodeJS.ErrnoException) => {
    if (!connected) onFail(err);
    else client.destroy();
  });
  client.on('error', () => upstream.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
}

export interface RelayTls {
  readonly ca?: string | Buffer | undefined;
  readonly cert?: string | Buffer | undefined;
  readonly key?: string | Buffer | undefined;
  readonly servername?: string | undefined;
}

/**
 * Relay one HTTP request to `target` with end-to-end headers only, streaming both bodies.
 * `onFail` answers the client when the upstream cannot be reached before a response began.
 */
export function relay(req: IncomingMessage, res: ServerResponse, target: URL, opts: { readonly tls?: RelayTls | undefined; readonly timeoutMs: number }, onFail: (err: NodeJS.ErrnoException) => void): void {
  const headers = endToEndHeaders(req.headers, true);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const out = send(target, {
    method: req.method,
    headers: { ...headers, host: target.host },
    ...(target.protocol === 'https:' ? { ...opts.tls, servername: opts.tls?.servername ?? (isBracketed(target.hostname) ? undefined : target.hostname) } : {}),
  });
  out.setTimeout(opts.timeoutMs, () => out.destroy(Object.assign(new Error('upstream timed out'), { code: 'ETIMEDOUT' })));
  out.on('response', (up) => {
    res.writeHead(up.statusCode ?? 502, endToEndHeaders(up.headers, true));
    up.pipe(res);
    up.on('error', () => res.destroy());
  });
  out.on('error', (err: NodeJS.ErrnoException) => {
    if (!res.headersSent) onFail(err);
    else res.destroy();
  });
  res.on('close', () => {
    if (!res.writableFinished) out.destroy();
  });
  req.pipe(out);
}

const isBracketed = (h: string): boolean => h.startsWith('[') || /^[0-9.]+$/.test(h);
