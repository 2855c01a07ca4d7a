"""The store's schema: every migration, in order. A store is brought up to date when it is opened
(connection.py); `SCHEMA_VERSION` is the version this newsletter writes.
"""

from __future__ import annotations

# Each migration runs in one transaction and bumps PRAGMA user_version to its index + 1.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE items (
        id TEXT PRIMARY KEY,
        source_id TEXT NOT NULL,
        guid TEXT NOT NULL DEFAULT '',
        url TEXT NOT NULL,
        title TEXT NOT NULL,
        summary TEXT NOT NULL,
        content_html TEXT NOT NULL DEFAULT '',
        authors TEXT NOT NULL DEFAULT '[]',
        tags TEXT NOT NULL DEFAULT '[]',
        image TEXT NOT NULL DEFAULT '',
        published TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL
    );
    CREATE INDEX items_published ON items (published);
    CREATE INDEX items_source ON items (source_id);
    CREATE INDEX items_guid ON items (guid) WHERE guid != '';
    CREATE INDEX items_url ON items (url);
    CREATE TABLE overrides (
        item_id TEXT PRIMARY KEY,
        region TEXT,
        themes TEXT,
        updated TEXT NOT NULL
    );
    CREATE TABLE source_health (
        source_id TEXT PRIMARY KEY,
        status TEXT NOT NULL DEFAULT 'never',
        last_attempt TEXT,
        last_success TEXT,
        failing_since TEXT,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        http_status INTEGER,
        etag TEXT,
        last_modified TEXT,
        moved_to TEXT,
        redirect_streak INTEGER NOT NULL DEFAULT 0,
        last_new INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE source_names (
        source_id TEXT PRIMARY KEY,
        name TEXT NOT NULL
    );
    """,
    # 2: undated items (published NULL: filed under no week) and how each date was chosen; a one-off
    # source's feed title and site link beside the name given on the command line (outlets.py names it).
    """
    CREATE TABLE items_new (
        id TEXT PRIMARY KEY,
        source_id TEXT NOT NULL,
        guid TEXT NOT NULL DEFAULT '',
        url TEXT NOT NULL,
        title TEXT NOT NULL,
        summary TEXT NOT NULL,
        content_html TEXT NOT NULL DEFAULT '',
        authors TEXT NOT NULL DEFAULT '[]',
        tags TEXT NOT NULL DEFAULT '[]',
        image TEXT NOT NULL DEFAULT '',
        published TEXT,
        dated TEXT NOT NULL DEFAULT 'entry',
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL
    );
    INSERT INTO items_new (id, source_id, guid, url, title, summary, content_html, authors, tags, image,
        published, first_seen, last_seen)
        SELECT id, source_id, guid, url, title, summary, content_html, authors, tags, image,
        published, first_seen, last_seen FROM items;
    DROP TABLE items;
    ALTER TABLE items_new RENAME TO items;
    CREATE INDEX items_published ON items (published);
    CREATE INDEX items_source ON items (source_id);
    CREATE INDEX items_guid ON items (guid) WHERE guid != '';
    CREATE INDEX items_url ON items (url);
    ALTER TABLE source_names ADD COLUMN feed_title TEXT NOT NULL DEFAULT '';
    ALTER TABLE source_names ADD COLUMN link TEXT NOT NULL DEFAULT '';
    ALTER TABLE source_names ADD COLUMN language TEXT NOT NULL DEFAULT '';
    UPDATE source_names SET feed_title = name, name = ''
    """,
    # 3: what clustering reads of each item (sort/facts.py), kept so a build reads each text once. A cache:
    # rows of another version, or whose text_key no longer matches the item's text, are read again.
    """
    CREATE TABLE facts (
        item_id TEXT PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        text_key INTEGER NOT NULL,
        counts TEXT NOT NULL,
        stated TEXT
    )
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
