//! The simulated Telegram API: one module per area (auth, help, updates, messages, channels,
//! upload, users/bots), and the dispatch table that routes a request to its handler.

mod auth;
mod channels;
mod help;
mod messages;
pub(super) mod send;
mod updates;
mod upload;
mod users;

use std::sync::Arc;

use grammers_tl_types::{self as tl, Deserializable, Identifiable, RemoteCall, Serializable};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::Shared;
use super::faults::Fault;
use super::to_client::ToClient;
use super::world::{AccountId, ChannelId, World};

/// An RPC error as Telegram sends it (`FLOOD_WAIT_3` carries its value in the name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpcErr {
    pub code: i32,
    pub name: String,
}

pub fn err(code: i32, name: impl Into<String>) -> RpcErr {
    RpcErr { code, name: name.into() }
}

pub enum Reply {
    Error(RpcErr),
    /// Close the connection without answering.
    Drop,
}

impl From<RpcErr> for Reply {
    fn from(e: RpcErr) -> Self {
        Reply::Error(e)
    }
}

/// What a handler knows about the call it serves.
pub struct CallCtx {
    pub shared: Arc<Shared>,
    pub dc: i32,
    pub key_id: u64,
    pub conn_tx: mpsc::UnboundedSender<ToClient>,
}

impl CallCtx {
    /// Queues an answer to leave one simulated round trip after the request arrived.
    pub fn send_reply(&self, body: Vec<u8>) {
        let ready = Instant::now() + self.shared.link(self.dc).rtt;
        let _ = self.conn_tx.send(ToClient::Message { body, ready });
    }

    pub fn send_now(&self, body: Vec<u8>) {
        let _ = self.conn_tx.send(ToClient::Message { body, ready: Instant::now() });
    }

    /// The account bound to this connection's key, or AUTH_KEY_UNREGISTERED like Telegram.
    pub fn me(&self, world: &World) -> Result<AccountId, RpcErr> {
        world.keys.get(&self.key_id).and_then(|k| k.account).ok_or_else(|| err(401, "AUTH_KEY_UNREGISTERED"))
    }
}

/// A chat as a request names it, after its access hash was checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    User(AccountId),
    Channel(ChannelId),
}

/// Whether `hash` proves access: the real one, or 0 ("ambient authority") when a bot asks,
/// which Telegram accepts from bots.
fn hash_ok(world: &World, me: AccountId, real: i64, hash: i64) -> bool {
    real == hash || (hash == 0 && world.account(me).is_some_and(|a| a.bot))
}

pub fn resolve_peer(world: &World, me: AccountId, peer: &tl::enums::InputPeer) -> Result<Target, RpcErr> {
    match peer {
        tl::enums::InputPeer::User(u) => match world.accounts.get(&u.user_id) {
            Some(a) if hash_ok(world, me, a.access_hash, u.access_hash) => Ok(Target::User(a.id)),
            _ => Err(err(400, "PEER_ID_INVALID")),
        },
        tl::enums::InputPeer::Channel(c) => {
            resolve_channel_parts(world, me, c.channel_id, c.access_hash).map(Target::Channel)
        }
        _ => Err(err(400, "PEER_ID_INVALID")),
    }
}

pub fn resolve_channel(world: &World, me: AccountId, ch: &tl::enums::InputChannel) -> Result<ChannelId, RpcErr> {
    match ch {
        tl::enums::InputChannel::Channel(c) => resolve_channel_parts(world, me, c.channel_id, c.access_hash),
        _ => Err(err(400, "CHANNEL_INVALID")),
    }
}

fn resolve_channel_parts(world: &World, me: AccountId, id: i64, hash: i64) -> Result<ChannelId, RpcErr> {
    match world.channels.get(&id) {
        Some(c) if !hash_ok(world, me, c.access_hash, hash) => Err(err(400, "CHANNEL_INVALID")),
        Some(c) if !c.admins.contains(&me) => Err(err(406, "CHANNEL_PRIVATE")),
        Some(c) => Ok(c.id),
        None => Err(err(400, "CHANNEL_INVALID")),
    }
}

fn call<R>(ctx: &CallCtx, body: &[u8], f: fn(&CallCtx, R) -> Result<R::Return, RpcErr>) -> Result<Vec<u8>, Reply>
where
    R: RemoteCall + Deserializable,
    R::Return: Serializable,
{
    let req = R::from_bytes(&body[4..]).map_err(|e| err(400, format!("INPUT_REQUEST_INVALID: {e}")))?;
    f(ctx, req).map(|r| r.to_bytes()).map_err(Reply::Error)
}

/// Reads "the rest of the buffer" where a generic wrapper (`invokeWithLayer`) holds its query.
struct Rest(Vec<u8>);

impl Deserializable for Rest {
    fn deserialize(buf: &mut tl::deserialize::Cursor) -> tl::deserialize::Result<Self> {
        let mut v = Vec::new();
        buf.read_to_end(&mut v)?;
        Ok(Rest(v))
    }
}

