"""Queue at scale: the console queue and the API ticket list at 10k and at 200k tickets.

    .venv/bin/python benchmarks/queue_scale.py [--requests 50] [--warmup 5] [--timeout 1800]
        [--extra-sql "CREATE INDEX …"]…

Needs PostgreSQL at 127.0.0.1:5432 (trust auth for ``postgres``, database ``test``). Makes two
throw-away databases next to ``test``, migrated and filled with set-based SQL: "small" (10k
tickets, 50k calls) and "large" (200k tickets, 1M calls), both with 11 districts and 200
stations. In one process, with Flask's test client on ``create_app()``, it times each scenario
(the console queue page for a worker, a district admin and a city admin, with filters,
searches and keyset pages; GET /api/v1/tickets pages 1 and 3, and a search) N times after
warm-ups, alternating small and large request by request, and prints p50/p95, the large/small
p95 ratio against the target (at most 2x, and p95 under 150 ms at the large size), rows per
page and SQL per request. For a scenario over the target it EXPLAINs (ANALYZE, BUFFERS) the
SELECTs of one large request (captured with before_cursor_execute) and prints the slowest plan.
``--extra-sql`` runs statements (e.g. a candidate index) on both databases after loading.
The databases are dropped at the end, also on failure, SIGTERM or timeout, unless ``--keep``
(print their names) or ``--reuse SMALL,LARGE`` (measure those again, loading nothing).
"""

