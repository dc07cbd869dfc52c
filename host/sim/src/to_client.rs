//! What a connection's writer sends to the client, once the simulated link lets it. A leaf of
//! its own: the connection (which writes) and the API (which queues answers and updates) both
//! use it, and neither imports the other for it.

use tokio::time::Instant;

pub(crate) enum ToClient {
    /// A message body (rpc_result, updates, pong…), sent no earlier than `ready`.
    Message {
        body: Vec<u8>,
        ready: Instant,
    },
    Close,
}
