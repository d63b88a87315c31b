// Polls a condition every 5 ms until it holds or `ms` have passed; resolves with its last value.
// For tests that wait on asynchronous effects (a NOTIFY sent, a dialog ended) without a fixed sleep.
export async function until(cond: () => boolean, ms = 3000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  return cond();
}
