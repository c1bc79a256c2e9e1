#!/usr/bin/python3
"""Browser tests of the regulator console (docs/console.md), run by ctest.

Starts the real daemon on loopback with a small ledger written by the binary itself, then drives
Debian's headless chromium through chromium-driver (python3-selenium; run with /usr/bin/python3):
sign-in, a resold pack's timeline across institutions with every entry verified in the browser, a
drug named `<img src=x onerror=alert(1)>` shown as text, the suspect cases (list, a case with its
evidence and the verified histories of its codes, investigate and confirm recorded in its history),
another region's case refused, the month page (sorting, class filter, trend, an institution),
answers altered in transit by a small proxy shown as NOT VERIFIED, a terminal token refused, and no
errors in the browser console. Screenshots go to --screenshots.

usage: console_test.py --binary build/drugtrace --source . --screenshots build/console-screenshots
"""

import argparse
import base64
import copy
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, TimeoutException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

XSS = '<img src=x onerror=alert(1)>'
RESOLD = '81000010000000777001'  # 阿卡波糖 pack: received and sold at two pharmacies
XSS_PACK = '83000030000000000042'  # a pack of the drug with the hostile name
P1, P2 = 'P13080200001', 'P13080200002'
NAMES = {P1: '康宁大药房', P2: '仁和堂药店'}


# ---- the ledger ----

def run(binary, *args, stdin=None):
    r = subprocess.run([binary, *args], input=stdin, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f'drugtrace {" ".join(args)} failed: {r.stderr.strip()}')
    return r.stdout


def refdata(source):
    with open(os.path.join(source, 'schemas/examples/refdata.example.json'), encoding='utf-8') as f:
        ref = json.load(f)
    ref['version'] = 'console test'
    ref['drugs'].append({'med_list_codg': 'XN02BEA001A001010100001', 'name': XSS,
                         'codes_required': True, 'pack_content': 10, 'product_ids': ['8300003']})
    ref['institutions'].append({'fixmedins_code': P2, 'fixmedins_name': NAMES[P2],
                                'institution_class': 'retail_pharmacy', 'admdvs': '130802'})
    return ref


def message(infno, inst, msgid, when, rows):
    array = {'3503': 'purcinfo', '3505': 'selinfo'}[infno]
    return {'infno': infno, 'msgid': msgid, 'fixmedins_code': inst, 'fixmedins_name': NAMES[inst],
            'inf_time': when, 'opter': '0001', 'opter_name': '测试', 'input': {array: rows}}


def receipt(inst, msgid, when, drug, code, bchno):
    return message('3503', inst, msgid, when, [{
        'fixmedins_bchno': bchno, 'med_list_codg': drug, 'fixmedins_hilist_id': 'YP1',
        'fixmedins_hilist_name': 'x', 'dynt_no': 'PS1', 'spler_name': '承德医药有限公司',
        'purc_retn_cnt': '1', 'purc_retn_stoin_time': when, 'manu_lotnum': 'B250312',
        'aprvno': '国药准字H20000001', 'manu_date': '2025-03-12', 'expy_end': '2027-02-28',
        'finl_trns_pric': '28.20', 'drugtracinfo': [{'drug_trac_codg': code}]}])


def sale(inst, msgid, when, drug, code, bchno):
    return message('3505', inst, msgid, when, [{
        'fixmedins_bchno': bchno, 'med_list_codg': drug, 'fixmedins_hilist_id': 'YP1',
        'fixmedins_hilist_name': 'x', 'rtal_docno': 'R1', 'sel_retn_cnt': '1',
        'sel_retn_time': when, 'trdn_flag': '0', 'mdtrt_setl_type': '1', 'setl_id': 'S' + msgid,
        'psn_no': '13000012345678', 'manu_lotnum': 'B250312', 'expy_end': '2027-02-28',
        'finl_trns_pric': '36.50', 'rx_flag': '0', 'drugtracinfo': [{'drug_trac_codg': code}]}])


