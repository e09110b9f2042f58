// Guarantee 4: bad input never becomes an unhandled rejection or an uncaught exception.
// Vitest already fails a run on either; this makes the rule explicit and names the culprit.
import { afterAll } from 'vitest';

const escaped: unknown[] = [];
const record = (reason: unknown) => escaped.push(reason);
process.on('unhandledRejection', record);
process.on('uncaughtException', record);

afterAll(() => {
  process.off('unhandledRejection', record);
  process.off('uncaughtException', record);
  if (escaped.length > 0) {
    throw new Error(`unhandled rejections or uncaught exceptions: ${escaped.map(String).join('; ')}`);
  }
});
