// Failure rendering for every command: what happened, which side said it, the Accept code with its
// name and meaning (from @twamp/errors), what to do, and the exit code.
export { EXIT_CODES, type ExitCodeInfo, exitCodeInfo, PeerExitCode } from './exit-codes.js';
export {
  explainFailure,
  type Failure,
  type FailureAccept,
  type FailureContext,
  failureExitCode,
  type FailureSide,
  type FailureSideKind,
  isNothingListening,
} from './failure.js';
export { type FailureJson, failureJson, formatFailure, type FailureReport, reportFailure } from './format.js';
