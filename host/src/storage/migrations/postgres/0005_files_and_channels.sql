-- As the SQLite migration 0005: subtitle tracks attached to a video, other names of a file
-- and channels in channel mode (integers are BIGINT here, as in every table of this backend).

CREATE TABLE subtitles (
    bot              BIGINT NOT NULL,
    bin_channel      BIGINT NOT NULL,
    video_message    BIGINT NOT NULL,
    subtitle_message BIGINT NOT NULL,
    label            TEXT NOT NULL,
    lang             TEXT,
    added_ms         BIGINT NOT NULL,
    PRIMARY KEY (bin_channel, video_message, subtitle_message)
);

-- Other names a file's sender gave it (`/rename`): a renamed link carries the id, signed, so
-- its name is this one while older links keep theirs. Ids are random per file, not a
-- sequence, so a database copied elsewhere needs nothing reset.
CREATE TABLE link_names (
    bot         BIGINT NOT NULL,
    bin_channel BIGINT NOT NULL,
    bin_message BIGINT NOT NULL,
    id          BIGINT NOT NULL,
    name        TEXT NOT NULL,
    created_ms  BIGINT NOT NULL,
    PRIMARY KEY (bin_channel, bin_message, id)
);

-- Channels whose new media posts get Stream / Download buttons (`/channel on`), per bot.
CREATE TABLE channel_modes (
    bot        BIGINT NOT NULL,
    channel_id BIGINT NOT NULL,
    enabled    BOOLEAN NOT NULL,
    set_by     BIGINT NOT NULL,
    set_ms     BIGINT NOT NULL,
    PRIMARY KEY (bot, channel_id)
);