import argparse
import gc
import re
import signal
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from ivr import create_app
from ivr.api.tokens import issue_token
from ivr.stations.users import create_user
from models import Role, utcnow
from models.db import make_engine
from models.migrate import upgrade

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SIZES = {
    "small": {"calls": 50_000, "tickets": 10_000, "callers": 30_000},
    "large": {"calls": 1_000_000, "tickets": 200_000, "callers": 150_000},
}
PASSWORD = "benchmark-password"
TARGET = 2.0
CEILING_MS = 150.0  # and each page's p95 at the large size under this
# Set-based load; :callers, :calls, :tickets come from SIZES. Station 1 is the busiest (~3.4x
# the average); phone numbers derive from ids.
LOAD_SQL = """
INSERT INTO districts (id, code, name_zh, name_en)
SELECT g, 'district-' || g, '区' || g, 'District ' || g FROM generate_series(1, 11) g;

INSERT INTO stations (id, code, name_zh, name_en, district_id, languages, timezone, opening_hours,
  holidays, twenty_four_hours, sla_urgent_minutes, sla_normal_minutes, ticket_on_abandon, active)
SELECT g, 'station-' || lpad(g::text, 3, '0'), '社工站' || g, 'Station ' || g, 1 + (g - 1) % 11,
  '["zh"]', 'Asia/Shanghai', '{}', '[]', true, 60, 1440, true, true FROM generate_series(1, 200) g;

INSERT INTO hotline_numbers (number, station_id, label)
SELECT '+8620830' || lpad(g::text, 5, '0'), g, '' FROM generate_series(1, 200) g;

INSERT INTO callers (id, phone_number, name, home_station_id, notes)
SELECT g, '+86138' || lpad(g::text, 8, '0'), '居民' || g, 1 + floor(200 * power(random(), 1.3)), ''
FROM generate_series(1, :callers) g;

INSERT INTO calls (id, call_sid, direction, station_id, caller_id, from_number, to_number,
  language, chosen_need, started_at, ended_at, duration_seconds, status, outcome)
SELECT g, 'CA' || lpad(g::text, 32, '0'), 'inbound', s, c, '+86138' || lpad(c::text, 8, '0'),
  '+8620830' || lpad(s::text, 5, '0'), 'zh', (ARRAY['food', 'medicine', 'policy'])[1 + g % 3],
  t, t + d * interval '1 second', d, 'completed', CASE WHEN r < .25 THEN 'voicemail'
  WHEN r < .65 THEN 'completed' WHEN r < .85 THEN 'abandoned' WHEN r < .95 THEN 'answered'
  ELSE 'transferred' END
FROM (SELECT g, 1 + floor(200 * power(random(), 1.3))::int s, 1 + floor(random() * :callers) c,
  random() r, now() - random() * interval '90 days' t, 20 + floor(random() * 300)::int d
  FROM generate_series(1, :calls) g) x;

-- ~85% resolved over 90 days, the rest opened in the last 36 hours; 5% urgent (due in an hour),
-- 15% high, 70% normal, 10% low (due in a day); 3% referred from another station. At most one
-- active ticket per caller per station (a partial unique index): the few clashes are skipped.
INSERT INTO tickets (id, station_id, caller_id, caller_number, source, status, priority, due_at,
  opened_at, first_callback_at, resolved_at, referred_from_station_id, resolution_category,
  problems_solved, version_id)
SELECT g, s, c, '+86138' || lpad(c::text, 8, '0'),
  CASE WHEN random() < .1 THEN 'abandoned' ELSE 'voicemail' END, st, p,
  o + CASE WHEN p = 0 THEN interval '60 minutes' ELSE interval '1440 minutes' END, o,
  CASE WHEN st <> 'open' THEN o + random() * interval '20 hours' END,
  CASE WHEN st = 'resolved' THEN o + random() * interval '2 days' END,
  CASE WHEN random() < .03 THEN 1 + (s + floor(random() * 199)::int) % 200 END,
  CASE WHEN st = 'resolved' THEN (ARRAY['food', 'medicine', 'other'])[1 + g % 3] END,
  CASE WHEN st = 'resolved' THEN 1 ELSE 0 END, 1
FROM (SELECT *, now() - random() * CASE WHEN st = 'resolved' THEN interval '90 days'
  ELSE interval '36 hours' END o
  FROM (SELECT g, s, c, CASE WHEN r < .85 THEN 'resolved' WHEN r < .95 THEN 'open'
    ELSE 'in_progress' END st, CASE WHEN q < .05 THEN 0 WHEN q < .2 THEN 1 WHEN q < .9 THEN 2
    ELSE 3 END p
    FROM (SELECT g, 1 + floor(200 * power(random(), 1.3))::int s, random() r, random() q,
      1 + floor(random() * :callers)::int c FROM generate_series(1, :tickets) g) a) b) x
ON CONFLICT DO NOTHING;

-- 0.4% of calls reached a number no station owns: the city's unassigned queue.
UPDATE tickets SET station_id = NULL WHERE id % 250 = 7;

-- A voicemail per voicemail ticket, transcribed: one of 12 needs, then where the caller lives
-- (5 streets, 997 house numbers), so a street and number matches ~0.02% of transcripts.
INSERT INTO voicemails (id, recording_sid, station_id, caller_id, ticket_id, recording_url,
  duration_seconds, language, menu_tags, state, attempts, created_at, updated_at)
SELECT id, 'RE' || lpad(id::text, 32, '0'), station_id, caller_id, id, '', 30, 'zh',
  '["food"]', 'transcribed', 1, opened_at, opened_at FROM tickets WHERE source = 'voicemail';

INSERT INTO transcripts (voicemail_id, text, raw_text, words, confidence, language,
  language_fallback, model, audio_seconds, decode_seconds, created_at)
SELECT id, (ARRAY['家里没有米了，想请社工帮忙买点米和油', '我妈妈的降压药快吃完了，医院没有货',
  '老人一个人在家，腿脚不方便，想问能不能上门', '请问现在出门需要什么证明',
  '心情很不好，一直睡不着',
  '孩子发烧了，想问哪里可以看病', '胰岛素不够了，能不能帮忙买', '家里断了煤气，做不了饭',
  '想申请低保，不知道要什么材料', '邻居老人几天没出门了，担心他', '需要轮椅，出不了门',
  '菜太贵了，想问有没有平价菜'])[1 + id % 12] || '，我住在' || (ARRAY['南洲路', '江南大道',
  '同德围', '凤阳路', '昌岗路'])[1 + (id / 12) % 5] || (id % 997) || '号', '', '[]', .8, 'zh',
  false, 'bench', 30, 3, created_at FROM voicemails;

-- Each referred ticket's referral: resolved with the ticket, else accepted, but one in ten
-- still waiting for the receiver (the "incoming" view).
INSERT INTO referrals (ticket_id, from_station_id, to_station_id, state, reason, sent_at,
  accept_due_at, answered_at, decline_reason, resolved_at, outcome_problems, outcome_note,
  notice_unread)
SELECT id, referred_from_station_id, station_id, CASE WHEN status = 'resolved' THEN 'resolved'
  WHEN id % 10 = 0 THEN 'pending' ELSE 'accepted' END, '', opened_at,
  opened_at + interval '1 day', CASE WHEN status <> 'resolved' AND id % 10 = 0 THEN NULL
  ELSE opened_at + interval '1 hour' END, '', resolved_at, 0, '', status = 'resolved'
FROM tickets WHERE referred_from_station_id IS NOT NULL AND station_id IS NOT NULL;

INSERT INTO tags (id, code, name_zh, name_en, kind) VALUES (1, 'food', '食物', 'Food', 'need'),
  (2, 'medicine', '药品', 'Medicine', 'need'), (3, 'medical', '就医', 'Medical', 'need'),
  (4, 'emotional', '情绪', 'Emotional', 'need'), (5, 'policy', '政策', 'Policy', 'need'),
  (6, 'urgent', '紧急', 'Urgent', 'urgency'), (7, 'abandoned', '未留言', 'Abandoned', 'custom'),
  (8, 'lone_elderly', '独居老人', 'Lone elderly', 'vulnerability');

INSERT INTO ticket_tags (ticket_id, tag_id)
SELECT id, 1 + id % 5 FROM tickets UNION ALL SELECT id, 6 FROM tickets WHERE priority = 0
UNION ALL SELECT id, 7 FROM tickets WHERE source = 'abandoned'
UNION ALL SELECT id, 8 FROM tickets WHERE id % 10 = 3
"""
COUNTS_SQL = """SELECT (SELECT count(*) FROM calls) calls, (SELECT count(*) FROM callers) callers,
  (SELECT count(*) FROM tickets) tickets, (SELECT count(*) FROM ticket_tags) tags,
  (SELECT count(*) FROM tickets WHERE status <> 'resolved') active,
  (SELECT count(*) FROM tickets WHERE status <> 'resolved' AND due_at < now()) overdue,
  (SELECT count(*) FROM tickets WHERE station_id = 1 OR referred_from_station_id = 1) st1,
  (SELECT count(*) FROM tickets WHERE status <> 'resolved' AND 1 IN (station_id,
    referred_from_station_id)) st1_active,
  (SELECT count(*) FROM tickets WHERE (status = 'resolved') <> (resolved_at IS NOT NULL)) bad"""
