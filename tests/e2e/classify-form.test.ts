import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { phoneAs } from './app-page';
import { E2E_TIMEOUT_MS, appAndBrowserForFile } from './rig';

// Classification suggestions (issue 26, item 9) on a 360×640 phone: the record form asks for
// the description before the category and kind, the suggestion appears right under the text
// with the words that produced it, and a refused save shows the description first.

const rig = appAndBrowserForFile();

const field = (page: Page, name: string) => page.locator(`form [name=${name}]`).first();
const top = async (page: Page, selector: string) => (await page.locator(selector).first().boundingBox())!.y;

describe('record form, description first', { timeout: E2E_TIMEOUT_MS }, () => {
  it('suggests a land dispute for a quarrel over a 宅基地, under the text and above the category', async () => {
    const page = await phoneAs(rig.browser, rig.server.url, 'grid');
    await page.getByRole('link', { name: /登记诉求/ }).click();
    await field(page, 'description').fill('我家和后院老李家为了宅基地的边吵了好几回，昨天差点动手，想请村里调解。');
    const suggestion = page.getByTestId('category-suggestions');
    await suggestion.getByText(/土地承包/).first().waitFor();
    const first = suggestion.locator('.suggestion').first();
    expect(await first.textContent()).toContain('宅基地');
    expect(await first.textContent()).toContain('调解');
    expect(await suggestion.textContent()).not.toContain('住房');
    // Order on screen: text, suggestion, then the category and kind to choose.
    const text = await top(page, 'textarea[name=description]');
    const suggested = await top(page, '[data-testid=category-suggestions]');
    const category = await top(page, 'select[name=category]');
    const kind = await top(page, 'select[name=kind]');
    expect(text).toBeLessThan(suggested);
    expect(suggested).toBeLessThan(category);
    expect(category).toBeLessThanOrEqual(kind);
    await first.getByRole('button', { name: '采用' }).click();
    expect(await field(page, 'category').inputValue()).toBe('disputes.land');
    await page.context().close();
  });

  it('brings the description to fix first when a save is refused', async () => {
    const page = await phoneAs(rig.browser, rig.server.url, 'grid');
    await page.getByRole('link', { name: /登记诉求/ }).click();
    const save = page.getByRole('button', { name: '保存' });
    await save.scrollIntoViewIfNeeded();
    await save.click();
    await page.getByTestId('form-error').waitFor();
    // A grid worker's channel is already chosen: the empty description is the first to fix, before the category.
    expect(await field(page, 'category').getAttribute('aria-invalid')).toBe('true');
    await expect.poll(() => page.evaluate(() => (document.activeElement as HTMLElement | null)?.getAttribute('name'))).toBe('description');
    await page.context().close();
  });
});
