// placeholder until the native build script lands; install must never fail
process.exit(0);
