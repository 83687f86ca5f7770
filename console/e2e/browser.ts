import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

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
