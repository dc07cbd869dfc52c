//! `/revoke <link>`: the file's sender (or an admin) makes its links stop working; they answer
//! 410 Gone from then on, in this process at once.

use grammers_client::update::Message;

use super::UpdateContext;
use crate::links::LinkSigner;

pub async fn command(ctx: &UpdateContext, m: &Message, user: i64, admin: bool, args: &str) {
    let usage = "Usage: /revoke <link> — a stream, download or watch link of a file you sent.";
    let Some(token) = args.split_whitespace().next().and_then(LinkSigner::token_in) else {
        return ctx.answer(m, usage).await;
    };
    // An expired link can still be revoked; a forged one names nothing.
    let far_past = 0;
    let target = match ctx.signer.verify(token, far_past) {
        Ok(t) => t,
        Err(_) => return ctx.answer(m, "That is not a link of this bot.").await,
    };
    let sender = match ctx.revoked.sender(target.message_id).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("revoke: {e}");
            return ctx.answer(m, "Sorry, I can't reach my records right now. Please try again later.").await;
        }
    };
    if !admin && sender != Some(user) {
        return ctx.answer(m, "You can only revoke links of files you sent.").await;
    }
    match ctx.revoked.revoke(target.message_id, user).await {
        Ok(()) => {
            tracing::info!(user, bin_message = target.message_id, "links revoked");
            ctx.answer(m, "🚫 Revoked: every link to that file now answers 410 Gone.").await
        }
        Err(e) => {
            tracing::error!("revoke: {e}");
            ctx.answer(m, "Sorry, I could not revoke that link. Please try again later.").await
        }
    }
}
