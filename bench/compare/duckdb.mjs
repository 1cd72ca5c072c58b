// duckdb.mjs runs SQL statements in an in-memory DuckDB (the @duckdb/node-api package) for
// bench/compare and prints their results as one JSON document on stdout.
//
//   node duckdb.mjs MODULE_DIR SPEC.json
//
// MODULE_DIR is the npm prefix where @duckdb/node-api is installed (outside the repository);
// SPEC.json is {"threads": N, "statements": [{"name": "...", "sql": "..."}, ...]}. The statements run
// one after the other on one connection, after `SET threads = N`. The output is
// {"version": "v1.x.y", "package": "1.x.y-r.z", "results": [{"name", "columns", "rows", "seconds"}]},
// rows as arrays of JSON values (big integers as strings, as getRowsJson gives them).
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [moduleDir, specFile] = process.argv.slice(2);
if (!moduleDir || !specFile) {
  console.error('usage: node duckdb.mjs MODULE_DIR SPEC.json');
  process.exit(2);
}
const require = createRequire(join(moduleDir, 'package.json'));
const duckdb = require('@duckdb/node-api');
const pkg = require('@duckdb/node-api/package.json');
const spec = JSON.parse(readFileSync(specFile, 'utf8'));

const spill = mkdtempSync(join(tmpdir(), 'flowlens-compare-duckdb-'));
try {
  const instance = await duckdb.DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  await conn.run(`SET threads = ${Number(spec.threads)}`);
  await conn.run(`SET temp_directory = '${spill.replaceAll("'", "''")}'`);
  const version = (await conn.runAndReadAll('SELECT version()')).getRowsJson()[0][0];
  const results = [];
  for (const st of spec.statements) {
    const began = process.hrtime.bigint();
    let reader;
    try {
      reader = await conn.runAndReadAll(st.sql);
    } catch (e) {
      throw new Error(`statement ${st.name}: ${e.message}\n${st.sql}`);
    }
    const seconds = Number(process.hrtime.bigint() - began) / 1e9;
    results.push({ name: st.name, columns: reader.columnNames(), rows: reader.getRowsJson(), seconds });
  }
  conn.closeSync();
  process.stdout.write(JSON.stringify({ version, package: pkg.version, results }) + '\n');
} catch (e) {
  console.error(`duckdb.mjs: ${e.message}`);
  process.exitCode = 1;
} finally {
  rmSync(spill, { recursive: true, force: true });
}
