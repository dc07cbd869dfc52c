-- Clone bots. Every bot hosted here has its own users, plugin settings, kv and jobs: rows carry
-- the bot they belong to (0 = the main bot, otherwise the clone's Telegram id), so a plugin
-- running for one bot never sees another's. Tables whose key changes are rebuilt (SQLite
-- cannot alter a primary key); the main bot's rows move over as bot 0.

CREATE TABLE users_new (
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
INSERT INTO users_new (bot, id, first_name, last_name, username, first_seen_ms, last_seen_ms, banned, verified_until_ms, blocked_bot)
    SELECT 0, id, first_name, last_name, username, first_seen_ms, last_seen_ms, banned, verified_until_ms, blocked_bot FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;

CREATE TABLE plugin_kv_new (
    bot    BIGINT NOT NULL DEFAULT 0,
    plugin TEXT NOT NULL,
    key    TEXT NOT NULL,
    value  BLOB NOT NULL,
    PRIMARY KEY (bot, plugin, key)
);
INSERT INTO plugin_kv_new (bot, plugin, key, value) SELECT 0, plugin, key, value FROM plugin_kv;
DROP TABLE plugin_kv;
ALTER TABLE plugin_kv_new RENAME TO plugin_kv;

CREATE TABLE plugin_user_settings_new (
    bot     BIGINT NOT NULL DEFAULT 0,
    plugin  TEXT NOT NULL,
    user_id BIGINT NOT NULL,
    key     TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (bot, plugin, user_id, key)
);
INSERT INTO plugin_user_settings_new (bot, plugin, user_id, key, value)
    SELECT 0, plugin, user_id, key, value FROM plugin_user_settings;
DROP TABLE plugin_user_settings;
ALTER TABLE plugin_user_settings_new RENAME TO plugin_user_settings;

ALTER TABLE jobs ADD COLUMN bot BIGINT NOT NULL DEFAULT 0;
CREATE INDEX jobs_by_bot_due ON jobs (bot, due_ms);

-- Files stay keyed by their bin-channel message (a bin channel belongs to one bot only: the
-- host refuses a second bot's /setbin on it); the bot column scopes totals and listings.
ALTER TABLE files ADD COLUMN bot BIGINT NOT NULL DEFAULT 0;
CREATE INDEX files_by_bot_sender ON files (bot, sender_id);

-- The clones: who owns each, its token (the store is owner-only, 0600), where it keeps files
-- (NULL until its owner runs /setbin), its welcome text, the shortener its owner chose for its
-- users (site and API key) and whether it should run.
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