def make_ledger(binary, source, work):
    db = os.path.join(work, 'console.db')
    run(binary, 'init', '--db', db)
    ref_path = os.path.join(work, 'refdata.json')
    with open(ref_path, 'w', encoding='utf-8') as f:
        json.dump(refdata(source), f, ensure_ascii=False)
    run(binary, 'refdata', 'import', '--db', db, ref_path)
    acarbose = 'XA10BFA001A001010101001'
    msgs = [
        receipt(P1, 'M1', '2025-08-01 09:00:00', acarbose, RESOLD, 'P1-R1'),
        sale(P1, 'M2', '2025-08-02 10:00:00', acarbose, RESOLD, 'P1-S1'),
        receipt(P2, 'M3', '2025-08-05 11:00:00', acarbose, RESOLD, 'P2-R1'),
        sale(P2, 'M4', '2025-08-06 15:30:00', acarbose, RESOLD, 'P2-S1'),
        receipt(P1, 'M5', '2025-08-07 09:00:00', 'XN02BEA001A001010100001', XSS_PACK, 'P1-R2'),
    ]
    ndjson = ''.join(json.dumps(m, ensure_ascii=False) + '\n' for m in msgs)
    run(binary, 'ingest', '--db', db, '-', stdin=ndjson)
    run(binary, 'checkpoint', '--db', db)
    regulator = run(binary, 'token', 'create', '--db', db, '--role', 'regulator',
                    '--label', '测试稽查').split()[0]
    terminal = run(binary, 'token', 'create', '--db', db, '--role', 'terminal',
                   '--institution', P1).split()[0]
    county = run(binary, 'token', 'create', '--db', db, '--role', 'regulator',
                 '--region', '130821', '--label', '隆化县医保局').split()[0]
    return db, regulator, terminal, county


def start_daemon(binary, db, work):
    port_file = os.path.join(work, 'port')
    log = open(os.path.join(work, 'serve.log'), 'w')
    proc = subprocess.Popen([binary, 'serve', '--db', db, '--listen', '127.0.0.1:0',
                             '--port-file', port_file], stdout=log, stderr=log)
    for _ in range(200):
        if os.path.exists(port_file):
            with open(port_file) as f:
                return proc, int(f.read().strip())
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError('daemon did not start: ' + open(log.name).read())


# ---- a proxy that alters history answers in transit ----

class Tamper:
    mode = None  # None: pass through; else one of the alterations below
    last = None


def b64flip(text):
    raw = bytearray(base64.b64decode(text))
    raw[0] ^= 1
    return base64.b64encode(bytes(raw)).decode()


def alter(out, mode):
    ev = out.get('events')
    if mode == 'proof':  # one hash of the second entry's audit path
        ev[1]['proof']['hashes'][0] = b64flip(ev[1]['proof']['hashes'][0])
    elif mode == 'entry':  # the second entry's verdict rewritten, leaf hash left alone
        raw = base64.b64decode(ev[1]['entry']).decode()
        doc = json.loads(raw)
        doc['verdict'] = 'ok' if doc.get('verdict') != 'ok' else 'warn'
        ev[1]['entry'] = base64.b64encode(json.dumps(doc, ensure_ascii=False).encode()).decode()
        ev[1]['proof']['entry'] = ev[1]['entry']
    elif mode == 'note':  # another root in the signed note
        lines = out['checkpoint']['note'].split('\n')
        lines[2] = b64flip(lines[2])
        out['checkpoint']['note'] = '\n'.join(lines)
    elif mode == 'annotation':  # the third entry attributed to another institution
        ev[2]['institution'] = copy.deepcopy(ev[0]['institution'])
    elif mode == 'key':  # the server hands out another key (and the note is still the real one)
        name, _, _ = out['verifier_key'].split('+', 2)
        out['verifier_key'] = f'{name}+00000000+' + base64.b64encode(b'\x01' + bytes(32)).decode()
    return out


def start_proxy(upstream):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            req = urllib.request.Request(upstream + self.path, headers={
                k: v for k, v in self.headers.items() if k.lower() in ('authorization', 'accept')})
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    status, headers, body = r.status, r.headers, r.read()
            except urllib.error.HTTPError as e:
                status, headers, body = e.code, e.headers, e.read()
            if Tamper.mode and '/history' in self.path and status == 200:
                doc = json.loads(body)
                doc['output'] = alter(doc['output'], Tamper.mode)
                body = json.dumps(doc, ensure_ascii=False).encode()
            if Tamper.mode == 'key' and self.path == '/v1/whoami' and status == 200:
                doc = json.loads(body)  # the key the server says the console should use
                doc['output'] = alter(doc['output'], 'key')
                body = json.dumps(doc, ensure_ascii=False).encode()
            self.send_response(status)
            for k, v in headers.items():
                if k.lower() not in ('content-length', 'connection', 'transfer-encoding', 'date',
                                     'server'):
                    self.send_header(k, v)
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# ---- the browser ----

