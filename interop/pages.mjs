// Opens credreg's web pages in a real browser (Debian's Chromium, driven by
// playwright-core) and walks them as a person would: from home, search a
// credential, open it, follow its Cluster, filter the list by region, check
// a credential by name, open an organization. It checks what each page
// shows, that no page overflows a 375 px phone screen, that no page weighs
// 100 KB or more, that every page's embedded JSON-LD parses with jsonld.js
// and uses schema.org terms only (checked against schema-dts, schema.org's
// own type definitions), that names holding markup stay inert, and that no
// console error or CSP violation occurs. The list's form, paging and the
// report's chart are checked as before.
//
//   node pages.mjs http://127.0.0.1:8080
//
// CHROMIUM names the browser (default /usr/bin/chromium); SCREENSHOTS names
// a folder for a screenshot of each page (none when unset); EVIL_CTID names
// a credential whose name, description and web page hold markup.
//
// Prints one line per check ("ok ..." or "FAIL ..."), then "N passed,
// M failed"; exits 1 when a check fails.
import { chromium } from 'playwright-core';
import jsonld from 'jsonld';
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const base = process.argv[2];
if (!base) {
  console.error('usage: node pages.mjs BASE_URL');
  process.exit(2);
}
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const shots = process.env.SCREENSHOTS || '';
const evilCTID = process.env.EVIL_CTID || '';
if (shots) mkdirSync(shots, { recursive: true });

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

