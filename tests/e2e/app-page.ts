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
    /**
     * Follows a place's link wherever the layout puts it: the tab bar (or a wide screen's top
     * bar), else the 更多 sheet, else the account menu (settings). A string matches the whole name.
     */
    async go(name: string | RegExp) {
      const link = page.getByRole('link', { name, exact: typeof name === 'string' });
      await page.getByTestId('tab-bar').waitFor();
      // Hidden links (a closed sheet, a phone's folded places) are not in the accessibility tree.
      if ((await link.count()) > 0) return link.click();
      for (const opener of ['more-button', 'account-button']) {
        if (!(await page.getByTestId(opener).isVisible())) continue;
        await page.getByTestId(opener).click();
        if ((await link.count()) > 0) return link.click();
        await page.keyboard.press('Escape');
      }
      throw new Error(`No link named ${String(name)} on this screen or in its menus`);
    },
    /** Switches the interface language with the button that names the other one ('English' or '中文'). */
    async switchLanguage(to: 'English' | '中文') {
      const button = page.getByRole('button', { name: to, exact: true });
      if ((await button.count()) === 0) await page.getByTestId('account-button').click();
      await button.click();
    },
    async record(description: string, fill: { category?: string; kind?: string; name?: string; channel?: string } = {}) {
      await self.submitRecord(description, fill);
      await page.getByTestId('appeal-list').getByText(description.slice(0, 12)).waitFor();
    },
    /** Fills the record form and taps save, without waiting for the save to finish. */
    async submitRecord(description: string, fill: { category?: string; kind?: string; name?: string; channel?: string } = {}) {
      await self.go(/登记诉求/);
      if (fill.channel) await page.locator('select[name=channel]').selectOption(fill.channel);
      await page.locator('select[name=category]').selectOption(fill.category ?? 'infra.roads');
      await page.locator('select[name=kind]').selectOption(fill.kind ?? 'help');
      await page.locator('input[name=citizenName]').fill(fill.name ?? '村民');
      await page.locator('textarea[name=description]').fill(description);
      await page.getByRole('button', { name: '保存' }).click();
    },
    /** Titles and statuses of the list, sorted, for comparing two devices. */
    async listRows(): Promise<string[]> {
      await self.go('我的诉求');
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
