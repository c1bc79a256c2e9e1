#!/usr/bin/python3
"""Render time of a code lookup in the regulator console (issue #9), on a large ledger.

Measures, in headless Debian chromium with the browser's Performance API, the time from the
history answer being parsed (`lookup-response` mark in console/app.js) to the verified timeline
being in the DOM (`lookup-rendered`) and to the next animation frame (`lookup-painted`, i.e. the
browser was free to paint). That span includes the in-browser verification: the Ed25519 checkpoint
signature, the leaf hashes and every inclusion proof folded with WebCrypto SHA-256. The request
time (`lookup-request` to `lookup-response`: network, daemon, JSON parse) is printed beside it.

The ledger is built once and kept in --dir, so later runs reuse it:
  1. --realistic entries through the ingest processor (build/bench/regulator_bench: receipts and
     sales of 1,000 pharmacies, with code events, row facts and the pack index);
  2. opaque padding entries (`drugtrace append`, entry type 250) up to --total, so the Merkle tree —
     and therefore every proof and the checkpoint — has the full size;
  3. a signed checkpoint and a regulator token.
Then `drugtrace serve` on loopback, the console signed in, and --lookups lookups of sold packs.

usage: /usr/bin/python3 bench/console_bench.py --binary build/drugtrace \\
           --regulator-bench build/bench/regulator_bench --dir /tmp/console-bench \\
           [--realistic 1000000] [--total 10000000] [--lookups 40]
Figures never decide a test.
"""

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

PAD_CHUNK = 500_000


def run(binary, *args, stdin=None):
    r = subprocess.run([binary, *args], input=stdin, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f'{binary} {" ".join(args)} failed: {r.stderr.strip()}')
    return r.stdout


def ledger_size(db):
    if not os.path.exists(db):
        return 0
    con = sqlite3.connect(f'file:{db}?mode=ro', uri=True)
    try:
        return con.execute('SELECT COALESCE(MAX(idx) + 1, 0) FROM entries').fetchone()[0]
    finally:
        con.close()


def build_ledger(a, db):
    size = ledger_size(db)
    if size < a.realistic:
        t0 = time.time()
        print(f'filling {a.realistic} entries through the processor (regulator_bench)...', flush=True)
        subprocess.run([a.regulator_bench, '--db', db, '--sizes', str(a.realistic), '--queries', '1'],
                       check=True, stdout=subprocess.DEVNULL)
        print(f'  done in {time.time() - t0:.0f} s', flush=True)
        size = ledger_size(db)
    t0 = time.time()
    while size < a.total:
        n = min(PAD_CHUNK, a.total - size)
        lines = ''.join(f'{{"kind":"bench_padding","n":{size + i}}}\n' for i in range(n))
        run(a.binary, 'append', '--db', db, '--type', '250', '-', stdin=lines)
        size += n
        print(f'  padded to {size} entries ({time.time() - t0:.0f} s)', flush=True)
    run(a.binary, 'checkpoint', '--db', db)
    return ledger_size(db)


# Codes of sold packs: 3505 rows among the realistic entries.
def sold_codes(db, realistic, want):
    con = sqlite3.connect(f'file:{db}?mode=ro', uri=True)
    codes = []
    try:
        step = max(1, realistic // (want * 4))
        for start in range(realistic // 2, realistic, step):
            for (body,) in con.execute('SELECT body FROM entries WHERE idx BETWEEN ? AND ?',
                                       (start, start + 50)):
                try:
                    doc = json.loads(body)
                except ValueError:
                    continue
                if doc.get('infno') != '3505':
                    continue
                for item in doc.get('row', {}).get('drugtracinfo', []) or []:
                    codes.append(item['drug_trac_codg'])
                    break
                break
            if len(codes) >= want:
                break
    finally:
        con.close()
    return codes


def serve(binary, db, work):
    port_file = os.path.join(work, 'port')
    if os.path.exists(port_file):
        os.remove(port_file)
    log = open(os.path.join(work, 'serve.log'), 'w')
    proc = subprocess.Popen([binary, 'serve', '--db', db, '--listen', '127.0.0.1:0', '--port-file',
                             port_file], stdout=log, stderr=log)
    for _ in range(1200):
        if os.path.exists(port_file):
            with open(port_file) as f:
                return proc, int(f.read().strip())
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError('daemon did not start: ' + open(log.name).read())


MARKS_JS = '''
const m = {};
for (const e of performance.getEntriesByType('mark')) m[e.name] = e.startTime;
return m;
'''


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--binary', default='build/drugtrace')
    ap.add_argument('--regulator-bench', default='build/bench/regulator_bench')
    ap.add_argument('--dir', default='/tmp/console-bench')
    ap.add_argument('--realistic', type=int, default=1_000_000)
    ap.add_argument('--total', type=int, default=10_000_000)
    ap.add_argument('--lookups', type=int, default=40)
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    db = os.path.join(a.dir, 'l.db')
    size = build_ledger(a, db)
    codes = sold_codes(db, min(a.realistic, size), a.lookups)
    if not codes:
        raise RuntimeError('no sold pack found in the ledger')
    token = run(a.binary, 'token', 'create', '--db', db, '--role', 'regulator', '--label',
                'console bench').split()[0]
    proc, port = serve(a.binary, db, a.dir)
    opts = Options()
    opts.binary_location = '/usr/bin/chromium'
    for arg in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
                '--window-size=1280,800', '--lang=zh-CN'):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service('/usr/bin/chromedriver'), options=opts)
    try:
        wait = WebDriverWait(driver, 120)
        driver.get(f'http://127.0.0.1:{port}/')
        wait.until(lambda d: d.execute_script('return document.body.dataset.ready'))
        driver.find_element(By.ID, 'token').send_keys(token + Keys.ENTER)
        wait.until(lambda d: d.find_element(By.ID, 'page-lookup').is_displayed())
        render, painted, request, events = [], [], [], []
        for i, code in enumerate([codes[0]] + codes):  # the first lookup warms up; not counted
            box = driver.find_element(By.ID, 'code')
            box.clear()
            box.send_keys(code + Keys.ENTER)
            wait.until(lambda d: 'lookup-painted' in d.execute_script(MARKS_JS))
            m = driver.execute_script(MARKS_JS)
            n = len(driver.find_elements(By.CSS_SELECTOR, '#timeline li.event'))
            ok = len(driver.find_elements(By.CSS_SELECTOR, '#timeline .badge[data-verified=true]'))
            if ok != n:
                raise RuntimeError(f'{code}: {n - ok} entries not verified')
            if i == 0:
                continue
            render.append(m['lookup-rendered'] - m['lookup-response'])
            painted.append(m['lookup-painted'] - m['lookup-response'])
            request.append(m['lookup-response'] - m['lookup-request'])
            events.append(n)
        print(f'ledger: {size} entries ({min(a.realistic, size)} through the processor, '
              f'{max(0, size - a.realistic)} padding); {len(render)} lookups of sold packs, '
              f'{statistics.mean(events):.1f} entries each, all verified')
        for name, v in (('answer -> timeline in DOM (verify + render)', render),
                        ('answer -> next frame (painted)', painted),
                        ('request -> answer parsed (for reference)', request)):
            print(f'{name:45s} p50 {pct(v, 50):7.1f} ms   p95 {pct(v, 95):7.1f} ms   '
                  f'max {max(v):7.1f} ms')
    finally:
        driver.quit()
        proc.terminate()
        proc.wait(timeout=60)
    return 0


if __name__ == '__main__':
    sys.exit(main())
