-- As the SQLite migration 0005: subtitle tracks attached to a video and other names of a file (integers are BIGINT here,
-- as in every table of this backend).

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
