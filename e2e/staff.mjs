// The staff web application in a real headless Chromium (Debian's, driven by playwright-core).
// Run by crates/arflow/tests/browser.rs against `arflow serve --demo`; each step asserts what a
// person sees, and a screenshot of each main page goes to $ARFLOW_ARTIFACTS.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';

const base = process.env.ARFLOW_URL;
const email = process.env.ARFLOW_EMAIL;
const password = process.env.ARFLOW_PASSWORD;
const second = process.env.ARFLOW_SECOND_ORG; // slug|name of another organisation of the person
const artifacts = process.env.ARFLOW_ARTIFACTS;
for (const [k, v] of Object.entries({ base, email, password, second, artifacts })) {
  assert.ok(v, `${k} is not set`);
}
mkdirSync(artifacts, { recursive: true });
const [secondSlug, secondName] = second.split('|');

const browser = await chromium.launch({
  executablePath: process.env.ARFLOW_TEST_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const context = await browser.newContext({ locale: 'nl-NL' });
  const page = await context.newPage();
  const shot = (name) => page.screenshot({ path: `${artifacts}/${name}.png`, fullPage: true });

  // Not signed in: the sign-in form, in Dutch, its fields reachable by their labels.
  await page.goto(`${base}/`);
  assert.equal(new URL(page.url()).pathname, '/login');
  assert.equal(await page.getAttribute('html', 'lang'), 'nl');
  await shot('login');

  // A wrong password keeps the person on the form with a message read out as an alert.
  await page.getByLabel('E-mailadres').fill(email);
  await page.getByLabel('Wachtwoord').fill('not the password');
  await page.getByRole('button', { name: 'Inloggen' }).click();
  assert.match(await page.getByRole('alert').innerText(), /horen niet bij elkaar/);

  // Signed in with the keyboard only: type, Enter.
  await page.getByLabel('Wachtwoord').fill(password);
  await page.keyboard.press('Enter');
  await page.waitForURL(`${base}/`);
  // The session opens in the first of the person's organisations by name; go to the demo one.
  if (await page.locator('#current-organisation').innerText() === secondName) {
    const other = await page.locator(`#organisation option:not([value="${secondSlug}"])`).getAttribute('value');
    await page.getByLabel('Organisatie').selectOption(other);
    await page.getByRole('button', { name: 'Wisselen' }).click();
    await page.waitForURL(`${base}/`);
  }
  const outstanding = await page.locator('#outstanding').innerText();
  assert.match(outstanding, /^EUR \d{1,3}(\.\d{3})*,\d\d$/, 'written the Dutch way');
  assert.notEqual(await page.locator('#outstanding').getAttribute('data-amount'), '0.00',
    'the demo organisation has open items');
  assert.equal(await page.locator('#ageing-table tbody tr').count(), 6, 'six ageing buckets');
  assert.equal(await page.locator('#ageing-chart rect.bar').count(), 6, 'a bar per bucket');
  assert.equal(await page.locator('#dso-chart rect.bar').count(), 13, '12 month ends and today');
  // The first Tab reaches the skip link; following it puts the focus on the page's content.
  await page.locator('body').focus();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
  await shot('dashboard');
  const demoName = await page.locator('#current-organisation').innerText();

  // The payment only the payer's name pointed to: accept the suggestion.
  await page.getByRole('navigation').getByRole('link', { name: 'Te beoordelen betalingen' }).click();
  await page.waitForURL(`${base}/matches`);
  const entry = page.locator('article.entry', { hasText: 'Zeldzaam Klantje B.V.' });
  assert.match(await entry.innerText(), /E2E-F1 \(123,45\)/);
  await shot('matches');
  await entry.getByRole('button', { name: 'Voorstel nemen 1' }).click();
  await page.waitForURL(`${base}/matches`);
  assert.equal(await page.locator('article.entry', { hasText: 'Zeldzaam Klantje B.V.' }).count(), 0);
  await page.goto(`${base}/debtors/E2E1`);
  assert.equal(await page.locator('#debtor-open').innerText(), 'EUR 0,00');

  // Switch organisation: its reminder could not be sent, so a task waits; complete it.
  await page.getByLabel('Organisatie').selectOption(secondSlug);
  await page.getByRole('button', { name: 'Wisselen' }).click();
  await page.waitForURL(/\/$/);
  assert.equal(await page.locator('#current-organisation').innerText(), secondName);
  assert.equal(await page.locator('#outstanding').innerText(), 'EUR 280,00');
  await page.getByRole('navigation').getByRole('link', { name: 'Taken' }).click();
  await page.waitForURL(`${base}/tasks`);
  const task = page.locator('article.task', { hasText: 'T1' });
  await shot('tasks');
  await task.getByLabel('Uitkomst').selectOption('reached');
  await task.getByLabel('Notitie').fill('Gebeld, betaalt deze week');
  await task.getByRole('button', { name: 'Afronden' }).click();
  await page.waitForURL(`${base}/tasks`);
  assert.equal(await page.locator('article.task', { hasText: 'T1' }).count(), 0);

  // A person must approve the first reminder from now on: tick it in the policy editor.
  await page.getByRole('navigation').getByRole('link', { name: 'Aanmanen' }).click();
  await page.waitForURL(`${base}/dunning`);
  await page.getByRole('link', { name: 'Beleid' }).click();
  await page.waitForURL(`${base}/policies`);
  await page.getByRole('link', { name: 'be-business' }).click();
  await page.waitForURL(`${base}/policies/be-business`);
  await page.locator('#step-0').getByLabel('Een persoon keurt goed voordat er iets vertrekt').check();
  await shot('policy');
  await page.locator('#save-policy').click();
  await page.waitForURL(`${base}/policies/be-business`);
  assert.match(await page.locator('h1').innerText(), /versie 2/);
  assert.ok(await page.locator('#step-0').getByLabel('Een persoon keurt goed voordat er iets vertrekt').isChecked());

  // What would today's run do? T2's first reminder, waiting for approval. Run it, approve it.
  await page.getByRole('navigation').getByRole('link', { name: 'Aanmanen' }).click();
  await page.waitForURL(`${base}/dunning`);
  await page.getByRole('button', { name: 'Tonen' }).click();
  await page.waitForURL(/\/dunning\?as_of=/);
  assert.equal(await page.locator('#preview').getAttribute('data-actions'), '1');
  assert.match(await page.locator('#preview').innerText(), /T2/);
  await shot('dunning');
  await page.locator('#run-today').click();
  await page.waitForURL(`${base}/dunning/run`);
  assert.match(await page.locator('#run-result').innerText(), /1 wachten op goedkeuring/);
  await page.getByRole('link', { name: 'Terug naar aanmanen' }).click();
  await page.waitForURL(`${base}/dunning`);
  assert.match(await page.locator('#approvals').innerText(), /T2/);
  await page.getByRole('button', { name: 'Aangevinkte goedkeuren' }).click();
  await page.waitForURL(`${base}/dunning`);
  await page.waitForSelector('#no-approvals');

  // The approved reminder is in the outbox, ready to send, exactly as it will go out.
  await page.getByRole('navigation').getByRole('link', { name: 'Outbox' }).click();
  await page.waitForURL(`${base}/outbox`);
  const message = page.locator('tr.message', { hasText: 'compta@approuve.be' });
  assert.match(await message.innerText(), /klaar om te verzenden/);
  await shot('outbox');
  await message.locator('a').first().click();
  await page.waitForURL(/\/outbox\/\d+$/);
  assert.match(await page.locator('#message-text').innerText(), /80,00|80\.00/);
  // The HTML part renders in its sandboxed frame (no scripts, no same-origin access).
  assert.match(await page.frameLocator('iframe[title="HTML"]').locator('body').innerText(), /80,00/);
  await shot('message');

  // The invoice list: T-F2 open, 80,00.
  await page.getByRole('navigation').getByRole('link', { name: 'Facturen' }).click();
  await page.waitForURL(`${base}/invoices`);
  assert.match(await page.locator('#invoices').innerText(), /T-F2/);
  await shot('invoices');
  await page.getByLabel('Organisatie').selectOption({ label: demoName });
  await page.getByRole('button', { name: 'Wisselen' }).click();
  await page.waitForURL(/\/$/);
  assert.equal(await page.locator('#current-organisation').innerText(), demoName);

  // Find a debtor by name, open it, pause dunning with a reason, and resume.
  await page.getByRole('navigation').getByRole('link', { name: 'Debiteuren' }).click();
  await page.waitForURL(`${base}/debtors`);
  const firstName = await page.locator('#debtors tbody tr:first-child td:nth-child(2)').innerText();
  await shot('debtors');
  await page.getByLabel('Naam of nummer').fill(firstName.slice(0, 12));
  await page.getByRole('button', { name: 'Zoeken' }).click();
  await page.waitForURL(/\/debtors\?q=/);
  await page.locator('#debtors tbody tr:first-child a').click();
  await page.waitForURL(/\/debtors\/[^?]+$/);
  assert.ok((await page.locator('h1').innerText()).includes(firstName.slice(0, 12)));
  await page.getByLabel('Reden').fill('Klant betwist de factuur (e2e)');
  await page.getByRole('button', { name: 'Aanmanen pauzeren' }).click();
  await page.waitForSelector('#pause-state');
  assert.match(await page.locator('#pause-state').innerText(), /betwist de factuur/);
  assert.match(await page.locator('#timeline').innerText(), /debtor\.pause/);
  await shot('debtor');
  await page.getByRole('button', { name: 'Aanmanen hervatten' }).click();
  await page.waitForSelector('#reason');
  assert.equal(await page.locator('#pause-state').count(), 0);

  // Edit the French reminder and preview it as a consumer would receive it; then undo.
  await page.getByRole('navigation').getByRole('link', { name: 'Sjablonen' }).click();
  await page.waitForURL(`${base}/templates`);
  await page.locator('a[href="/templates/reminder.fr"]').click();
  await page.waitForURL(`${base}/templates/reminder.fr`);
  await page.getByLabel('Onderwerp').fill('Petit rappel amical pour {{ debtor.name }}');
  // First the draft, previewed without saving; then saved.
  await page.getByRole('button', { name: 'Voorbeeld zonder opslaan' }).click();
  await page.waitForSelector('#draft-preview');
  assert.match(await page.locator('#preview-subject').innerText(), /^Petit rappel amical pour /);
  await page.getByRole('button', { name: 'Opslaan', exact: true }).click();
  await page.waitForURL(/\/templates\/reminder\.fr/);
  assert.match(await page.locator('#preview-subject').innerText(), /^Petit rappel amical pour /);
  await page.getByRole('link', { name: 'un consommateur' }).or(page.getByRole('link', { name: 'een consument' })).click();
  await page.waitForURL(/kind=consumer/);
  assert.match(await page.locator('#preview-subject').innerText(), /^Petit rappel amical pour /);
  assert.match(await page.locator('#preview-text').innerText(), /\d/);
  await shot('template');
  await page.getByRole('button', { name: 'Terug naar de standaardtekst' }).click();
  await page.waitForURL(`${base}/templates/reminder.fr`);
  assert.doesNotMatch(await page.locator('#preview-subject').innerText(), /amical/);

  // Branding: a colour and a logo chosen with the browser's own form (a real file upload).
  await page.goto(`${base}/settings/branding`);
  await page.getByLabel('De kleur van arflow').uncheck();
  await page.locator('#accent_colour').fill('#aa0033');
  await page.setInputFiles('#logo', {
    name: 'logo.svg',
    mimeType: 'image/svg+xml',
    buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="80" height="20"><rect width="80" height="20" fill="#aa0033"/></svg>'),
  });
  await page.getByRole('button', { name: 'Opslaan', exact: true }).click();
  await page.waitForURL(/\/settings\/branding\?saved=1$/);
  assert.equal(await page.locator('#accent_colour').inputValue(), '#aa0033');
  assert.equal(await page.locator('#current-logo').evaluate((img) => img.complete && img.naturalWidth), 80,
    'the uploaded logo is shown');
  await shot('branding');

  // Sign out: the dashboard is closed again.
  await page.getByRole('button', { name: 'Uitloggen' }).click();
  await page.waitForURL(`${base}/login`);
  await page.goto(`${base}/`);
  assert.equal(new URL(page.url()).pathname, '/login');
  console.log('staff pages: ok');
} finally {
  await browser.close();
}
