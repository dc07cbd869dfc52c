-- Per-user settings belong to the plugin that wrote them: a plugin sees its own namespace.
CREATE TABLE plugin_user_settings (
    plugin  TEXT NOT NULL,
    user_id BIGINT NOT NULL,
    key     TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (plugin, user_id, key)
);

-- Settings written before namespaces followed the `<plugin>.<key>` naming convention; each
-- moves to the namespace its name gives.
INSERT INTO plugin_user_settings (plugin, user_id, key, value)
    SELECT CASE WHEN instr(key, '.') > 0 THEN substr(key, 1, instr(key, '.') - 1) ELSE '' END, user_id, key, value
    FROM user_settings;

DROP TABLE user_settings;

-- Files whose links were revoked (by their sender, an admin, or a ban): links answer 410.
CREATE TABLE revoked_files (
    bin_channel    BIGINT NOT NULL,
    bin_message_id INTEGER NOT NULL,
    revoked_ms     BIGINT NOT NULL,
    revoked_by     BIGINT NOT NULL,
    PRIMARY KEY (bin_channel, bin_message_id)
);
