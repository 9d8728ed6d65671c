#!/usr/bin/env node
// Print the ConfigMap `xborder-policy` holding the policy packs of a folder (default: the packs
// shipped in policy/packs), to apply server-side (it is larger than client-side apply's 256 KiB
// annotation allows):
//   node deploy/kubernetes/policy-configmap.mjs [DIR] | kubectl apply --server-side -f -
// After a change of packs, apply again and `POST /api/reload` each replica (docs/deployment.md).
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { stringify } from 'yaml';

export function policyConfigMap(dir) {
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort();
  if (files.length === 0) throw new Error(`no .yaml policy packs in ${dir}`);
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'xborder-policy', namespace: 'xborder', labels: { 'app.kubernetes.io/name': 'xborder' } },
    data: Object.fromEntries(files.map((f) => [basename(f), readFileSync(join(dir, f), 'utf8')])),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = resolve(process.argv[2] ?? join(import.meta.dirname, '..', '..', 'policy', 'packs'));
  process.stdout.write(stringify(policyConfigMap(dir), { lineWidth: 0 }));
}
