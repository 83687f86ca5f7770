import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page, type Route } from 'playwright-core';

/** Debian's chromium (installed by .ci/run), driven by playwright-core: no browser download. */
export const chromiumPath = '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: apt-get install -y chromium (.ci/run does)`);
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

export const desktop = { width: 1280, height: 800 };
export const phone = { width: 390, height: 844 };
export const tablet = { width: 820, height: 1180 };

/**
 * A browser context (its own storage: one person) whose pages record what would otherwise pass
 * unnoticed: Content-Security-Policy refusals, uncaught errors, failed requests to the console's files.
 */
export interface Person {
  context: BrowserContext;
  page: Page;
  problems: string[];
}

export async function openPerson(browser: Browser, baseUrl: string, viewport: { width: number; height: number }): Promise<Person> {
  const context = await browser.newContext({ baseURL: baseUrl, viewport, locale: 'en-GB', timezoneId: 'America/New_York' });
  const page = await context.newPage();
  // Everything here happens within a second or two; a missing element fails fast rather than at 30 s.
  page.setDefaultTimeout(10_000);
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content.Security.Policy|Refused to/i.test(message.text())) problems.push(`CSP: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return { context, page, problems };
}

export async function signIn(person: Person, email: string, password: string): Promise<void> {
  const { page } = person;
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel(/^Password/).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Account' }).waitFor();
}

const axeSource = (() => {
  const require = createRequire(import.meta.url);
  return (require('axe-core') as { source: string }).source;
})();

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/**
 * axe-core on the page as it is now; the serious and critical violations. Loaded through the DevTools
 * protocol (page.evaluate), which the page's CSP does not govern, so the check needs no policy exception.
 */
export async function seriousAccessibilityViolations(page: Page): Promise<AxeViolation[]> {
  // A dialog still fading in is half transparent, below the contrast it has once shown: axe looks at the
  // page once its transitions have ended (a spinner's endless animation is not a transition).
  await page.waitForFunction(() => document.getAnimations().every((animation) => !(animation instanceof CSSTransition) || animation.playState !== 'running'));
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((violation) => ({ id: violation.id, impact: violation.impact, help: violation.help, nodes: violation.nodes.map((node) => ({ target: node.target, failureSummary: node.failureSummary })) }));
  });
  return violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
}

/** The same screen at 1280 and at 390 px, when CONSOLE_SCREENSHOTS asks for them; the viewport is put back. */
export async function screenshots(page: Page, name: string): Promise<void> {
  if (!process.env['CONSOLE_SCREENSHOTS']) return;
  const size = page.viewportSize() ?? desktop;
  await page.setViewportSize(desktop);
  await screenshot(page, `${name}-1280`);
  await page.setViewportSize(phone);
  await screenshot(page, `${name}-390`);
  await page.setViewportSize(size);
}

/** Resolves with Date.now() in the page when the capacity line first reads `expected`. */
export function whenCapacityReads(page: Page, expected: string): Promise<number> {
  return page.evaluate(
    (text) =>
      new Promise<number>((resolve) => {
        const check = () => {
          if (document.querySelector('[data-testid="capacity-text"]')?.textContent === text) {
            observer.disconnect();
            resolve(Date.now());
          }
        };
        const observer = new MutationObserver(check);
        observer.observe(document.body, { childList: true, subtree: true, characterData: true });
        check();
      }),
    expected,
  );
}

/** Screenshots for docs/console when CONSOLE_SCREENSHOTS names a folder (the tests never write into the repository otherwise). */
export async function screenshot(page: Page, name: string): Promise<void> {
  const folder = process.env['CONSOLE_SCREENSHOTS'];
  if (!folder) return;
  mkdirSync(folder, { recursive: true });
  await page.screenshot({ path: join(folder, `${name}.png`), fullPage: false });
}

/**
 * axe at 1280 and at 390 px on the page as it is (its own viewport restored after): every finding, each
 * tagged with the width it was seen at. A layout that only breaks on a phone is caught too.
 */
export async function seriousViolationsAtBothWidths(page: Page): Promise<(AxeViolation & { width: number })[]> {
  const size = page.viewportSize() ?? desktop;
  const found: (AxeViolation & { width: number })[] = [];
  for (const viewport of [desktop, phone]) {
    await page.setViewportSize(viewport);
    found.push(...(await seriousAccessibilityViolations(page)).map((violation) => ({ ...violation, width: viewport.width })));
  }
  await page.setViewportSize(size);
  return found;
}

/** One render of a list, measured: the page's own clock and its main thread's CPU time. */
export interface RenderMeasure {
  /** From the list's answer arriving (its response end) to the first frame painted after the rows are in the DOM. */
  wallMs: number;
  /** CPU time of the page's main thread over the same stretch (DevTools' ThreadTime): what the render costs, whatever else runs on the machine. */
  mainThreadCpuMs: number;
  /** Of the same stretch, the time in scripts and the time in style and layout (DevTools' durations: wall time, so stretched by a busy machine). */
  scriptMs: number;
  styleAndLayoutMs: number;
  /** Elements in the page once the rows are shown. */
  elements: number;
}

/**
 * Opens `url`, holds the answer of the request `list` matches until the rest of the page is shown
 * (`ready`), then lets it through and measures the page turning it into `rows` rows of `rowsSelector`.
 * Holding the answer separates the list's render from the page's own start (scripts, header, names),
 * and the main thread's CPU time is read before and after it: a busy machine stretches the wall time
 * (the renderer waits for a core) but hardly the CPU time.
 */
export async function measureListRender(page: Page, url: string, list: RegExp, ready: (page: Page) => Promise<void>, rowsSelector: string, rows: number): Promise<RenderMeasure> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const metrics = async () => new Map((await cdp.send('Performance.getMetrics')).metrics.map((metric) => [metric.name, metric.value]));
  let heldRoute: (route: Route) => void = () => undefined;
  const held = new Promise<Route>((resolve) => (heldRoute = resolve));
  await page.route(list, (route) => heldRoute(route));
  try {
    await page.goto(url);
    const route = await held;
    const response = await route.fetch();
    await ready(page);
    // Two frames with nothing to do: what the page started before has settled.
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    // The watch is set before the answer goes through; its result is fetched after.
    await page.evaluate(
      ({ selector, count, pattern }) => {
        (window as unknown as { listShown: Promise<{ wallMs: number; elements: number }> }).listShown = new Promise((resolve) => {
          const check = () => {
            if (document.querySelectorAll(selector).length !== count) return;
            observer.disconnect();
            // A task queued from an animation frame runs after that frame's style, layout and paint.
            requestAnimationFrame(() =>
              setTimeout(() => {
                const answer = performance.getEntriesByType('resource').findLast((entry) => new RegExp(pattern).test(entry.name)) as PerformanceResourceTiming | undefined;
                resolve({ wallMs: performance.now() - (answer?.responseEnd ?? Number.NaN), elements: document.getElementsByTagName('*').length });
              }),
            );
          };
          const observer = new MutationObserver(check);
          observer.observe(document.body, { childList: true, subtree: true });
          check();
        });
      },
      { selector: rowsSelector, count: rows, pattern: list.source },
    );
    const before = await metrics();
    await route.fulfill({ response });
    const { wallMs, elements } = await page.evaluate(() => (window as unknown as { listShown: Promise<{ wallMs: number; elements: number }> }).listShown);
    const after = await metrics();
    const spent = (name: string) => ((after.get(name) ?? Number.NaN) - (before.get(name) ?? Number.NaN)) * 1000;
    return { wallMs, mainThreadCpuMs: spent('ThreadTime'), scriptMs: spent('ScriptDuration'), styleAndLayoutMs: spent('RecalcStyleDuration') + spent('LayoutDuration'), elements };
  } finally {
    await page.unroute(list);
    await cdp.detach();
  }
}

/** The median of some figures, and their range, as a report says it: "85 ms (72–130)". */
export function medianAndRange(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length % 2 === 1 ? sorted[(sorted.length - 1) / 2]! : ((sorted[sorted.length / 2 - 1] ?? 0) + (sorted[sorted.length / 2] ?? 0)) / 2;
  return `${Math.round(middle)} (${Math.round(sorted[0] ?? 0)}–${Math.round(sorted.at(-1) ?? 0)})`;
}
