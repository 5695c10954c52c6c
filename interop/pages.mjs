// Opens credreg's web pages in a real browser (Debian's Chromium, driven by
// playwright-core) and checks what a person and a screen reader get: no
// console errors (a Content-Security-Policy violation is one), the list's
// filter form works, paging links work, and the report's chart is an image
// with an accessible name and a data table beside it.
//
//   node pages.mjs http://127.0.0.1:8080
//
// Prints one line per check ("ok ..." or "FAIL ..."), then "N passed,
// M failed"; exits 1 when a check fails.
import { chromium } from 'playwright-core';

const base = process.argv[2];
if (!base) {
  console.error('usage: node pages.mjs BASE_URL');
  process.exit(2);
}
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';

let passed = 0;
let failed = 0;
function check(name, ok, detail = '') {
  if (ok) {
    passed++;
    console.log(`ok ${name}`);
  } else {
    failed++;
    console.log(`FAIL ${name}${detail ? ': ' + detail : ''}`);
  }
}

const browser = await chromium.launch({
  executablePath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
try {
  const page = await browser.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`${r.status()} for ${r.url()}`); });

  // The list: the form filters by Cluster.
  let res = await page.goto(`${base}/credentials?active=2026-11-25&limit=10`);
  check('the list page loads', res.status() === 200, `status ${res.status()}`);
  check('the list page has a title', (await page.title()).startsWith('Credentials of value'), await page.title());
  const search = page.getByRole('search', { name: 'Filter the list' });
  check('the filter form is a search landmark', (await search.count()) === 1);
  await page.getByLabel('Career Cluster').selectOption('060100');
  await Promise.all([page.waitForURL(/cluster=060100/), page.getByRole('button', { name: 'Show' }).click()]);
  check('the form keeps the day asked for', /active=2026-11-25/.test(page.url()), page.url());
  const status = await page.getByRole('status').innerText();
  check('filtering by Cluster narrows the list', /credentials? of value/.test(status) && /cluster: Digital Technology/.test(status), status);
  const rows = await page.locator('table.list tbody tr').count();
  const total = Number((status.match(/^(\d+)/) || [])[1]);
  check('the rows shown are the total, up to a page', rows > 0 && rows === Math.min(total, 50), `${rows} rows, total ${total}`);

  // Paging: next, then previous, comes back to the same first row.
  await page.goto(`${base}/credentials?active=2026-11-25&limit=5`);
  const first = await page.locator('table.list tbody tr').first().innerText();
  await page.getByRole('link', { name: 'Next page' }).click();
  await page.waitForURL(/cursor=/);
  const second = await page.locator('table.list tbody tr').first().innerText();
  check('the next page shows other credentials', second !== first);
  await page.getByRole('link', { name: 'Previous page' }).click();
  await page.waitForURL(/cursor=/);
  check('the previous page comes back', (await page.locator('table.list tbody tr').first().innerText()) === first);

  // The report: an image with a name and a description, and the table.
  res = await page.goto(`${base}/reports/clusters?date=2026-11-25`);
  check('the report page loads', res.status() === 200, `status ${res.status()}`);
  const chart = page.getByRole('img', { name: 'Credentials of value by Career Cluster on 2026-11-25' });
  check('the chart is an image with an accessible name', (await chart.count()) === 1);
  const described = await chart.evaluate((el) => {
    const ids = (el.getAttribute('aria-labelledby') || '').split(/\s+/);
    return ids.map((id) => document.getElementById(id)?.textContent || '').join(' ');
  });
  check('the chart describes its figures', /Digital Technology: \d+/.test(described), described.slice(0, 120));
  const bars = await page.locator('svg rect').count();
  check('the chart has a bar per Cluster', bars === 14, `${bars} bars`);
  const box = await chart.boundingBox();
  check('the chart is drawn', box && box.width > 300 && box.height > 200, JSON.stringify(box));
  const tableRows = await page.locator('table.report tbody tr').count();
  check('the table has every Cluster and Sub-Cluster', tableRows === 86, `${tableRows} rows`);
  await page.getByRole('link', { name: 'Digital Technology', exact: true }).click();
  await page.waitForURL(/\/credentials\?/);
  check('a Cluster links to its credentials of value', /cluster=060100/.test(page.url()), page.url());

  // The employer's check and who said what render without errors too.
  for (const path of ['/check?ctid=ce-f33b4a20-d7ac-4dd2-8a40-b29a22d5103a', '/resources/ce-f33b4a20-d7ac-4dd2-8a40-b29a22d5103a/designations']) {
    res = await page.goto(base + path, { waitUntil: 'load' });
    check(`${path} loads`, res.status() === 200, `status ${res.status()}`);
  }
  check('no console errors or CSP violations', problems.length === 0, problems.join(' | '));
} finally {
  await browser.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
