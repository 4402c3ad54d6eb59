"""The attacks of scripts/abuse.sh, each bounded, against BASE (loopback only).

Prints a Markdown table: what each attack tried, and what got through.
"""

import concurrent.futures as cf
import http.cookiejar
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

BASE, OUTBOX = sys.argv[1], sys.argv[2]
assert urllib.parse.urlparse(BASE).hostname in ("127.0.0.1", "localhost"), "loopback only"
PASSWORD = "correct horse battery"
rows = []


class Browser:
    """Cookies, an address (X-Forwarded-For), same-origin requests."""

    def __init__(self, ip):
        self.ip = ip
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect()
        )

    def post(self, endpoint, **form):
        req = urllib.request.Request(
            f"{BASE}/api/{endpoint}",
            data=urllib.parse.urlencode(form).encode(),
            headers={"X-Forwarded-For": self.ip, "Origin": BASE, "Accept": "application/json"},
        )
        return self.send(req)

    def get(self, path, timeout=5):
        req = urllib.request.Request(f"{BASE}{path}", headers={"X-Forwarded-For": self.ip})
        return self.send(req, timeout)

    def send(self, req, timeout=30):
        start = time.perf_counter()
        try:
            with self.opener.open(req, timeout=timeout) as r:
                status, body = r.status, r.read(2000)
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read(2000)
        return status, body.decode(errors="replace"), (time.perf_counter() - start) * 1000


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None

    def http_error_302(self, req, fp, code, msg, headers):
        return fp

    http_error_303 = http_error_302


def ok(status):
    return 200 <= status < 400


def sign_up(email, ip):
    b = Browser(ip)
    status, body, _ = b.post("signup", email=email, password=PASSWORD, timezone="UTC")
    assert ok(status), (email, status, body)
    return b


def sql(query):
    out = subprocess.run(
        ["psql", "-X", "-qtA", "-d", os.environ["DATABASE_URL"], "-c", query],
        check=True, capture_output=True, text=True,
    )
    return out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""


def tally(results):
    counts = {}
    for status, _, _ in results:
        counts[status] = counts.get(status, 0) + 1
    return ", ".join(f"{n}× {s}" for s, n in sorted(counts.items()))


def parallel(jobs, workers=8):
    with cf.ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda job: job(), jobs))


def row(attack, tried, outcome):
    rows.append((attack, tried, outcome))
    print(f"  {attack}: {outcome}", file=sys.stderr)


# 1. Keep a victim locked out: wrong passwords from many addresses.
home = "198.51.100.7"
victim_browser = sign_up("victim@example.com", home)
texter = sign_up("texter@example.com", "198.51.100.9")  # before the sign-up floods fill the hour
attempts = parallel([
    (lambda i=i: Browser(f"203.0.{113 + i // 250}.{i % 250}").post("login", email="victim@example.com", password=f"guess {i}"))
    for i in range(200)
])
status, _, ms = Browser(home).post("login", email="victim@example.com", password=PASSWORD)
status2, _, ms2 = victim_browser.post("login", email="victim@example.com", password=PASSWORD)
row("Lock a victim out", "200 wrong passwords for one account from 200 addresses",
    f"answers {tally(attempts)}; then the victim at their usual address: {status} in {ms:.0f} ms, "
    f"in their own browser: {status2} in {ms2:.0f} ms")

# 2. One address guesses at many accounts; does anyone else suffer?
sign_up("bystander@example.com", "198.51.100.8")
attempts = parallel([
    (lambda i=i: Browser("203.0.120.1").post("login", email=f"guess{i}@example.com", password="hunter2hunter2"))
    for i in range(300)
])
status, _, ms = Browser("192.0.2.80").post("login", email="bystander@example.com", password=PASSWORD)
right_pw, _, _ = Browser("203.0.120.1").post("login", email="bystander@example.com", password=PASSWORD)
row("Spray from one address", "300 wrong passwords for 300 accounts from one address",
    f"answers {tally(attempts)}; a bystander from a new address and browser: {status} in {ms:.0f} ms; "
    f"the right password from the spraying address: {right_pw} (an emailed link, no session)")

# 3. Sign-up floods.
burst = parallel([
    (lambda i=i: Browser("203.0.121.1").post("signup", email=f"bot{i}@example.com", password=PASSWORD))
    for i in range(50)
])
row("Sign-up burst from one address", "50 sign-ups at once", f"{tally(burst)} (limit 5 an hour per address)")
spread = parallel([
    (lambda i=i: Browser(f"203.0.122.{i}").post("signup", email=f"spread{i}@example.com", password=PASSWORD))
    for i in range(200)
])
accounts = sql("select count(*) from users")
row("Sign-up flood from 200 addresses", "200 sign-ups, one per address",
    f"{tally(spread)}; accounts in all: {accounts} (limit 100 an hour for the server)")

# 4. Texts: parallel verification requests, and a person not yet confirmed.
unconfirmed, body, _ = texter.post("start_phone_verification", phone="+14155550100")
sql("update users set email_verified_at = now() where email = 'texter@example.com'")
burst = parallel([(lambda: texter.post("start_phone_verification", phone="+14155550100")) for _ in range(20)], 20)
texts = sql("select set_config('app.system', 'on', false); select count(*) from sms_messages")
row("Text bombing", "phone verification before confirming the email; then 20 requests at once",
    f"unconfirmed: {unconfirmed}; then {tally(burst)}; texts queued: {texts}")

# 5. The model: a person over their daily quota (3 here).
sql("update users set email_verified_at = now() where email = 'victim@example.com'")
results = []
for i in range(10):
    status, body, _ = victim_browser.post("save_draft", content=f"- task number {i}")
    dump = json.loads(body)
    results.append(victim_browser.post("parse_brain_dump", id=dump))
calls = sql("select count(*) from llm_calls")
quota = sum(1 for s, b, _ in results if s == 429)
row("Run up the AI bill", "10 brain dumps processed by one person (quota 3 a day)",
    f"answers {tally(results)}; refused by the quota before the model: {quota}; calls counted: {calls}")

# 6. Live streams held open by one person.
def stream():
    try:
        return victim_browser.get("/briefs/events", timeout=2)
    except Exception:  # the stream stays open: it was accepted
        return (200, "", 0)
streams = parallel([stream for _ in range(10)], 10)
row("Hold live streams open", "10 brief streams at once for one person", f"{tally(streams)} (at most 6 each)")

print("| attack | tried | what got through |")
print("| --- | --- | --- |")
for r in rows:
    print("| " + " | ".join(r) + " |")
