// Renders kustomizations and validates every object against the Kubernetes
// schemas (kubernetes-models 4.x). The models' validators check types, formats
// and required fields but accept unknown fields, which is how a typo such as
// `imagePullPolcy` slips past until the API server rejects it (or, without
// strict validation, silently drops it). Unknown fields are caught with the
// same models' TypeScript types: each object is type-checked as an object
// literal, and TypeScript rejects every property the type does not declare.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

/** `kubectl kustomize DIR`, parsed. Throws with kubectl's message when it fails. */
export function render(dir: string): K8sObject[] {
  const output = execFileSync('kubectl', ['kustomize', dir], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return parseAllDocuments(output).map((doc) => {
    if (doc.errors.length > 0)
      throw new Error(`${dir}: kubectl kustomize printed invalid YAML: ${doc.errors[0]?.message}`);
    return doc.toJS() as K8sObject;
  });
}

export const describeObject = (o: K8sObject) => `${o.kind}/${o.metadata?.name}`;

/** The kubernetes-models module for an object: "apps/v1" + "Deployment" -> kubernetes-models/apps/v1/Deployment. */
function modelPath(o: K8sObject): string {
  return `kubernetes-models/${o.apiVersion}/${o.kind}`;
}

/** Schema errors (types, formats, required fields) for each object, from kubernetes-models' validators. */
export async function schemaErrors(objects: readonly K8sObject[]): Promise<string[]> {
  const errors: string[] = [];
  for (const o of objects) {
    let Model: new (data: unknown) => { validate(): void };
    try {
      const mod = (await import(modelPath(o))) as Record<string, new (data: unknown) => { validate(): void }>;
      Model = mod[o.kind] as typeof Model;
      if (!Model) throw new Error('no model class');
    } catch {
      errors.push(`${describeObject(o)}: unknown apiVersion/kind ${o.apiVersion} ${o.kind}`);
      continue;
    }
    try {
      new Model(o).validate();
    } catch (error) {
      errors.push(`${describeObject(o)}: ${(error as Error).message}`);
    }
  }
  return errors;
}

/**
 * Fields the Kubernetes types do not declare, and any other type mismatch, as
 * TypeScript reports them. One program checks every object at once.
 */
export function unknownFieldErrors(objects: readonly K8sObject[]): string[] {
  const file = join(ROOT, 'deploy', 'kubernetes', '__rendered_manifests__.ts');
  const header: string[] = [];
  const body: string[] = [];
  const starts: { line: number; object: K8sObject }[] = [];
  objects.forEach((o, i) => {
    header.push(`import type { I${o.kind} as T${i} } from '${modelPath(o)}';`);
  });
  let line = objects.length;
  objects.forEach((o, i) => {
    const literal = JSON.stringify(o, null, 2);
    starts.push({ line, object: o });
    body.push(`export const o${i}: T${i} = ${literal};`);
    line += literal.split('\n').length;
  });
  const source = [...header, ...body].join('\n');
  const lines = source.split('\n');

  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) =>
    name === file ? ts.createSourceFile(name, source, version) : getSourceFile(name, version, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);

  return ts.getPreEmitDiagnostics(program).map((d) => {
    // JSON keys are quoted in the literal; TypeScript then names them '"key"'.
    const message = ts
      .flattenDiagnosticMessageText(d.messageText, '\n')
      .split('\n')[0]
      ?.replace(/'"([^"]+)"'/g, "'$1'");
    if (!d.file || d.start === undefined) return message ?? '';
    const at = d.file.getLineAndCharacterOfPosition(d.start).line;
    const owner = [...starts].reverse().find((s) => s.line <= at);
    const where = owner ? describeObject(owner.object) : 'manifests';
    return `${where}: ${message} (at: ${lines[at]?.trim()})`;
  });
}
