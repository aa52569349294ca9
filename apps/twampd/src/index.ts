// The twampd app's programmatic entry: the engine (@twamp/daemon) and the command line around it,
// runnable in-process with an injected process (streams, signals, crashes).
export * from '@twamp/daemon';
export { HELP_TEXT, parseTwampdArguments, type TwampdPlan, type UsageMistake } from './arguments.js';
export { main, type TwampdIo, type TwampdSignal } from './main.js';
