// For tests that drive ServerConnection by hand: do what the adapter does with a 'derive' action
// (here synchronously, with @twamp/wire's deriveKey) and feed the key back, recursively, so the
// returned actions are those after the key arrived.
import { deriveKey } from '@twamp/wire';
import type { ServerAction, ServerConnection } from '../../src/server/index.js';

export function withKeys(connection: ServerConnection, actions: readonly ServerAction[]): ServerAction[] {
  const out: ServerAction[] = [];
  for (const action of actions) {
    if (action.type === 'derive') {
      out.push(...withKeys(connection, connection.keyDerived(action.requestId, deriveKey(action.secret, action.salt, action.count))));
    } else {
      out.push(action);
    }
  }
  return out;
}