// --- schema.org's vocabulary, from schema-dts's type definitions ----------
// Each type's properties (with those it inherits), so that an embedded
// description is checked property by property against its type.
const require = createRequire(import.meta.url);
const dts = readFileSync(path.join(path.dirname(require.resolve('schema-dts/package.json')), 'dist', 'schema.d.ts'), 'utf8');
const bases = new Map(); // "CreativeWorkBase" -> {parents, props}
for (const m of dts.matchAll(/interface (\w+Base) extends ([^{]+) \{([\s\S]*?)\n\}/g)) {
  const props = new Set([...m[3].matchAll(/^\s+"([\w-]+)"\?:/gm)].map((p) => p[1]));
  bases.set(m[1], { parents: m[2].split(',').map((s) => s.trim()).filter((s) => /^\w+Base$/.test(s)), props });
}
const typeBase = new Map(); // "Organization" -> "OrganizationBase"
for (const m of dts.matchAll(/export interface (\w+)Leaf extends (\w+) \{\s+"@type": "(\w+)";/g)) typeBase.set(m[3], m[2]);
function propsOf(type) {
  const out = new Set();
  const walk = (b) => {
    const e = bases.get(b);
    if (!e) return;
    e.props.forEach((p) => out.add(p));
    e.parents.forEach(walk);
  };
  walk(typeBase.get(type));
  return out;
}
check('schema.org vocabulary read from schema-dts', typeBase.has('EducationalOccupationalCredential') && propsOf('EducationalOccupationalCredential').has('credentialCategory'), `${typeBase.size} types`);

// schemaOrgProblems lists what in a compact description (with
// {"@vocab": "https://schema.org/"}) is not schema.org: an unknown type or
// a property its type does not have.
function schemaOrgProblems(node, where = '') {
  const out = [];
  if (Array.isArray(node)) {
    node.forEach((n, i) => out.push(...schemaOrgProblems(n, `${where}[${i}]`)));
    return out;
  }
  if (node === null || typeof node !== 'object') return out;
  const type = node['@type'];
  let allowed = null;
  if (type !== undefined) {
    if (!typeBase.has(type)) out.push(`${where}: unknown type ${type}`);
    else allowed = propsOf(type);
  }
  for (const [k, v] of Object.entries(node)) {
    if (k.startsWith('@')) continue;
    if (allowed && !allowed.has(k)) out.push(`${where}: ${type} has no property ${k}`);
    if (!allowed) out.push(`${where}: ${k} on a node without a type`);
    out.push(...schemaOrgProblems(v, `${where}.${k}`));
  }
  return out;
}

// A jsonld.js loader that fetches nothing: the descriptions must stand alone.
const noNetwork = async (url) => { throw new Error(`the description asks jsonld.js to fetch ${url}`); };

const browser = await chromium.launch({
  executablePath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const problems = [];
const dialogs = [];
// Pages the walk asks for knowing they are not there: their 404 is no
// problem.
const expected404 = new Set([`${base}/credentails`, `${base}/check?name=no+such+credential+at+all`]);
async function newPage(width) {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  page.on('console', (m) => {
    if (m.type() === 'error' && !(expected404.has(m.location().url) && m.text().includes('404'))) problems.push(`${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  page.on('response', (r) => { if (r.status() >= 400 && !expected404.has(r.url())) problems.push(`${r.status()} for ${r.url()}`); });
  page.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });
  return page;
}

// inspect checks what every page must hold, and takes its screenshot.
const weights = [];
let shotN = 0;
async function inspect(page, res, label) {
  const html = await res.text();
  weights.push([label, html.length]);
  check(`${label}: under 100 KB`, html.length < 100 * 1024, `${html.length} bytes`);
  const csp = res.headers()['content-security-policy'] || '';
  check(`${label}: has a Content-Security-Policy`, csp.includes("default-src 'none'"), csp);
  check(`${label}: has the site header`, (await page.getByRole('navigation', { name: 'Site' }).count()) === 1);
  const blocks = await page.locator('script[type="application/ld+json"]').allTextContents();
  for (const [i, text] of blocks.entries()) {
    let doc;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      check(`${label}: embedded JSON-LD ${i} is JSON`, false, String(e));
      continue;
    }
    let expanded = [];
    try {
      expanded = await jsonld.expand(doc, { documentLoader: noNetwork });
    } catch (e) {
      check(`${label}: embedded JSON-LD ${i} expands with jsonld.js`, false, String(e));
      continue;
    }
    const iris = [];
    const walk = (n) => {
      if (Array.isArray(n)) return n.forEach(walk);
      if (n === null || typeof n !== 'object') return;
      for (const [k, v] of Object.entries(n)) {
        if (k === '@type') [].concat(v).forEach((t) => iris.push(t));
        else if (!k.startsWith('@')) iris.push(k);
        walk(v);
      }
    };
    walk(expanded);
    const foreign = iris.filter((x) => !x.startsWith('https://schema.org/'));
    check(`${label}: embedded JSON-LD ${i} expands to schema.org terms only`, iris.length > 0 && foreign.length === 0, foreign.slice(0, 5).join(', '));
    const bad = schemaOrgProblems(doc);
    check(`${label}: embedded JSON-LD ${i} fits schema.org's types`, bad.length === 0, bad.slice(0, 5).join('; '));
  }
  if (shots) {
    shotN++;
    const w = page.viewportSize().width;
    await page.screenshot({ path: path.join(shots, `${String(shotN).padStart(2, '0')}-${label.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}-${w}.png`), fullPage: true });
  }
  return html;
}

async function noOverflow(page, label) {
  const [sw, w] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  check(`${label}: fits a ${w} px screen`, sw <= w, `scrollWidth ${sw}`);
}

try {
  // --- A person's way through the registry, on a desktop ---------------------
  let page = await newPage(1280);
  let res = await page.goto(`${base}/`);
  let html = await inspect(page, res, 'home');
  check('home: lists the 14 Career Clusters', (await page.locator('ul.cards li').count()) === 14);
  check('home: gives each Cluster its count', /Digital Technology\s+\d+ credentials? of value/.test(await page.locator('ul.cards').innerText()));
  check('home: embeds a WebSite description', html.includes('"@type":"WebSite"'));

  await page.getByRole('search', { name: 'Search credentials' }).getByRole('searchbox').fill('nurse');
  await Promise.all([page.waitForURL(/\/credentials\?q=nurse/), page.getByRole('search', { name: 'Search credentials' }).getByRole('button').click()]);
  const found = await page.locator('table.list tbody tr').allInnerTexts();
  check('search: "nurse" finds the Certified Nursing Assistant', found.some((r) => r.includes('Certified Nursing Assistant')), found.map((r) => r.split('\n')[0]).join(' | '));
  check('search: the header box keeps the words', (await page.getByRole('search', { name: 'Search the registry' }).getByRole('searchbox').inputValue()) === 'nurse');

  await Promise.all([page.waitForURL(/\/resources\/ce-/), page.getByRole('link', { name: 'Certified Nursing Assistant', exact: true }).click()]);
  res = await page.reload();
  html = await inspect(page, res, 'credential');
  check('credential: the title is its name', (await page.locator('h1').innerText()) === 'Certified Nursing Assistant');
  const verdict = await page.getByRole('status').first().innerText();
  check('credential: answers "of value?" first', /^(Of value|Not designated of value) on [A-Z][a-z]{2} \d{1,2}, \d{4}$/.test(verdict), verdict);
  const rows = await page.locator('table.desrows tbody tr').allInnerTexts();
  check('credential: names who designates it, where and on which criteria', rows.length > 0 && rows.every((r) => /Heartland/.test(r)), rows.join(' | ').slice(0, 200));
  check('credential: shows wages as money', /\$\d{1,3}(,\d{3})+/.test(await page.locator('table.desrows').innerText()));
  const covers = await page.locator('section[aria-labelledby="covers-h"]').innerText();
  check('credential: labels occupations by system, with titles and codes', /SOC\s+Nursing Assistants\s+31-1131/.test(covers), covers.slice(0, 200));
  check('credential: labels industries and programs by system', /NAICS\s+General Medical and Surgical Hospitals\s+622110/.test(covers) && /CIP\s+.+\s+51\.3902/.test(covers));
  check('credential: links to its check and history', (await page.getByRole('link', { name: "The employer's check" }).count()) === 1 && (await page.getByRole('link', { name: 'History' }).count()) === 1);
  check('credential: embeds an EducationalOccupationalCredential', /"@type":"EducationalOccupationalCredential"/.test(html) && /"@type":"Occupation"[^}]*"occupationalCategory"/.test(html) && /"recognizedBy"/.test(html));
  check('credential: has a print style', html.includes('@media print'));

  const clusterLink = page.locator('table.desrows tbody tr').first().locator('td').nth(1).getByRole('link').first();
  const clusterName = await clusterLink.innerText();
  await Promise.all([page.waitForURL(/\/schemes\/career-clusters\/\d{6}$/), clusterLink.click()]);
  res = await page.reload();
  await inspect(page, res, 'cluster');
  check('cluster: the title is the Cluster', (await page.locator('h1').innerText()) === clusterName, clusterName);
  const subs = await page.locator('section.sub').count();
  check('cluster: lists its Sub-Clusters', subs >= 2, `${subs}`);
  const crosswalk = await page.locator('section.sub').first().innerText();
  check('cluster: a Sub-Cluster names its occupations, industries and programs by system', /Occupations \(SOC\)/.test(crosswalk) && /\d{2}-\d{4}/.test(crosswalk), crosswalk.slice(0, 160));
  check('cluster: lists its credentials of value, the one we came from among them', (await page.locator('table.list').innerText()).includes('Certified Nursing Assistant'));
  check('cluster: no SKOS jargon', !/Top concept of|Cross-cutting false|Narrower/.test(await page.locator('main').innerText()));

  await Promise.all([page.waitForURL(/\/credentials$/), page.getByRole('navigation', { name: 'Site' }).getByRole('link', { name: 'Credentials' }).click()]);
  await page.getByLabel('Region').selectOption({ label: 'River Valley Workforce Region' });
  await Promise.all([page.waitForURL(/region=/), page.getByRole('button', { name: 'Show' }).click()]);
  const listStatus = await page.getByRole('status').innerText();
  check('list: filters by region', /region: River Valley Workforce Region/.test(listStatus), listStatus);
  const regionRows = await page.locator('table.list tbody tr').allInnerTexts();
  check('list: every credential shown has a designation in the region', regionRows.length > 0 && regionRows.every((r) => r.includes('River Valley Workforce Region')), `${regionRows.length} rows`);

  await Promise.all([page.waitForURL(/\/check$/), page.getByRole('navigation', { name: 'Site' }).getByRole('link', { name: 'Check' }).click()]);
  await page.getByLabel('Name').fill('ccna');
  await Promise.all([page.waitForURL(/\/check\?/), page.getByRole('button', { name: 'Check' }).click()]);
  res = await page.reload();
  await inspect(page, res, 'check');
  check('check: "ccna" finds Cisco Certified Network Associate', /Cisco Certified Network Associate/.test(await page.locator('h1').innerText()), await page.locator('h1').innerText());
  check('check: answers of value or not', /^(Of value|Not designated of value) on /.test(await page.locator('p.verdict').innerText()));

  const owner = page.locator('table').first().locator('tr', { hasText: 'Owned by' }).getByRole('link').first();
  const ownerName = await owner.innerText();
  await Promise.all([page.waitForURL(/\/resources\/ce-/), owner.click()]);
  res = await page.reload();
  html = await inspect(page, res, 'organization');
  check('organization: the title is its name', (await page.locator('h1').innerText()) === ownerName, ownerName);
  check('organization: lists what it owns', /Cisco Certified Network Associate/.test(await page.locator('section[aria-labelledby="owns-h"]').innerText()));
  check('organization: embeds an Organization', /"@type":"Organization"/.test(html));

  await Promise.all([page.waitForURL(/\/organizations$/), page.getByRole('navigation', { name: 'Site' }).getByRole('link', { name: 'Organizations' }).click()]);
  res = await page.reload();
  await inspect(page, res, 'organizations');
  check('organizations: the designating agencies come first', (await page.locator('section[aria-labelledby="ag-h"] li').count()) >= 3);

  // A code-list concept and the report.
  res = await page.goto(`${base}/schemes/soc/29-1141`);
  html = await inspect(page, res, 'occupation');
  check('occupation: titled for people, with its system and code', (await page.locator('h1').innerText()) === 'Registered Nurses' && /SOC\s+29-1141/.test(await page.locator('p.types').innerText()));
  check('occupation: embeds an Occupation', /"@type":"Occupation"/.test(html));
  res = await page.goto(`${base}/reports/clusters?date=2026-11-25`);
  await inspect(page, res, 'report');

  // A page that is not there: HTML, suggestions, the search box.
  res = await page.goto(`${base}/credentails`);
  check('a mistyped path answers 404 as a page', res.status() === 404 && (res.headers()['content-type'] || '').startsWith('text/html'), `${res.status()} ${res.headers()['content-type']}`);
  check('the 404 page suggests the page meant', (await page.getByRole('link', { name: 'Credentials of value' }).count()) >= 1);
  check('the 404 page has a search box', (await page.getByRole('search', { name: 'Search credentials' }).count()) === 1);
  res = await page.goto(`${base}/check?name=no+such+credential+at+all`);
  check('a check of an unknown name answers 404 as a page', res.status() === 404 && /No credential has that name/.test(await page.locator('main').innerText()));
  await page.close();

  // --- The same pages at phone width -------------------------------------------
  page = await newPage(375);
  for (const [label, p] of [['home', '/'], ['credential', null], ['cluster', '/schemes/career-clusters/040200'], ['list', '/credentials'], ['report', '/reports/clusters'], ['check', '/check?name=ccna'], ['organizations', '/organizations']]) {
    let url = p;
    if (url === null) {
      await page.goto(`${base}/check?name=ccna`);
      url = await page.locator('td.iri a').first().getAttribute('href');
    }
    res = await page.goto(base + url);
    if (label === 'credential' || label === 'cluster') await inspect(page, res, `${label} at 375 px`);
    await noOverflow(page, label);
  }
  await page.close();

  // --- Markup in names stays inert ---------------------------------------------
  if (evilCTID) {
    page = await newPage(1280);
    res = await page.goto(`${base}/resources/${evilCTID}`);
    html = await inspect(page, res, 'credential with markup in its name');
    const h1 = await page.locator('h1').innerText();
    check('markup: the name shows as text', h1.includes('</script><script>alert(1)</script>') && (await page.locator('h1 b, h1 script, h1 img').count()) === 0, h1);
    check('markup: the description shows as text', (await page.locator('main').innerText()).includes('<img src=x onerror=alert(2)>'));
    check('markup: no javascript: link', (await page.locator('a[href^="javascript:"]').count()) === 0);
    const ld = JSON.parse(await page.locator('script[type="application/ld+json"]').first().textContent());
    check('markup: the embedded JSON-LD holds the name as it is', ld.name === h1, ld.name);
    check('markup: the embedded JSON-LD cannot end its script', !/<\/script/i.test(await page.locator('script[type="application/ld+json"]').first().textContent()));
    check('markup: the page has one script element, the JSON-LD', (await page.locator('script').count()) === 1);
    for (const p of [`/check?ctid=${evilCTID}`, `/credentials?q=${encodeURIComponent('evil')}&active=any`, `/resources/${evilCTID}/designations`, `/resources/${evilCTID}/history`]) {
      await page.goto(base + p);
      check(`markup: ${p.split('?')[0]} runs no script from data`, (await page.locator('script:not([type="application/ld+json"])').count()) === 0);
    }
    await page.close();
  }
  check('no script from data ran (no dialog opened)', dialogs.length === 0, dialogs.join(' | '));

  // --- The list's form, paging and the report's chart -------------------------
  page = await newPage(1280);
  res = await page.goto(`${base}/credentials?active=2026-11-25&limit=10`);
  check('the list page loads', res.status() === 200, `status ${res.status()}`);
  check('the list page has a title', (await page.title()).startsWith('Credentials of value'), await page.title());
  const search = page.getByRole('search', { name: 'Filter the list' });
  check('the filter form is a search landmark', (await search.count()) === 1);
  await page.getByLabel('Career Cluster').selectOption('060100');
  await Promise.all([page.waitForURL(/cluster=060100/), page.getByRole('button', { name: 'Show' }).click()]);
  check('the form keeps the day asked for', /active=2026-11-25/.test(page.url()), page.url());
  const status = await page.getByRole('status').innerText();
  check('filtering by Cluster narrows the list', /credentials? of value/.test(status) && /cluster: Digital Technology/.test(status), status);
  const listRows = await page.locator('table.list tbody tr').count();
  const total = Number((status.match(/^(\d+)/) || [])[1]);
  check('the rows shown are the total, up to a page', listRows > 0 && listRows === Math.min(total, 50), `${listRows} rows, total ${total}`);

  await page.goto(`${base}/credentials?active=2026-11-25&limit=5`);
  const first = await page.locator('table.list tbody tr').first().innerText();
  await page.getByRole('link', { name: 'Next page' }).click();
  await page.waitForURL(/cursor=/);
  const second = await page.locator('table.list tbody tr').first().innerText();
  check('the next page shows other credentials', second !== first);
  await page.getByRole('link', { name: 'Previous page' }).click();
  await page.waitForURL(/cursor=/);
  check('the previous page comes back', (await page.locator('table.list tbody tr').first().innerText()) === first);

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

  for (const p of ['/check?ctid=ce-f33b4a20-d7ac-4dd2-8a40-b29a22d5103a', '/resources/ce-f33b4a20-d7ac-4dd2-8a40-b29a22d5103a/designations']) {
    res = await page.goto(base + p, { waitUntil: 'load' });
    check(`${p} loads`, res.status() === 200, `status ${res.status()}`);
  }
  await page.close();
  check('no console errors or CSP violations', problems.length === 0, problems.join(' | '));
  console.log(`page weights (bytes of HTML): ${weights.map(([l, n]) => `${l} ${n}`).join('; ')}`);
} finally {
  await browser.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
