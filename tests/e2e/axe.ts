import axe from 'axe-core'
import type { AxeResults, PartialResult, RunOptions } from 'axe-core'
import type { BrowserContext, Frame, Page } from '@playwright/test'

type AxeWindow = { axe: typeof axe }

/**
 * axe-core's two-step run (`runPartial` in the page and in each of its frames, then `finishRun`
 * on a blank page) as @axe-core/playwright's AxeBuilder does it, minus two per-run costs that
 * made the accessibility spec take minutes: axe's 500 KB source is evaluated once per document,
 * not once per check, and the blank page that finishes runs is opened once per browser context
 * and reused, not opened and closed for every check. What is checked, and in which frames, is
 * the same.
 */
export class AxeChecker {
  private finisher: Promise<Page> | undefined

  constructor(private readonly context: BrowserContext) {}

  /** Every rule, or only `rules`, on the page as it is now (frames included). */
  async analyze(page: Page, rules?: readonly string[]): Promise<AxeResults> {
    // Only violations are read: axe keeps one node per rule for passes and the rest, which cuts
    // what runPartial collects and serializes, not what it checks.
    const options: RunOptions = {
      resultTypes: ['violations'],
      ...(rules ? { runOnly: { type: 'rule', values: [...rules] } } : {}),
    }
    const partials = await partialsOf(page.mainFrame(), { exclude: [], include: [] }, options, true)
    const finisher = await (this.finisher ??= this.openFinisher())
    const text = JSON.stringify(partials)
    return finisher.evaluate(
      ({ text, options }) =>
        (window as unknown as AxeWindow).axe.finishRun(JSON.parse(text) as PartialResult[], options),
      { text, options },
    )
  }

  async close() {
    if (this.finisher) await (await this.finisher).close()
  }

  private async openFinisher() {
    const page = await this.context.newPage()
    await ensureAxe(page.mainFrame())
    return page
  }
}

/** Evaluates axe's source in the frame unless this document already has it. */
async function ensureAxe(frame: Frame) {
  const present = await frame.evaluate(
    () => typeof (window as unknown as Partial<AxeWindow>).axe?.runPartial === 'function',
  )
  if (!present) await frame.evaluate(axe.source)
}

/** ensureAxe, given up after `ms` (a frame that runs no scripts never answers an evaluate). */
async function ensureAxeWithin(frame: Frame, ms: number) {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`axe could not be loaded in ${frame.url()} within ${ms} ms`)),
      ms,
    )
  })
  try {
    await Promise.race([ensureAxe(frame), late])
  } finally {
    clearTimeout(timer)
  }
}

type FrameContext = { frameSelector: unknown; frameContext: unknown }

/**
 * runPartial results of the frame and then of each of its frames, depth first: the order
 * finishRun reads them in. A frame that cannot be checked gives null (axe reports it as such);
 * the top document must be checkable.
 */
async function partialsOf(
  frame: Frame,
  context: unknown,
  options: RunOptions,
  top: boolean,
): Promise<Array<PartialResult | null>> {
  try {
    if (top) await ensureAxe(frame)
    else await ensureAxeWithin(frame, 5_000)
    const frames = await frame.evaluate(
      ({ context, options }) =>
        (window as unknown as AxeWindow).axe.utils.getFrameContexts(
          context as never,
          options,
        ) as FrameContext[],
      { context, options },
    )
    const own = frame.evaluate(
      ({ context, options }) => (window as unknown as AxeWindow).axe.runPartial(context as never, options),
      { context, options },
    )
    const children: Array<Promise<Array<PartialResult | null>>> = []
    for (const { frameSelector, frameContext } of frames) {
      const element = await frame.evaluateHandle(
        (selector) => (window as unknown as AxeWindow).axe.utils.shadowSelect(selector as never),
        frameSelector,
      )
      const iframe = element.asElement()
      // A sandboxed frame without allow-scripts (an email's HTML) cannot run axe: axe reports it
      // as a frame it could not check, as it does for AxeBuilder.
      const scripted = await iframe?.evaluate(
        (el) =>
          !(el instanceof HTMLIFrameElement) ||
          !el.hasAttribute('sandbox') ||
          el.sandbox.contains('allow-scripts'),
      )
      const child = scripted ? await iframe?.contentFrame() : null
      children.push(child ? partialsOf(child, frameContext, options, false) : Promise.resolve([null]))
    }
    const [result, ...rest] = await Promise.all([own, ...children])
    return [result as PartialResult, ...rest.flat(1)]
  } catch (error) {
    if (top) throw error
    return [null]
  }
}