USERS = [  # username, role, station, district: all around the busiest station
    ("worker", Role.WORKER, "station-001", None),
    ("station-admin", Role.STATION_ADMIN, "station-001", None),
    ("district", Role.DISTRICT_ADMIN, None, "district-1"),
    ("city", Role.CITY_ADMIN, None, None),
]
CONSOLE = [  # scenario, user, query string of GET /console/
    ("console worker", "worker", ""),
    ("console worker ?urgent=1", "worker", "?urgent=1"),
    ("console worker ?tag=food", "worker", "?tag=food"),
    ("console worker ?status=all", "worker", "?status=all"),  # ~as many rows at both sizes
    ("console worker referred out", "worker", "?view=referred_out"),
    ("console worker incoming", "worker", "?view=incoming"),
    ("console worker ?q=0042 phone", "worker", "?q=0042"),  # any part of a number
    ("console worker ?q=降压药", "worker", "?q=降压药"),  # words said, 1 in 12 transcripts
    ("console worker ?q=米 (1 char)", "worker", "?q=米"),  # too short for a trigram
    ("console district admin", "district", ""),
    ("console district ?station=", "district", "?station=station-012"),
    ("console city admin", "city", ""),
    ("console city ?district=", "city", "?district=district-3"),
    ("console city unassigned", "city", "?unassigned=1"),
    ("console city ?q=+8613800000042", "city", "?q=%2B8613800000042"),
    ("console city ?q=0042 phone", "city", "?q=0042"),
    ("console city ?q=江南大道123号", "city", "?q=江南大道123号"),
    ("console city ?q=#ticket", "city", "?q=%2342"),
]
PAGED = [("worker", "?status=all"), ("city", "")]  # "console <user> page 3": next, next
NEXT = re.compile(r'rel="next" href="([^"]+)"')
API = "/api/v1/tickets?limit=50"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Site:
    size: str
    url: str
    app: Flask | None = None
    tokens: dict = field(default_factory=dict)  # username -> bearer token
    clients: dict = field(default_factory=dict)  # username -> signed-in test client
    paths: dict = field(default_factory=dict)  # scenario -> (username, path)
    statements: list = field(default_factory=list)  # (sql, params) of the request in flight
    sql_seconds: float = 0.0
    last: dict = field(default_factory=dict)  # scenario -> statements of its last request


