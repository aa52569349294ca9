#!/usr/bin/env -S node --max-semi-space-size=1
// The `twampd` executable: main.ts does the work; this file hands it the real process and exits with
// its code. process.exit is explicit because an exit code decided on a second signal or a crash must
// win over whatever still holds the event loop.
//
// The interpreter line sizes V8's young generation for a daemon that holds thousands of sessions:
// 1 MiB semi-spaces instead of up to 16 MiB (each, and there are two, committed once grown). The
// agent's steady allocation is small, so the larger young generation only held ~30 MiB of resident
// memory; measured in BENCHMARKS.md (agent) and docs/daemon.md (sizing). `env -S` splits the line
// (coreutils 8.30+); npm's and pnpm's bin shims read it too. Run as `node dist/bin.js`, the default
// sizing applies.
import { main, type TwampdIo } from './main.js';

// Named for `kill -HUP $(pidof twampd)`, ps, top and systemd, which otherwise see "node" (libuv also
// sets the kernel's comm name, the one pidof and top read).
process.title = 'twampd';

const io: TwampdIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  onSignal(signal, handler) {
    process.on(signal, handler);
    return () => process.off(signal, handler);
  },
  onCrash(handler) {
    const onException = (error: unknown): void => {
      handler(error, 'uncaughtException');
    };
    const onRejection = (reason: unknown): void => {
      handler(reason, 'unhandledRejection');
    };
    process.on('uncaughtException', onException);
    process.on('unhandledRejection', onRejection);
    return () => {
      process.off('uncaughtException', onException);
      process.off('unhandledRejection', onRejection);
    };
  },
};

process.exit(await main(process.argv.slice(2), io));
