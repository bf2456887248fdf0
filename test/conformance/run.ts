import { Observer, type Observation } from './observe.js';
import { SCENARIOS } from './scenarios/index.js';
import type { ConformanceSubject } from './subject.js';

/** Every scenario's observation on one homeserver, by scenario name. */
export type Observations = Record<string, Observation>;

/** Runs every scenario on `subject`, in order. A scenario that throws fails the run, with its name. */
export async function observe(subject: ConformanceSubject): Promise<Observations> {
  const out: Observations = {};
  for (const scenario of SCENARIOS) {
    const observer = new Observer();
    try {
      await scenario.run(subject, observer);
    } catch (err) {
      throw new Error(`scenario "${scenario.name}" failed on ${subject.kind}: ${(err as Error).message}`, { cause: err });
    }
    out[scenario.name] = observer.observation;
  }
  return out;
}