def with_timeout(url: str, ms: int) -> str:
    query = {"options": f"-c statement_timeout={ms}"}
    return make_url(url).update_query_dict(query).render_as_string(hide_password=False)


def autocommit(site: Site, *statements: str) -> None:
    engine = make_engine(with_timeout(site.url, 900_000))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as db:
        for sql in statements:
            db.execute(text(sql))
    engine.dispose()


def load(site: Site) -> None:
    """Migrate, fill with set-based SQL, add users and tokens, VACUUM ANALYZE."""
    engine = make_engine(with_timeout(site.url, 900_000))
    upgrade(engine)
    with engine.begin() as db:
        db.execute(text("SELECT setseed(0.42)"))
        for sql in LOAD_SQL.strip().split(";\n\n"):
            started = time.perf_counter()
            rows = db.execute(text(sql), SIZES[site.size]).rowcount
            table = re.search(r"(?:INSERT INTO|UPDATE) (\w+)", sql).group(1)
            took = time.perf_counter() - started
            print(f"  {site.size}: {table:<16}{rows:>10,} rows {took:6.1f} s")
        for table in ("districts", "stations", "callers", "calls", "tickets", "tags", "voicemails"):
            db.execute(text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))
    with Session(engine) as session:
        for name, role, station, district in USERS:
            create_user(session, name, PASSWORD, role, station, district)
        site.tokens = {u: issue_token(session, u, utcnow(), "bench").secret for u, *_ in USERS}
        mine = "(SELECT id FROM users WHERE username = 'worker')"
        where = "station_id = 1 AND status = 'in_progress'"
        session.execute(text(f"UPDATE tickets SET assignee_id = {mine} WHERE {where}"))
        session.commit()
    engine.dispose()
    started = time.perf_counter()
    autocommit(site, "VACUUM ANALYZE")
    print(f"  {site.size}: VACUUM ANALYZE {time.perf_counter() - started:.1f} s")


def tokens(site: Site) -> None:
    """A new API token per user of a database loaded earlier (``--reuse``)."""
    engine = make_engine(site.url)
    with Session(engine) as session:
        site.tokens = {u: issue_token(session, u, utcnow(), "bench").secret for u, *_ in USERS}
        session.commit()
    engine.dispose()


def counts(site: Site) -> str:
    engine = make_engine(site.url)
    with engine.connect() as db:
        c = db.execute(text(COUNTS_SQL)).one()
    engine.dispose()
    assert c.bad == 0, "inconsistent tickets: the load SQL evaluated a random() twice"
    return (
        f"{c.calls:,} calls, {c.callers:,} callers, {c.tickets:,} tickets ({c.active:,} active,"
        f" {c.overdue:,} overdue), {c.tags:,} ticket tags; station 1 sees {c.st1:,} tickets"
        f" ({c.st1_active:,} active)"
    )


def watch(site: Site) -> None:
    """Count and time the app's SQL, and keep each request's statements for EXPLAIN."""
    engine = site.app.extensions["ivr.db"].engine

    @event.listens_for(engine, "before_cursor_execute")
    def before(conn, cursor, statement, params, context, many):  # type: ignore[no-untyped-def]
        conn.info["bench_started"] = time.perf_counter()
        site.statements.append((statement, params))

    @event.listens_for(engine, "after_cursor_execute")
    def after(conn, cursor, statement, params, context, many):  # type: ignore[no-untyped-def]
        site.sql_seconds += time.perf_counter() - conn.info.pop("bench_started")


def get(site: Site, user: str, path: str):  # type: ignore[no-untyped-def]
    if path.startswith("/api/"):
        bearer = {"Authorization": f"Bearer {site.tokens[user]}"}
        response = site.clients[None].get(path, headers=bearer)
    else:
        response = site.clients[user].get(path)
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return response


