import { envProblems, explainProblems } from './env.js';

/**
 * `npm run test:e2e` runs this first: without a homeserver the tier says what is missing
 * and fails (exit 2). It never passes by skipping.
 */
const problems = envProblems();
if (problems.length > 0) {
  process.stderr.write(explainProblems(problems));
  process.exit(2);
}
