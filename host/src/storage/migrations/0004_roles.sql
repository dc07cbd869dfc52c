-- Several processes on one database. A Telegram session belongs to a bot and a node: `bot`
-- and `all` processes share the bot's session (node ''), each `stream` process keeps its own
-- under its name. A lease says which `bot` process of a token is active.

CREATE TABLE sessions_new (
    bot_id     BIGINT NOT NULL,
    node       TEXT NOT NULL DEFAULT '',
    data       TEXT NOT NULL,
    updated_ms BIGINT NOT NULL,
    PRIMARY KEY (bot_id, node)
);
INSERT INTO sessions_new (bot_id, node, data, updated_ms) SELECT bot_id, '', data, updated_ms FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_new RENAME TO sessions;

CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_ms BIGINT NOT NULL
);
