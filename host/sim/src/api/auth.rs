//! `auth.*`: bot login and the export/import dance that authorizes a key on another DC.

use grammers_tl_types as tl;

use super::{CallCtx, RpcErr, err};
use crate::render;

pub fn import_bot_authorization(
    ctx: &CallCtx,
    req: tl::functions::auth::ImportBotAuthorization,
) -> Result<tl::enums::auth::Authorization, RpcErr> {
    if req.api_id != ctx.shared.api.id || req.api_hash != ctx.shared.api.hash {
        return Err(err(400, "API_ID_INVALID"));
    }
    let mut world = ctx.shared.world();
    let bot = world.bot_by_token(&req.bot_auth_token).cloned().ok_or_else(|| err(401, "ACCESS_TOKEN_INVALID"))?;
    if bot.home_dc != ctx.dc {
        return Err(err(303, format!("USER_MIGRATE_{}", bot.home_dc)));
    }
    if let Some(k) = world.keys.get_mut(&ctx.key_id) {
        k.account = Some(bot.id);
    }
    tracing::info!(dc = ctx.dc, bot = bot.id, "bot logged in");
    ctx.shared.logins.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Ok(authorization(render::user(&bot, bot.id)))
}

fn authorization(user: tl::enums::User) -> tl::enums::auth::Authorization {
    tl::types::auth::Authorization {
        setup_password_required: false,
        otherwise_relogin_days: None,
        tmp_sessions: None,
        future_auth_token: None,
        user,
    }
    .into()
}

pub fn export_authorization(
    ctx: &CallCtx,
    req: tl::functions::auth::ExportAuthorization,
) -> Result<tl::enums::auth::ExportedAuthorization, RpcErr> {
    if req.dc_id == ctx.dc || !ctx.shared.dcs.iter().any(|(id, _)| *id == req.dc_id) {
        return Err(err(400, "DC_ID_INVALID"));
    }
    let mut world = ctx.shared.world();
    let me = ctx.me(&world)?;
    let id = world.fresh_id();
    let mut bytes = vec![0u8; 128];
    rand::Rng::fill(&mut rand::thread_rng(), &mut bytes[..]);
    world.exported.insert(id, (me, bytes.clone(), req.dc_id));
    Ok(tl::types::auth::ExportedAuthorization { id, bytes }.into())
}

pub fn import_authorization(
    ctx: &CallCtx,
    req: tl::functions::auth::ImportAuthorization,
) -> Result<tl::enums::auth::Authorization, RpcErr> {
    let mut world = ctx.shared.world();
    let account = match world.exported.get(&req.id) {
        Some((acc, bytes, dc)) if *bytes == req.bytes && *dc == ctx.dc => *acc,
        _ => return Err(err(400, "AUTH_BYTES_INVALID")),
    };
    world.exported.remove(&req.id);
    if let Some(k) = world.keys.get_mut(&ctx.key_id) {
        k.account = Some(account);
    }
    let acc = world.account(account).cloned().ok_or_else(|| err(400, "AUTH_BYTES_INVALID"))?;
    Ok(authorization(render::user(&acc, acc.id)))
}

pub fn log_out(ctx: &CallCtx, _: tl::functions::auth::LogOut) -> Result<tl::enums::auth::LoggedOut, RpcErr> {
    let mut world = ctx.shared.world();
    ctx.me(&world)?;
    if let Some(k) = world.keys.get_mut(&ctx.key_id) {
        k.account = None;
    }
    Ok(tl::types::auth::LoggedOut { future_auth_token: None }.into())
}