def browser():
    opts = Options()
    opts.binary_location = '/usr/bin/chromium'
    for a in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
              '--window-size=1280,800', '--lang=zh-CN', '--no-first-run',
              '--disable-background-networking'):
        opts.add_argument(a)
    opts.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    return webdriver.Chrome(service=Service('/usr/bin/chromedriver'), options=opts)


class Console:
    def __init__(self, driver, base, shots):
        self.d, self.base, self.shots = driver, base, shots
        self.wait = WebDriverWait(driver, 15)

    def open(self, base=None):
        self.d.get((base or self.base) + '/')
        self.wait.until(lambda d: d.execute_script('return document.body.dataset.ready'))

    def visible(self, page):
        return self.d.find_element(By.ID, 'page-' + page).is_displayed()

    def sign_in(self, token):
        box = self.d.find_element(By.ID, 'token')
        box.clear()
        box.send_keys(token + Keys.ENTER)

    def look_up(self, code):
        box = self.d.find_element(By.ID, 'code')
        box.clear()
        box.send_keys(code + Keys.ENTER)  # as a USB scanner does
        self.wait.until(lambda d: d.find_element(By.ID, 'page-lookup').get_attribute('data-state')
                        in ('done', 'error'))
        return self.d.find_elements(By.CSS_SELECTOR, '#timeline li.event')

    def shot(self, name):
        self.d.save_screenshot(os.path.join(self.shots, name + '.png'))

    def no_alert(self):
        try:
            text = self.d.switch_to.alert.text
            raise AssertionError(f'an alert dialog opened: {text!r}')
        except NoAlertPresentException:
            pass

    def console_errors(self, allow=()):
        errors = []
        for entry in self.d.get_log('browser'):
            if entry['level'] != 'SEVERE':
                continue
            if any(a in entry['message'] for a in allow):
                continue
            errors.append(entry['message'])
        return errors


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print('ok -', what)


def test_headers(base):
    for path, ctype in (('/', 'text/html'), ('/console/app.js', 'text/javascript'),
                        ('/console/verify.js', 'text/javascript'),
                        ('/console/style.css', 'text/css')):
        with urllib.request.urlopen(base + path) as r:
            h = r.headers
            check(h['Content-Type'].startswith(ctype), f'{path} is {ctype}')
            csp = h['Content-Security-Policy'] or ''
            check("script-src 'self'" in csp and "default-src 'none'" in csp and
                  "frame-ancestors 'none'" in csp and "connect-src 'self'" in csp and
                  'unsafe' not in csp, f'{path} has the strict CSP')
            check(h['X-Content-Type-Options'] == 'nosniff', f'{path} has nosniff')
            check(h['Referrer-Policy'] == 'no-referrer', f'{path} has no-referrer')
    # API answers carry the same headers, errors included.
    try:
        urllib.request.urlopen(base + '/v1/whoami')
        check(False, 'GET /v1/whoami without a token is refused')
    except urllib.error.HTTPError as e:
        csp = e.headers['Content-Security-Policy'] or ''
        check(e.code == 401 and "connect-src 'self'" in csp and "frame-ancestors 'none'" in csp and
              e.headers['X-Content-Type-Options'] == 'nosniff' and
              e.headers['Referrer-Policy'] == 'no-referrer',
              'API answers (a 401 here) carry the CSP, nosniff and no-referrer')
    try:
        urllib.request.urlopen(base + '/console/../schemas/upload.schema.json')
        check(False, 'no file outside console/ is served')
    except urllib.error.HTTPError as e:
        check(e.code == 404, 'no file outside console/ is served')


