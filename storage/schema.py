"""The archive's tables at the head migration; storage/migrations must build exactly this (a test checks)."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from storage.columns import Instant, JSONType

# Deterministic constraint names on both backends, so later migrations can alter them by name.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

crawl_runs = Table(
    "crawl_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("spider", String(100), nullable=False),
    Column("site", String(100), nullable=False),
    Column("trigger", String(50), nullable=False),
    Column("scheduled_at", Instant),
    Column("started_at", Instant, nullable=False),
    Column("finished_at", Instant),
    Column("status", String(20), nullable=False),
    Column("pages_new", Integer, nullable=False, default=0),
    Column("pages_updated", Integer, nullable=False, default=0),
    Column("pages_unchanged", Integer, nullable=False, default=0),
    Column("pages_failed", Integer, nullable=False, default=0),
    Column("pages_blocked", Integer, nullable=False, default=0, server_default="0"),  # by robots.txt
    Column("pages_generic", Integer, nullable=False, default=0, server_default="0"),  # generic extractor read
    Column("errors", JSONType, nullable=False),
    Column("pid", Integer),
    Column("hostname", String(255)),
    # 1 for a firing's first run; a retry after its worker died is a new row with the next number.
    Column("attempt", Integer, nullable=False, server_default="1"),
    Index(None, "site", "started_at"),
    Index(None, "status"),
    # A scheduled firing is claimed once: a second scheduler (or a restarted one) cannot record it again.
    # Manual runs have no scheduled_at, and NULLs never collide.
    Index("ux_crawl_runs_firing", "site", "trigger", "scheduled_at", "attempt", unique=True),
)

# The scheduler's state, one row per configured job: the jobs themselves are rebuilt from the config file
# at every start, so only what the config cannot say (when each job fires next) is kept here.
scheduler_jobs = Table(
    "scheduler_jobs",
    metadata,
    Column("job", String(200), primary_key=True),  # site:kind, e.g. hlj_people:full
    Column("site", String(100), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("schedule", Text, nullable=False),  # the config's cron expression or "every N s"
    Column("timezone", String(64), nullable=False),
    Column("days", Integer, nullable=False),  # recent mode's age limit
    Column("next_run_at", Instant),  # None: the job has no further firing
    Column("updated_at", Instant, nullable=False),
)

# One row per page outcome, written in the same transaction as the page itself: run counts come from here.
run_pages = Table(
    "run_pages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("crawl_runs.id", ondelete="CASCADE"), nullable=False),
    Column("url", Text, nullable=False),
    Column("outcome", String(20), nullable=False),  # new | updated | unchanged | failed | blocked
    Column("error", Text),
    Column("extractor", String(20)),  # "generic" when the site's parser knew no template of the page
    Column("at", Instant, nullable=False),
    Index(None, "run_id", "outcome"),
)

articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("site", String(100), nullable=False),
    Column("url", Text, nullable=False),  # the URL it was first fetched under
    Column("canonical_url", Text, nullable=False, unique=True),
    Column("content_id", String(200), nullable=False),
    Column("title", Text, nullable=False),
    Column("pretitle", Text, nullable=False),
    Column("subtitle", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("published_at", Instant),
    Column("source", Text, nullable=False),
    Column("authors", JSONType, nullable=False),
    Column("editors", JSONType, nullable=False),
    Column("channel_id", String(200)),
    Column("channel_name", Text),
    Column("images", JSONType, nullable=False),
    Column("page_urls", JSONType, nullable=False),
    # "site": the site's own parser read it; "generic": the generic extractor (no known template)
    Column("extractor", String(20), nullable=False, server_default="site"),
    Column("content_hash", String(64), nullable=False),
    Column("revision", Integer, nullable=False),  # number of the current article_revisions row
    Column("first_seen_at", Instant, nullable=False),
    Column("last_fetched_at", Instant, nullable=False),
    Column("removed_at", Instant),
    Index(None, "site", "published_at"),
)

# Every URL an article was fetched under (canonical dedupe), so known_urls covers aliases too.
article_urls = Table(
    "article_urls",
    metadata,
    Column("url", Text, primary_key=True),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("first_seen_at", Instant, nullable=False),
    Index(None, "article_id"),
)

article_revisions = Table(
    "article_revisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("pretitle", Text, nullable=False),
    Column("subtitle", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("fetched_at", Instant, nullable=False),
    Column("run_id", Integer, ForeignKey("crawl_runs.id", ondelete="SET NULL")),
    UniqueConstraint("article_id", "revision"),
    Index(None, "run_id"),  # a run's new articles, for its health numbers
)

raw_pages = Table(
    "raw_pages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", Text, nullable=False),
    Column("site", String(100)),
    Column("status", Integer, nullable=False),
    Column("headers", JSONType, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("compression", String(10), nullable=False),  # "zstd" ("zlib" in older rows): storage/packing.py
    Column("size", Integer, nullable=False),  # uncompressed bytes
    Column("sha256", String(64), nullable=False),
    Column("fetched_at", Instant, nullable=False),  # first fetch that returned these bytes
    Column("last_fetched_at", Instant, nullable=False),
    Column("run_id", Integer, ForeignKey("crawl_runs.id", ondelete="SET NULL")),
    Index(None, "url", "id"),
    Index(None, "site"),
)

hot_list_snapshots = Table(
    "hot_list_snapshots",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("site", String(100), nullable=False),
    Column("page_url", Text, nullable=False),
    Column("captured_at", Instant, nullable=False),
    Column("run_id", Integer, ForeignKey("crawl_runs.id", ondelete="SET NULL")),
    Column("entries_hash", String(64), nullable=False),
    Index(None, "site", "captured_at"),
    Index(None, "page_url", "captured_at"),
)

hot_list_entries = Table(
    "hot_list_entries",
    metadata,
    Column("snapshot_id", Integer, ForeignKey("hot_list_snapshots.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("rank", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("url", Text, nullable=False),
)

# Normalised (storage/search/textnorm.py) searchable text; each search backend adds its index beside it.
search_text = Table(
    "search_text",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
)

# -- monitoring (migration 0007): standing searches, the alert outbox, crawl health, cursors ----------------

# A standing search (`hljnews watch add`, or [[watches]] in the config); storage matches it as it writes.
watches = Table(
    "watches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("query", Text, nullable=False),  # the `hljnews search` language
    Column("sites", JSONType, nullable=False),  # [] means every site
    Column("triggers", JSONType, nullable=False),  # of new, revised, hot
    Column("hot_rank", Integer),  # hot: alert when a story reaches this rank (None: when it is on the list)
    Column("targets", JSONType, nullable=False),  # notification URLs (secrets inside: masked when shown)
    Column("digest", String(20)),  # hourly | daily@HH:MM; None sends each alert at once
    Column("origin", String(10), nullable=False),  # cli | config
    Column("created_at", Instant, nullable=False),
    Column("updated_at", Instant, nullable=False),
)

# One row per event, ever: `event` is the dedupe key (watch:3:new:12, watch:3:revised:12:2,
# watch:3:hot:hlj_people:URL:rank5, health:dbw:coverage:published_at:41), written in the transaction
# of what caused it. `uid` is the id every message carries, so a receiver can drop a repeat.
alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("uid", String(32), nullable=False, unique=True),
    Column("event", Text, nullable=False, unique=True),
    Column("watch_id", Integer, ForeignKey("watches.id", ondelete="SET NULL")),
    Column("watch_name", String(64)),  # kept when the watch is removed
    Column("trigger", String(20), nullable=False),  # new | revised | hot | health
    Column("site", String(100)),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="SET NULL")),
    Column("revision", Integer),
    Column("run_id", Integer, ForeignKey("crawl_runs.id", ondelete="SET NULL")),
    Column("payload", JSONType, nullable=False),  # what the message says, as it stood then
    Column("created_at", Instant, nullable=False),
    Index(None, "watch_name", "id"),
)

# The outbox: one row per alert and target, sent by a deliverer, retried with backoff until delivered.
alert_deliveries = Table(
    "alert_deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alert_id", Integer, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
    Column("target", Text, nullable=False),
    Column("status", String(10), nullable=False),  # pending | delivered | cancelled
    Column("digest", String(20)),  # sent with the watch's other alerts of the same due_at, as one message
    Column("due_at", Instant, nullable=False),  # not before: now, the digest time, or the next retry
    Column("attempts", Integer, nullable=False),
    Column("last_attempt_at", Instant),
    Column("last_error", Text),
    Column("delivered_at", Instant),
    Column("claimed_by", String(300)),  # host:pid of the deliverer sending it
    Column("claimed_until", Instant),
    UniqueConstraint("alert_id", "target"),
    Index(None, "status", "due_at"),
)

# What crawl health saw after a run: its numbers and the state of every condition (with the run that
# started its episode, so one episode alerts once).
run_health = Table(
    "run_health",
    metadata,
    Column("run_id", Integer, ForeignKey("crawl_runs.id", ondelete="CASCADE"), primary_key=True),
    Column("site", String(100), nullable=False),
    Column("level", String(10), nullable=False),  # ok | warn | fail
    Column("numbers", JSONType, nullable=False),
    Column("states", JSONType, nullable=False),
    Column("evaluated_at", Instant, nullable=False),
    Index(None, "site", "run_id"),
)

# Small named integers: `hljnews new --since-last` cursors (new:SITE) and the watches' change counter.
monitor_state = Table(
    "monitor_state",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("value", Integer, nullable=False),
    Column("updated_at", Instant, nullable=False),
)

# Built by migrations, outside this MetaData: FTS5 tables (and their shadow tables) on SQLite, the gram table
# search_grams and its GIN index on PostgreSQL (migration 0010), and on both the expression indexes
# ix_articles_when and ix_articles_when_by_id over (coalesce(published_at, first_seen_at), id) for newest-first
# search pages (autogenerate cannot compare expression indexes), and on PostgreSQL ix_articles_site_id over
# (site, id) for search's site filter (SQLite's site index already carries the rowid).
BACKEND_ONLY_NAMES = ("articles_fts", "search_short", "search_grams", "ix_search_grams_grams", "ix_articles_when",
                      "ix_articles_site_id")


def declared_here(_object: object, name: str | None, _type: str, reflected: bool, _compare_to: object) -> bool:
    """Alembic include_object hook: False for the backend-only search structures."""
    return not (reflected and name is not None and name.startswith(BACKEND_ONLY_NAMES))
