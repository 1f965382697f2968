import { logger } from '#app/logger.server.ts'

/**
 * A process's shutdown as steps, each with its own deadline, so the process always exits: a step
 * that fails, answers 'forced' or outlives its deadline is logged once and named in `forced`, and
 * the next one runs. Used by the web server (server.ts) and the standalone worker
 * (scripts/worker.ts).
 */
export function shutdownSteps() {
  const forced: string[] = []
  const step = async (name: string, deadlineMs: number, run: () => Promise<unknown>) => {
    let timer: NodeJS.Timeout | undefined
    const outcome = await Promise.race([
      run().then(
        (result) => (result === 'forced' ? 'forced' : 'done'),
        (error: unknown) => {
          logger().error({ err: error, step: name }, `shutdown step "${name}" failed`)
          return 'failed'
        },
      ),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), deadlineMs))),
    ])
    clearTimeout(timer)
    if (outcome === 'done') return
    forced.push(name)
    if (outcome === 'timeout') {
      logger().error({ step: name, deadlineMs }, `shutdown step "${name}" did not finish in time: moving on`)
    } else if (outcome === 'forced') {
      logger().error({ step: name }, `shutdown step "${name}" had to be forced`)
    }
  }
  return { step, forced }
}
