// Module boundaries: a module imports no other module and reaches src/ only through the module kit; code outside a
// module imports only its index.ts.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import ts from 'typescript';

const ROOT = path.resolve(import.meta.dirname, '..');
const MODULES = path.join(ROOT, 'modules');
const SRC = path.join(ROOT, 'src');
/** The one file of src/ a module may import: what the runtime offers modules (src/moduleKit.ts). */
const MODULE_KIT = path.join(SRC, 'moduleKit.ts');

function tsFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : tsFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Relative imports of a file, resolved to absolute .ts paths. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => path.resolve(path.dirname(file), name).replace(/\.js$/, '.ts'));
}

function moduleOf(file: string): string | undefined {
  const rel = path.relative(MODULES, file);
  return rel.startsWith('..') ? undefined : rel.split(path.sep)[0];
}

export function boundaryViolations(files: string[]): string[] {
  const violations: string[] = [];
  for (const file of files) {
    const own = moduleOf(file);
    for (const target of importsOf(file)) {
      const other = moduleOf(target);
      if (!other || other === own) continue;
      const where = path.relative(ROOT, file);
      if (own) violations.push(`${where} imports module ${other} (${path.relative(ROOT, target)}); modules share only events`);
      else if (target !== path.join(MODULES, other, 'index.ts')) violations.push(`${where} reaches past modules/${other}/index.ts to ${path.relative(ROOT, target)}`);
    }
  }
  return violations;
}

/** Imports from a module's files into src/ other than the module kit. */
export function moduleKitViolations(files: string[]): string[] {
  const violations: string[] = [];
  for (const file of files) {
    if (!moduleOf(file)) continue;
    for (const target of importsOf(file)) {
      if (path.relative(SRC, target).startsWith('..') || target === MODULE_KIT) continue;
      violations.push(`${path.relative(ROOT, file)} imports ${path.relative(ROOT, target)}; modules reach src/ only through src/moduleKit.ts`);
    }
  }
  return violations;
}

/** The database drivers: only the storage engines in src/storage use them. */
const DRIVERS = ['pg', 'better-sqlite3'];

/** Imports of a database driver from a module's files: modules reach the database through the storage port. */
export function driverViolations(files: string[]): string[] {
  const violations: string[] = [];
  for (const file of files) {
    if (!moduleOf(file)) continue;
    const names = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true).importedFiles.map((f) => f.fileName);
    for (const name of names.filter((n) => DRIVERS.includes(n))) violations.push(`${path.relative(ROOT, file)} imports ${name}; modules use the storage port (src/moduleKit.ts)`);
  }
  return violations;
}

describe('architecture', () => {
  it('keeps every module behind its index.ts and away from the others', () => {
    const files = ['src', 'modules', 'scripts', 'test'].flatMap((d) => tsFiles(path.join(ROOT, d)));
    expect(files.length).to.be.greaterThan(20);
    expect(boundaryViolations(files)).to.deep.equal([]);
  });

  it('lets modules reach src/ only through src/moduleKit.ts', () => {
    const files = tsFiles(MODULES);
    expect(files.length).to.be.greaterThan(20);
    expect(moduleKitViolations(files)).to.deep.equal([]);
  });

  it('lets no module import a database driver, and notices one that does', () => {
    expect(driverViolations(tsFiles(MODULES))).to.deep.equal([]);
    const dir = fs.mkdtempSync(path.join(MODULES, '.arch-probe-'));
    const probe = path.join(dir, 'bad.ts');
    fs.writeFileSync(probe, "import Database from 'better-sqlite3';\nimport type pg from 'pg';\n");
    try {
      expect(driverViolations([probe])).to.have.length(2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('notices a module that imports src/ past the module kit, in every form an import takes', () => {
    const dir = fs.mkdtempSync(path.join(MODULES, '.arch-probe-'));
    const probe = path.join(dir, 'bad.ts');
    fs.writeFileSync(
      probe,
      [
        "import type { Sql } from '../../src/moduleKit.js';",
        "import type { Storage } from '../../src/storage/Storage.js';",
        "export { EventStore } from '../../src/store/EventStore.js';",
        "type Host = import('../../src/runtime/ModuleHost.js').ModuleHost;",
        "const config = await import('../../src/config.js');",
        '',
      ].join('\n'),
    );
    try {
      const found = moduleKitViolations([probe]);
      expect(found.map((v) => /imports (\S+);/.exec(v)?.[1])).to.deep.equal(['src/storage/Storage.ts', 'src/store/EventStore.ts', 'src/runtime/ModuleHost.ts', 'src/config.ts']);
      expect(found[0]).to.match(/modules reach src\/ only through src\/moduleKit\.ts/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('notices a module that imports another, and outside code that reaches past index.ts', () => {
    const dir = fs.mkdtempSync(path.join(MODULES, '.arch-probe-'));
    const probe = path.join(dir, 'bad.ts');
    fs.writeFileSync(probe, "import { UsersRepository } from '../users/UsersRepository.js';\n");
    const outside = path.join(ROOT, 'src', `.arch-probe-${process.pid}.ts`);
    fs.writeFileSync(outside, "import { usersProjection } from '../modules/users/projection.js';\nimport { usersModule } from '../modules/users/index.js';\n");
    try {
      const found = boundaryViolations([probe, outside]);
      expect(found).to.have.length(2);
      expect(found[0]).to.match(/imports module users/);
      expect(found[1]).to.match(/reaches past modules\/users\/index\.ts/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(outside, { force: true });
    }
  });
});
