//! The host side of each WIT import, one module per interface; every one checks the calling
//! plugin's grant before doing anything.

mod bot;
mod clock;
mod config;
mod http;
pub mod kv;
pub mod links;
mod log;
mod schedule;
pub mod telegram;
mod users;

use super::bindings::types;
use super::state::PluginState;

impl types::Host for PluginState {}
