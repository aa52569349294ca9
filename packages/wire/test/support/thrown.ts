import { expect } from 'vitest';

/** What `run` throws, or undefined when it returns: for asserting on an error's identity or fields. */
export function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

/**
 * The error `run` throws, asserted to be an instance of `type` (`label` names the case in a loop)
 * and typed as one, so the test can go on to assert on its fields.
 */
export function thrown<E>(run: () => unknown, type: abstract new (...args: never[]) => E, label?: string): E {
  const error = caught(run);
  expect(error, label).toBeInstanceOf(type);
  return error as E;
}