# The worked example of docs/ledger-format.md §9: a known-answer test of console/verify.js run in
# the page, independent of this daemon.
KNOWN_ANSWER_JS = '''
const done = arguments[arguments.length - 1];
(async () => {
  const v = await import('/console/verify.js');
  const key = await v.parseVerifierKey(
      'drugtrace/demo+5af370b9+AcWWxwKUkj2XDaqQfxBdzO6hffbCX4u04aKecuVI/Uos');
  const text = 'drugtrace/demo\\n3\\nOF2jDzkXKCyJOd/4UZV+UZqxhGsTUaFMCts7EWMnQqo=\\n' +
      'chain +X2WwbxLa2TmqdOM0p6/jRQ3yELngoBVT3gkw021ePs=\\n';
  const sig = '\\n\\u2014 drugtrace/demo WvNwuSAyDb+38WdGOqntenyMqkUecSbN1YRc6QEKVthwIu3cw8WQe35' +
      'Mx6EbR1dtPA6tDEcxBQUENlbpnox8XGr1ww4=\\n';
  const cp = await v.verifyCheckpoint(text + sig, key);
  const leaf = await v.leafHash(new TextEncoder().encode('gamma'));
  const root = await v.rootFromInclusion(leaf, 2n, 3n,
      [v.b64decode('mDy1fATN3VJjTtqzinvvhXCKl08RS72aqexdTOZla0s=')]);
  let forged = 'accepted';
  try {
    await v.verifyCheckpoint(text.replace('\\n3\\n', '\\n4\\n') + sig, key);
  } catch (e) { forged = e.message; }
  return {size: String(cp.size), leaf: v.hex(leaf), root: v.b64encode(root),
          signed_root: cp.rootB64, forged};
})().then(done, (e) => done({error: String(e)}));
'''


def test_known_answer(c):
    r = c.d.execute_async_script(KNOWN_ANSWER_JS)
    check(r.get('size') == '3' and
          r.get('leaf') == '4c79d0d62f7cf5ca8874155f2d3b875f2625da2bb3abc86bbd6833f25ba90e51' and
          r.get('root') == r.get('signed_root') == 'OF2jDzkXKCyJOd/4UZV+UZqxhGsTUaFMCts7EWMnQqo=',
          f'verify.js reproduces the worked example of docs/ledger-format.md: {r}')
    check('signature does not verify' in r.get('forged', ''),
          f'verify.js refuses the example note with its size changed: {r.get("forged")}')


