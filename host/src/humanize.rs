//! Numbers as people read them: the very code the plugin SDK gives plugins, so the bot's own
//! replies and the first-party plugins' write sizes the same way.

pub use beamgram_human::{bytes, duration};

#[cfg(test)]
mod tests {
    #[test]
    fn binary_units() {
        assert_eq!(super::bytes(0), "0 B");
        assert_eq!(super::bytes(1023), "1023 B");
        assert_eq!(super::bytes(1536), "1.5 KiB");
        assert_eq!(super::bytes(5 << 30), "5.0 GiB");
        assert_eq!(super::duration(3725.2), "1:02:05");
    }
}
