import type { Browser, Page } from 'playwright-core';

/** What a person does with the app, as steps the e2e tests share. */
export function appPage(page: Page) {
  const self = {
    page,
    pendingCount: async () => Number(await page.getByTestId('sync-pending').getAttribute('data-count')),
    waitForLink: (text: string) => page.getByTestId('sync-link').filter({ hasText: text }).waitFor({ timeout: 30_000 }),
    async login(username: string) {
      await page.locator('input[name=username]').fill(username);
      await page.locator('input[name=password]').fill('demo1234');
      await page.getByRole('button', { name: '登录' }).click();
      await self.waitForLink('在线');
    },
    /** Waits for the service worker and reloads once, so the page is controlled before going offline. */
    async installShell() {
      await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
      await page.reload();
      await self.waitForLink('在线');
    },
    async record(description: string, fill: { category?: string; kind?: string; name?: string; channel?: string } = {}) {
      await page.getByRole('link', { name: /登记诉求/ }).click();
      if (fill.channel) await page.locator('select[name=channel]').selectOption(fill.channel);
      await page.locator('select[name=category]').selectOption(fill.category ?? 'infra.roads');
      await page.locator('select[name=kind]').selectOption(fill.kind ?? 'help');
      await page.locator('input[name=citizenName]').fill(fill.name ?? '村民');
      await page.locator('textarea[name=description]').fill(description);
      await page.getByRole('button', { name: '保存' }).click();
      await page.getByTestId('appeal-list').getByText(description.slice(0, 12)).waitFor();
    },
    /** Titles and statuses of the list, sorted, for comparing two devices. */
    async listRows(): Promise<string[]> {
      await page.getByRole('link', { name: '我的诉求' }).click();
      const rows = await page.getByTestId('appeal-list').locator('a.row').evaluateAll((as) => as.map((a) => `${a.querySelector('.title')?.textContent} | ${a.querySelector('.meta')?.textContent?.split('·')[0]?.trim()}`));
      return rows.sort();
    },
  };
  return self;
}

/** A fresh phone (360×640, touch) with `username` signed in at `url`. */
export async function phoneAs(browser: Browser, url: string, username: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 360, height: 640 }, hasTouch: true, isMobile: true })).newPage();
  await page.goto(url);
  await appPage(page).login(username);
  return page;
}
