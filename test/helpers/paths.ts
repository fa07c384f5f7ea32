/** Where things are, for tests at any depth of test/. */
import * as path from 'node:path';

/** The repository root. */
export const ROOT = path.resolve(__dirname, '..', '..');
/** test/fixtures/. */
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');
