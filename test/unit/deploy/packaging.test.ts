/**
 * deploy/ packaging lint (issue 11; `npm run lint:deploy`). No Docker engine or cluster here, so:
 * - Kubernetes manifests: every object validated against the Kubernetes OpenAPI schemas shipped by
 *   `kubernetes-models` (and the Prometheus Operator's for the ServiceMonitor), then the rules the
 *   issue asks (3 replicas, probes, resources, security context, placeholders-only Secret, only the
 *   gateway reaches outside) checked on the parsed objects; the config inside loads as xborder's.
 * - Dockerfile: parsed into instructions and checked structurally (multi-stage, node:22-slim,
 *   numeric non-root USER, HEALTHCHECK on the admin plane's /healthz, every COPY source exists).
 * - compose.yaml: Redis with AOF everysec, the gateway read-only with its volumes, config and secrets.
 * - systemd unit: `systemd-analyze verify` when it is on PATH (Debian's systemd), plus the hardening keys.
 * Each check is shown to fail on a broken copy, so a green run means something.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../../agent/config/load.js';
import { REPO } from '../../helpers/gateway.js';

const DEPLOY = join(REPO, 'deploy');
const K8S = join(DEPLOY, 'kubernetes');
const tmp = mkdtempSync(join(tmpdir(), 'xb-deploy-lint-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: any };

/** The manifests applied by kustomization.yaml, plus the Secret of placeholders. */
const MANIFESTS = ['namespace.yaml', 'configmap.yaml', 'secret.yaml', 'statefulset.yaml', 'service.yaml', 'pdb.yaml', 'hpa.yaml', 'servicemonitor.yaml', 'networkpolicy.yaml'];
const objects: Obj[] = MANIFESTS.flatMap((f) =>
  parseAllDocuments(readFileSync(join(K8S, f), 'utf8')).map((d) => {
    if (d.errors.length > 0) throw new Error(`${f}: ${d.errors[0]?.message}`);
    return d.toJS() as Obj;
  }),
);
const one = (kind: string, name?: string): Obj => {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  expect(found, `${kind} ${name ?? ''}`).toHaveLength(1);
  return found[0] as Obj;
};

