// End-to-end test of the review console in a real browser (Debian chromium driven by
// playwright-core): a small synthetic city is generated, ingested and scored by the vigil
// program; `vigil serve` starts on a free loopback port; a supervisor logs in, opens the top
// case of the queue, confirms it with a comment and finds the decision in the audit log; an
// auditor sees the same entry with the resident id masked, a case whose reasons name the
// person's birth date with no date on the page that tells it, and a case whose place codes hold
// the person's district (with a supervisor's comment naming a district, an id and birth dates)
// with no district and no run of 6 digits in its timeline, links, reasons, evidence or history. Screenshots of the queue, a case
// page, the dashboard and the audit log are saved in the output folder.
//
// Usage: node e2e_console.mjs --vigil PATH --web WEB_DIR --out OUT_DIR [--chromium PATH]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const vigil = args.vigil;
const web = args.web;
const out = args.out;
const chromiumPath = args.chromium || '/usr/bin/chromium';
if (!vigil || !web || !out) {
  console.error('usage: node e2e_console.mjs --vigil PATH --web WEB_DIR --out OUT_DIR');
  process.exit(2);
}
const require = createRequire(path.join(web, 'package.json'));
let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch (e) {
  console.error(`playwright-core is not installed in ${web}/node_modules: run "npm ci" in web/`);
  process.exit(1);
}
if (!existsSync(chromiumPath)) {
  console.error(`${chromiumPath} not found: install the Debian package chromium (scripts/install-deps.sh)`);
  process.exit(1);
}

