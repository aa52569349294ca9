#!/usr/bin/env node
// The `twampd` executable: main.ts does the work; this file hands it the real process and exits with
// its code. process.exit is explicit because an exit code decided on a second signal or a crash must
// win over whatever still holds the event loop.
import { main, type TwampdIo } from './main.js';

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
