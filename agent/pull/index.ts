/**
 * pull: a route with `direction: pull` fronts a domestic API for overseas callers. Letting an
 * overseas party query or download PI stored in China is providing it abroad (national rules,
 * Counting; CAC standard-contract filing guide), so the *response* is the transfer: the caller's
 * request goes to the domestic upstream as sent (it carries nothing out of China), and the answer
 * is read whole — in memory up to `limits.memoryBytes`, spooled past it — then parsed, classified,
 * identified, counted and decided exactly like a push body (pipeline.ts `decideBody`), with the
 * caller as the recipient. Only then does a byte of it leave.
 * In: an admitted TransferRequest (`admit`: method and caller checked), the route as decided for
 * that caller. Out: the upstream's status, headers and bytes with the x-xborder-* headers, or the
 * 451 (or failure) problem body in its place.
 * Never: send a response byte before its decision and TRANSFER record; send any byte of a refused
 * response; leave a spool file behind; count anything for a refused response (count's
 * check-and-add refuses without adding, as for a push).
 */
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { DEFAULTS } from '../config/defaults.js';
import { XbError } from '../errors.js';
import type { UpstreamResponse } from '../forward/index.js';
import {
  bodySize,
  decideBody,
  HEADER_DECISION,
  HEADER_TRANSFER_ID,
  outcome,
  refusal,
  round,
  stoppedAfterDecision,
  type PipelineDeps,
  type TransferRequest,
  type TransferResponse,
} from '../pipeline.js';
import type { PolicySnapshot, RouteRuntime } from '../policy/snapshot.js';
import { receiveBody, type ReceivedBody, type SpoolOptions } from '../receive/spool.js';
import type { Body } from '../types.js';
import { identifyCaller } from './callers.js';

/** Methods of a push route (the body goes abroad) and of a pull route (the response does; POST for query APIs). */
const PUSH_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const PULL_METHODS = new Set(['GET', 'HEAD', 'POST']);

/**
 * The route as decided for this request: a push route as it is; a pull route with its caller as
 * the recipient. A method the route's direction does not take is XB_ROUTE_NOT_FOUND (404, as
 * before pull mode); an unknown caller 401, a refused one 403 — all before a transfer id exists.
 */
export function admit(route: RouteRuntime, req: Pick<TransferRequest, 'method' | 'headers' | 'remoteAddress'>): RouteRuntime {
  const pull = route.direction === 'pull' ? route.pull : undefined;
  const methods = pull ? PULL_METHODS : PUSH_METHODS;
  if (!methods.has(req.method))
    throw new XbError('XB_ROUTE_NOT_FOUND', `route ${route.id} is a ${pull ? 'pull' : 'push'} route: use ${[...methods].join(', ')} /${route.id}/{path}`);
  if (!pull) return route;
  const caller = identifyCaller(route.id, pull, req.headers, req.remoteAddress);
  return { ...route, recipient: { name: caller.name, country: caller.country } };
}

/** Forward the caller's request, read the response, decide it, and send it or its refusal. */
export async function pullTransfer(deps: PipelineDeps, req: TransferRequest, transferId: string, snapshot: PolicySnapshot, route: RouteRuntime, target: URL): Promise<TransferResponse> {
  const t0 = performance.now();
  // The caller's key is for xborder; the domestic API has its own authentication, if any.
  const headers: Record<string, string | string[] | undefined> = { ...req.headers, [HEADER_TRANSFER_ID]: transferId };
  if (route.pull) delete headers[route.pull.header];
  // Failures here (502/504) left nothing abroad: a problem body with the id, no evidence record.
  const upstream = await deps.forwarder.forward(target, req.method, headers, req.body.spooled ?? req.body.bytes, {
    settings: route.upstreamSettings,
    clientAddress: req.remoteAddress,
  });
  let file: string | undefined;
  let handedOver = false;
  try {
    const received = await readResponse(upstream, spoolOf(deps), (f) => (file = f));
    const forwardMs = round(performance.now() - t0);
    const body: Body = {
      bytes: received.bytes ?? Buffer.alloc(0),
      contentType: header(upstream, 'content-type'),
      contentEncoding: header(upstream, 'content-encoding'),
      spooled: received.spooled,
    };
    const d = await decideBody(deps, body, transferId, snapshot, route, 'pull');
    d.ms['forward'] = forwardMs;
    const { decision, subjects, failure, line, finish } = d;
    if (decision.kind === 'block') {
      // The upstream's answer is dropped here: the caller gets the refusal in its place.
      finish(line);
      return refusal(transferId, decision, route, subjects, failure);
    }
    const stop = deps.emergency?.();
    if (stop) return await stoppedAfterDecision(deps, d, stop, transferId);

    const size = req.method === 'HEAD' ? 0 : bodySize(body);
    await outcome(deps, transferId, { upstreamStatus: upstream.status, errorCode: undefined, responseBytes: size, attempts: upstream.attempts ?? 1 });
    finish({ ...line, upstreamStatus: upstream.status });
    const sent: Record<string, string | string[]> = { ...upstream.headers, [HEADER_DECISION]: decision.kind, [HEADER_TRANSFER_ID]: transferId };
    // The bytes are all here: their length is known, whatever framing the upstream used.
    if (req.method !== 'HEAD') sent['content-length'] = String(size);
    handedOver = true;
    return { kind: 'upstream', status: upstream.status, headers: sent, body: responseStream(req.method === 'HEAD' ? undefined : received) };
  } finally {
    if (!handedOver && file !== undefined) await rm(file, { force: true }).catch(() => undefined);
  }
}

/** The response body as received: bytes, or a spool file. Over `spoolBytes`, or cut: a failure of the pull. */
async function readResponse(upstream: UpstreamResponse, spool: SpoolOptions, onFile: (file: string) => void): Promise<ReceivedBody> {
  try {
    return await receiveBody(upstream.body, spool, onFile);
  } catch (err) {
    upstream.body.destroy();
    if (err instanceof XbError && err.code === 'XB_BODY_TOO_LARGE')
      throw new XbError('XB_PULL_RESPONSE_TOO_LARGE', `the upstream response exceeds ${spool.spoolBytes} bytes (limits.spoolBytes); nothing of it was sent`, { limitBytes: spool.spoolBytes });
    const name = (err as Error).name ?? '';
    if (/Timeout/.test(name)) throw new XbError('XB_UPSTREAM_TIMEOUT', `the upstream response stalled before its end (${name}); nothing of it was sent`);
    throw new XbError('XB_UPSTREAM_UNREACHABLE', `the upstream response was cut before its end (${(err as NodeJS.ErrnoException).code ?? name}); nothing of it was sent`);
  }
}

/** What the caller is sent: the bytes, or the spool file read back and removed once the response is over (sent or cut). */
function responseStream(received: ReceivedBody | undefined): Readable {
  if (!received) return Readable.from([]);
  if (!received.spooled) return Readable.from(received.bytes.length > 0 ? [received.bytes] : []);
  const { file } = received.spooled;
  const stream = createReadStream(file, { highWaterMark: DEFAULTS.parse.streamChunkBytes });
  stream.once('close', () => void rm(file, { force: true }).catch(() => undefined));
  return stream;
}

/** The data plane's spool settings; without them (a pipeline built by a test), memory only, up to memoryBytes. */
const spoolOf = (deps: PipelineDeps): SpoolOptions =>
  deps.spool ?? { memoryBytes: DEFAULTS.limits.memoryBytes, spoolBytes: DEFAULTS.limits.memoryBytes, dir: tmpdir() };

const header = (res: UpstreamResponse, name: string): string | undefined => {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
};