def sign_in(app: Flask, username: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    token = CSRF.search(client.get("/console/login").text).group(1)
    form = {"username": username, "password": PASSWORD, "csrf_token": token}
    assert client.post("/console/login", data=form).status_code == 302, username
    return client


def start(site: Site, instance: str) -> None:
    """The app on this database, a signed-in client per user, each scenario's URL."""
    database = with_timeout(site.url, 60_000)
    site.app = create_app({"IVR_INSTANCE_DIR": instance, "IVR_DATABASE_URL": database})
    site.clients = {u: sign_in(site.app, u) for u, *_ in USERS} | {None: site.app.test_client()}
    site.paths = {name: (user, "/console/" + query) for name, user, query in CONSOLE}
    for user, query in PAGED:
        path = "/console/" + query
        for _ in range(2):
            path = "/console/" + NEXT.search(get(site, user, path).text).group(1).replace(
                "&amp;", "&"
            )
        site.paths[f"console {user} page 3"] = (user, path)
    site.paths["api city ?q=0042"] = ("city", f"{API}&q=0042")
    for user in ("worker", "city"):
        site.paths[f"api {user} page 1"] = (user, API)
        cursor = get(site, user, API).json["next_cursor"]
        cursor = get(site, user, f"{API}&cursor={cursor}").json["next_cursor"]
        site.paths[f"api {user} page 3"] = (user, f"{API}&cursor={cursor}")
    watch(site)


def rows(response) -> int:  # type: ignore[no-untyped-def]
    if response.is_json:
        return len(response.json["items"])
    return response.text.count('class="ticket-row"')


def measure(sites: list[Site], name: str, n: int, warmup: int) -> dict:
    """Time a scenario, alternating the sites request by request."""
    stats = {s.size: {"ms": [], "sql": 0, "sql_ms": [], "rows": 0} for s in sites}
    for i in range(warmup + n):
        for site in sites:
            user, path = site.paths[name]
            site.statements, site.sql_seconds = [], 0.0
            gc.collect()  # else a ~75 ms full GC pass lands in a few random requests' p95
            started = time.perf_counter()
            response = get(site, user, path)
            elapsed = time.perf_counter() - started
            site.last[name] = site.statements
            if i >= warmup:
                s = stats[site.size]
                s["ms"].append(elapsed * 1000)
                s["sql_ms"].append(site.sql_seconds * 1000)
                s["sql"], s["rows"] = len(site.statements), rows(response)
    for s in stats.values():
        s["p50"] = statistics.median(s["ms"])
        s["p95"] = statistics.quantiles(s["ms"], n=100, method="inclusive")[94]
        s["sql_ms"] = statistics.median(s["sql_ms"])
    return stats


def report(results: dict) -> list[str]:
    print(
        f"\n{'scenario':<28}{'rows s/l':>9}{'SQL s/l':>8}{'SQL ms s/l':>12}"
        f"{'p50 s':>7}{'p95 s':>7}{'p50 l':>7}{'p95 l':>7}{'ratio':>7}  verdict"
    )
    misses = []
    for name, result in results.items():
        s, lg = result["small"], result["large"]
        ratio = lg["p95"] / s["p95"]
        missed = ratio > TARGET or lg["p95"] > CEILING_MS
        verdict = "ok" if not missed else "MISS" + ("*" if lg["rows"] > 2 * s["rows"] else "")
        verdict += f" (p95 l > {CEILING_MS:.0f} ms)" if lg["p95"] > CEILING_MS else ""
        misses += [name] if missed else []
        print(
            f"{name:<28}{s['rows']:>5}/{lg['rows']:<3}{s['sql']:>4}/{lg['sql']:<3}"
            f"{s['sql_ms']:>6.1f}/{lg['sql_ms']:<5.1f}{s['p50']:>7.1f}{s['p95']:>7.1f}"
            f"{lg['p50']:>7.1f}{lg['p95']:>7.1f}{ratio:>6.1f}x  {verdict}"
        )
    print(
        "Times in ms; rows on the page and SQL statements per request; SQL ms: median time in"
        " the driver.\n* the large page lists over twice the rows of the small one, so part of"
        " the gap is rendering more rows, not the table size."
    )
    summary = f"MISSED by {len(misses)} of {len(results)}" if misses else "PASS, all"
    print(
        f"\nTarget p95(large) <= {TARGET:.0f}x p95(small) and p95(large) < {CEILING_MS:.0f} ms:"
        f" {summary} scenarios"
    )
    return misses


def explain(site: Site, misses: list[str]) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) each SELECT a missing scenario ran; print the slowest."""
    engine = create_engine(with_timeout(site.url, 120_000))
    raw, shown = engine.raw_connection(), set()
    try:
        for name in misses:
            plans = []
            for statement, params in site.last[name]:
                if statement.lstrip().upper().startswith("SELECT"):
                    cursor = raw.cursor()
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
                    plan = [r[0] for r in cursor.fetchall()]
                    ms = float(re.search(r"Execution Time: ([\d.]+)", plan[-1]).group(1))
                    plans.append((ms, " ".join(statement.split()), plan))
            raw.rollback()
            plans.sort(key=lambda p: p[0], reverse=True)
            total = sum(p[0] for p in plans)
            print(f"\n== {name} (large): {len(plans)} SELECTs, {total:.1f} ms executing; top 3:")
            for ms, sql, _ in plans[:3]:
                print(f"  {ms:7.2f} ms  {re.sub(r'SELECT .*? FROM', 'SELECT … FROM', sql)[:150]}")
            ms, sql, plan = plans[0]
            if sql in shown:
                print("  -- the slowest is a statement whose plan is shown above")
            elif ms >= 1.0:
                shown.add(sql)
                print(f"  -- plan of the slowest ({ms:.2f} ms):")
                print("\n".join(f"  | {line[:160]}" for line in plan))
    finally:
        raw.close()
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=50, help="timed requests per scenario")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--timeout", type=int, default=3600, help="the whole run, in seconds")
    parser.add_argument("--extra-sql", action="append", default=[], help="run after loading")
    parser.add_argument(
        "--keep", action="store_true", help="keep the loaded databases and print their names"
    )
    parser.add_argument(
        "--reuse",
        metavar="SMALL,LARGE",
        help="measure databases an earlier --keep run loaded (their names), loading nothing",
    )
    parser.add_argument("--only", help="measure the scenarios whose name contains this")
    args = parser.parse_args()
    for signum in (signal.SIGALRM, signal.SIGTERM):  # exit through the finally: clean up
        signal.signal(signum, lambda signum, _: sys.exit(f"stopped by signal {signum}"))
    signal.alarm(args.timeout)
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    sites: list[Site] = []
    try:
        reused = args.reuse.split(",") if args.reuse else []
        for i, size in enumerate(SIZES):
            name = reused[i] if reused else f"queue_scale_{size}_{uuid.uuid4().hex[:8]}"
            if not reused:
                with admin.connect() as db:
                    db.execute(text(f'CREATE DATABASE "{name}"'))
            sites.append(Site(size, make_url(ADMIN_URL).set(database=name).render_as_string()))
        for site in sites:
            if reused:
                tokens(site)
                continue
            load(site)
            if args.extra_sql:
                autocommit(site, *args.extra_sql, "VACUUM ANALYZE")
                print(f"  {site.size}: extra SQL: {'; '.join(args.extra_sql)}")
            print(f"  {site.size}: {counts(site)}")
        with tempfile.TemporaryDirectory() as instance:
            for site in sites:
                start(site, f"{instance}/{site.size}")
            names = [name for name, *_ in CONSOLE] + [
                n for n in sites[0].paths if "api" in n or "page 3" in n
            ]
            names = [n for n in names if not args.only or args.only in n]
            results = {name: measure(sites, name, args.requests, args.warmup) for name in names}
            misses = report(results)
            if misses:
                explain(sites[1], misses)
        return 1 if misses else 0
    finally:
        signal.alarm(0)
        for site in sites:
            if site.app is not None:
                site.app.extensions["ivr.db"].engine.dispose()
            if args.keep or args.reuse:
                print(f"  kept {site.size}: {make_url(site.url).database}")
                continue
            with admin.connect() as db:
                database = make_url(site.url).database
                db.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
