#!/usr/bin/env node
// The `twamp` executable: everything happens in @twamp/cli; this file only hands it the process.
import { runCli } from '@twamp/cli';

await runCli(process.argv.slice(2));