def test_console(c, regulator, terminal, county, proxy_base):
    d = c.d
    c.open()
    check(c.visible('signin'), 'an officer with no token sees the sign-in page')
    c.shot('01-signin')

    c.sign_in(regulator)
    c.wait.until(lambda _: c.visible('lookup'))
    check(d.execute_script('return sessionStorage.getItem("drugtrace.token")') == regulator,
          'the token is kept in sessionStorage')
    check(regulator not in d.current_url, 'the token is not in the URL')
    test_known_answer(c)

    events = c.look_up(RESOLD)
    insts = [e.find_element(By.CSS_SELECTOR, '.inst-name').text for e in events]
    check(insts == [NAMES[P1], NAMES[P1], NAMES[P2], NAMES[P2]],
          f'the resold pack shows every institution in order: {insts}')
    kinds = [e.find_element(By.CSS_SELECTOR, '.event-kind').text for e in events]
    check(kinds == ['采购入库', '销售', '采购入库', '销售'], f'interfaces in Chinese: {kinds}')
    badges = [e.find_element(By.CSS_SELECTOR, '.badge') for e in events]
    check(all(b.get_attribute('data-verified') == 'true' and '已验证' in b.text for b in badges),
          'every entry is verified in the browser')
    check('签名有效' in d.find_element(By.ID, 'summary').text, 'the checkpoint signature is shown valid')
    c.shot('02-lookup-resold')

    d.find_element(By.ID, 'lang').click()
    c.wait.until(lambda _: d.find_element(By.ID, 'lookup-button').text == 'Look up')
    c.wait.until(lambda _: d.find_element(By.ID, 'page-lookup').get_attribute('data-state') == 'done'
                 and 'verified' in d.find_element(By.CSS_SELECTOR, '#timeline .badge').text)
    check(d.find_element(By.CSS_SELECTOR, '#timeline .event-kind').text == 'Receipt',
          'the English switch relabels the timeline')
    c.shot('03-lookup-english')
    d.find_element(By.ID, 'lang').click()
    c.wait.until(lambda _: d.find_element(By.ID, 'lookup-button').text == '查询')

    events = c.look_up(XSS_PACK)
    check(len(events) == 1, 'the hostile drug\'s pack has one entry')
    check(events[0].find_element(By.CSS_SELECTOR, '.drug-name').text == XSS,
          'a drug named <img src=x onerror=alert(1)> is shown as text')
    check(not d.find_elements(By.CSS_SELECTOR, 'main img'), 'no image element was created')
    time.sleep(0.3)
    c.no_alert()
    c.shot('04-xss-as-text')

    d.set_window_size(390, 844)
    c.look_up(RESOLD)
    c.shot('05-lookup-phone')
    d.set_window_size(1280, 800)

    d.find_element(By.CSS_SELECTOR, '#nav a[data-page=coverage]').click()
    c.wait.until(lambda _: c.visible('coverage'))
    month = d.find_element(By.ID, 'month')
    d.execute_script('arguments[0].value = "2025-08"', month)
    month.send_keys(Keys.ENTER)
    c.wait.until(lambda _: d.find_elements(By.CSS_SELECTOR, '#coverage-table tbody tr'))
    table = d.find_element(By.ID, 'coverage-table').text
    check(NAMES[P1] in table and NAMES[P2] in table, 'the month page lists both pharmacies')
    c.shot('05b-coverage')
    test_month(c)
    test_cases(c)
    d.find_element(By.CSS_SELECTOR, '#nav a[data-page=lookup]').click()
    c.wait.until(lambda _: c.visible('lookup'))

    errors = c.console_errors()
    check(not errors, f'no errors in the browser console: {errors}')

    # The same page, fetched through a proxy that alters the answers in transit.
    c.open(proxy_base)  # another origin, so another sessionStorage: sign in again
    c.sign_in(regulator)
    c.wait.until(lambda _: c.visible('lookup'))
    for mode, expect_bad in (('proof', [1]), ('entry', [1]), ('annotation', [2]),
                             ('note', [0, 1, 2, 3]), ('key', [0, 1, 2, 3]), (None, [])):
        Tamper.mode = mode
        if mode == 'key' or (mode is None and Tamper.last == 'key'):
            # The console takes its key at sign-in (GET /v1/whoami): sign in through the proxy
            # again so that it hands out the other key (and then the real one).
            d.find_element(By.ID, 'sign-out').click()
            c.wait.until(lambda _: c.visible('signin'))
            c.sign_in(regulator)
            c.wait.until(lambda _: c.visible('lookup'))
        Tamper.last = mode
        events = c.look_up(RESOLD)
        bad = [i for i, e in enumerate(events) if 'bad' in e.get_attribute('class').split()]
        texts = [e.find_element(By.CSS_SELECTOR, '.badge').text for e in events]
        check(bad == expect_bad and all('未通过验证' in texts[i] for i in bad) and
              all('已验证' in texts[i] for i in range(len(events)) if i not in bad),
              f'altered in transit ({mode}): NOT VERIFIED exactly on {expect_bad}, got {bad}')
        if mode in ('proof', 'note'):
            d.execute_script('arguments[0].scrollIntoView({block: "center"})', events[bad[-1]])
            c.shot(f'06-tampered-{mode}')
    Tamper.mode = None
    errors = c.console_errors()
    check(not errors, f'no errors in the browser console behind the proxy: {errors}')

    d.find_element(By.ID, 'sign-out').click()
    c.wait.until(lambda _: c.visible('signin'))
    check(d.execute_script('return sessionStorage.getItem("drugtrace.token")') is None,
          'sign-out clears the token')

    c.sign_in(terminal)
    status = d.find_element(By.ID, 'signin-status')
    c.wait.until(lambda _: status.is_displayed() and '终端' in status.text)
    check(c.visible('signin') and '不能用于监管查询' in status.text,
          f'a terminal token is refused with a clear message: {status.text!r}')
    check(d.execute_script('return sessionStorage.getItem("drugtrace.token")') is None,
          'a refused token is not kept')
    c.shot('07-terminal-refused')
    # The refused query itself is logged by Chromium as a failed resource load (403); nothing else.
    errors = c.console_errors(allow=('status of 403',))
    check(not errors, f'no other errors in the browser console: {errors}')

    test_other_region(c, county)


def rows_of(c, table):
    return c.d.find_elements(By.CSS_SELECTOR, f'#{table} tbody tr')


