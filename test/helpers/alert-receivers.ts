/**
 * Real HTTP receivers on 127.0.0.1:0 standing in for the alert sinks: a generic JSON webhook, a
 * WeCom group robot, a DingTalk robot and a Feishu bot. Each checks the request the way its robot
 * does — the message shape, and for DingTalk and Feishu the signature, recomputed here with
 * node:crypto independently of agent/alerts — and answers as the robot would (an error code in a
 * 200 answer when the signature fails). `failFirst` answers 503 to the first n requests.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ReceiverKind = 'webhook' | 'wecom' | 'dingtalk' | 'feishu';

export interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: any;
  /** The body has the robot's documented shape. */
  readonly wellFormed: boolean;
  /** DingTalk / Feishu: the signature verified; undefined where there is none to check. */
  readonly verified: boolean | undefined;
  /** Answered as accepted (not a forced failure, not a bad signature). */
  readonly accepted: boolean;
  /** `counter 80`, `expiry 30`, `filing-renewal-window`, …: what the message is about, read from it. */
  readonly label: string;
}

export interface Receiver {
  readonly kind: ReceiverKind;
  readonly url: string;
  readonly requests: Received[];
  accepted(): Received[];
  /** Accepted messages per label. */
  labels(): Record<string, number>;
  close(): Promise<void>;
}

const PATHS: Record<ReceiverKind, string> = {
  webhook: '/hooks/xborder',
  wecom: '/cgi-bin/webhook/send?key=test-wecom-key',
  dingtalk: '/robot/send?access_token=test-ding-token',
  feishu: '/open-apis/bot/v2/hook/test-feishu-hook',
};

export async function startReceiver(kind: ReceiverKind, opts: { secret?: string; failFirst?: number } = {}): Promise<Receiver> {
  const requests: Received[] = [];
  let seen = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = seen++;
      let body: any;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = undefined;
      }
      const path = req.url ?? '';
      const verified = verify(kind, path, body, opts.secret);
      const failing = n < (opts.failFirst ?? 0);
      const accepted = !failing && verified !== false && req.method === 'POST';
      requests.push({ path, headers: req.headers, body, wellFormed: wellFormed(kind, body), verified, accepted, label: labelOf(kind, body) });
      if (failing) {
        res.writeHead(503, { 'content-type': 'text/plain' });
        return res.end('try later');
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer(kind, verified !== false)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const accepted = () => requests.filter((r) => r.accepted);
  return {
    kind,
    url: `http://127.0.0.1:${port}${PATHS[kind]}`,
    requests,
    accepted,
    labels: () => accepted().reduce<Record<string, number>>((m, r) => ({ ...m, [r.label]: (m[r.label] ?? 0) + 1 }), {}),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function answer(kind: ReceiverKind, ok: boolean): unknown {
  switch (kind) {
    case 'webhook':
      return { ok: true };
    case 'wecom':
      return { errcode: 0, errmsg: 'ok' };
    case 'dingtalk':
      return ok ? { errcode: 0, errmsg: 'ok' } : { errcode: 310000, errmsg: 'sign not match' };
    case 'feishu':
      return ok ? { code: 0, msg: 'success', data: {} } : { code: 19021, msg: 'sign match fail or timestamp is not within one hour from current time', data: {} };
  }
}

/**
 * DingTalk: `timestamp` (ms) and `sign` query parameters, sign = base64(HMAC-SHA256(secret,
 * timestamp + "\n" + secret)). Feishu: `timestamp` (s) and `sign` in the body, sign =
 * base64(HMAC-SHA256(key = timestamp + "\n" + secret, "")). Both within an hour.
 */
function verify(kind: ReceiverKind, path: string, body: any, secret: string | undefined): boolean | undefined {
  if (!secret) return undefined;
  if (kind === 'dingtalk') {
    const q = new URL(path, 'http://x').searchParams;
    const ts = q.get('timestamp');
    const sign = q.get('sign');
    if (!ts || !sign || Math.abs(Date.now() - Number(ts)) > 3_600_000) return false;
    return sign === createHmac('sha256', secret).update(`${ts}\n${secret}`).digest('base64');
  }
  if (kind === 'feishu') {
    const ts = body?.timestamp;
    if (typeof ts !== 'string' || typeof body?.sign !== 'string' || Math.abs(Date.now() / 1000 - Number(ts)) > 3600) return false;
    return body.sign === createHmac('sha256', `${ts}\n${secret}`).update('').digest('base64');
  }
  return undefined;
}

function wellFormed(kind: ReceiverKind, body: any): boolean {
  switch (kind) {
    case 'webhook':
      return typeof body?.kind === 'string' && typeof body?.text?.zh === 'string' && typeof body?.text?.en === 'string' && typeof body?.time === 'string' && typeof body?.gatewayId === 'string';
    case 'wecom':
      return body?.msgtype === 'markdown' && typeof body?.markdown?.content === 'string' && Buffer.byteLength(body.markdown.content) <= 4096;
    case 'dingtalk':
      return body?.msgtype === 'markdown' && typeof body?.markdown?.title === 'string' && typeof body?.markdown?.text === 'string';
    case 'feishu':
      return body?.msg_type === 'text' && typeof body?.content?.text === 'string';
  }
}

/** The message's subject, from the webhook's fields or the robot message's title line. */
function labelOf(kind: ReceiverKind, body: any): string {
  if (kind === 'webhook') {
    if (body?.kind === 'counter-level') return `counter ${Math.round(body.level * 100)}`;
    if (body?.kind === 'filing-expiry') return `expiry ${body.level}`;
    return String(body?.kind);
  }
  const text: string = kind === 'wecom' ? body?.markdown?.content : kind === 'dingtalk' ? body?.markdown?.title : body?.content?.text;
  if (typeof text !== 'string') return 'unreadable';
  const counter = /counter alert \((\d+)%\)/.exec(text);
  if (counter) return `counter ${counter[1]}`;
  const expiry = /filing expiry \((\d+) d\)/.exec(text);
  if (expiry) return `expiry ${expiry[1]}`;
  if (text.includes('filing renewal window')) return 'filing-renewal-window';
  if (text.includes('material change')) return 'material-change';
  if (text.includes('/ resumed')) return 'emergency-resume';
  if (text.includes('emergency stop')) return 'emergency-stop';
  if (text.includes('store failure')) return 'store-failure';
  return 'unknown';
}
