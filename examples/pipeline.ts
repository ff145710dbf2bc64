/**
 * A producer/consumer pipeline over bounded Queues: a producer, three workers and a
 * collector, with back-pressure (put waits while a queue is full), join() to know when
 * all work is processed, and shutdown() to stop the workers.
 *
 * Run: npx tsx examples/pipeline.ts
 */
import { Queue, QueueShutDownError, run, sleep, TaskGroup } from '../lib/index.js';

run(async (signal) => {
  const jobs = new Queue<number>(5);
  const results = new Queue<{ worker: number; input: number; output: number }>(5);
  const perWorker = [0, 0, 0];
  const collected: number[] = [];

  await TaskGroup.run(async (group) => {
    // Workers: take a job, "work", pass the result on, mark the job done.
    for (let w = 0; w < 3; w++) {
      group.createTask(async (s) => {
        for (;;) {
          let input: number;
          try {
            input = await jobs.get({ signal: s });
          } catch (error) {
            if (error instanceof QueueShutDownError) return;
            throw error;
          }
          await sleep(input % 3, { signal: s });
          await results.put({ worker: w, input, output: input * 2 }, { signal: s });
          perWorker[w]!++;
          jobs.taskDone();
        }
      }, { name: `worker-${w}` });
    }
    // Collector.
    group.createTask(async (s) => {
      for (;;) {
        try {
          collected.push((await results.get({ signal: s })).output);
        } catch (error) {
          if (error instanceof QueueShutDownError) return;
          throw error;
        }
        results.taskDone();
      }
    }, { name: 'collector' });
    // Producer: 100 jobs, waiting whenever the queue is full.
    for (let i = 1; i <= 100; i++) await jobs.put(i, { signal });
    await jobs.join({ signal });
    await results.join({ signal });
    jobs.shutdown();
    results.shutdown();
  }, { signal });

  const sum = collected.reduce((a, b) => a + b, 0);
  console.log(`collected ${collected.length} results, sum ${sum}, per worker ${perWorker.join('/')}`);
}).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
