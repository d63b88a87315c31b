// Strings kept for long (dialog state, transaction keys) in their cheapest form. Values cut from a
// parsed message are sliced strings that hold on to the header value they came from, and keys
// built by concatenation are trees of cons strings: a watcher dialog kept ~250 bytes more than its
// characters this way (docs/presence.md: memory per subscription).

/**
 * A copy of a string in one flat piece. For values that are unique to the object that keeps them
 * (a Call-ID, a tag, a transaction key).
 */
export function flat(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

/**
 * The one shared copy of a string, flat: a property key is an internalized string in V8, so equal
 * values made into keys are one string, and the table holding them lets go of a value no longer
 * used. For values that recur across many objects: the URIs of a dialog (the watcher's, its
 * Contact, the watched user's), shared by every dialog of that watcher or that user.
 */
export function intern(s: string): string {
  const [key] = Object.keys({ [s]: 0 }) as [string];
  return key;
}
