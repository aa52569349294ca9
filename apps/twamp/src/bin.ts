#!/usr/bin/env node
// The `twamp` executable: everything happens in @twamp/cli; this file only hands it the process and
// says which package it is (for --version).
import { readFileSync } from 'node:fs';
import { runCli } from '@twamp/cli';

// Named for pidof, ps, top and systemd, which otherwise see "node" (libuv also sets the kernel's
// comm name, the one pidof and top read).
process.title = 'twamp';

// ../package.json from both src/ (source runs) and dist/ (the published build).
const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; version: string };

await runCli(process.argv.slice(2), { name: manifest.name, version: manifest.version });
