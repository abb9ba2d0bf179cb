// Validates Kubernetes manifests against the Kubernetes API schemas (kubernetes-models, the
// OpenAPI schemas of Kubernetes compiled to validators):
//
//   node validate-k8s.mjs k8s/            every *.yaml / *.yml in the folder
//   node validate-k8s.mjs a.yaml b.yaml
//
// Every YAML document must parse, name an apiVersion and kind that the Kubernetes API has, and
// validate against that kind's schema. Prints one line per object; exits 1 on any failure.
// (The schemas do not forbid unknown fields, as the API server's non-strict mode; the settings
// that matter are checked by name in tests/deploy/test_deploy_files.py.)
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

function files(args) {
  const out = [];
  for (const arg of args) {
    if (statSync(arg).isDirectory()) {
      for (const name of readdirSync(arg).sort())
        if (/\.ya?ml$/.test(name)) out.push(join(arg, name));
    } else {
      out.push(arg);
    }
  }
  return out;
}

async function modelClass(apiVersion, kind) {
  if (typeof apiVersion !== "string" || typeof kind !== "string" || !/^[A-Za-z0-9]+$/.test(kind))
    throw new Error(`apiVersion and kind must be strings (got ${JSON.stringify(apiVersion)}, ${JSON.stringify(kind)})`);
  // Core kinds are "v1"; others "group/version", which is also the package's folder.
  try {
    const mod = await import(`kubernetes-models/${apiVersion}/${kind}`);
    if (typeof mod[kind] === "function") return mod[kind];
  } catch (e) {
    if (e.code !== "ERR_MODULE_NOT_FOUND" && e.code !== "ERR_PACKAGE_PATH_NOT_EXPORTED") throw e;
  }
  throw new Error(`the Kubernetes API has no kind ${kind} in ${apiVersion}`);
}

const paths = files(process.argv.slice(2));
if (paths.length === 0) {
  console.error("usage: node validate-k8s.mjs <manifest.yaml | folder>...");
  process.exit(2);
}
let failures = 0;
let objects = 0;
for (const path of paths) {
  const docs = parseAllDocuments(readFileSync(path, "utf8"));
  for (const [i, doc] of docs.entries()) {
    const where = `${path} (document ${i + 1})`;
    if (doc.errors.length) {
      failures++;
      console.log(`FAIL ${where}: YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
      continue;
    }
    const obj = doc.toJS();
    if (obj === null || obj === undefined) continue; // an empty document (a trailing ---)
    objects++;
    const name = `${obj.apiVersion} ${obj.kind} ${obj.metadata?.namespace ?? "-"}/${obj.metadata?.name}`;
    try {
      const Model = await modelClass(obj.apiVersion, obj.kind);
      new Model(obj).validate();
      console.log(`ok   ${where}: ${name}`);
    } catch (e) {
      failures++;
      console.log(`FAIL ${where}: ${name}: ${e.message}`);
    }
  }
}
console.log(`${objects} objects in ${paths.length} files, ${failures} failures`);
process.exit(failures || objects === 0 ? 1 : 0);
