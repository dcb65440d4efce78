// What the console story's steps share: the configuration written by
// tests/e2e/console.sh, the browser, the JSON API as a given token, and
// the page helpers (waiting for text, filling fields, axe-core).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
export const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
export const { http, tokens, teams, person } = config;
export const personId = person.split('/')[1];

export function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

export function step(text) {
  console.log(`--- ${text}`);
}

// The JSON API as `token`.
export async function api(token, service, method, body = {}) {
  const response = await fetch(`${http}/v1/carebridge.${service}/${method}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = await response.json();
  if (!response.ok) throw new Error(`${method}: ${JSON.stringify(answer)}`);
  return answer;
}

// A call the server must refuse: its gRPC code and message.
export async function refusal(token, service, method, body = {}) {
  const response = await fetch(`${http}/v1/carebridge.${service}/${method}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = await response.json();
  if (response.ok) throw new Error(`${method} was not refused: ${JSON.stringify(answer)}`);
  return { code: answer.error.status, message: answer.error.message };
}

export async function getAs(token, name) {
  const response = await fetch(`${http}/v1/${name}`, { headers: { Authorization: `Bearer ${token}` } });
  return response.json();
}

export async function eventually(what, probe, seconds = 10) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// axe-core on the page as it is: any WCAG 2.1 A/AA violation fails.
export async function accessible(page, where) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }));
  if (result.violations.length) {
    const detail = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${
      v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('\n    ')}`).join('\n  ');
    throw new Error(`axe-core found WCAG violations on ${where}:\n  ${detail}`);
  }
  console.log(`    axe-core: no violations on ${where} (${result.passes.length} rules passed)`);
}

// Names are fetched after the page shows; wait for them before looking.
export async function settled(page) {
  await page.waitForFunction(() => ![...document.querySelectorAll('.name')]
      .some((e) => e.textContent === '…'), { timeout: 10000 });
}

export async function shot(page, name) {
  await settled(page);
  await page.screenshot({ path: path.join(config.screenshots, `${name}.png`), fullPage: true });
}

export async function textOf(page, selector) {
  await page.waitForSelector(selector, { timeout: 10000 });
  return page.$eval(selector, (e) => e.innerText);
}

export async function waitText(page, selector, text, timeout = 10000) {
  await page.waitForFunction((s, t) => [...document.querySelectorAll(s)]
      .some((e) => e.innerText.includes(t)), { timeout }, selector, text);
}

export async function clickText(page, selector, text) {
  await waitText(page, selector, text);
  await page.evaluate((s, t) => [...document.querySelectorAll(s)]
      .find((e) => e.innerText.includes(t)).click(), selector, text);
}

export async function go(page, hash) {
  await page.evaluate((h) => { location.hash = h; }, hash);
}

export async function fill(page, selector, text) {
  await page.waitForSelector(selector, { visible: true });
  await page.$eval(selector, (e) => { e.value = ''; });
  await page.type(selector, text);
}

// Types into the last of the controls `selector` finds (a row just added).
export async function typeLast(page, selector, text) {
  const all = await page.$$(selector);
  await all[all.length - 1].type(text);
}

export async function selectLast(page, selector, value) {
  const all = await page.$$(selector);
  await all[all.length - 1].select(value);
}

// Pastes `token` on the sign-in page (typing it out takes a second or
// more; Sam's sign-in shows the keyboard works).
export async function signIn(page, token) {
  await page.goto(`${http}/console/`);
  await page.waitForSelector('textarea[name=token]', { visible: true });
  await page.$eval('textarea[name=token]', (e, value) => { e.value = value; }, token);
  await clickText(page, 'form button[type=submit]', 'Sign in');
  await page.waitForSelector('#who .me');
}

export async function noSidewaysScroll(page, where) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  check(width <= 360, `${where} fits 360 px (scroll width ${width})`);
}

export const WIDE = { width: 1100, height: 900 };
export const NARROW = { width: 360, height: 780 };

// A browser tab of its own (its own sessionStorage, so its own sign-in),
// `size` wide, where axe-core may be added despite the page's CSP.
export async function newTab(size = WIDE) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setBypassCSP(true);
  await page.setViewport(size);
  return { context, page };
}

export const browser = await puppeteer.launch({
  executablePath: config.chromium,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