/** The kubernetes-models class for an object (apps/v1 StatefulSet → kubernetes-models/apps/v1/StatefulSet). */
async function model(o: Obj): Promise<new (data: unknown) => { validate(): void }> {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  const path =
    group === 'monitoring.coreos.com'
      ? `@kubernetes-models/prometheus-operator/${group}/${version}/${o.kind}`
      : `kubernetes-models/${group ? `${group}/` : ''}${version}/${o.kind}`;
  const mod = (await import(path)) as Record<string, new (data: unknown) => { validate(): void }>;
  const cls = mod[o.kind];
  if (!cls) throw new Error(`no schema for ${o.apiVersion} ${o.kind}`);
  return cls;
}
const schemaErrors = async (o: Obj): Promise<string | undefined> => {
  const Cls = await model(o);
  try {
    new Cls(o).validate();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
};

describe('Kubernetes manifests', () => {
  it('validate against the Kubernetes (and Prometheus Operator) schemas, every object', async () => {
    expect(objects.length).toBeGreaterThanOrEqual(13);
    for (const o of objects) expect(await schemaErrors(o), `${o.kind} ${o.metadata.name}`).toBeUndefined();
    // The validator does fail: a wrong type and a missing required field.
    const sts = structuredClone(one('StatefulSet'));
    sts['spec'].replicas = 'three';
    expect(await schemaErrors(sts)).toMatch(/replicas/);
    const svc = structuredClone(one('Service', 'xborder'));
    delete svc['spec'].ports[0].port;
    expect(await schemaErrors(svc)).toMatch(/port/);
  });

  it('run 3 gateway replicas, probed on /healthz and /readyz, with resources and a locked-down security context', () => {
    const sts = one('StatefulSet', 'xborder');
    expect(sts['spec'].replicas).toBe(3);
    const pod = sts['spec'].template.spec;
    const [c] = pod.containers;
    expect(c.livenessProbe.httpGet).toMatchObject({ path: '/healthz', port: 'admin' });
    expect(c.startupProbe.httpGet).toMatchObject({ path: '/healthz', port: 'admin' });
    expect(c.readinessProbe.httpGet).toMatchObject({ path: '/readyz', port: 'admin' });
    expect(c.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(c.resources.limits.memory).toEqual(expect.any(String));
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(pod.automountServiceAccountToken).toBe(false);
    // Each replica its own evidence volume, kept when scaled down or deleted.
    expect(sts['spec'].volumeClaimTemplates.map((v: Obj) => v.metadata.name)).toEqual(['data']);
    expect(c.volumeMounts.find((m: any) => m.name === 'data').mountPath).toBe('/var/lib/xborder');
    expect(sts['spec'].persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    // Every volume mounted is declared (or a claim template), and the ConfigMaps and Secret exist.
    const declared = new Set([...pod.volumes.map((v: any) => v.name), 'data']);
    for (const m of c.volumeMounts) expect(declared.has(m.name), m.name).toBe(true);
    expect(pod.volumes.find((v: any) => v.name === 'config').configMap.name).toBe(one('ConfigMap').metadata.name);
    expect(pod.volumes.find((v: any) => v.name === 'secrets').secret.secretName).toBe(one('Secret').metadata.name);
    expect(pod.volumes.find((v: any) => v.name === 'policy').configMap.name).toBe('xborder-policy');
  });

  it('select the gateway pods with the Services, PDB, HPA and ServiceMonitor', () => {
    const sts = one('StatefulSet', 'xborder');
    const labels = sts['spec'].template.metadata.labels as Record<string, string>;
    const matches = (selector: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
    expect(matches(sts['spec'].selector.matchLabels)).toBe(true);
    for (const s of objects.filter((o) => o.kind === 'Service')) expect(matches(s['spec'].selector), s.metadata.name).toBe(true);
    expect(one('Service', 'xborder-headless')['spec'].clusterIP).toBe('None');
    expect(sts['spec'].serviceName).toBe('xborder-headless');
    expect(matches(one('PodDisruptionBudget')['spec'].selector.matchLabels)).toBe(true);
    expect(one('HorizontalPodAutoscaler')['spec'].scaleTargetRef).toMatchObject({ kind: 'StatefulSet', name: 'xborder' });
    expect(one('HorizontalPodAutoscaler')['spec'].minReplicas).toBe(3);
    const monitor = one('ServiceMonitor');
    const admin = one('Service', 'xborder-admin');
    expect(Object.entries(monitor['spec'].selector.matchLabels).every(([k, v]) => admin.metadata.labels?.[k] === v)).toBe(true);
    expect(admin['spec'].ports.map((p: any) => p.name)).toContain(monitor['spec'].endpoints[0].port);
    expect(monitor['spec'].endpoints[0].authorization.credentials).toEqual({ name: 'xborder-secrets', key: 'admin-token' });
  });

  it('let only the gateway reach outside: a default deny, and the one egress to 0.0.0.0/0 on the gateway', () => {
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
    const deny = policies.find((p) => Object.keys(p['spec'].podSelector).length === 0);
    expect(deny?.['spec']).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const outside = policies.filter((p) => (p['spec'].egress ?? []).some((e: any) => (e.to ?? []).some((t: any) => t.ipBlock?.cidr === '0.0.0.0/0')));
    expect(outside.map((p) => p['spec'].podSelector.matchLabels)).toEqual([{ 'app.kubernetes.io/name': 'xborder', 'app.kubernetes.io/component': 'gateway' }]);
    // Redis may talk to Redis and DNS only.
    const redis = policies.find((p) => p['spec'].podSelector.matchLabels?.['app.kubernetes.io/name'] === 'redis');
    expect(redis?.['spec'].egress.flatMap((e: any) => e.to.map((t: any) => t.ipBlock ?? null))).toEqual([null, null]);
  });

  it('hold placeholders only in the Secret, one per secret the config names', () => {
    const secret = one('Secret');
    expect(Object.keys(secret['stringData']).sort()).toEqual(['admin-token', 'hmac-key', 'redis-password', 'signing-key']);
    for (const v of Object.values(secret['stringData'])) expect(v).toBe('REPLACE-ME');
    const config = parse(one('ConfigMap')['data']['xborder.yaml']) as Record<string, any>;
    const files = [config['identity'].key.file, config['admin'].token.file, config['evidence'].signingKey.file, config['store'].password.file];
    expect(files.map((f: string) => f.replace('/etc/xborder/secrets/', '')).sort()).toEqual(Object.keys(secret['stringData']).sort());
  });

  it("carry an xborder.yaml the gateway's config loader accepts: Redis via Sentinel, state under the volume, no fixed gateway id", () => {
    const file = join(tmp, 'k8s.yaml');
    writeFileSync(file, one('ConfigMap')['data']['xborder.yaml']);
    const { config } = loadConfig(file);
    expect(config.store).toMatchObject({ kind: 'redis', sentinel: { name: 'xbmaster' } });
    expect(config.dataDir).toBe('/var/lib/xborder');
    expect(config.evidence.dir.startsWith('/var/lib/xborder/')).toBe(true);
    expect(parse(one('ConfigMap')['data']['xborder.yaml'])['gatewayId']).toBeUndefined();
  });

  it('apply every manifest but the placeholder Secret through kustomization.yaml', () => {
    const k = parse(readFileSync(join(K8S, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    expect(k.resources.sort()).toEqual(MANIFESTS.filter((f) => f !== 'secret.yaml').sort());
    const all = readdirSync(K8S).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml' && f !== 'redis-values.yaml');
    expect(all.sort()).toEqual([...MANIFESTS].sort());
  });

  it('generate the policy ConfigMap from the packs: valid, every pack, under the 1 MiB object limit', async () => {
    const { policyConfigMap } = (await import(join(K8S, 'policy-configmap.mjs'))) as { policyConfigMap(dir: string): Obj };
    const packs = join(REPO, 'policy', 'packs');
    const cm = policyConfigMap(packs);
    expect(await schemaErrors(cm)).toBeUndefined();
    expect(Object.keys(cm['data']).sort()).toEqual(readdirSync(packs).filter((f) => f.endsWith('.yaml')).sort());
    expect(Buffer.byteLength(JSON.stringify(cm))).toBeLessThan(1024 * 1024);
  });

  it('ask the Redis chart for AOF with fsync every second, Sentinel, and no eviction', () => {
    const values = parse(readFileSync(join(K8S, 'redis-values.yaml'), 'utf8')) as Record<string, any>;
    expect(values['architecture']).toBe('replication');
    expect(values['sentinel']).toMatchObject({ enabled: true, masterSet: 'xbmaster' });
    expect(values['commonConfiguration']).toMatch(/^appendonly yes$/m);
    expect(values['commonConfiguration']).toMatch(/^appendfsync everysec$/m);
    expect(values['commonConfiguration']).toMatch(/^maxmemory-policy noeviction$/m);
    expect(values['replica'].persistence.enabled).toBe(true);
  });
});

interface Instruction {
  readonly op: string;
  readonly args: string;
}

/** Dockerfile instructions, comments dropped and continuation lines joined. */
export function dockerInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && pending === '')) continue;
    pending += (pending ? ' ' : '') + line.replace(/\\$/, '').trim();
    if (line.endsWith('\\')) continue;
    const m = /^(\w+)\s+(.*)$/.exec(pending);
    if (m) out.push({ op: (m[1] as string).toUpperCase(), args: m[2] as string });
    pending = '';
  }
  return out;
}

/** What the issue asks of the image; [] when all hold. */
export function dockerProblems(text: string): string[] {
  const ins = dockerInstructions(text);
  const problems: string[] = [];
  const args = new Map(ins.filter((i) => i.op === 'ARG').map((i) => i.args.split('=') as [string, string]));
  const froms = ins.map((x, i) => ({ ...x, i })).filter((x) => x.op === 'FROM');
  if (froms.length < 2) problems.push('not multi-stage: fewer than two FROM');
  const last = froms.at(-1);
  const image = last?.args.split(/\s+/)[0]?.replace(/^\$\{(\w+)\}$/, (_, n: string) => args.get(n) ?? '') ?? '';
  if (!/^node:22(\.\d+)*-(slim|bookworm-slim)$/.test(image)) problems.push(`final stage is ${image}, not node:22 slim`);
  const final = ins.slice(last?.i ?? 0);
  const user = final.filter((i) => i.op === 'USER').at(-1)?.args ?? '';
  if (!/^[1-9]\d*(:[1-9]\d*)?$/.test(user)) problems.push(`final USER ${user || '(none)'} is not a numeric non-root uid`);
  const health = final.find((i) => i.op === 'HEALTHCHECK')?.args ?? '';
  if (!/127\.0\.0\.1:9090\/healthz/.test(health)) problems.push('no HEALTHCHECK on the admin plane /healthz');
  if (!final.some((i) => i.op === 'VOLUME' && i.args.includes('/var/lib/xborder'))) problems.push('no VOLUME for /var/lib/xborder');
  const entry = final.find((i) => i.op === 'ENTRYPOINT')?.args ?? '';
  if (!entry.startsWith('[')) problems.push('ENTRYPOINT not in exec form (signals would not reach node)');
  if (ins.some((i) => i.op === 'ADD' && /https?:\/\//.test(i.args))) problems.push('ADD of a URL');
  if (ins.some((i) => i.op === 'COPY' && !i.args.startsWith('--from') && /\.key|\.token|\.pem|secrets/.test(i.args))) problems.push('a secret copied into the image');
  return problems;
}

describe('Dockerfile', () => {
  const text = readFileSync(join(DEPLOY, 'docker', 'Dockerfile'), 'utf8');

  it('is multi-stage on node:22-slim, runs as a numeric non-root user, has a HEALTHCHECK on /healthz and a state volume', () => {
    expect(dockerProblems(text)).toEqual([]);
  });

  it('fails the same checks on broken copies', () => {
    expect(dockerProblems(text.replace(/^USER .*$/m, 'USER root'))).toEqual(['final USER root is not a numeric non-root uid']);
    expect(dockerProblems(text.replace('ARG NODE_IMAGE=node:22-slim', 'ARG NODE_IMAGE=node:20'))).toEqual(['final stage is node:20, not node:22 slim']);
    expect(dockerProblems(text.replace(/^HEALTHCHECK[\s\S]*?\n(?=\S)/m, ''))).toEqual(['no HEALTHCHECK on the admin plane /healthz']);
    expect(dockerProblems(text.replace(/^FROM \$\{NODE_IMAGE\} AS build[\s\S]*?(?=^FROM)/m, ''))).toContain('not multi-stage: fewer than two FROM');
  });

  it('copies only sources that exist and that the ignore file lets into the context', () => {
    const ignore = readFileSync(join(DEPLOY, 'docker', 'Dockerfile.dockerignore'), 'utf8');
    const allowed = ignore.split('\n').filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/\*\*$/, ''));
    for (const i of dockerInstructions(text).filter((x) => x.op === 'COPY' && !x.args.startsWith('--from'))) {
      const sources = i.args.split(/\s+/).slice(0, -1);
      for (const s of sources) {
        expect(existsSync(join(REPO, s)), s).toBe(true);
        expect(allowed, s).toContain(s);
      }
    }
  });
});

describe('compose.yaml', () => {
  const compose = parse(readFileSync(join(DEPLOY, 'compose.yaml'), 'utf8')) as Record<string, any>;

  it('runs Redis with AOF, fsync every second, and a volume', () => {
    const redis = compose['services'].redis;
    const command = [redis.command].flat().join(' ');
    expect(command).toContain('--appendonly yes');
    expect(command).toContain('--appendfsync everysec');
    expect(redis.volumes).toContain('redis-data:/data');
    expect(redis.ports).toBeUndefined();
  });

  it('runs the gateway read-only, non-root, with volumes for its state and evidence, and its config and secrets mounted', () => {
    const gw = compose['services'].gateway;
    expect(gw.read_only).toBe(true);
    expect(gw.user).toBe('1000:1000');
    expect(gw.cap_drop).toEqual(['ALL']);
    expect(gw.build.dockerfile).toBe('deploy/docker/Dockerfile');
    expect(gw.volumes).toEqual(expect.arrayContaining(['xborder-data:/var/lib/xborder', 'xborder-evidence:/var/lib/xborder/evidence', './docker/xborder.yaml:/etc/xborder/xborder.yaml:ro']));
    expect(gw.ports).toContain('127.0.0.1:9090:9090');
    expect(gw.healthcheck.test.join(' ')).toContain('/healthz');
    // Every secret the gateway's config reads is one compose mounts.
    const file = join(DEPLOY, 'docker', 'xborder.yaml');
    const { config } = loadConfig(file);
    expect(config.store).toMatchObject({ kind: 'redis', url: 'redis://redis:6379' });
    const raw = parse(readFileSync(file, 'utf8')) as Record<string, any>;
    const read = [raw['identity'].key.file, raw['admin'].token.file, raw['evidence'].signingKey.file, raw['store'].password.file].map((f: string) => f.replace('/run/secrets/', ''));
    expect(read.sort()).toEqual([...gw.secrets].sort());
    expect(Object.keys(compose['secrets']).sort()).toEqual([...gw.secrets].sort());
  });
});

describe('systemd unit', () => {
  const unit = join(DEPLOY, 'systemd', 'xborder.service');
  const text = readFileSync(unit, 'utf8');
  const analyze = spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status === 0;
  const verify = (file: string) => spawnSync('systemd-analyze', ['verify', '--man=no', file], { encoding: 'utf8', timeout: 30_000 });
  const keys = (t: string) => new Map(t.split('\n').filter((l) => /^\w+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

  it('is hardened: its own user, a read-only system but for the state folder, no new privileges', () => {
    const k = keys(text);
    expect(k.get('DynamicUser') === 'yes' || (k.get('User') ?? '') !== '').toBe(true);
    expect(k.get('ProtectSystem')).toBe('strict');
    expect(k.get('NoNewPrivileges')).toBe('yes');
    expect(k.get('ReadWritePaths')).toContain('/var/lib/xborder');
    expect(k.get('StateDirectory')).toBe('xborder');
    expect(k.get('CapabilityBoundingSet')).toBe('');
    expect(k.get('PrivateTmp')).toBe('yes');
  });

  it.skipIf(!analyze)('passes systemd-analyze verify, which rejects a broken copy', () => {
    const ok = verify(unit);
    expect(ok.status, ok.stderr).toBe(0);
    const broken = join(tmp, 'xborder.service');
    writeFileSync(broken, text.replace('ProtectSystem=strict', 'ProtectSystem=strict\nProtectSytem=yes').replace('Type=simple', 'Type=sideways'));
    const bad = verify(broken);
    expect(`${bad.stdout}${bad.stderr}`).toMatch(/ProtectSytem|sideways/);
  });
});
