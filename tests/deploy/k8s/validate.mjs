// Offline schema check of Kubernetes manifests (no cluster, no network once installed):
// each document is built as its kubernetes-models class and validated against the
// Kubernetes OpenAPI schema that package carries (the Prometheus Operator's for a
// ServiceMonitor): types, required fields, enums and formats.
// Usage: node validate.mjs FILE.yaml...   Exit 0 when every document is valid.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parseAllDocuments } from "yaml";

const require = createRequire(import.meta.url);

function modelOf(apiVersion, kind) {
  if (apiVersion === "monitoring.coreos.com/v1")
    return require(`@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/${kind}`)[kind];
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const path = group === "" ? `kubernetes-models/${version}/${kind}` : `kubernetes-models/${group}/${version}/${kind}`;
  return require(path)[kind];
}

let bad = 0, checked = 0;
for (const file of process.argv.slice(2)) {
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  for (const [i, doc] of docs.entries()) {
    const where = `${file} document ${i + 1}`;
    if (doc.errors.length) {
      console.log(`${where}: YAML: ${doc.errors[0].message}`);
      bad++;
      continue;
    }
    const obj = doc.toJS();
    if (obj === null) continue;
    let Model;
    try {
      Model = modelOf(obj.apiVersion, obj.kind);
    } catch {
      Model = undefined;
    }
    if (!Model) {
      console.log(`${where}: unknown apiVersion/kind ${obj.apiVersion}/${obj.kind}`);
      bad++;
      continue;
    }
    try {
      new Model(obj).validate();
    } catch (e) {
      console.log(`${where} (${obj.kind} ${obj.metadata?.name}): ${e.message}`);
      bad++;
      continue;
    }
    checked++;
  }
}
console.log(`${checked} valid, ${bad} invalid`);
process.exit(bad === 0 && checked > 0 ? 0 : 1);
