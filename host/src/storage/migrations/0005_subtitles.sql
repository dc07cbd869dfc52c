-- Subtitle tracks attached to a video: both are files in the bin channel (the subtitle file
-- was sent as a reply to the video by its sender). The watch page lists a video's tracks in
-- the order they were attached.

CREATE TABLE subtitles (
    bot              BIGINT NOT NULL,
    bin_channel      BIGINT NOT NULL,
    video_message    INTEGER NOT NULL,
    subtitle_message INTEGER NOT NULL,
    label            TEXT NOT NULL,
    lang             TEXT,
    added_ms         BIGINT NOT NULL,
    PRIMARY KEY (bin_channel, video_message, subtitle_message)
);
