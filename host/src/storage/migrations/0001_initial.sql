-- Portable SQL: plain types, no SQLite-only syntax beyond what PostgreSQL also reads, so a
-- second backend can run the same schema with its own type names.

CREATE TABLE users (
    id             BIGINT PRIMARY KEY,
    first_name     TEXT NOT NULL DEFAULT '',
    last_name      TEXT NOT NULL DEFAULT '',
    username       TEXT,
    first_seen_ms  BIGINT NOT NULL,
    last_seen_ms   BIGINT NOT NULL,
    banned         BOOLEAN NOT NULL DEFAULT FALSE,
    verified_until_ms BIGINT,
    -- Set when a send fails because the user blocked the bot; cleared when they write again.
    blocked_bot    BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE user_settings (
    user_id BIGINT NOT NULL,
    key     TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (user_id, key)
);

CREATE TABLE plugin_kv (
    plugin TEXT NOT NULL,
    key    TEXT NOT NULL,
    value  BLOB NOT NULL,
    PRIMARY KEY (plugin, key)
);

CREATE TABLE jobs (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    plugin     TEXT NOT NULL,
    due_ms     BIGINT NOT NULL,
    payload    TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    created_ms BIGINT NOT NULL
);
CREATE INDEX jobs_by_due ON jobs (due_ms);

CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

CREATE TABLE files (
    bin_channel    BIGINT NOT NULL,
    bin_message_id INTEGER NOT NULL,
    sender_id      BIGINT NOT NULL,
    chat_id        BIGINT NOT NULL,
    message_id     INTEGER NOT NULL,
    name           TEXT NOT NULL,
    mime           TEXT NOT NULL,
    size           BIGINT NOT NULL,
    received_ms    BIGINT NOT NULL,
    PRIMARY KEY (bin_channel, bin_message_id)
);
CREATE INDEX files_by_sender ON files (sender_id);

CREATE TABLE sessions (
    bot_id     BIGINT PRIMARY KEY,
    data       TEXT NOT NULL,
    updated_ms BIGINT NOT NULL
);
