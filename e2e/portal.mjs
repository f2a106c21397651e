// The debtor portal in a real headless Chromium (Debian's, driven by playwright-core), opened from
// the link in a reminder that went through the loopback SMTP server. Run by
// crates/arflow/tests/browser.rs; each step asserts what the debtor sees, and screenshots go to
// $ARFLOW_ARTIFACTS (the QR code on its own, for the test to decode).
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';

const link = process.env.ARFLOW_PORTAL_LINK;
const artifacts = process.env.ARFLOW_ARTIFACTS;
const invoice = process.env.ARFLOW_PORTAL_INVOICE; // the open invoice, e.g. E2E-P1
const total = process.env.ARFLOW_PORTAL_TOTAL; // its open amount, e.g. 150.00
for (const [k, v] of Object.entries({ link, artifacts, invoice, total })) {
  assert.ok(v, `${k} is not set`);
}
mkdirSync(artifacts, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.ARFLOW_TEST_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  // A phone: the page is made for one.
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'nl-NL' });
  const page = await context.newPage();
  const shot = (name) => page.screenshot({ path: `${artifacts}/${name}.png`, fullPage: true });

  // The page in the debtor's language, with its item, total and how to pay.
  await page.goto(link);
  assert.equal(await page.getAttribute('html', 'lang'), 'nl');
  assert.match(await page.locator('h1').innerText(), /^Beste /);
  assert.equal(await page.locator(`#item-${invoice}`).getAttribute('data-open'), total);
  assert.equal(await page.locator('#total').getAttribute('data-amount'), total);
  assert.match(await page.locator('#iban').innerText(), /^NL\d\d[A-Z]{4}\d{10}$/);
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scrollWidth <= 390, `no sideways scrolling on a phone (${scrollWidth}px)`);
  // The QR code is drawn; its picture goes to the test, which decodes it.
  const qr = page.locator('#qr-total svg');
  assert.equal(await qr.getAttribute('role'), 'img');
  await page.locator('#qr-total').screenshot({ path: `${artifacts}/portal-qr.png` });
  await shot('portal');

  // The four languages, one click away.
  await page.getByRole('link', { name: 'FR' }).click();
  await page.waitForURL(/lang=fr/);
  assert.equal(await page.getAttribute('html', 'lang'), 'fr');
  assert.match(await page.locator('#items h2').innerText(), /Factures ouvertes/);
  await page.getByRole('link', { name: 'DE' }).click();
  await page.waitForURL(/lang=de/);
  assert.match(await page.locator('#items h2').innerText(), /Offene Rechnungen/);
  await page.getByRole('link', { name: 'NL' }).click();
  await page.waitForURL(/lang=nl/);

  const answer = async (kind, fill) => {
    await page.locator(`#answer-${kind} summary`).click();
    await fill(page.locator(`#answer-${kind}`));
    await page.locator(`#answer-${kind} button[type=submit]`).click();
    await page.waitForURL(new RegExp(`done=${kind}$`));
    assert.equal(await page.locator('#done').getAttribute('data-kind'), kind);
  };
  // A question.
  await answer('question', (f) => f.getByLabel('Uw vraag').fill('Kan ik ook in twee keer betalen?'));
  // A promise a week from today (the form says which days it takes).
  const min = await page.locator('#promise_date').getAttribute('min');
  const promised = new Date(`${min}T12:00:00Z`);
  promised.setUTCDate(promised.getUTCDate() + 7);
  await answer('promise', (f) => f.getByLabel('Ik betaal op').fill(promised.toISOString().slice(0, 10)));
  // A dispute with a photo of the delivery (a real file upload).
  await answer('dispute', async (f) => {
    await f.getByLabel('Factuur').selectOption(invoice);
    await f.getByLabel('Reden').selectOption('quality');
    await f.getByLabel('Wat klopt er niet?').fill('Twee dozen kwamen beschadigd aan.');
    await f.locator('input[type=file]').setInputFiles({
      name: 'levering.jpg', mimeType: 'image/jpeg',
      buffer: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('a photo')]),
    });
  });
  assert.match(await page.locator(`#item-${invoice}`).innerText(), /in onderzoek/);
  // Paid already, with the bank's PDF.
  const today = await page.locator('#paid_on').getAttribute('max');
  await answer('paid', async (f) => {
    await f.getByLabel('Datum van betaling').fill(today);
    await f.locator('input[type=file]').setInputFiles({
      name: 'afschrift.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4 afschrift'),
    });
  });
  // A payment plan: three monthly instalments from next week, within the organisation's rules,
  // so it starts at once; the page then shows the schedule and the next instalment's QR code,
  // and offers no second plan.
  const firstDue = new Date(`${await page.locator('#first_due').getAttribute('min')}T12:00:00Z`);
  firstDue.setUTCDate(firstDue.getUTCDate() + 7);
  await answer('plan', async (f) => {
    await f.getByLabel('Eerste termijn op').fill(firstDue.toISOString().slice(0, 10));
    await f.getByLabel('Aantal termijnen').selectOption('3');
    await f.getByLabel('Om de').selectOption('monthly');
  });
  assert.equal(await page.locator('#plan').getAttribute('data-state'), 'active');
  assert.equal(await page.locator('#plan tbody tr').count(), 3);
  assert.match(await page.locator('#plan-next').innerText(), /Volgende termijn 1: EUR\s50,00 op /);
  assert.equal(await page.locator('#answer-plan').count(), 0);
  await page.locator('#qr-plan').screenshot({ path: `${artifacts}/portal-plan-qr.png` });
  // A refused answer keeps the debtor on the page with the reason.
  await page.locator('#answer-contact summary').click();
  await page.locator('#contact_email').evaluate((e) => { e.type = 'text'; });
  await page.locator('#contact_email').fill('geen adres');
  await page.locator('#answer-contact button[type=submit]').click();
  await page.waitForSelector('#problem');
  assert.match(await page.locator('#problem').innerText(), /geen geldig e-mailadres/);
  await shot('portal-answered');

  // Paying everything online: to the provider's checkout (a local fake of Mollie), paid there,
  // and back on the page, which now has nothing open.
  assert.equal(await page.locator('#pay_invoices input[name=invoice]:checked').count(), 1);
  await page.getByLabel('Betaalwijze').selectOption('ideal');
  await page.getByRole('button', { name: 'Naar betalen' }).click();
  await page.waitForURL(/\/checkout\/tr_/);
  assert.match(await page.locator('h1').innerText(), new RegExp(`EUR ${total.replace('.', '\\.')}`));
  await page.getByRole('button', { name: 'Paid' }).click();
  await page.waitForURL(/[?&]paid=\d+/);
  assert.equal(await page.locator('#online-payment').getAttribute('data-status'), 'paid');
  assert.equal(await page.locator('#nothing-open').count(), 1);
  await shot('portal-paid');

  // Another link (one character changed) opens nothing.
  const forged = link.slice(0, -1) + (link.endsWith('0') ? '1' : '0');
  const response = await page.goto(forged);
  assert.equal(response.status(), 404);
  console.log('portal: ok');
} finally {
  await browser.close();
}
