//! Whom a plugin call acts for. A leaf: the call's state holds it, and the checks that bound
//! what an import may reach (whose data, which chats) read it.

use super::bindings::types::Event;

/// Whom a call acts for: the event's user and chat (none for a wake-up), and whether the user
/// is an admin. Imports that touch a user's data or a chat check against it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallScope {
    pub user: Option<i64>,
    pub chat: Option<i64>,
    pub admin: bool,
    /// The stored job a wake-up delivers, when it is one.
    pub job: Option<JobKey>,
}

/// A wake-up's stored job: delivered again after a crash, a hand-over or a failure, it is the
/// same job, so sends made for it can be made idempotent (see `telegram::send_key`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobKey {
    pub id: i64,
    pub created_ms: i64,
}

impl CallScope {
    pub fn of(event: &Event) -> CallScope {
        let (user, chat, admin) = match event {
            Event::Command(c) => (Some(c.user_id), Some(c.chat_id), c.is_admin),
            Event::Callback(c) => (Some(c.user_id), Some(c.chat_id), c.is_admin),
            Event::FileReceived(f) | Event::FileGate(f) => (Some(f.user_id), Some(f.chat_id), f.is_admin),
            Event::FileReplied(f) => (Some(f.user_id), Some(f.chat_id), false),
            Event::Text(t) => (Some(t.user_id), Some(t.chat_id), false),
            Event::WakeUp(_) => (None, None, false),
        };
        CallScope { user, chat, admin, job: None }
    }
}