def test_month(c):
    d = c.d
    # Sorting: by collection rate ascending first, then descending after a click on its header.
    header = d.find_element(By.CSS_SELECTOR, '#coverage-table th[data-sort=name] button')
    header.click()
    names = [r.find_element(By.CSS_SELECTOR, 'td a').text for r in rows_of(c, 'coverage-table')]
    d.find_element(By.CSS_SELECTOR, '#coverage-table th[data-sort=name] button').click()
    again = [r.find_element(By.CSS_SELECTOR, 'td a').text for r in rows_of(c, 'coverage-table')]
    check(len(names) > 2 and again == names[::-1], f'the coverage table sorts both ways: {again}')
    d.execute_script('const s = document.getElementById("class-filter");'
                     's.value = "level3"; s.dispatchEvent(new Event("change"));')
    classes = [r.find_elements(By.TAG_NAME, 'td')[1].text for r in rows_of(c, 'coverage-table')]
    check(classes and all(x == '三级医院' for x in classes) and len(classes) < len(names),
          f'the class filter keeps only 三级医院: {classes}')
    d.execute_script('const s = document.getElementById("class-filter");'
                     's.value = "retail_pharmacy"; s.dispatchEvent(new Event("change"));')
    pharmacies = [r.find_element(By.CSS_SELECTOR, 'td a').text for r in rows_of(c, 'coverage-table')]
    check(sorted(pharmacies) == sorted(NAMES.values()), f'and only the pharmacies for 零售药店: {pharmacies}')
    check(d.find_elements(By.CSS_SELECTOR, '#trend svg circle'), 'the trend chart is drawn')
    check(not d.find_element(By.ID, 'coverage-downloads').get_attribute('hidden'),
          'CSV and HTML downloads are offered')
    c.shot('08-month')
    rows_of(c, 'coverage-table')[0].find_element(By.CSS_SELECTOR, 'td a').click()
    c.wait.until(lambda _: c.visible('institution') and
                 d.find_element(By.ID, 'page-institution').get_attribute('data-state') == 'done')
    body = d.find_element(By.ID, 'inst-body').text
    check('采集率' in body and '销售行' in body, 'an institution page shows its month figures')
    rules = [td.text for td in d.find_elements(By.CSS_SELECTOR, '#inst-findings td.code')]
    check('结论分布' in body and '拦截' in body and rules,
          f'its verdict mix and findings (仁和堂药店 had a sale blocked): {rules}')
    c.shot('09-institution')