let passed = 0, failed = 0;
function check(name, ok, detail) {
  if (ok) { passed++; console.log(`ok - ${name}`); } else { failed++; console.log(`not ok - ${name}${detail ? ': ' + detail : ''}`); }
}
function run(cmdArgs, input) {
  const r = spawnSync(vigil, cmdArgs, { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`vigil ${cmdArgs.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

const work = mkdtempSync(path.join(tmpdir(), 'vigil-console-e2e-'));
mkdirSync(out, { recursive: true });
const db = path.join(work, 'db');
let server = null, context = null;
try {
  run(['generate', '--out', path.join(work, 'city'), '--persons', '3000', '--seed', '11']);
  run(['ingest', '--db', db, path.join(work, 'city')]);
  run(['score', '--db', db, '--as-of', '2026-10-31', '--out', path.join(work, 'cases')]);
  run(['user', 'add', '--db', db, 'sup1', '--role', 'supervisor'], 'supervisor-secret-1\n');
  run(['user', 'add', '--db', db, 'aud1', '--role', 'auditor'], 'auditor-secret-1\n');

  const startServer = () => {
    server = spawn(vigil, ['serve', '--db', db, '--port', '0', '--web', web], { stdio: ['ignore', 'pipe', 'pipe'] });
    return new Promise((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => reject(new Error('vigil serve did not start: ' + text)), 60000);
      server.stdout.on('data', (d) => {
        text += d;
        const m = text.match(/listening on (http:\/\/127\.0\.0\.1:\d+)\//);
        if (m) { clearTimeout(timer); resolve(m[1]); }
      });
      server.stderr.on('data', (d) => { text += d; });
      server.on('exit', (code) => { clearTimeout(timer); reject(new Error(`vigil serve exited ${code}: ${text}`)); });
    });
  };
  const stopServer = async () => {
    if (!server || server.exitCode !== null) return;
    const exited = new Promise((r) => server.on('exit', r));
    server.kill('SIGTERM');
    await exited;
  };
  let base = await startServer();
  console.log(`# console at ${base}`);

  const userDataDir = path.join(work, 'chromium-profile');
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1440, height: 1000 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] || await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.stack || String(e)));  // the stack says where
  // Nothing may be fetched from outside the console (no CDN at run time).
  const foreign = [];
  page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:')) foreign.push(r.url()); });

  await page.goto(base + '/');
  await page.fill('#login-user', 'sup1');
  await page.fill('#login-password', 'wrong-password-x');
  await page.click('#login-form button[type=submit]');
  await page.waitForFunction(() => document.getElementById('login-error').textContent.length > 0);
  check('a wrong password is refused', (await page.textContent('#login-error')).includes('Wrong'));
  await page.fill('#login-password', 'supervisor-secret-1');
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#queue-table tbody tr.row');
  check('a run whose data turned nothing off shows no data notes', (await page.$$('#run-notes')).length === 0);
  const rows = await page.$$eval('#queue-table tbody tr.row', (trs) => trs.length);
  check('the queue lists cases after login', rows > 0, `${rows} rows`);
  const total = await page.textContent('#queue-total');
  check('the queue shows its total', /\d+ cases/.test(total), total);
  const names = await page.$$eval('#queue-table tbody tr.row td:nth-child(3)', (tds) => tds.map((t) => t.textContent));
  check('Chinese names render as text', names.some((n) => /[\u4e00-\u9fff]/.test(n)), names.slice(0, 3).join(','));
  await page.screenshot({ path: path.join(out, 'queue.png'), fullPage: false });

  const topRef = await page.getAttribute('#queue-table tbody tr.row:first-child', 'data-ref');
  await page.click('#queue-table tbody tr.row:first-child');
  await page.waitForSelector('#reasons li');
  await page.waitForSelector('#timeline-chart canvas');
  await page.waitForSelector('#risk-chart canvas');
  await page.waitForSelector('#links-chart canvas');
  check('the case page opens with reasons citing the policy', (await page.textContent('#reasons')).includes('policy'));
  await page.waitForTimeout(500);
  await page.screenshot({ path: path.join(out, 'case.png'), fullPage: true });

  await page.click('#confirm-fraud');
  check('a decision without a comment is refused', (await page.textContent('#decision-error')).includes('comment'));
  const comment = 'Death registered by the hospital; payments continued. 已核实 <b>e2e</b>';
  await page.fill('#decision-comment', comment);
  await page.click('#confirm-fraud');
  await page.waitForFunction(() => (document.getElementById('case-history') || {}).textContent?.includes('CONFIRM_FRAUD'));
  check('the decision appears in the case history', (await page.textContent('#case-history')).includes(comment));
  check('markup in a comment stays text', (await page.$$('#case-history b:text("e2e")')).length === 0);

  await page.goto(base + '/#/audit');
  await page.waitForSelector('#audit-table tbody tr');
  const firstAudit = await page.textContent('#audit-table tbody tr:first-child');
  check('the audit log shows the decision first', firstAudit.includes('CONFIRM_FRAUD') && firstAudit.includes(comment), firstAudit);
  await page.screenshot({ path: path.join(out, 'audit.png'), fullPage: false });

  await page.goto(base + '/#/dashboard');
  await page.waitForSelector('#chart-pattern canvas');
  await page.waitForTimeout(500);
  await page.screenshot({ path: path.join(out, 'dashboard.png'), fullPage: true });
  check('the dashboard counts the cases', (await page.textContent('#tiles')).includes('cases'));

  // A case whose reasons name the person's birth date (AGE_FALSIFIED, FORGED_IDENTITY's
  // namesakes), with every date that tells it: the birth dates of the persons rows and of the
  // resident id, and the retirement dates.
  const birthCase = await page.evaluate(async () => {
    const iso = (digits) => `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}`;
    for (const pattern of ['AGE_FALSIFIED', 'FORGED_IDENTITY']) {
      const list = await (await fetch(`/api/cases?pattern=${pattern}&per_page=50`)).json();
      for (const item of list.items) {
        const d = await (await fetch('/api/cases/' + item.ref)).json();
        const births = d.persons.flatMap((p) => [p.birth_date, iso(p.person_id.slice(6, 14))]);
        const reasons = JSON.stringify((d.scored || {}).hits || []);
        if (births.some((b) => reasons.includes(b))) {
          return { ref: item.ref, name: item.name, id: item.person_id, region: item.region, pattern,
            told: [...births, ...d.persons.map((p) => p.retirement_date)] };
        }
      }
    }
    return null;
  });
  check('the city has a case whose reasons name a birth date', birthCase !== null);

  // A case whose timeline shows a place code, an employer or a doctor holding the person's
  // district (a home visit's community office, the district's hospital), and a
  // comment on it that names a district, a birthday day first, an id in groups and a birth date
  // with spaces.
  const placeCase = await page.evaluate(async () => {
    const list = await (await fetch('/api/cases?per_page=100')).json();
    for (const item of list.items) {
      const d = await (await fetch('/api/cases/' + item.ref)).json();
      const district = String(d.case.district);
      // The page lists the newest 40 events.
      const details = d.timeline.events.slice(-40).map((e) => e.detail);
      if (d.case.district && details.some((t) => t.includes(district))) {
        const comment = `checked at the hall of district ${district}; birthday 23/2/1964 per the card; ` +
          `id ${district} 19660106 4931; dob 1964 02 23`;
        const me = await (await fetch('/api/me')).json();
        const r = await fetch(`/api/cases/${item.ref}/decision`, {
          method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf },
          body: JSON.stringify({ decision: 'NEEDS_ACTIVE', comment }) });
        return { ref: item.ref, name: item.name, id: item.person_id, region: item.region, district, decided: r.status };
      }
    }
    return null;
  });
  check('the city has a case whose place codes hold the district', placeCase !== null);
  check('a supervisor comments on it', placeCase && placeCase.decided === 200, JSON.stringify(placeCase));

  await page.click('#logout');
  await page.waitForSelector('#login-view:not([hidden])');
  await page.fill('#login-user', 'aud1');
  await page.fill('#login-password', 'auditor-secret-1');
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#queue-table tbody tr.row');
  const ids = await page.$$eval('#queue-table tbody tr.row td:nth-child(2)', (tds) => tds.map((t) => t.textContent));
  check('auditors see resident ids masked', ids.length > 0 && ids.every((id) => /^\*+.{4}$/.test(id)), ids[0]);
  const districts = await page.$$eval('#queue-table tbody tr.row td:nth-child(5)', (tds) => tds.map((t) => t.textContent));
  check('auditors see no district', districts.every((d) => d === '(masked)'), districts[0]);
  check('auditors get no district filter', (await page.$$('#filters input[name=district]')).length === 0);
  // Auditors get keyed refs (a real ref is a hash of the resident id they could invert): they
  // find a case by its name and the id's last four characters, and a supervisor's ref is
  // unknown to them.
  const auditorRef = async (c) => page.evaluate(async ({ name, tail, region }) => {
    const list = await (await fetch(`/api/cases?q=${encodeURIComponent(name)}&per_page=200`)).json();
    const found = list.items.filter((i) => i.person_id.endsWith(tail) && i.region === region);
    return found.length === 1 ? found[0].ref : null;
  }, { name: c.name, tail: c.id.slice(-4), region: c.region });
  const auditorTopRef = await page.getAttribute('#queue-table tbody tr.row:first-child', 'data-ref');
  check('an auditor\'s refs are not the supervisor\'s', auditorTopRef && auditorTopRef !== topRef, auditorTopRef);
  const realRefStatus = await page.evaluate(async (ref) => (await fetch('/api/cases/' + ref)).status, topRef);
  check('a supervisor\'s ref is no case for an auditor', realRefStatus === 404, String(realRefStatus));
  if (birthCase) {
    birthCase.ref = await auditorRef(birthCase);
    check('an auditor finds the birth-date case by its name', birthCase.ref !== null);
  }
  if (placeCase) {
    placeCase.ref = await auditorRef(placeCase);
    check('an auditor finds the place-code case by its name', placeCase.ref !== null);
  }
  if (birthCase && birthCase.ref) {
    await page.goto(base + '/#/case/' + birthCase.ref);
    await page.waitForSelector('#reasons li');
    await page.waitForSelector('#timeline-chart canvas');
    const text = await page.textContent('#view');
    const shown = birthCase.told.filter((date) => text.includes(date));
    check(`an auditor's ${birthCase.pattern} case page shows no date that tells the birth date`, shown.length === 0, shown.join(', '));
    check('its reasons show the birth date masked', (await page.textContent('#reasons')).includes('****-**-**'));
    const profile = await page.$$eval('.profile dt', (dts) => Object.fromEntries(dts.map((dt) => [dt.textContent, dt.nextElementSibling.textContent])));
    check('its profile shows no birth date, retirement date nor address',
      profile['Birth date'] === '(masked)' && profile['Retired'].startsWith('(masked) (') && profile['Address'] === '(masked)',
      JSON.stringify(profile));
    await page.screenshot({ path: path.join(out, 'case-auditor.png'), fullPage: true });
  }
  if (placeCase && placeCase.ref) {
    await page.goto(base + '/#/case/' + placeCase.ref);
    await page.waitForSelector('#reasons li');
    await page.waitForSelector('#case-history li');
    // Item by item: a list's textContent runs its items together.
    const part = async (list) => (await page.$$eval(list + ' li', (lis) => lis.map((li) => li.textContent).join(' | ')));
    const texts = {
      timeline: await part('ul.events'), links: await part('ul.links'), reasons: await part('#reasons'),
      evidence: await part('#evidence'), history: await part('#case-history'),
    };
    const shown = Object.entries(texts).filter(([, t]) => t.includes(placeCase.district) || /\d{6,}/.test(t));
    check('an auditor\'s case page shows no district nor run of 6 digits in its timeline, links, reasons, evidence or history',
      shown.length === 0, shown.map(([k, t]) => `${k}: ${t.slice(0, 300)}`).join('; '));
    check('the places keep their kind', /@ [A-Z]+\*{6,}/.test(texts.timeline), texts.timeline.slice(0, 300));
    check('the comment reads with its district, id pieces and birth dates masked',
      texts.history.includes('checked at the hall of district ******; birthday ****-**-** per the card; ' +
        'id ****** ******** 4931; dob ****-**-**'), texts.history.slice(0, 300));
    await page.screenshot({ path: path.join(out, 'case-auditor-places.png'), fullPage: true });
  }
  await page.goto(base + '/#/dashboard');
  await page.waitForSelector('#chart-pattern canvas');
  check('an auditor\'s dashboard has no districts', (await page.$$('#chart-district')).length === 0);
  await page.goto(base + '/#/case/' + auditorTopRef);
  await page.waitForSelector('#decision-card');
  check('auditors get no decision buttons', (await page.$$('#confirm-fraud')).length === 0);
  await page.goto(base + '/#/audit');
  await page.waitForSelector('#audit-table tbody tr');
  const auditText = await page.textContent('#audit-table tbody');
  check('auditors read the audit log', auditText.includes('CONFIRM_FRAUD'));
  await page.screenshot({ path: path.join(out, 'audit-auditor.png'), fullPage: false });

  check('no script errors on the pages', pageErrors.length === 0, pageErrors.join('; '));
  check('nothing fetched from outside the console', foreign.length === 0, foreign.join(', '));

  const verify = spawnSync(vigil, ['audit', 'verify', '--db', db], { encoding: 'utf8' });
  check('vigil audit verify accepts the chain', verify.status === 0 && verify.stdout.includes('intact'), verify.stdout + verify.stderr);

  // A run as of a date three months past the newest signal: its data note reaches the queue
  // and the dashboard, above what the reviewer reads.
  await stopServer();
  run(['score', '--db', db, '--as-of', '2027-01-31', '--out', path.join(work, 'cases-late')]);
  base = await startServer();
  await page.goto(base + '/');
  await page.waitForSelector('#login-view:not([hidden])');  // sessions end with the server
  await page.fill('#login-user', 'sup1');
  await page.fill('#login-password', 'supervisor-secret-1');
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#run-notes');
  check('the queue shows the run\'s data note', (await page.textContent('#run-notes')).includes('signals feed looks late'));
  await page.screenshot({ path: path.join(out, 'queue-notes.png'), fullPage: false });
  await page.goto(base + '/#/dashboard');
  await page.waitForSelector('#chart-pattern canvas');
  check('the dashboard shows the run\'s data note', (await page.textContent('#run-notes')).includes('signals feed looks late'));
  check('no script errors after the late run', pageErrors.length === 0, pageErrors.join('; '));
} catch (e) {
  failed++;
  console.log(`not ok - e2e run: ${e.stack || e}`);
} finally {
  if (context) await context.close().catch(() => {});
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => { server.on('exit', r); setTimeout(r, 5000); });
  }
  rmSync(work, { recursive: true, force: true });
}
console.log(`screenshots in ${out}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
