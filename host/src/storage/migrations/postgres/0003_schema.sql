-- The schema on PostgreSQL, as of version 3 (the first version PostgreSQL was offered at).
-- The same tables and keys as the SQLite migrations 0001–0003 build, with PostgreSQL's types:
-- every integer BIGINT (one Rust type for both backends), BYTEA for bytes, and the "C"
-- collation on kv keys and setting names, so prefix scans order bytes as SQLite does.

CREATE TABLE users (
    bot            BIGINT NOT NULL DEFAULT 0,
    id             BIGINT NOT NULL,
    first_name     TEXT NOT NULL DEFAULT '',
    last_name      TEXT NOT NULL DEFAULT '',
    username       TEXT,
    first_seen_ms  BIGINT NOT NULL,
    last_seen_ms   BIGINT NOT NULL,
    banned         BOOLEAN NOT NULL DEFAULT FALSE,
    verified_until_ms BIGINT,
    blocked_bot    BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (bot, id)
);

CREATE TABLE plugin_user_settings (
    bot     BIGINT NOT NULL DEFAULT 0,
    plugin  TEXT COLLATE "C" NOT NULL,
    user_id BIGINT NOT NULL,
    key     TEXT COLLATE "C" NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (bot, plugin, user_id, key)
);

CREATE TABLE plugin_kv (
    bot    BIGINT NOT NULL DEFAULT 0,
    plugin TEXT COLLATE "C" NOT NULL,
    key    TEXT COLLATE "C" NOT NULL,
    value  BYTEA NOT NULL,
    PRIMARY KEY (bot, plugin, key)
);

CREATE TABLE jobs (
    id         BIGSERIAL PRIMARY KEY,
    bot        BIGINT NOT NULL DEFAULT 0,
    plugin     TEXT NOT NULL,
    due_ms     BIGINT NOT NULL,
    payload    TEXT NOT NULL,
    attempts   BIGINT NOT NULL DEFAULT 0,
    created_ms BIGINT NOT NULL
);
CREATE INDEX jobs_by_bot_due ON jobs (bot, due_ms);

CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);

CREATE TABLE files (
    bot            BIGINT NOT NULL DEFAULT 0,
    bin_channel    BIGINT NOT NULL,
    bin_message_id BIGINT NOT NULL,
    sender_id      BIGINT NOT NULL,
    chat_id        BIGINT NOT NULL,
    message_id     BIGINT NOT NULL,
    name           TEXT NOT NULL,
    mime           TEXT NOT NULL,
    size           BIGINT NOT NULL,
    received_ms    BIGINT NOT NULL,
    PRIMARY KEY (bin_channel, bin_message_id)
);
CREATE INDEX files_by_bot_sender ON files (bot, sender_id);

CREATE TABLE sessions (
    bot_id     BIGINT PRIMARY KEY,
    data       TEXT NOT NULL,
    updated_ms BIGINT NOT NULL
);

CREATE TABLE revoked_files (
    bin_channel    BIGINT NOT NULL,
    bin_message_id BIGINT NOT NULL,
    revoked_ms     BIGINT NOT NULL,
    revoked_by     BIGINT NOT NULL,
    PRIMARY KEY (bin_channel, bin_message_id)
);

CREATE TABLE clones (
    bot_id      BIGINT PRIMARY KEY,
    owner_id    BIGINT NOT NULL,
    username    TEXT NOT NULL,
    token       TEXT NOT NULL,
    bin_channel BIGINT,
    welcome     TEXT,
    shortener_site TEXT,
    shortener_key  TEXT,
    state       TEXT NOT NULL,
    created_ms  BIGINT NOT NULL
);
CREATE INDEX clones_by_owner ON clones (owner_id);
CREATE UNIQUE INDEX clones_by_bin ON clones (bin_channel);
