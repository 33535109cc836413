"""SQLite search: FTS5 merges its index segments eight at a time instead of four (`automerge`).

Each committed batch leaves a new segment in both FTS5 tables, and FTS5 merges a level's segments once
`automerge` of them are there. At 4 (FTS5's default) a batched ingest spent a large share of its time
rewriting segments; at 8 fewer rewrites: +6-14 % articles/s paired over 12,000 articles, while search at
100,000 articles (23 trigram segments against 11) ran as fast (benchmarks/README.md, "Archive ingest").
The setting lives in each table's own config row, so it holds for every connection. PostgreSQL is untouched.
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

FTS_TABLES = ("articles_fts", "search_short")


def upgrade() -> None:
    _automerge(8)


def downgrade() -> None:
    _automerge(4)


def _automerge(segments: int) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in FTS_TABLES:
        op.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('automerge', {segments})")