fn apply_fault(ctx: &CallCtx, method: &str, body: &[u8]) -> Result<(), Reply> {
    let account = ctx.shared.world().keys.get(&ctx.key_id).and_then(|k| k.account);
    let fault = ctx.shared.faults.lock().unwrap_or_else(|p| p.into_inner()).take(method, ctx.dc, account);
    match fault {
        None => Ok(()),
        Some(Fault::FloodWait(s)) => Err(err(420, format!("FLOOD_WAIT_{s}")).into()),
        Some(Fault::Internal) => Err(err(500, "INTERNAL_SERVER_ERROR").into()),
        Some(Fault::Rpc { code, name }) => Err(err(code, name).into()),
        Some(Fault::DropConnection) => Err(Reply::Drop),
        Some(Fault::FileReferenceExpired) => {
            if let Ok(req) = tl::functions::upload::GetFile::from_bytes(&body[4..]) {
                upload::rotate_reference_of(ctx, &req.location);
            }
            Err(err(400, "FILE_REFERENCE_EXPIRED").into())
        }
    }
}

/// Routes one request by its constructor id.
pub fn dispatch(ctx: &CallCtx, method: &str, body: &[u8]) -> Result<Vec<u8>, Reply> {
    use tl::functions as f;
    let Some(id) = body.get(..4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])) else {
        return Err(err(400, "INPUT_REQUEST_INVALID").into());
    };
    // Wrappers carry the real query; faults apply to what is inside them.
    match id {
        f::InvokeWithLayer::<Rest>::CONSTRUCTOR_ID => {
            let w = f::InvokeWithLayer::<Rest>::from_bytes(&body[4..]).map_err(|_| err(400, "INPUT_LAYER_INVALID"))?;
            return dispatch(ctx, tl::name_for_id(inner_id(&w.query.0)), &w.query.0);
        }
        f::InitConnection::<Rest>::CONSTRUCTOR_ID => {
            let w = f::InitConnection::<Rest>::from_bytes(&body[4..]).map_err(|_| err(400, "CONNECTION_NOT_INITED"))?;
            return dispatch(ctx, tl::name_for_id(inner_id(&w.query.0)), &w.query.0);
        }
        f::InvokeWithoutUpdates::<Rest>::CONSTRUCTOR_ID => {
            let w = f::InvokeWithoutUpdates::<Rest>::from_bytes(&body[4..])
                .map_err(|_| err(400, "INPUT_REQUEST_INVALID"))?;
            return dispatch(ctx, tl::name_for_id(inner_id(&w.query.0)), &w.query.0);
        }
        _ => {}
    }
    apply_fault(ctx, method, body)?;
    ctx.shared.count_call(method, ctx.dc);
    match id {
        f::help::GetConfig::CONSTRUCTOR_ID => call(ctx, body, help::get_config),
        f::help::GetNearestDc::CONSTRUCTOR_ID => call(ctx, body, help::get_nearest_dc),
        f::auth::ImportBotAuthorization::CONSTRUCTOR_ID => call(ctx, body, auth::import_bot_authorization),
        f::auth::ExportAuthorization::CONSTRUCTOR_ID => call(ctx, body, auth::export_authorization),
        f::auth::ImportAuthorization::CONSTRUCTOR_ID => call(ctx, body, auth::import_authorization),
        f::auth::LogOut::CONSTRUCTOR_ID => call(ctx, body, auth::log_out),
        f::updates::GetState::CONSTRUCTOR_ID => call(ctx, body, updates::get_state),
        f::updates::GetDifference::CONSTRUCTOR_ID => call(ctx, body, updates::get_difference),
        f::updates::GetChannelDifference::CONSTRUCTOR_ID => call(ctx, body, updates::get_channel_difference),
        f::users::GetUsers::CONSTRUCTOR_ID => call(ctx, body, users::get_users),
        f::contacts::ResolveUsername::CONSTRUCTOR_ID => call(ctx, body, users::resolve_username),
        f::bots::SetBotCommands::CONSTRUCTOR_ID => call(ctx, body, users::set_bot_commands),
        f::messages::SendMessage::CONSTRUCTOR_ID => call(ctx, body, messages::send_message),
        f::messages::SendMedia::CONSTRUCTOR_ID => call(ctx, body, messages::send_media),
        f::messages::EditMessage::CONSTRUCTOR_ID => call(ctx, body, messages::edit_message),
        f::messages::DeleteMessages::CONSTRUCTOR_ID => call(ctx, body, messages::delete_messages),
        f::messages::ForwardMessages::CONSTRUCTOR_ID => call(ctx, body, messages::forward_messages),
        f::messages::GetMessages::CONSTRUCTOR_ID => call(ctx, body, messages::get_messages),
        f::messages::SetBotCallbackAnswer::CONSTRUCTOR_ID => call(ctx, body, messages::set_bot_callback_answer),
        f::channels::GetMessages::CONSTRUCTOR_ID => call(ctx, body, channels::get_messages),
        f::channels::DeleteMessages::CONSTRUCTOR_ID => call(ctx, body, channels::delete_messages),
        f::channels::GetChannels::CONSTRUCTOR_ID => call(ctx, body, channels::get_channels),
        f::channels::GetParticipant::CONSTRUCTOR_ID => call(ctx, body, channels::get_participant),
        f::upload::GetFile::CONSTRUCTOR_ID => call(ctx, body, upload::get_file),
        f::upload::SaveFilePart::CONSTRUCTOR_ID => call(ctx, body, upload::save_file_part),
        f::upload::SaveBigFilePart::CONSTRUCTOR_ID => call(ctx, body, upload::save_big_file_part),
        _ => {
            tracing::warn!(method, "the simulator does not implement this method");
            Err(err(400, format!("METHOD_NOT_SIMULATED_{}", method.replace('.', "_").to_uppercase())).into())
        }
    }
}

fn inner_id(b: &[u8]) -> u32 {
    b.get(..4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])).unwrap_or(0)
}
