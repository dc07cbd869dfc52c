//! beamgram: a Telegram bot host that turns files into HTTP stream links and runs chat
//! commands as sandboxed WebAssembly plugins.

pub mod sim;