def test_cases(c):
    d = c.d
    d.find_element(By.CSS_SELECTOR, '#nav a[data-page=cases]').click()
    c.wait.until(lambda _: c.visible('cases') and
                 d.find_element(By.ID, 'page-cases').get_attribute('data-state') == 'done')
    rows = rows_of(c, 'cases-table')
    check(rows, f'the suspect list shows ranked cases ({len(rows)})')
    check('风险金额' in d.find_element(By.ID, 'cases-total').text, 'with the money at risk')
    text = d.find_element(By.ID, 'page-cases').text
    check('null' not in text and 'undefined' not in text, 'no "null" or "undefined" on the page')
    ids = [r.get_attribute('data-case') for r in rows]
    d.execute_script('document.getElementById("f-status").value = "confirmed"')
    d.find_element(By.CSS_SELECTOR, '#cases-form button[type=submit]').click()
    c.wait.until(lambda _: '没有符合条件' in d.find_element(By.ID, 'cases-status').text)
    check(not rows_of(c, 'cases-table') and 'status=confirmed' in d.current_url,
          'the status filter narrows the list (nothing confirmed yet)')
    d.get(c.base + '/#/cases')
    c.wait.until(lambda _: rows_of(c, 'cases-table'))
    c.shot('10-cases')
    target = next((i for i in ids if i.startswith('pack_chain')), ids[0])
    c.case_id = target
    d.find_element(By.CSS_SELECTOR, f'#cases-table tr[data-case="{target}"] a').click()
    c.wait.until(lambda _: c.visible('case') and
                 d.find_element(By.ID, 'page-case').get_attribute('data-state') == 'done')
    links = d.find_elements(By.CSS_SELECTOR, '#case-evidence .evidence a.code-link')
    check(any(RESOLD in a.text for a in links), 'the evidence links the codes involved')
    c.wait.until(lambda _: d.find_elements(By.CSS_SELECTOR, '#case-codes .case-code li.event'))
    badges = d.find_elements(By.CSS_SELECTOR, '#case-codes .badge')
    check(badges and all(b.get_attribute('data-verified') == 'true' for b in badges),
          f'each involved code\'s timeline is shown and verified ({len(badges)} entries)')

    def act(button, reason, recovered=''):
        d.find_element(By.ID, 'act-reason').send_keys(reason)
        if recovered:
            d.find_element(By.ID, 'act-recovered').send_keys(recovered)
        before = len(d.find_elements(By.CSS_SELECTOR, '#case-history li'))
        d.find_element(By.ID, button).click()
        c.wait.until(lambda _: len(d.find_elements(By.CSS_SELECTOR, '#case-history li')) > before
                     or 'error' in d.find_element(By.ID, 'act-status').get_attribute('class'))

    check(d.find_element(By.ID, 'act-confirm').get_attribute('disabled') is not None,
          'confirm is not offered for an open case')
    act('act-investigate', '转交稽查科核查')
    act('act-confirm', '现场核查属实 <b>x</b>', '36.50')
    history = d.find_elements(By.CSS_SELECTOR, '#case-history li')
    check([h.get_attribute('data-action') for h in history] == ['investigate', 'confirm'],
          'investigate and confirm appear in the case\'s own history')
    check('确认属实' in history[1].text and '测试稽查' in history[1].text and
          '现场核查属实 <b>x</b>' in history[1].text,
          'the confirmation shows who confirmed and why, as text')
    check('已确认' in d.find_element(By.ID, 'case-status').text, 'the case is now confirmed')
    check('36.50' in d.find_element(By.ID, 'case-body').text, 'the recovered amount is shown')
    text = d.find_element(By.ID, 'page-case').text
    check('null' not in text and 'undefined' not in text, 'no "null" or "undefined" on the case')
    c.shot('11-case-confirmed')
    d.set_window_size(390, 844)
    c.shot('12-case-phone')
    d.set_window_size(1280, 800)


def test_other_region(c, county):
    d = c.d
    c.open()
    d.execute_script('sessionStorage.clear()')  # this origin still holds the city officer's token
    c.open()
    c.sign_in(county)
    c.wait.until(lambda _: c.visible('lookup'))
    check('130821' in d.find_element(By.ID, 'who').text, 'the county officer sees their region')
    d.get(c.base + '/#/case/' + c.case_id)
    c.wait.until(lambda _: c.visible('case') and
                 d.find_element(By.ID, 'page-case').get_attribute('data-state') == 'error')
    text = d.find_element(By.ID, 'case-status-line').text
    check('无权访问' in text and '130821' in text,
          f'another region\'s case is refused: {text!r}')
    check(d.find_element(By.ID, 'case-actions').get_attribute('hidden') is not None,
          'and offers no action buttons')
    c.shot('13-other-region-refused')
    errors = c.console_errors(allow=('status of 403',))
    check(not errors, f'no other errors in the browser console: {errors}')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--binary', required=True)
    ap.add_argument('--source', required=True)
    ap.add_argument('--screenshots', required=True)
    a = ap.parse_args()
    os.makedirs(a.screenshots, exist_ok=True)
    work = tempfile.mkdtemp(prefix='drugtrace-console-')
    proc = driver = proxy = None
    try:
        db, regulator, terminal, county = make_ledger(a.binary, a.source, work)
        proc, port = start_daemon(a.binary, db, work)
        base = f'http://127.0.0.1:{port}'
        test_headers(base)
        proxy = start_proxy(base)
        driver = browser()
        test_console(Console(driver, base, a.screenshots), regulator, terminal, county,
                     f'http://127.0.0.1:{proxy.server_address[1]}')
        print(f'PASS (screenshots in {a.screenshots})')
        return 0
    except (AssertionError, TimeoutException, RuntimeError) as e:
        traceback.print_exc()
        print('FAIL:', e)
        if driver:
            driver.save_screenshot(os.path.join(a.screenshots, 'failure.png'))
        if os.path.exists(os.path.join(work, 'serve.log')):
            print(open(os.path.join(work, 'serve.log')).read()[-3000:])
        return 1
    finally:
        if driver:
            driver.quit()
        if proxy:
            proxy.shutdown()
        if proc:
            proc.terminate()
            proc.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
