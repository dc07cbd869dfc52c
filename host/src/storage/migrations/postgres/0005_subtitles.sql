-- As the SQLite migration 0005: subtitle tracks attached to a video (integers are BIGINT here,
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
