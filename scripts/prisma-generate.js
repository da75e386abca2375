#!/usr/bin/env node
// Runs `prisma generate` on install. The Prisma CLI insists on locating its native schema
// engine at start-up and downloads it when missing; generation itself does not use it (the
// client runs on the WebAssembly query compiler), so where that download is impossible we point
// the CLI at any existing file. With the internet and no override, the stock behaviour applies.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1' };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY) env.PRISMA_SCHEMA_ENGINE_BINARY = process.execPath;
if (!env.DATABASE_URL) env.DATABASE_URL = 'postgresql://localhost/unused-by-generate';

const cli = require.resolve('prisma/build/index.js');
const result = spawnSync(process.execPath, [cli, 'generate', '--schema', path.join(__dirname, '..', 'prisma', 'schema.prisma')], {
  stdio: 'inherit',
  env,
  cwd: path.join(__dirname, '..'),
});
if (result.status !== 0) {
  console.error('mspflow: `prisma generate` failed; the Prisma client was not generated (see above).');
  process.exit(result.status ?? 1);
}
