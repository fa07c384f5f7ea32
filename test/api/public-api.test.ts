/**
 * The public API (src/index.ts) names every type its signatures use, and leaks none of the
 * internals issue 20 listed. Read with the TypeScript compiler, so a new signature that uses an
 * unexported type fails here rather than in a user's editor.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as ts from 'typescript';
import { ROOT } from '../helpers/paths';

const SRC = path.join(ROOT, 'src') + path.sep;
const config = ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), ts.sys.readFile);
const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
const program = ts.createProgram([path.join(ROOT, 'src', 'index.ts')], { ...options, noEmit: true });
const checker = program.getTypeChecker();
const index = program.getSourceFile(path.join(ROOT, 'src', 'index.ts'))!;
const resolve = (s: ts.Symbol): ts.Symbol => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
const exported = checker.getExportsOfModule(checker.getSymbolAtLocation(index)!);
const exportedSymbols = new Set(exported.map(resolve));
const names = new Set(exported.map((s) => s.name));

/** The nodes of a declaration a user sees: signatures and shapes, not bodies or private members. */
function visibleTypeReferences(node: ts.Node, out: ts.Node[]): void {
  if (ts.isBlock(node)) return; // function and method bodies
  if (
    (ts.isPropertyDeclaration(node) || ts.isMethodDeclaration(node) || ts.isGetAccessor(node)) &&
    node.modifiers?.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword)
  )
    return;
  if (ts.isPropertyDeclaration(node) && node.name && ts.isPrivateIdentifier(node.name)) return;
  if (ts.isVariableDeclaration(node) && node.initializer && !node.type) return visibleTypeReferences(node.name, out);
  if (ts.isTypeReferenceNode(node)) out.push(node.typeName);
  if (ts.isExpressionWithTypeArguments(node)) out.push(node.expression);
  if (ts.isTypeQueryNode(node)) out.push(node.exprName);
  ts.forEachChild(node, (child) => visibleTypeReferences(child, out));
}

test('every type a public signature names is exported from the package', () => {
  const missing = new Set<string>();
  for (const symbol of exportedSymbols) {
    for (const decl of symbol.declarations ?? []) {
      if (!decl.getSourceFile().fileName.startsWith(SRC)) continue;
      const refs: ts.Node[] = [];
      visibleTypeReferences(decl, refs);
      for (const ref of refs) {
        const target = checker.getSymbolAtLocation(ref);
        if (!target) continue;
        const real = resolve(target);
        const home = real.declarations?.[0];
        if (!home || !home.getSourceFile().fileName.startsWith(SRC)) continue; // tfjs's and node's own types
        if (real.flags & ts.SymbolFlags.TypeParameter) continue;
        if (!(real.flags & ts.SymbolFlags.Type)) continue; // a value (tfjs's class behind `extends`), typed by its home
        if (!exportedSymbols.has(real)) missing.add(`${real.name} (used by ${symbol.name})`);
      }
    }
  }
  assert.deepEqual([...missing].sort(), []);
});

test('internals stay internal', () => {
  for (const internal of [
    'ensureBackend',
    'makeTrainStep',
    'fileSystemIO',
    'FastBatchNormalization',
    'SEED_PLATEAU',
    'registerEngine',
    'EnginePlugin',
  ])
    assert.ok(!names.has(internal), `${internal} is exported`);
  for (const needed of [
    'ArrayFlow',
    'DirectoryFlow',
    'PreprocessingFunction',
    'FillMode',
    'BatchingOptions',
    'FerCsvData',
    'SkippedRows',
    'MonitorMode',
    'ModelSaver',
    'RESNET50_MIN_SIZE',
  ])
    assert.ok(names.has(needed), `${needed} is not exported`);
});

test('src/train.ts, the front door for training, exports trainResnet50 with its types and errors, not a second barrel', () => {
  const train = program.getSourceFile(path.join(ROOT, 'src', 'train.ts'))!;
  const own = checker
    .getExportsOfModule(checker.getSymbolAtLocation(train)!)
    .map((s) => s.name)
    .sort();
  assert.deepEqual(own, [
    'DeviceFailedError',
    'TrainData',
    'TrainHistory',
    'TrainOptions',
    'TrainResult',
    'TrainingDivergedError',
    'TrainingInterruptedError',
    'trainResnet50',
  ]);
});
